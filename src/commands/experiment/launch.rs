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
//! `halt` record its guard watches for. When the child exits, the cockpit says how it ended.

use std::path::{Path, PathBuf};

use crate::actions::Role;

/// What a cockpit needs to start `experiment run` for one of its experiment files.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// The flightdeck binary (this one, unless a test says otherwise).
    pub program: PathBuf,
    /// The live config, `Err`: why a run cannot be started here.
    config: Result<PathBuf, String>,
    /// The journal file the cockpit writes, `Err`: why a run cannot journal there.
    journal: Result<PathBuf, String>,
    actor: String,
    role: Role,
}

impl Launcher {
    /// For a cockpit on `config`, journaling to `journal` (a path or a `postgres://` URL;
    /// `None`: the journal is kept in memory), as `actor` in `role`.
    pub fn new(config: &Path, journal: Option<&str>, actor: &str, role: Role) -> Launcher {
        let journal = match journal {
            None => Err("this cockpit keeps its journal in memory: a run needs a journal file".into()),
            Some(j) if crate::journal_pg::is_url(j) => Err(
                "`experiment run` journals to a file, and this cockpit's journal is PostgreSQL: start it where a journal file is shared".into(),
            ),
            Some(j) => Ok(PathBuf::from(j)),
        };
        Launcher {
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("flightdeck")),
            config: Ok(config.to_path_buf()),
            journal,
            actor: actor.to_string(),
            role,
        }
    }

    /// A launcher that refuses, saying why (a cockpit that cannot start runs).
    pub fn refusing(why: &str) -> Launcher {
        Launcher {
            program: PathBuf::new(),
            config: Err(why.to_string()),
            journal: Err(why.to_string()),
            actor: String::new(),
            role: Role::Oncall,
        }
    }

    /// The argv of the run of `file` (each element whole, never shell text).
    pub fn argv(&self, file: &str) -> Result<Vec<String>, String> {
        let config = self.config.as_ref().map_err(Clone::clone)?;
        let journal = self.journal.as_ref().map_err(Clone::clone)?;
        Ok(vec![
            self.program.display().to_string(),
            "experiment".into(),
            "run".into(),
            file.to_string(),
            "--config".into(),
            config.display().to_string(),
            "--journal".into(),
            journal.display().to_string(),
            "--role".into(),
            self.role.as_str().into(),
        ])
    }

    /// Where the run's output goes: `JOURNAL.d/experiments/<time>-<pid of the cockpit>-<n>.log`.
    fn log_path(&self, journal: &Path) -> PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let mut dir = journal.as_os_str().to_owned();
        dir.push(".d");
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        PathBuf::from(dir).join("experiments").join(format!(
            "{}-{}-{n}.log",
            jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ"),
            std::process::id()
        ))
    }

    /// Starts the run of `file` (titled `title`); returns what to tell the person, or why it did
    /// not start. When the child exits, `done` gets a notice of how it ended.
    pub fn launch(
        &self,
        file: &str,
        title: &str,
        done: tokio::sync::mpsc::Sender<String>,
    ) -> Result<String, String> {
        let argv = self.argv(file)?;
        let journal = self.journal.as_ref().map_err(Clone::clone)?;
        let log = self.log_path(journal);
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let mut cmd = tokio::process::Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env("USER", &self.actor)
            .stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(err)
            // Its own process group: the terminal's signals (a hang-up) are not its; it
            // outlives the cockpit and still runs its rollbacks.
            .process_group(0);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", argv[0]))?;
        let pid = child.id().unwrap_or(0);
        let said = format!(
            "started experiment \"{title}\" as pid {pid} (`flightdeck experiment run`): its gate decides again, then its records appear here; output: {}",
            log.display()
        );
        let title = title.to_string();
        let shown = log.display().to_string();
        tokio::spawn(async move {
            let status = child.wait().await;
            let how = match status.as_ref().map(|s| s.code()) {
                Ok(Some(0)) => "completed, its hypothesis held".to_string(),
                Ok(Some(1)) => "refused by its gate or failed to start".to_string(),
                Ok(Some(3)) => "halted by its guard, or its steady state deviated".to_string(),
                Ok(Some(c)) => format!("exited with {c}"),
                Ok(None) => "ended by a signal".to_string(),
                Err(e) => format!("could not be waited for: {e}"),
            };
            let last = std::fs::read_to_string(&log)
                .ok()
                .and_then(|t| {
                    t.lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .map(str::to_string)
                })
                .unwrap_or_default();
            let _ = done
                .send(format!(
                    "experiment run (pid {pid}) {how}: \"{title}\": {last} (output: {shown})"
                ))
                .await;
        });
        Ok(said)
    }
}
