//! Creates approved silences in Alertmanager (the edge half of [`crate::actions::silence`]).
//!
//! The silence is read back from the approved argv (`amtool silence add …`), so what is created
//! is exactly what the approval's hash binds to; it goes through the Alertmanager API, not by
//! running amtool. The outcome is an [`ExecOutcome`] like a process run, so the journal records
//! it the same way.

use std::time::Instant;

use crate::actions::silence::SilenceRequest;
use crate::cockpit::{ExecOutcome, ExecRequest};
use crate::sources::alertmanager::{AlertmanagerClient, Matcher};
use crate::time::{Timestamp, clock_hms};

/// Alertmanager's matchers for a silence request.
pub fn am_matchers(req: &SilenceRequest) -> Vec<Matcher> {
    req.matchers
        .iter()
        .map(|m| {
            let (value, is_regex) = m.am_value();
            Matcher {
                name: m.name.clone(),
                value,
                is_regex,
                is_equal: true,
            }
        })
        .collect()
}

fn failed(summary: String, started: Instant) -> ExecOutcome {
    ExecOutcome {
        ok: false,
        failure: Some(crate::cockpit::ExecFailure::Api),
        exit_code: None,
        summary,
        duration_ms: started.elapsed().as_millis() as u64,
        dry_run: false,
        output: None,
    }
}

/// What a dry run of a silence says (`dry_run` configs).
pub fn dry_run(req: &ExecRequest, context: &str) -> ExecOutcome {
    ExecOutcome {
        ok: true,
        failure: None,
        exit_code: None,
        summary: crate::actions::silence::dry_run_text(&req.argv, context),
        duration_ms: 0,
        dry_run: true,
        output: None,
    }
}

/// Creates the silence an approved step describes, starting `now`.
pub async fn create(
    client: Option<&AlertmanagerClient>,
    req: &ExecRequest,
    now: Timestamp,
) -> ExecOutcome {
    let started = Instant::now();
    let silence = match SilenceRequest::from_argv(&req.argv) {
        Ok(s) => s,
        Err(e) => return failed(format!("not created: {e}"), started),
    };
    let Some(client) = client else {
        return failed(
            "not created: no Alertmanager is configured ([alertmanager] url in the config)".into(),
            started,
        );
    };
    let ends = now + silence.duration;
    match client
        .create_silence(
            &am_matchers(&silence),
            now,
            ends,
            &silence.author,
            &silence.comment,
        )
        .await
    {
        Ok(id) => ExecOutcome {
            ok: true,
            failure: None,
            exit_code: None,
            summary: format!(
                "silence {id} created in Alertmanager until {} UTC",
                clock_hms(ends)
            ),
            duration_ms: started.elapsed().as_millis() as u64,
            dry_run: false,
            output: None,
        },
        Err(e) => failed(format!("not created: Alertmanager said {e}"), started),
    }
}
