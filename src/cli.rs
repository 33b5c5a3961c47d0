//! Command-line interface definitions (clap). Dispatch lives in main.rs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::actions::Role;

#[derive(Debug, Parser)]
#[command(
    name = "flightdeck",
    version,
    about = "A terminal on-call cockpit: error budgets as a governor, alert clusters, runbooks, approvals, a hash-chained journal with SSH-signed checkpoints, incident replay",
    long_about = "With no subcommand, flightdeck replays the bundled demo incident in the cockpit."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Your role in this cockpit: oncall (default), commander or trainee; live mode takes the
    /// config's `[user] role` when this is not given.
    #[arg(long, global = true, value_parser = parse_role)]
    pub role: Option<Role>,
    /// Disable every approval and execution.
    #[arg(long, global = true)]
    pub readonly: bool,
    /// Live mode on this config (default: the config file in the config directory, if any;
    /// with no config at all, flightdeck replays the bundled demo).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Live mode without a terminal: run for --until (wall time) and print the state.
    #[arg(long)]
    pub headless: bool,
    /// With --headless: how long to run live (e.g. 60s).
    #[arg(long, value_parser = parse_run_time)]
    pub until: Option<jiff::SignedDuration>,
    /// With --headless: print JSON.
    #[arg(long)]
    pub json: bool,
    /// With --headless: write this run's session and mode records into the team journal. By
    /// default a headless run is an observer: it reads the journal and writes nothing.
    #[arg(long)]
    pub journal_decisions: bool,
    /// The journal file for live mode (default: the config's, else the data directory's).
    #[arg(long)]
    pub journal: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a recorded incident on a virtual clock (default: the bundled demo).
    Replay(ReplayArgs),
    /// Write a commented starter config (and example SLO files, runbooks/ and postmortems/
    /// beside it) to PATH or the config directory.
    Init {
        /// Where to write: a directory (existing, or a path without an extension, which is
        /// created) gets flightdeck.toml inside it; a path ending in .toml is the config file
        /// itself. Default: flightdeck.toml in the config directory.
        path: Option<PathBuf>,
        /// Overwrite an existing config (the example SLO files and directories are kept).
        #[arg(long)]
        force: bool,
    },
    /// Validate a config and everything it names (including the PromQL syntax of SLO queries);
    /// exit 0 only if there is no error.
    Check {
        /// The config to check (default: the one in the config directory).
        #[arg(long = "config")]
        config: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Also reach each server: confirm Prometheus (build info) and Alertmanager (status)
        /// are what the config says, with their versions, and run each SLO query once.
        #[arg(long)]
        online: bool,
    },
    /// Check SLO specs and compute budgets outside the TUI.
    #[command(subcommand)]
    Slo(SloCommand),
    /// Cluster alerts from a file.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Search, match and lint runbooks and postmortems.
    #[command(subcommand)]
    Kb(KbCommand),
    /// The durable, hash-chained journal.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Turn recorded incidents into drills.
    #[command(subcommand)]
    Scenario(ScenarioCommand),
    /// Chaos experiments under the governor: check, approve, run (live or replayed), report,
    /// draft (docs/FORMATS.md, "Experiments").
    #[command(subcommand)]
    Experiment(ExperimentCommand),
    /// The man pages and shell completions, made from this CLI definition (for packagers and
    /// the install commands in the README).
    #[command(subcommand, hide = true)]
    Generate(GenerateCommand),
}

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// The man page (roff) on stdout, or with --dir one page a subcommand
    /// (flightdeck.1, flightdeck-replay.1, …) in DIR.
    Man {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Completions for SHELL (bash, zsh, fish, elvish, powershell) on stdout.
    Completions { shell: clap_complete::Shell },
}

/// The clap command of the whole CLI.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// The top-level man page (roff).
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command()).render(&mut out)?;
    Ok(out)
}

/// A man page for the command and each subcommand, written to `dir`; the files written.
pub fn man_pages_to(dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(command(), dir)?;
    let mut written: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "1"))
        .collect();
    written.sort();
    Ok(written)
}

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command(), "flightdeck", &mut out);
    out
}

#[derive(Debug, Args)]
pub struct JournalPath {
    /// Journal file (default: journal.jsonl in the data directory), or a PostgreSQL journal's
    /// URL (postgres://USER@HOST:PORT/DATABASE).
    #[arg(long, global = true)]
    pub journal: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Check the hash chain and any signed checkpoints; exit 0 only if all hold.
    ///
    /// Detects records edited, removed, inserted or reordered, and a torn last record. The chain
    /// is not keyed: whoever can write the file can rebuild a consistent journal, and a journal
    /// cut short still verifies. A checkpoint reference kept elsewhere (--checkpoint) catches
    /// both up to that record; signed checkpoints checked with --allowed-signers show whose key
    /// vouched for the journal up to which record. See "What journal verify proves" in README.md.
    Verify {
        #[command(flatten)]
        path: JournalPath,
        /// A checkpoint reference kept outside the journal: record SEQ must be there, with
        /// this hash.
        #[arg(long, value_name = "SEQ:HASH")]
        checkpoint: Option<String>,
        /// Check every signed checkpoint against this OpenSSH allowed-signers file (the format
        /// of `ssh-keygen -Y verify -f`): fail on a bad signature, on a key the file does not
        /// allow for the namespace flightdeck-journal, or if no checkpoint is signed.
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Print the records (since a time), or with --output SEQ what execution SEQ printed.
    Show {
        #[command(flatten)]
        path: JournalPath,
        #[arg(long, value_parser = parse_time)]
        since: Option<jiff::Timestamp>,
        #[arg(long)]
        json: bool,
        /// Print the output of the execution record SEQ (its stdout to stdout, its stderr to
        /// stderr), checked against the hashes in the record. Control characters are escaped
        /// when printing to a terminal.
        #[arg(long, value_name = "SEQ", conflicts_with_all = ["since", "json"])]
        output: Option<u64>,
    },
    /// Append a note (or, with --hypothesis, a hypothesis).
    Note {
        #[command(flatten)]
        path: JournalPath,
        text: String,
        #[arg(long)]
        hypothesis: bool,
    },
    /// Append a checkpoint and print SEQ:HASH, to keep where the journal's writers cannot reach.
    ///
    /// With --sign the checkpoint also carries an SSH signature (SSHSIG, namespace
    /// flightdeck-journal) over `JOURNAL_ID SEQ:HASH` of the record before it, made with your
    /// key through ssh-agent or from a key file; a copy is written to PATH.sig.d/SEQ.sig, and
    /// `ssh-keygen -Y verify` checks it alone (docs/FORMATS.md).
    Checkpoint {
        #[command(flatten)]
        path: JournalPath,
        /// Sign the checkpoint with your SSH key.
        #[arg(long)]
        sign: bool,
        /// The signing key: an OpenSSH private key file (one with a passphrase is used through
        /// ssh-agent, once `ssh-add`ed), or a public key file whose key ssh-agent holds.
        /// Default: $FLIGHTDECK_SIGNING_KEY, else the one key ssh-agent ($SSH_AUTH_SOCK) holds.
        #[arg(long, value_name = "PATH", requires = "sign")]
        key: Option<PathBuf>,
    },
    /// A Markdown timeline for the postmortem draft.
    Timeline {
        #[command(flatten)]
        path: JournalPath,
        #[arg(long, value_parser = parse_time)]
        since: Option<jiff::Timestamp>,
        #[arg(long, value_parser = parse_time)]
        until: Option<jiff::Timestamp>,
        /// Output format (markdown).
        #[arg(long, default_value = "markdown", value_parser = ["markdown"])]
        format: String,
    },
    /// Decision data, one JSON line per decision point (docs/TRAINING.md); or, with
    /// `--format journal -o FILE`, the whole journal as a file journal that verifies on its own
    /// (e.g. a copy of a PostgreSQL journal).
    Export {
        #[command(flatten)]
        path: JournalPath,
        /// Output format: jsonl (decision data, to stdout) or journal (a file journal, -o).
        #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "journal"])]
        format: String,
        /// The new journal file (--format journal; it must not exist).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExperimentCommand {
    /// Validate an experiment file (Chaos Toolkit JSON/YAML with the flightdeck extension) and
    /// show what it would do; exit 1 on an error.
    Check {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Approve an experiment as a whole (method and rollbacks together), bound to its digest
    /// and the journal's mode; approvals count for an hour. With --replay the approval is for
    /// runs replayed in that scenario, stamped on its virtual clock (at --at).
    Approve {
        file: PathBuf,
        #[command(flatten)]
        path: JournalPath,
        /// Approve for runs replayed in this scenario ("demo" for the bundled demo).
        #[arg(long, value_name = "SCENARIO")]
        replay: Option<PathBuf>,
        /// With --replay: the virtual time of the approval, an offset from the scenario start.
        #[arg(long, value_parser = parse_offset, requires = "replay")]
        at: Option<jiff::SignedDuration>,
    },
    /// Run an experiment: the gate, then the method under the guard, then the rollbacks, all
    /// journaled. Live on the config's Prometheus by default; with --replay a dry run in a
    /// replayed scenario. Exit 0: completed, hypothesis held; 1: refused by the gate; 3: halted
    /// by the guard or the steady state deviated.
    Run {
        file: PathBuf,
        #[command(flatten)]
        path: JournalPath,
        /// The live config (default: the one in the config directory).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Dry-run in this replayed scenario ("demo" for the bundled demo) instead of live.
        #[arg(long, value_name = "SCENARIO")]
        replay: Option<PathBuf>,
        /// With --replay: start at this offset from the scenario start (e.g. 10m).
        #[arg(long, value_parser = parse_offset, requires = "replay")]
        at: Option<jiff::SignedDuration>,
        /// Live: report what each action would run, run nothing (the guard still watches).
        #[arg(long)]
        dry_run: bool,
        /// Only show whether the experiment may start now, and why; journal nothing.
        #[arg(long)]
        gate_only: bool,
        /// The least share of budget left on each SLO of the blast radius for a start.
        #[arg(long, default_value_t = 0.25, value_parser = parse_share)]
        min_budget_left: f64,
        /// Live: how long to wait for budget data before the gate decides.
        #[arg(long, default_value = "30s", value_parser = parse_run_time)]
        warmup: jiff::SignedDuration,
        #[arg(long)]
        json: bool,
    },
    /// Summarise the experiment runs (and refusals) in the journal.
    Report {
        #[command(flatten)]
        path: JournalPath,
        #[arg(long)]
        json: bool,
    },
    /// A Markdown draft (postmortem or runbook) from a finished run (default: the last).
    Draft {
        #[command(flatten)]
        path: JournalPath,
        /// The run id (see `experiment report`).
        #[arg(long)]
        run: Option<String>,
        #[arg(long = "as", default_value = "postmortem", value_parser = ["postmortem", "runbook"])]
        kind: String,
        /// Write to this new file instead of stdout.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

/// A command-line value clap's own parsers do not check; the message names the value as
/// written and what to write instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArgError {
    #[error("{0:?} is not a share from 0 to 1 (e.g. 0.25)")]
    NotAShare(String),
    #[error("{0:?} is not a role: use oncall, commander or trainee")]
    NotARole(String),
    #[error("{0:?} is not a number")]
    NotANumber(String),
    #[error("speed {0} is outside 1 to 600")]
    SpeedOutOfRange(f64),
    #[error(transparent)]
    Time(#[from] crate::time::TimeError),
    #[error("{0:?}: live mode runs for a positive time (e.g. --until 60s)")]
    NotPositive(String),
    #[error("{0:?} is before the scenario start")]
    BeforeStart(String),
}

fn parse_share(s: &str) -> Result<f64, ArgError> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(ArgError::NotAShare(s.to_string())),
    }
}

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Record a journaled incident (plus alert and SLI history) as a replayable scenario.
    Record {
        #[arg(long)]
        journal: PathBuf,
        #[arg(long, value_parser = parse_time)]
        since: jiff::Timestamp,
        #[arg(long, value_parser = parse_time)]
        until: jiff::Timestamp,
        /// Alert history (Alertmanager JSON / JSON Lines).
        #[arg(long)]
        alerts: Option<PathBuf>,
        /// SLI samples (JSON Lines {"ts","slo","good","total"}).
        #[arg(long)]
        samples: Option<PathBuf>,
        /// SLO spec files for the samples (repeatable).
        #[arg(long = "slo")]
        slo: Vec<PathBuf>,
        /// Knowledge directories, relative to the output file (repeatable).
        #[arg(long)]
        knowledge: Vec<String>,
        #[arg(long)]
        id: Option<String>,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Group alerts (Alertmanager API v2, webhook v4, or JSON Lines of either) into clusters.
    Cluster {
        file: PathBuf,
        /// Knowledge directories; novelty is scored against the alerts they know.
        #[arg(long)]
        kb: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Ranked full-text search of all knowledge.
    Search {
        query: String,
        /// Knowledge directories (repeatable; default: the bundled demo's).
        #[arg(long)]
        kb: Vec<PathBuf>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// The best runbooks and postmortems for each alert in a file.
    Match {
        #[arg(long)]
        alerts: PathBuf,
        #[arg(long)]
        kb: Vec<PathBuf>,
        #[arg(long, default_value_t = 3)]
        top: usize,
        #[arg(long)]
        json: bool,
    },
    /// Runbook staleness and postmortem quality; exit 1 on broken documents or errors.
    Lint {
        #[arg(long)]
        kb: Vec<PathBuf>,
        /// Runbooks reviewed longer ago than this many days are stale.
        #[arg(long, default_value_t = 180)]
        max_age_days: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SloCommand {
    /// Validate OpenSLO v1 / Sloth prometheus/v1 files; exit 0 only if all are valid.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Budget, burn rates and conditions from cumulative SLI samples (JSON Lines:
    /// {"ts", "slo", "good", "total"}).
    Status {
        /// SLO spec files (repeatable).
        #[arg(long = "slo", required = true)]
        slo: Vec<PathBuf>,
        /// The samples file.
        #[arg(long)]
        samples: PathBuf,
        /// Evaluate at this time (RFC 3339); default: the latest sample.
        #[arg(long, value_parser = parse_time)]
        at: Option<jiff::Timestamp>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args, Default)]
pub struct ReplayArgs {
    /// Scenario file (YAML, see docs/FORMATS.md). Omit it for the bundled demo.
    pub scenario: Option<PathBuf>,
    /// Replay speed: 1 to 600 times real time.
    #[arg(long, default_value_t = 10.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Run without a terminal, as fast as possible, and print the state at `--until`.
    #[arg(long)]
    pub headless: bool,
    /// Virtual time to stop at, from the scenario start (e.g. 30m); default: the end.
    #[arg(long, value_parser = parse_offset)]
    pub until: Option<jiff::SignedDuration>,
    /// Print JSON instead of text (with --headless).
    #[arg(long)]
    pub json: bool,
    /// With --role trainee: the trainee's scripted decisions (YAML, docs/TRAINING.md).
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// Pause at each moment the real responders decided something (guided drills).
    #[arg(long)]
    pub guided: bool,
}

fn parse_role(s: &str) -> Result<Role, ArgError> {
    s.parse().map_err(|_| ArgError::NotARole(s.to_string()))
}

fn parse_speed(s: &str) -> Result<f64, ArgError> {
    let v: f64 = s
        .trim_end_matches(['x', '×'])
        .parse()
        .map_err(|_| ArgError::NotANumber(s.to_string()))?;
    if (1.0..=600.0).contains(&v) {
        Ok(v)
    } else {
        Err(ArgError::SpeedOutOfRange(v))
    }
}

/// An RFC 3339 timestamp within the range flightdeck accepts (years 1900 to 2199).
fn parse_time(s: &str) -> Result<jiff::Timestamp, crate::time::TimeError> {
    crate::time::parse_timestamp(s)
}

/// How long live headless mode runs (wall time): a positive duration.
fn parse_run_time(s: &str) -> Result<jiff::SignedDuration, ArgError> {
    let d = crate::time::parse_duration(s)?;
    if !d.is_positive() {
        return Err(ArgError::NotPositive(s.to_string()));
    }
    Ok(d)
}

fn parse_offset(s: &str) -> Result<jiff::SignedDuration, ArgError> {
    let d = crate::time::parse_duration(s)?;
    if d.is_negative() {
        return Err(ArgError::BeforeStart(s.to_string()));
    }
    Ok(d)
}
