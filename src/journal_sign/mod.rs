//! Signed journal checkpoints: SSH signatures that a rewrite of the journal cannot forge.
//!
//! The hash chain is not keyed: whoever can write the journal file can rebuild a consistent
//! one. A checkpoint signed with a person's SSH key closes that gap the way signed commits do
//! in git: the signature is OpenSSH's SSHSIG format (what `ssh-keygen -Y sign` writes,
//! PROTOCOL.sshsig), made through ssh-agent or from a key file, and checked against an OpenSSH
//! allowed-signers file — by `flightdeck journal verify --allowed-signers FILE`, or by
//! `ssh-keygen -Y verify` alone.
//!
//! - **What is signed** ([`message`]): the line `JOURNAL_ID SEQ:HASH` and its newline — the
//!   journal's id (from its genesis record) and the reference of the last record the
//!   checkpoint covers (seq `N-1` for a checkpoint at seq `N`; `HASH` is its body's `head`).
//!   Namespace [`NAMESPACE`], hash sha512.
//! - **Where it is kept**: in the checkpoint record's body, field `signature`
//!   (`namespace`, `message`, `key` fingerprint, armored `sshsig`), so the chain protects it
//!   like any record; and a copy in `PATH.sig.d/SEQ.sig` (SEQ = the signed seq) to hand to
//!   `ssh-keygen` or to keep elsewhere.
//!
//! Edge code: it reads key files, talks to ssh-agent over its socket and reads the
//! allowed-signers file. Crates: RustCrypto's `ssh-key` (keys, SSHSIG, signing and verifying)
//! and `ssh-agent-lib`'s blocking agent client.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use ssh_agent_lib::blocking::Client;
use ssh_agent_lib::proto::{PublicCredential, SignRequest};
use ssh_key::private::{KeypairData, RsaKeypair};
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, HashAlg, LineEnding, Mpint, PrivateKey, PublicKey, Signature, SshSig};

mod allowed_signers;
mod error;
pub use allowed_signers::{AllowedSigners, SignersLineError};
pub use error::{CheckpointProblem, SignError};

use crate::journal::JournalRecord;
use crate::journal_store::JournalFile;
use crate::time::Timestamp;

/// The SSHSIG namespace of journal checkpoint signatures (`ssh-keygen -n`).
pub const NAMESPACE: &str = "flightdeck-journal";

/// The environment variable naming the signing key when `--key` is not given.
pub const KEY_ENV: &str = "FLIGHTDECK_SIGNING_KEY";

/// `SSH_AGENT_RSA_SHA2_512`: asks the agent for an `rsa-sha2-512` signature from an RSA key.
const AGENT_RSA_SHA2_512: u32 = 4;

/// How long to wait for ssh-agent (it may ask its user to confirm a signature).
const AGENT_TIMEOUT: Duration = Duration::from_secs(120);

/// The exact bytes a checkpoint signature signs: `JOURNAL_ID SEQ:HASH` and a newline.
pub fn message(journal_id: &str, seq: u64, hash: &str) -> String {
    format!("{journal_id} {seq}:{hash}\n")
}

/// `SHA256:…`, as `ssh-keygen -l` prints it.
pub fn fingerprint(key: &KeyData) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// `PATH.sig.d`: where copies of the signatures of the journal at `PATH` are kept.
pub fn sig_dir(journal: &Path) -> PathBuf {
    let mut s = journal.as_os_str().to_owned();
    s.push(".sig.d");
    PathBuf::from(s)
}

/// The user's SSH key, ready to sign.
#[derive(Debug)]
pub struct Signer {
    public: PublicKey,
    how: How,
}

#[derive(Debug)]
enum How {
    /// An unencrypted private key read from a file.
    File(Box<PrivateKey>),
    /// The agent listening on this socket holds the key.
    Agent(PathBuf),
}

impl Signer {
    /// The signing key: `key` (a private key file, or a public key file whose private key
    /// ssh-agent holds), else the file named by `$FLIGHTDECK_SIGNING_KEY`, else the one key
    /// ssh-agent (`$SSH_AUTH_SOCK`) holds.
    pub fn find(key: Option<&Path>) -> Result<Signer, SignError> {
        let from_env = std::env::var_os(KEY_ENV).filter(|v| !v.is_empty());
        let agent = std::env::var_os("SSH_AUTH_SOCK")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        match (key, from_env) {
            (Some(path), _) => Self::from_file(path, agent),
            (None, Some(path)) => Self::from_file(Path::new(&path), agent)
                .map_err(|e| SignError::FromEnv(Box::new(e))),
            (None, None) => Self::only_agent_key(agent),
        }
    }

    /// A signer for the key in `path`: an OpenSSH private key (signed with here, or through
    /// the agent when the file is encrypted and the agent holds the key), or a public key
    /// (signed with through the agent).
    pub fn from_file(path: &Path, agent: Option<PathBuf>) -> Result<Signer, SignError> {
        let text = std::fs::read_to_string(path).map_err(|e| SignError::KeyUnread {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
            let private =
                PrivateKey::from_openssh(&text).map_err(|e| SignError::NotAPrivateKey {
                    path: path.to_path_buf(),
                    why: e.to_string(),
                })?;
            let public = private.public_key().clone();
            if !private.is_encrypted() {
                return Ok(Signer {
                    public,
                    how: How::File(Box::new(private)),
                });
            }
            // The public half of an encrypted key file is in the clear: sign through the
            // agent if it holds the key.
            if let Some(socket) = agent
                && agent_identities(&socket)
                    .map(|keys| keys.iter().any(|(k, _)| k == public.key_data()))
                    .unwrap_or(false)
            {
                return Ok(Signer {
                    public,
                    how: How::Agent(socket),
                });
            }
            return Err(SignError::Passphrase {
                path: path.to_path_buf(),
            });
        }
        if text.trim_start().starts_with("-----BEGIN") {
            return Err(SignError::PemKey {
                path: path.to_path_buf(),
            });
        }
        let public = PublicKey::from_openssh(text.trim()).map_err(|e| SignError::NotAKey {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        let Some(socket) = agent else {
            return Err(SignError::PublicKeyWithoutAgent {
                path: path.to_path_buf(),
            });
        };
        let keys = agent_identities(&socket)?;
        if !keys.iter().any(|(k, _)| k == public.key_data()) {
            return Err(SignError::AgentLacksKey {
                key: fingerprint(public.key_data()),
                socket,
                path: path.to_path_buf(),
            });
        }
        Ok(Signer {
            public,
            how: How::Agent(socket),
        })
    }

    /// The only key ssh-agent holds; an error naming the way out when there is no agent, no
    /// key or more than one.
    fn only_agent_key(agent: Option<PathBuf>) -> Result<Signer, SignError> {
        let Some(socket) = agent else {
            return Err(SignError::NoKey);
        };
        let mut keys = agent_identities(&socket)?;
        match keys.len() {
            0 => Err(SignError::AgentEmpty { socket }),
            1 => {
                let (key, comment) = keys.remove(0);
                Ok(Signer {
                    public: PublicKey::new(key, comment),
                    how: How::Agent(socket),
                })
            }
            _ => Err(SignError::AgentHoldsMany {
                keys: keys
                    .iter()
                    .map(|(k, c)| format!("{} {c}", fingerprint(k)))
                    .collect(),
            }),
        }
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// `ssh-ed25519 SHA256:… (ssh-agent)`: which key signs, and how.
    pub fn describe(&self) -> String {
        let how = match &self.how {
            How::File(_) => "key file",
            How::Agent(_) => "ssh-agent",
        };
        format!(
            "{} {} ({how})",
            self.public.algorithm().as_str(),
            fingerprint(self.public.key_data())
        )
    }

    /// An SSHSIG signature over `msg` in [`NAMESPACE`] (sha512, as `ssh-keygen -Y sign`).
    pub fn sign(&self, msg: &[u8]) -> Result<SshSig, SignError> {
        let hash = HashAlg::Sha512;
        let sig = match &self.how {
            How::File(private) => match private.key_data() {
                KeypairData::Rsa(keypair) => sign_rsa(keypair, msg)?,
                _ => private
                    .sign(NAMESPACE, hash, msg)
                    .map_err(|e| SignError::Signing(e.to_string()))?,
            },
            How::Agent(socket) => {
                let data = SshSig::signed_data(NAMESPACE, hash, msg)
                    .map_err(|e| SignError::Signing(e.to_string()))?;
                let key = self.public.key_data().clone();
                let flags = match key.algorithm() {
                    Algorithm::Rsa { .. } => AGENT_RSA_SHA2_512,
                    _ => 0,
                };
                let signature = agent(socket)?
                    .sign(SignRequest {
                        credential: PublicCredential::Key(key.clone()),
                        data,
                        flags,
                    })
                    .map_err(|e| SignError::AgentRefused {
                        socket: socket.clone(),
                        key: fingerprint(&key),
                        why: e.to_string(),
                    })?;
                SshSig::new(key, NAMESPACE, hash, signature)
                    .map_err(|e| SignError::AgentSignature(e.to_string()))?
            }
        };
        // Checked before it is journaled: a signature that does not verify is never written.
        self.public
            .verify(NAMESPACE, msg, &sig)
            .map_err(|e| SignError::NewSignatureFails(e.to_string()))?;
        Ok(sig)
    }
}

/// An SSHSIG by an RSA key file (`rsa-sha2-512`, as `ssh-keygen -Y sign` makes it). ssh-key
/// 0.6.7 cannot: it builds the RSA private key from the prime `p` twice instead of `p` and `q`.
fn sign_rsa(keypair: &RsaKeypair, msg: &[u8]) -> Result<SshSig, SignError> {
    use rsa::signature::{SignatureEncoding, Signer as _};
    let failed = |e: &dyn std::fmt::Display| SignError::RsaSigning(e.to_string());
    let int = |m: &Mpint| rsa::BigUint::try_from(m).map_err(|e| failed(&e));
    let private = rsa::RsaPrivateKey::from_components(
        int(&keypair.public.n)?,
        int(&keypair.public.e)?,
        int(&keypair.private.d)?,
        vec![int(&keypair.private.p)?, int(&keypair.private.q)?],
    )
    .map_err(|e| failed(&e))?;
    let hash = HashAlg::Sha512;
    let data = SshSig::signed_data(NAMESPACE, hash, msg).map_err(|e| failed(&e))?;
    let signed = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha512>::new(private)
        .try_sign(&data)
        .map_err(|e| failed(&e))?;
    let signature = Signature::new(Algorithm::Rsa { hash: Some(hash) }, signed.to_vec())
        .map_err(|e| failed(&e))?;
    SshSig::new(
        KeyData::Rsa(keypair.public.clone()),
        NAMESPACE,
        hash,
        signature,
    )
    .map_err(|e| failed(&e))
}

fn agent(socket: &Path) -> Result<Client<UnixStream>, SignError> {
    let stream = UnixStream::connect(socket).map_err(|e| SignError::AgentUnreachable {
        socket: socket.to_path_buf(),
        why: e.to_string(),
    })?;
    let _ = stream.set_read_timeout(Some(AGENT_TIMEOUT));
    let _ = stream.set_write_timeout(Some(AGENT_TIMEOUT));
    Ok(Client::new(stream))
}

/// The plain keys ssh-agent holds (certificates left out), with their comments.
fn agent_identities(socket: &Path) -> Result<Vec<(KeyData, String)>, SignError> {
    let identities = agent(socket)?
        .request_identities()
        .map_err(|e| SignError::AgentUnlisted {
            socket: socket.to_path_buf(),
            why: e.to_string(),
        })?;
    Ok(identities
        .into_iter()
        .filter_map(|id| match id.credential {
            PublicCredential::Key(key) => Some((key, id.comment)),
            PublicCredential::Cert(_) => None,
        })
        .collect())
}

/// A signed checkpoint just written.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The checkpoint record (its `SEQ:HASH` is the usual checkpoint reference).
    pub record: JournalRecord,
    /// The reference the signature vouches for: the record before the checkpoint.
    pub signed_seq: u64,
    pub signed_hash: String,
    /// The exact signed bytes ([`message`]).
    pub message: String,
    /// The armored signature (`-----BEGIN SSH SIGNATURE-----` …).
    pub armored: String,
    /// The copy in `PATH.sig.d/SEQ.sig`, or why it could not be written (the record holds
    /// the signature either way).
    pub side_file: Result<PathBuf, SideFileError>,
}

/// Signs the journal's head and appends a checkpoint record carrying the signature (see the
/// module doc). Signing happens without the journal's lock held (an agent may wait for its
/// user); if records were appended meanwhile, the new head is signed again (three tries).
pub fn checkpoint_signed(
    file: &mut JournalFile,
    signer: &Signer,
    actor: &str,
    role: crate::actions::Role,
) -> Result<Signed, SignError> {
    for _ in 0..3 {
        file.refresh().map_err(|e| journal_error(file, &e))?;
        let (seq, hash) = file.head();
        let hash = hash.to_string();
        let message = message(file.journal_id(), seq, &hash);
        let sig = signer.sign(message.as_bytes())?;
        let armored = sig
            .to_pem(LineEnding::LF)
            .map_err(|e| SignError::Armor(e.to_string()))?;
        let key = fingerprint(signer.public.key_data());
        let mut extra = serde_json::Map::new();
        extra.insert(
            "signature".into(),
            serde_json::json!({
                "namespace": NAMESPACE,
                "message": message.trim_end_matches('\n'),
                "key": key,
                "sshsig": armored,
            }),
        );
        let note = format!(", signed by {key}");
        let written = file
            .checkpoint_after((seq, &hash), extra, &note, actor, role, Timestamp::now())
            .map_err(|e| journal_error(file, &e))?;
        if let Some(record) = written {
            let side_file = write_side_file(file.path(), seq, &armored);
            return Ok(Signed {
                record,
                signed_seq: seq,
                signed_hash: hash,
                message,
                armored,
                side_file,
            });
        }
    }
    Err(SignError::KeptAppending {
        path: file.path().to_path_buf(),
    })
}

/// The journal file could not be read or written.
fn journal_error(file: &JournalFile, e: &dyn std::fmt::Display) -> SignError {
    SignError::Journal {
        path: file.path().to_path_buf(),
        why: e.to_string(),
    }
}

/// The side copy of a signature could not be written (the checkpoint record holds it anyway).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {why}", path.display())]
pub struct SideFileError {
    pub path: PathBuf,
    /// The operating system's words.
    pub why: String,
}

fn write_side_file(journal: &Path, seq: u64, armored: &str) -> Result<PathBuf, SideFileError> {
    let dir = sig_dir(journal);
    let path = dir.join(format!("{seq}.sig"));
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, armored))
        .map(|()| path.clone())
        .map_err(|e| SideFileError {
            path,
            why: e.to_string(),
        })
}

// ---------------------------------------------------------------------------------------------
// Checking signed checkpoints

/// A checkpoint's signature that verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureCheck {
    /// The checkpoint record that carries the signature.
    pub checkpoint_seq: u64,
    /// The reference it vouches for (`SEQ:HASH`, the record before the checkpoint).
    pub signed: String,
    pub key: String,
    pub algorithm: String,
    /// Who the allowed-signers file says the key is (empty when no file was given).
    pub principals: Vec<String>,
}

/// Checks the signature a checkpoint record carries, if any. `journal_id` is the journal's
/// (from its genesis record); the record itself must already have verified in the chain, so
/// its body's `head` is the hash of the record before it. With `allowed`, the key must be
/// listed there for [`NAMESPACE`] at the record's time; without, the signature is only checked
/// against its own key.
pub fn check_checkpoint(
    record: &JournalRecord,
    journal_id: &str,
    allowed: Option<&AllowedSigners>,
) -> Result<Option<SignatureCheck>, SignError> {
    let Some(sig) = record.body.get("signature") else {
        return Ok(None);
    };
    let bad = |why: CheckpointProblem| SignError::Checkpoint {
        seq: record.seq,
        why,
    };
    let armored = sig
        .get("sshsig")
        .and_then(|v| v.as_str())
        .ok_or_else(|| bad(CheckpointProblem::NoSshsig))?;
    let sshsig =
        SshSig::from_pem(armored).map_err(|e| bad(CheckpointProblem::NotSshsig(e.to_string())))?;
    let head = record
        .body
        .get("head")
        .and_then(|v| v.as_str())
        .ok_or_else(|| bad(CheckpointProblem::NoHead))?;
    let signed_seq = record.seq.saturating_sub(1);
    let expected = message(journal_id, signed_seq, head);
    let stated = sig.get("message").and_then(|v| v.as_str()).unwrap_or("");
    if stated != expected.trim_end_matches('\n') {
        return Err(bad(CheckpointProblem::OtherMessage {
            stated: stated.to_string(),
            expected: expected.trim_end_matches('\n').to_string(),
        }));
    }
    if sshsig.namespace() != NAMESPACE {
        return Err(bad(CheckpointProblem::Namespace(
            sshsig.namespace().to_string(),
        )));
    }
    let key = sshsig.public_key().clone();
    let fp = fingerprint(&key);
    let stated_key = sig.get("key").and_then(|v| v.as_str()).unwrap_or("");
    if stated_key != fp {
        return Err(bad(CheckpointProblem::KeyNamed {
            stated: stated_key.to_string(),
            made_by: fp,
        }));
    }
    PublicKey::from(key.clone())
        .verify(NAMESPACE, expected.as_bytes(), &sshsig)
        .map_err(|e| {
            bad(CheckpointProblem::DoesNotVerify {
                key: fp.clone(),
                message: expected.trim_end_matches('\n').to_string(),
                why: e.to_string(),
            })
        })?;
    let principals = match allowed {
        None => Vec::new(),
        Some(allowed) => {
            let principals = allowed.principals(&key, NAMESPACE, record.ts);
            if principals.is_empty() {
                let why = allowed
                    .refusal(&key, NAMESPACE, record.ts)
                    .unwrap_or_else(|| {
                        format!(
                            "{} does not list it (trust it by adding a line `PRINCIPAL \
                         namespaces=\"{NAMESPACE}\" {}`)",
                            allowed.source,
                            PublicKey::from(key.clone())
                                .to_openssh()
                                .unwrap_or_else(|_| key.algorithm().to_string())
                        )
                    });
                return Err(bad(CheckpointProblem::NotAllowed {
                    algorithm: key.algorithm().as_str().to_string(),
                    key: fp,
                    why,
                }));
            }
            principals
        }
    };
    Ok(Some(SignatureCheck {
        checkpoint_seq: record.seq,
        signed: format!("{signed_seq}:{head}"),
        key: fp,
        algorithm: key.algorithm().as_str().to_string(),
        principals,
    }))
}

#[cfg(test)]
mod tests {
    use super::allowed_signers::{match_pattern_list, parse_time};
    use super::*;

    #[test]
    fn patterns_match_as_openssh_does() {
        assert!(match_pattern_list(
            "flightdeck-journal",
            "flightdeck-journal"
        ));
        assert!(match_pattern_list("flightdeck-journal", "git,flightdeck-*"));
        assert!(match_pattern_list("flightdeck-journal", "*"));
        assert!(match_pattern_list("abc", "a?c"));
        assert!(!match_pattern_list("flightdeck-journal", "git,file"));
        assert!(!match_pattern_list("flightdeck-journal", "*,!flightdeck-*"));
        assert!(!match_pattern_list("abc", "a?"));
        assert!(match_pattern_list("aaab", "*a*b"));
    }

    #[test]
    fn times_read_as_openssh_reads_them() {
        assert_eq!(
            parse_time("20240102Z").unwrap().to_string(),
            "2024-01-02T00:00:00Z"
        );
        assert_eq!(
            parse_time("202401021530Z").unwrap().to_string(),
            "2024-01-02T15:30:00Z"
        );
        assert_eq!(
            parse_time("20240102153045Z").unwrap().to_string(),
            "2024-01-02T15:30:45Z"
        );
        for bad in ["2024", "20241302Z", "2024010215Z", "yesterday"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti";

    #[test]
    fn allowed_signers_lines_parse_with_and_without_options() {
        let text = format!(
            "# team\n\nalice@example.com {KEY} laptop\n\
             \"bob smith\" namespaces=\"git,flightdeck-journal\",valid-after=\"20240101Z\" {KEY}\n\
             ca@example.com cert-authority {KEY}\n"
        );
        let allowed = AllowedSigners::parse(&text, "signers").unwrap();
        assert_eq!(allowed.entries.len(), 3);
        let key = PublicKey::from_openssh(KEY).unwrap().key_data().clone();
        let at: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            allowed.principals(&key, NAMESPACE, at),
            vec!["alice@example.com".to_string(), "bob smith".to_string()]
        );
        let before: Timestamp = "2023-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            allowed.principals(&key, NAMESPACE, before),
            vec!["alice@example.com".to_string()]
        );
        assert_eq!(
            allowed.principals(&key, "git", at).len(),
            2,
            "alice's line has no namespaces option"
        );
    }

    #[test]
    fn bad_allowed_signers_lines_name_their_place() {
        for (text, says) in [
            ("alice@example.com", "no public key"),
            (
                "alice@example.com ssh-ed25519 AAAAnotbase64",
                "no public key",
            ),
            (
                &format!("alice nonsense=\"x\" {KEY}") as &str,
                "unknown option",
            ),
            (&format!("alice valid-after=\"soon\" {KEY}"), "not a time"),
            ("\"alice ssh-ed25519", "unterminated quote"),
        ] {
            let e = AllowedSigners::parse(&format!("# c\n{text}\n"), "f")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("f:2: "), "{e}");
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
