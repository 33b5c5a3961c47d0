//! Reading a journal file without changing it: strict verification (`journal verify`) and
//! every complete record (`journal show`/`export`), under a shared lock.

use std::fs::File;
use std::io;
use std::path::Path;

use super::{corruption, scan_file};
use crate::journal::{JournalRecord, Verifier, VerifyError, VerifyReport};

/// Verifies the journal at `path` strictly, without changing it: every record, the genesis
/// record, checkpoint records, and (if given) that record `seq` exists with hash `hash`. A
/// torn last record fails too (opening the journal would cut it away).
pub fn verify_file(
    path: &Path,
    checkpoint: Option<(u64, String)>,
) -> Result<VerifyReport, VerifyError> {
    verify_file_with(path, checkpoint, |_| {})
}

/// [`verify_file`], also passing every verified record, in order, to `each` (checks above the
/// chain, such as signed checkpoints, see them this way without a second read).
pub fn verify_file_with(
    path: &Path,
    checkpoint: Option<(u64, String)>,
    each: impl FnMut(JournalRecord),
) -> Result<VerifyReport, VerifyError> {
    let io_error = |e: io::Error| VerifyError::io(format_args!("{}: {e}", path.display()));
    let file = File::open(path).map_err(io_error)?;
    file.lock_shared().map_err(io_error)?;
    let end = file.metadata().map_err(io_error)?.len();
    let mut verifier = Verifier::new();
    if let Some((seq, hash)) = checkpoint {
        verifier.expect_checkpoint(seq, hash);
    }
    match scan_file(&file, &mut verifier, end, each) {
        Ok(None) => verifier.finish(),
        Ok(Some((tail, _))) => Err(VerifyError {
            seq: verifier.next_seq(),
            offset: tail.offset,
            why: tail.why,
        }),
        Err(e) => match corruption(&e) {
            Some(v) => Err(v.clone()),
            None => Err(io_error(e)),
        },
    }
}

/// Reads every complete record of the journal at `path` without changing it (a torn last
/// record is skipped; a bad record before the end is an error). For `journal show`/`export`.
pub fn read_records(path: &Path) -> io::Result<Vec<JournalRecord>> {
    let file = File::open(path)?;
    file.lock_shared()?;
    let end = file.metadata()?.len();
    let mut out = Vec::new();
    scan_file(&file, &mut Verifier::new(), end, |r| out.push(r))?;
    Ok(out)
}
