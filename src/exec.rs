//! Runs approved steps: argv only, own process group, timeout, output cap, clean environment.
//!
//! - **No shell** unless the step declares `shell: true`. An argv step is `execve`d as is, so a
//!   placeholder value (`{{labels.pod}}` = `x; rm -rf /`) stays one argument whatever it holds.
//!   A shell step runs `sh -c SCRIPT` with the values only in environment variables
//!   (`FD_LABEL_<NAME>`, `FD_ANNOTATION_<NAME>`); the script text is never templated.
//! - **Own process group** (`setpgid(0, 0)`). At the timeout the whole group gets SIGTERM, after
//!   the grace period SIGKILL. When the leader exits, whatever it left running in its group is
//!   killed too: a step's processes never outlive it. The leader is waited for with
//!   `waitid(WNOWAIT)` and reaped only after the group was signalled, so the group id can't have
//!   been reused by then. (A process that leaves the group with `setsid` escapes; only a cgroup
//!   would catch that.)
//! - **Output cap**: stdout and stderr are kept up to `output_cap` bytes each (1 MiB default);
//!   the rest is read, counted and dropped, so a chatty step never blocks on a full pipe.
//! - **Environment**: cleared, then only the allowlisted variables of our own environment
//!   (PATH, HOME, LANG, KUBECONFIG, …; configurable), then the step's own variables.
//! - **Dry run** returns what would have run, without running anything.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::watch;

use crate::actions::step::Command;
use crate::actions::{Step, TemplateError, render_argv, shell_env};

/// Bytes of stdout (and of stderr) kept per run.
pub const DEFAULT_OUTPUT_CAP: usize = 1 << 20;
/// Timeout of a step that declares none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Time between SIGTERM and SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3);
/// Variables passed through from flightdeck's own environment.
pub const DEFAULT_ENV_ALLOWLIST: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "KUBECONFIG",
    "SSH_AUTH_SOCK",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

/// How steps run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecConfig {
    /// Used when the invocation has no timeout of its own.
    pub timeout: Duration,
    /// Between SIGTERM and SIGKILL to the group; also how long output is still read after the
    /// leader exited (for pipes held open by an escaped process).
    pub grace: Duration,
    pub output_cap: usize,
    pub env_allowlist: Vec<String>,
    /// The shell of `shell: true` steps.
    pub shell: PathBuf,
    pub cwd: Option<PathBuf>,
    /// Replay and training: report what would run, run nothing.
    pub dry_run: bool,
}

impl Default for ExecConfig {
    fn default() -> Self {
        ExecConfig {
            timeout: DEFAULT_TIMEOUT,
            grace: DEFAULT_GRACE,
            output_cap: DEFAULT_OUTPUT_CAP,
            env_allowlist: DEFAULT_ENV_ALLOWLIST
                .iter()
                .map(|s| s.to_string())
                .collect(),
            shell: PathBuf::from("/bin/sh"),
            cwd: None,
            dry_run: false,
        }
    }
}

/// What to run: an argv, or a script for `sh -c` with its values in the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The exact argv of an argv step (filled placeholders included); empty for a shell step.
    pub argv: Vec<String>,
    /// The script of a `shell: true` step, run verbatim.
    pub script: Option<String>,
    /// Extra environment variables (the label values of a shell step).
    pub env: BTreeMap<String, String>,
    /// Overrides [`ExecConfig::timeout`].
    pub timeout: Option<Duration>,
}

impl Invocation {
    pub fn argv(argv: Vec<String>) -> Self {
        Invocation {
            argv,
            script: None,
            env: BTreeMap::new(),
            timeout: None,
        }
    }

    pub fn shell(script: impl Into<String>, env: BTreeMap<String, String>) -> Self {
        Invocation {
            argv: Vec::new(),
            script: Some(script.into()),
            env,
            timeout: None,
        }
    }

    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the invocation of `step` for an alert: argv steps get their placeholders filled
    /// (one element each), shell steps get the values as `FD_LABEL_*` / `FD_ANNOTATION_*`.
    pub fn from_step(
        step: &Step,
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
    ) -> Result<Self, TemplateError> {
        let inv = match &step.command {
            Command::Shell(script) => Invocation::shell(script, shell_env(labels, annotations)),
            Command::Argv(argv) => Invocation::argv(render_argv(argv, labels, annotations)?),
        };
        Ok(inv.with_timeout(step_timeout(step)))
    }

    /// The invocation of an approved step the cockpit asked for (its argv is already filled;
    /// a shell step gets the labels and annotations of its alert as `FD_LABEL_*` and
    /// `FD_ANNOTATION_*`).
    pub fn from_request(req: &crate::cockpit::ExecRequest) -> Self {
        let inv = match &req.step.command {
            Command::Shell(script) => {
                Invocation::shell(script, shell_env(&req.labels, &req.annotations))
            }
            Command::Argv(_) => Invocation::argv(req.argv.clone()),
        };
        inv.with_timeout(step_timeout(&req.step))
    }

    /// The argv that is `execve`d: the step's own, or `[shell, -c, script, flightdeck-step]`.
    pub fn command_line(&self, cfg: &ExecConfig) -> Result<Vec<String>, ExecError> {
        match &self.script {
            Some(script) if script.trim().is_empty() => Err(ExecError::MissingScript),
            Some(script) => Ok(vec![
                cfg.shell.to_string_lossy().into_owned(),
                "-c".into(),
                script.clone(),
                "flightdeck-step".into(),
            ]),
            None if self.argv.is_empty() || self.argv[0].is_empty() => Err(ExecError::EmptyArgv),
            None => Ok(self.argv.clone()),
        }
    }
}

fn step_timeout(step: &Step) -> Option<Duration> {
    step.timeout
        .and_then(|d| Duration::try_from(d).ok())
        .filter(|d| !d.is_zero())
}

/// Why a step could not be run (a step that ran and failed is an [`ExecResult`]).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("nothing to run: the step's argv is empty")]
    EmptyArgv,
    #[error("the step declares `shell: true` but has no script")]
    MissingScript,
    #[error("cannot start {program:?}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    #[error("waiting for the step failed: {0}")]
    Wait(#[from] io::Error),
}

impl ExecError {
    /// The outcome the cockpit journals for a step that could not be run.
    pub fn outcome(&self) -> crate::cockpit::ExecOutcome {
        crate::cockpit::ExecOutcome {
            ok: false,
            failure: Some(crate::cockpit::ExecFailure::Spawn),
            exit_code: None,
            summary: format!("did not run: {self}"),
            duration_ms: 0,
            dry_run: false,
            output: None,
        }
    }
}

/// What happened when a step ran (or would have run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecResult {
    /// The argv that was (or would have been) executed.
    pub argv: Vec<String>,
    /// Names of the environment variables the step got.
    pub env: Vec<String>,
    pub dry_run: bool,
    /// Exit code if the leader exited normally.
    pub exit_code: Option<i32>,
    /// The signal that ended the leader, if one did.
    pub signal: Option<i32>,
    /// The timeout struck (the group got SIGTERM, then SIGKILL after the grace period).
    pub timed_out: bool,
    /// From spawn to the leader's exit.
    pub duration: Duration,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Bytes beyond the cap: read and counted, not kept.
    pub stdout_dropped: u64,
    pub stderr_dropped: u64,
}

impl ExecResult {
    /// Exited with status 0 (a dry run counts as success).
    pub fn success(&self) -> bool {
        self.dry_run || (self.exit_code == Some(0) && !self.timed_out)
    }

    /// One line: `exit 0 in 1.2s`, `timed out after 30s (SIGTERM)`, `dry run`.
    pub fn summary(&self) -> String {
        if self.dry_run {
            return "dry run".into();
        }
        let secs = self.duration.as_secs_f64();
        let mut s = match (self.timed_out, self.exit_code, self.signal) {
            (true, _, Some(sig)) => format!("timed out after {secs:.1}s ({})", signal_name(sig)),
            (true, _, None) => format!("timed out after {secs:.1}s"),
            (false, Some(code), _) => format!("exit {code} in {secs:.1}s"),
            (false, None, Some(sig)) => format!("killed by {} after {secs:.1}s", signal_name(sig)),
            (false, None, None) => format!("ended after {secs:.1}s"),
        };
        let dropped = self.stdout_dropped + self.stderr_dropped;
        if dropped > 0 {
            s.push_str(&format!(", {dropped} bytes of output over the cap dropped"));
        }
        s
    }

    /// The outcome the cockpit journals (without output: see [`ExecResult::outcome_with`]).
    pub fn outcome(&self) -> crate::cockpit::ExecOutcome {
        self.outcome_with(None)
    }

    /// The outcome the cockpit journals, naming where the captured output was kept
    /// (`crate::outputs::OutputStore::keep`).
    pub fn outcome_with(
        &self,
        output: Option<crate::cockpit::StepOutput>,
    ) -> crate::cockpit::ExecOutcome {
        use crate::cockpit::ExecFailure;
        crate::cockpit::ExecOutcome {
            ok: self.success(),
            failure: (!self.success()).then_some(match (self.timed_out, self.exit_code) {
                (true, _) => ExecFailure::Timeout,
                (false, Some(_)) => ExecFailure::Exit,
                (false, None) => ExecFailure::Signal,
            }),
            exit_code: self.exit_code,
            summary: self.summary(),
            duration_ms: self.duration.as_millis() as u64,
            dry_run: self.dry_run,
            output,
        }
    }
}

fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGINT => "SIGINT".into(),
        libc::SIGHUP => "SIGHUP".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGPIPE => "SIGPIPE".into(),
        n => format!("signal {n}"),
    }
}

/// The environment a run gets: the allowlisted part of ours, then the invocation's own.
fn environment(inv: &Invocation, cfg: &ExecConfig) -> Vec<(String, std::ffi::OsString)> {
    let mut env: BTreeMap<String, std::ffi::OsString> = BTreeMap::new();
    for name in &cfg.env_allowlist {
        if let Some(value) = std::env::var_os(name) {
            env.insert(name.clone(), value);
        }
    }
    for (k, v) in &inv.env {
        env.insert(k.clone(), v.into());
    }
    env.into_iter().collect()
}

/// What `run` would do, without doing it.
pub fn dry_run(inv: &Invocation, cfg: &ExecConfig) -> ExecResult {
    ExecResult {
        argv: inv.command_line(cfg).unwrap_or_else(|_| inv.argv.clone()),
        env: environment(inv, cfg).into_iter().map(|(k, _)| k).collect(),
        dry_run: true,
        exit_code: None,
        signal: None,
        timed_out: false,
        duration: Duration::ZERO,
        stdout: Vec::new(),
        stderr: Vec::new(),
        stdout_dropped: 0,
        stderr_dropped: 0,
    }
}

/// Sends `sig` to the process group `pgid` (gone already is fine).
fn signal_group(pgid: i32, sig: i32) {
    // SAFETY: killpg has no memory effects; pgid > 1 is the group of a child we spawned and
    // have not reaped yet, so it cannot name anyone else's group.
    if pgid > 1 {
        unsafe {
            libc::killpg(pgid, sig);
        }
    }
}

/// Blocks until `pid` exited, without reaping it (the zombie keeps its group id ours).
fn wait_exited(pid: i32) -> io::Result<()> {
    loop {
        // SAFETY: siginfo_t is plain data; waitid only writes into it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

/// Kills the group if a run is abandoned (its future dropped) before the leader was reaped.
struct GroupGuard {
    pgid: i32,
    armed: bool,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.armed {
            signal_group(self.pgid, libc::SIGKILL);
        }
    }
}

/// Reads `pipe` to its end, keeping `cap` bytes and counting the rest. Gives up `grace` after
/// the leader exited (a process outside the group may hold the pipe open).
async fn read_capped(
    mut pipe: impl AsyncRead + Unpin,
    cap: usize,
    mut exited: watch::Receiver<bool>,
    grace: Duration,
) -> (Vec<u8>, u64) {
    let mut kept = Vec::new();
    let mut dropped = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    let stop = async move {
        let _ = exited.wait_for(|e| *e).await;
        tokio::time::sleep(grace).await;
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            read = pipe.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let keep = cap.saturating_sub(kept.len()).min(n);
                    kept.extend_from_slice(&buf[..keep]);
                    dropped += (n - keep) as u64;
                }
            },
            () = &mut stop => break,
        }
    }
    (kept, dropped)
}

/// Runs `inv` (or dry-runs it, if `cfg.dry_run`).
pub async fn run(inv: &Invocation, cfg: &ExecConfig) -> Result<ExecResult, ExecError> {
    if cfg.dry_run {
        return Ok(dry_run(inv, cfg));
    }
    let argv = inv.command_line(cfg)?;
    let env = environment(inv, cfg);
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(dir) = &cfg.cwd {
        cmd.current_dir(dir);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|source| ExecError::Spawn {
        program: argv[0].clone(),
        source,
    })?;
    let pid = child.id().expect("a child we just spawned has a pid") as i32;
    let mut group = GroupGuard {
        pgid: pid,
        armed: true,
    };
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (exited_tx, exited_rx) = watch::channel(false);
    let limit = inv.timeout.unwrap_or(cfg.timeout);
    let grace = cfg.grace;

    let waiter = async move {
        let mut exit = tokio::task::spawn_blocking(move || wait_exited(pid));
        let mut timed_out = false;
        let waited = match tokio::time::timeout(limit, &mut exit).await {
            Ok(r) => r,
            Err(_) => {
                timed_out = true;
                signal_group(pid, libc::SIGTERM);
                match tokio::time::timeout(grace, &mut exit).await {
                    Ok(r) => r,
                    Err(_) => {
                        signal_group(pid, libc::SIGKILL);
                        exit.await
                    }
                }
            }
        };
        let duration = started.elapsed();
        // Leftovers in the group. The leader is not reaped yet, so `pid` still names our group.
        signal_group(pid, libc::SIGKILL);
        let _ = exited_tx.send(true);
        (waited, timed_out, duration)
    };
    let ((waited, timed_out, duration), (out, out_dropped), (err, err_dropped)) = tokio::join!(
        waiter,
        read_capped(stdout, cfg.output_cap, exited_rx.clone(), grace),
        read_capped(stderr, cfg.output_cap, exited_rx, grace),
    );
    // From here on the leader gets reaped and its pid may be reused: never signal it again.
    group.armed = false;
    let status = child.wait().await?;
    match waited {
        Ok(Ok(())) => {}
        // ECHILD: someone else reaped it; `child.wait()` above still told us how it ended.
        Ok(Err(e)) if e.raw_os_error() == Some(libc::ECHILD) => {}
        Ok(Err(e)) => return Err(ExecError::Wait(e)),
        Err(join) => return Err(ExecError::Wait(io::Error::other(join))),
    }
    use std::os::unix::process::ExitStatusExt;
    Ok(ExecResult {
        argv,
        env: env.into_iter().map(|(k, _)| k).collect(),
        dry_run: false,
        exit_code: status.code(),
        signal: status.signal(),
        timed_out,
        duration,
        stdout: out,
        stderr: err,
        stdout_dropped: out_dropped,
        stderr_dropped: err_dropped,
    })
}
