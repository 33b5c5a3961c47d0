//! A run started from the live cockpit (`r` in the experiments view, then `y`): the cockpit
//! starts `flightdeck experiment run FILE --config CONFIG --journal JOURNAL --role ROLE` as a
//! child process, the same run the command line starts, not a second implementation of it.
//!
//! Why a child process rather than a task in the cockpit: the run must outlive the cockpit
//! (quitting the cockpit, or its terminal going away, must not leave a fault injected without
//! its rollbacks), it installs its own SIGINT/SIGTERM handling and prints its gate and summary,
//! and its guard is the one the command line's run has. So the child gets its own process group
//! (the terminal's signals do not reach it), no stdin, and its stdout and stderr in a log file
//! beside the journal (`JOURNAL.d/experiments/`). Its gate decides again with its own reading of
//! the sources; its `start` record is journaled before its first action runs (or a `refused`
//! one, and nothing runs). The cockpit sees its records through the journal as it sees every
//! other writer's (each tick), the view shows the run and its guard, and `H` halts it with a
//! `halt` record its guard watches for. When the child exits, the cockpit says how it ended;
//! one that ended before its gate decided (a file that does not parse, a config that does not
//! load, a crash) journaled nothing of its own, so the cockpit journals it (`failed_start`:
//! who, which experiment, the exit status, the log's last lines). Each launch has an id, given
//! to the child in `FLIGHTDECK_LAUNCH` and named in its `start` or `refused` record: that is
//! how the cockpit knows it got as far as its gate.

use std::path::{Path, PathBuf};

use crate::actions::Role;

/// Why this cockpit cannot start runs (a journal in memory, an observer, no data directory).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

/// Why a run was not started.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// Its log could not be made.
    #[error("{path}: {source}")]
    Log {
        path: String,
        source: std::io::Error,
    },
    /// The process could not be started.
    #[error("could not start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
}

/// How many lines of a run's log a failed start's record keeps.
pub const LAST_LINES: usize = 10;

/// A run the cockpit started has exited: what the cockpit tells the person, and what it
/// journals when the run never reached its gate.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEnded {
    /// The status line's notice.
    pub notice: String,
    /// What the cockpit knows of the run, for a `failed_start` record (journaled only when the
    /// journal holds no `start` or `refused` record of this launch).
    pub failed: crate::chaos::record::FailedStart,
    /// It exited 0 or 3 (its gate passed and it ran): nothing to journal, whatever the
    /// journal shows yet.
    pub ran: bool,
}

/// What a cockpit needs to start `experiment run` for one of its experiment files.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// The flightdeck binary (this one, unless a test says otherwise).
    pub program: PathBuf,
    /// The live config, `Err`: why a run cannot be started here.
    config: Result<PathBuf, Unavailable>,
    /// The journal the cockpit writes, as the run is told it: `Some` a `--journal` (a file, or
    /// a `postgres://` URL given on the command line), `None` the config's `[journal] url`
    /// (the run reads it from the config: the URL is not put on a command line); `Err`: why a
    /// run cannot journal there.
    journal: Result<Option<String>, Unavailable>,
    /// Where runs' output goes (`JOURNAL.d/experiments/`, or for PostgreSQL
    /// `pg-JOURNAL_ID.d/experiments/` in the data directory).
    logs: Result<PathBuf, Unavailable>,
    actor: String,
    role: Role,
}

impl Launcher {
    /// For a cockpit on `config`, journaling to `journal` (a path or a `postgres://` URL;
    /// `None`: the journal is kept in memory), as `actor` in `role`. `config_url`: the config's
    /// `[journal] url`; `pg_logs`: where a PostgreSQL journal's runs keep their output.
    pub fn new(
        config: &Path,
        journal: Option<&str>,
        config_url: Option<&str>,
        pg_logs: Option<PathBuf>,
        actor: &str,
        role: Role,
    ) -> Launcher {
        let (journal, logs) = match journal {
            None => {
                let why = Unavailable("this cockpit keeps its journal in memory: a run needs a journal file or database".into());
                (Err(why.clone()), Err(why))
            }
            Some(j) if crate::journal_pg::is_url(j) => (
                Ok((Some(j) != config_url).then(|| j.to_string())),
                pg_logs.ok_or_else(|| {
                    Unavailable(
                        "no data directory for the runs' output (set FLIGHTDECK_HOME)".into(),
                    )
                }),
            ),
            Some(j) => {
                let mut dir = std::ffi::OsString::from(j);
                dir.push(".d");
                (
                    Ok(Some(j.to_string())),
                    Ok(PathBuf::from(dir).join("experiments")),
                )
            }
        };
        Launcher {
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("flightdeck")),
            config: Ok(config.to_path_buf()),
            journal,
            logs,
            actor: actor.to_string(),
            role,
        }
    }

    /// A launcher that refuses, saying why (a cockpit that cannot start runs).
    pub fn refusing(why: &str) -> Launcher {
        Launcher {
            program: PathBuf::new(),
            config: Err(Unavailable(why.to_string())),
            journal: Err(Unavailable(why.to_string())),
            logs: Err(Unavailable(why.to_string())),
            actor: String::new(),
            role: Role::Oncall,
        }
    }

    /// The argv of the run of `file` (each element whole, never shell text).
    pub fn argv(&self, file: &str) -> Result<Vec<String>, Unavailable> {
        let config = self.config.as_ref().map_err(Clone::clone)?;
        let journal = self.journal.as_ref().map_err(Clone::clone)?;
        let mut argv = vec![
            self.program.display().to_string(),
            "experiment".into(),
            "run".into(),
            file.to_string(),
            "--config".into(),
            config.display().to_string(),
        ];
        if let Some(j) = journal {
            argv.extend(["--journal".to_string(), j.clone()]);
        }
        argv.extend(["--role".to_string(), self.role.as_str().into()]);
        Ok(argv)
    }

    /// Where the run's output goes: `<logs>/<time>-<pid of the cockpit>-<n>.log`.
    fn log_path(logs: &Path) -> PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        logs.join(format!(
            "{}-{}-{n}.log",
            jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ"),
            std::process::id()
        ))
    }

    /// Starts the run of `file` (titled `title`, `digest` as this cockpit read it); returns
    /// what to tell the person, or why it did not start. When the child exits, `done` gets how
    /// it ended.
    pub fn launch(
        &self,
        file: &str,
        title: &str,
        digest: Option<String>,
        done: tokio::sync::mpsc::Sender<RunEnded>,
    ) -> Result<String, LaunchError> {
        let argv = self.argv(file)?;
        let logs = self.logs.as_ref().map_err(Clone::clone)?;
        let log = Self::log_path(logs);
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(|source| LaunchError::Log {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let log_error = |source| LaunchError::Log {
            path: log.display().to_string(),
            source,
        };
        let out = std::fs::File::create(&log).map_err(log_error)?;
        let err = out.try_clone().map_err(log_error)?;
        let launch = log.file_stem().map_or_else(
            || "launch".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        let mut cmd = tokio::process::Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env("USER", &self.actor)
            .env(super::LAUNCH_ENV, &launch)
            .stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(err)
            // Its own process group: the terminal's signals (a hang-up) are not its; it
            // outlives the cockpit and still runs its rollbacks.
            .process_group(0);
        let mut child = cmd.spawn().map_err(|source| LaunchError::Spawn {
            program: argv[0].clone(),
            source,
        })?;
        let pid = child.id().unwrap_or(0);
        let said = format!(
            "started experiment \"{title}\" as pid {pid} (`flightdeck experiment run`): its gate decides again, then its records appear here; output: {}",
            log.display()
        );
        let title = title.to_string();
        let shown = log.display().to_string();
        let path = file.to_string();
        tokio::spawn(async move {
            let status = child.wait().await;
            let code = status.as_ref().ok().and_then(|s| s.code());
            let how = match &status {
                Ok(_) => match code {
                    Some(0) => "completed, its hypothesis held".to_string(),
                    Some(1) => "refused by its gate or failed to start".to_string(),
                    Some(2) => "failed before its gate".to_string(),
                    Some(3) => "halted by its guard, or its steady state deviated".to_string(),
                    Some(c) => format!("exited with {c}"),
                    None => "ended by a signal".to_string(),
                },
                Err(e) => format!("could not be waited for: {e}"),
            };
            let status_words = match &status {
                Ok(s) => match (s.code(), std::os::unix::process::ExitStatusExt::signal(s)) {
                    (Some(c), _) => format!("exit {c}"),
                    (None, Some(sig)) => format!("killed by signal {sig}"),
                    (None, None) => "ended".to_string(),
                },
                Err(e) => format!("unknown: {e}"),
            };
            let last_lines = last_lines(&log, LAST_LINES);
            let last = last_lines.last().cloned().unwrap_or_default();
            let _ = done
                .send(RunEnded {
                    notice: format!(
                        "experiment run (pid {pid}) {how}: \"{title}\": {last} (output: {shown})"
                    ),
                    failed: crate::chaos::record::FailedStart {
                        title,
                        digest,
                        path,
                        launch,
                        status: status_words,
                        exit_code: code,
                        log: shown,
                        last_lines,
                    },
                    ran: matches!(code, Some(0 | 3)),
                })
                .await;
        });
        Ok(said)
    }
}

/// The last `n` non-empty lines of the log at `path` (oldest first; none if it cannot be read).
fn last_lines(path: &Path, n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines: Vec<String> = text
        .lines()
        .rev()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .map(str::to_string)
        .collect();
    lines.reverse();
    lines
}

/// A run a cockpit started (`r`) exited. One that never reached its gate journaled nothing of
/// its own: the cockpit journals its failed start (who, which experiment, the exit status, the
/// log's last lines), so the journal holds every start asked for. Returns the notices.
pub fn run_ended(session: &mut crate::live::LiveSession, ended: RunEnded) -> Vec<crate::tui::Msg> {
    use crate::tui::Msg;
    let now = crate::time::Timestamp::now();
    // What the run journaled before it exited, first.
    session.catch_up(now);
    let mut msgs = vec![if ended.ran {
        Msg::info(ended.notice)
    } else {
        Msg::warn(ended.notice)
    }];
    let reached =
        crate::chaos::record::reached_gate(session.cockpit().journal_tail(), &ended.failed.launch);
    if !ended.ran && !reached {
        let who = session.cockpit().config();
        let author = crate::chaos::record::Author {
            actor: who.actor.clone(),
            role: who.role.into(),
            launch: None,
        };
        session.journal(
            crate::chaos::record::failed_start_entry(&author, &ended.failed),
            now,
        );
    }
    msgs.extend(session.take_notices().into_iter().map(Msg::info));
    msgs
}
