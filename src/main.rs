//! flightdeck's entry point: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use flightdeck::actions::Role;
use flightdeck::cli::{
    AlertsCommand, Cli, Command, ExperimentCommand, GenerateCommand, JournalCommand, KbCommand,
    ReplayArgs, ScenarioCommand, SloCommand,
};
use flightdeck::cockpit::CockpitConfig;
use flightdeck::{commands, headless, load, runtime};

fn main() -> ExitCode {
    // Die quietly when stdout is a closed pipe (`flightdeck kb lint | head`), like other CLIs,
    // instead of panicking on the failed write.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let _ = color_eyre::install();
    let cli = Cli::parse();
    let _log_guard = init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("flightdeck: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(mut cli: Cli) -> color_eyre::Result<ExitCode> {
    let config = cli
        .config
        .clone()
        .or_else(|| flightdeck::config::default_path().filter(|p| p.exists()));
    // What the terminal can show: the config's [ui], else NO_COLOR, TERM and the locale. The
    // theme leaves colours out itself, so crossterm must not also drop them: its NO_COLOR
    // handling writes an empty SGR (a reset of bold and reverse) in place of each colour.
    let ui = config
        .as_deref()
        .map(flightdeck::config::UiSettings::read)
        .unwrap_or_default();
    flightdeck::tui::theme::set_look(ui.look());
    flightdeck::tui::theme::set_bell(ui.bell);
    flightdeck::tui::theme::set_mouse(ui.mouse);
    crossterm::style::force_color_output(true);
    if cli.command.is_none()
        && let Some(path) = config
    {
        return live(&cli, &path);
    }
    let command = cli.command.take().unwrap_or(Command::Replay(ReplayArgs {
        speed: 10.0,
        ..ReplayArgs::default()
    }));
    match command {
        Command::Replay(args) => replay(args, cockpit_config(cli.role, cli.readonly)),
        Command::Slo(SloCommand::Check { files, json }) => commands::slo::check(&files, json),
        Command::Slo(SloCommand::Status {
            slo,
            samples,
            at,
            json,
        }) => commands::slo::status(&slo, &samples, at, json),
        Command::Alerts(AlertsCommand::Cluster { file, kb, json }) => {
            commands::alerts::cluster(&file, &kb, json)
        }
        Command::Kb(KbCommand::Search {
            query,
            kb,
            limit,
            json,
        }) => commands::kb::search(&query, &kb, limit, json),
        Command::Kb(KbCommand::Match {
            alerts,
            kb,
            top,
            json,
        }) => commands::kb::matches(&alerts, &kb, top, json),
        Command::Kb(KbCommand::Lint {
            kb,
            max_age_days,
            json,
        }) => commands::kb::lint(&kb, max_age_days, json),
        Command::Init { path, force } => match flightdeck::config::init(path.as_deref(), force) {
            Ok(report) => {
                for p in &report.written {
                    println!("wrote {}", p.display());
                }
                for p in &report.kept {
                    println!("kept  {}", p.display());
                }
                println!(
                    "next: edit {} and run `flightdeck check`",
                    report.config.display()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("flightdeck: {e}");
                Ok(ExitCode::from(2))
            }
        },
        Command::Check {
            config,
            json,
            online,
        } => {
            let (mut report, loaded) = flightdeck::config::check_config(config.as_deref());
            if online && let Some((config, slos)) = loaded {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(commands::check::online(&mut report, &config, &slos));
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.text());
            }
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Journal(j) => journal(j, &cockpit_config(cli.role, cli.readonly)),
        Command::Experiment(x) => experiment(x, &cockpit_config(cli.role, cli.readonly)),
        Command::Generate(GenerateCommand::Man { dir: None }) => {
            use std::io::Write;
            std::io::stdout().write_all(&flightdeck::cli::man_page()?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate(GenerateCommand::Man { dir: Some(dir) }) => {
            for page in flightdeck::cli::man_pages_to(&dir)? {
                println!("wrote {}", page.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate(GenerateCommand::Completions { shell }) => {
            use std::io::Write;
            std::io::stdout().write_all(&flightdeck::cli::completions(shell))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Scenario(ScenarioCommand::Record {
            journal,
            since,
            until,
            alerts,
            samples,
            slo,
            knowledge,
            id,
            output,
        }) => commands::training::record(commands::training::RecordArgs {
            journal: &journal,
            since,
            until,
            alerts: alerts.as_deref(),
            samples: samples.as_deref(),
            slos: &slo,
            knowledge: &knowledge,
            id,
            output: &output,
        }),
    }
}

/// Live mode: the cockpit on the config's sources, in the terminal or headless.
fn live(cli: &Cli, path: &std::path::Path) -> color_eyre::Result<ExitCode> {
    let config = flightdeck::config::Config::load(path)?;
    let opts = flightdeck::live::LiveOptions {
        user: None,
        role: cli.role,
        readonly: cli.readonly,
        journal: cli.journal.clone(),
        memory_journal: false,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if cli.headless {
        let until = cli
            .until
            .and_then(|d| d.try_into().ok())
            .unwrap_or(std::time::Duration::from_secs(60));
        let (snapshot, warnings) = rt.block_on(flightdeck::live::run_headless(
            &config,
            &opts,
            until,
            cli.journal_decisions,
        ))?;
        for w in warnings {
            eprintln!(
                "{}",
                flightdeck::sanitize::for_terminal(&format!("flightdeck: {w}"))
            );
        }
        if cli.json {
            println!("{}", serde_json::to_string_pretty(&snapshot)?);
        } else {
            print!(
                "{}",
                flightdeck::sanitize::for_terminal(&flightdeck::live::text(&snapshot))
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    rt.block_on(flightdeck::live::run_tui(&config, &opts))?;
    Ok(ExitCode::SUCCESS)
}

fn journal(command: JournalCommand, who: &CockpitConfig) -> color_eyre::Result<ExitCode> {
    use commands::journal as j;
    let role = who.role;
    match command {
        JournalCommand::Verify {
            path,
            checkpoint,
            allowed_signers,
            json,
        } => j::verify(
            &j::path(path.journal)?,
            checkpoint.as_deref(),
            allowed_signers.as_deref(),
            json,
        ),
        JournalCommand::Show {
            path,
            output: Some(seq),
            ..
        } => j::show_output(&j::path(path.journal)?, seq),
        JournalCommand::Show {
            path, since, json, ..
        } => j::show(&j::path(path.journal)?, since, json),
        JournalCommand::Note {
            path,
            text,
            hypothesis,
        } => {
            let kind = if hypothesis {
                flightdeck::cockpit::NoteKind::Hypothesis
            } else {
                flightdeck::cockpit::NoteKind::Note
            };
            j::note(&j::path(path.journal)?, &text, &who.actor, role, kind)
        }
        JournalCommand::Checkpoint { path, sign, key } => j::checkpoint(
            &j::path(path.journal)?,
            &who.actor,
            role,
            sign.then_some(key.as_deref()),
        ),
        JournalCommand::Timeline {
            path, since, until, ..
        } => j::timeline(&j::path(path.journal)?, since, until),
        JournalCommand::Export {
            path,
            format,
            output,
        } => j::export(&j::path(path.journal)?, &format, output.as_deref()),
    }
}

/// A scenario by path, or the bundled demo ("demo").
fn load_scenario(scenario: &std::path::Path) -> color_eyre::Result<load::LoadedScenario> {
    if scenario.as_os_str() == "demo" {
        Ok(load::demo()?)
    } else {
        Ok(load::scenario_file(scenario)?)
    }
}

fn experiment(command: ExperimentCommand, who: &CockpitConfig) -> color_eyre::Result<ExitCode> {
    use commands::experiment as x;
    use commands::journal::path as journal_path;
    match command {
        ExperimentCommand::Check { file, json } => x::check(&file, json),
        ExperimentCommand::Approve {
            file,
            path,
            replay,
            at,
        } => {
            let replay = match replay {
                Some(scenario) => Some((load_scenario(&scenario)?, at)),
                None => None,
            };
            x::approve(&file, &journal_path(path.journal)?, who, replay)
        }
        ExperimentCommand::Report { path, json } => x::report(&journal_path(path.journal)?, json),
        ExperimentCommand::Draft {
            path,
            run,
            kind,
            output,
        } => x::draft(
            &journal_path(path.journal)?,
            run.as_deref(),
            &kind,
            output.as_deref(),
        ),
        ExperimentCommand::Run {
            file,
            path,
            config,
            replay,
            at,
            dry_run,
            gate_only,
            min_budget_left,
            warmup,
            json,
        } => {
            let opts = x::RunOptions {
                dry_run,
                gate_only,
                min_budget_left,
                warmup: warmup
                    .try_into()
                    .unwrap_or(std::time::Duration::from_secs(30)),
                json,
            };
            if let Some(scenario) = replay {
                let loaded = load_scenario(&scenario)?;
                return x::run_replay(&file, loaded, at, path.journal.as_deref(), who, &opts);
            }
            let config_path = config
                .or_else(|| flightdeck::config::default_path().filter(|p| p.exists()))
                .ok_or_else(|| {
                    color_eyre::eyre::eyre!(
                        "no config: a live run needs --config FILE (or use --replay SCENARIO \
                         for a dry run in a replayed incident)"
                    )
                })?;
            let config = flightdeck::config::Config::load(&config_path)?;
            // The journal the cockpit on this config writes: `--journal` (a file or a
            // `postgres://` URL), else the config's `[journal] url`, else its file.
            let journal = match (path.journal, &config.journal_url) {
                (Some(p), _) => p,
                (None, Some(url)) => std::path::PathBuf::from(url),
                (None, None) => config
                    .journal_path()
                    .map(Ok)
                    .unwrap_or_else(|| journal_path(None))?,
            };
            let mut who = who.clone();
            if let Some(u) = &config.user {
                who.actor = u.clone();
            }
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            rt.block_on(x::run_live(&file, &config, journal, &who, &opts))
        }
    }
}

/// Who sits at this cockpit: the user's name (`whoami::user_name`), the role from `--role`, `--readonly`, and a
/// session id that tells this process's journal records from another cockpit's.
fn cockpit_config(role: Option<Role>, readonly: bool) -> CockpitConfig {
    let role = role.unwrap_or(Role::Oncall);
    let actor = flightdeck::whoami::user_name();
    let started = jiff::Timestamp::now().as_millisecond();
    CockpitConfig {
        actor,
        role,
        readonly,
        session: format!("{}-{started}", std::process::id()),
        ..CockpitConfig::default()
    }
}

fn replay(args: ReplayArgs, config: CockpitConfig) -> color_eyre::Result<ExitCode> {
    let loaded = match &args.scenario {
        Some(path) => load::scenario_file(path)?,
        None => load::demo()?,
    };
    for e in &loaded.doc_errors {
        eprintln!(
            "{}",
            flightdeck::sanitize::for_terminal(&format!("flightdeck: skipped {e}"))
        );
    }
    if config.role == Role::Trainee && args.headless {
        return commands::training::headless_drill(
            loaded,
            &config.actor,
            args.script.as_deref(),
            args.until,
            args.json,
        );
    }
    if args.headless {
        let (session, snapshot) = headless::replay(loaded, args.until, config);
        if args.json {
            println!("{}", serde_json::to_string_pretty(&snapshot)?);
        } else {
            print!(
                "{}",
                flightdeck::sanitize::for_terminal(&headless::text(&session, &snapshot))
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(runtime::run_replay_tui(
        loaded,
        args.speed,
        config,
        args.guided,
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Logs go to a file in the data directory, never to the screen.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = flightdeck::paths::log_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "flightdeck.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLIGHTDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .init();
    Some(guard)
}
