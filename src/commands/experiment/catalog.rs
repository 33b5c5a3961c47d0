//! The experiment files the cockpit's experiments view (`x`) shows: the config's `[experiments] dir`, the bundled one in a replay of the demo, a scenario's `experiments/` directory.

use super::*;
use crate::tui::overlays::experiment::EntryError;

/// The bundled experiment (`assets/scenarios/chaos-halt`), which a replay of the demo shows.
pub const BUNDLED: (&str, &str) = (
    "assets/scenarios/chaos-halt/experiment.yaml",
    include_str!("../../../assets/scenarios/chaos-halt/experiment.yaml"),
);

/// Experiment files are at most this big.
const MAX_FILE: u64 = 1 << 20;

/// The experiment files in `dir` (`*.yaml`, `*.yml`, `*.json`, not recursive, by name), each
/// parsed or with why not, for the cockpit's experiments view.
pub fn catalog_dir(dir: &Path) -> Catalog {
    let mut files = Vec::new();
    match std::fs::read_dir(dir) {
        Err(e) => files.push(Entry {
            path: dir.display().to_string(),
            experiment: Err(EntryError::Dir(e.to_string())),
        }),
        Ok(list) => {
            let mut paths: Vec<PathBuf> = list
                .filter_map(|d| d.ok().map(|d| d.path()))
                .filter(|p| {
                    p.extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
                })
                .collect();
            paths.sort();
            for p in paths {
                let shown = p.display().to_string();
                let experiment = match std::fs::metadata(&p) {
                    Ok(m) if !m.is_file() => continue,
                    Ok(m) if m.len() > MAX_FILE => Err(EntryError::TooBig {
                        path: shown.clone(),
                        max: MAX_FILE,
                    }),
                    Err(e) => Err(EntryError::Read {
                        path: shown.clone(),
                        why: e.to_string(),
                    }),
                    Ok(_) => std::fs::read_to_string(&p)
                        .map_err(|e| EntryError::Read {
                            path: shown.clone(),
                            why: e.to_string(),
                        })
                        .and_then(|t| Ok(Experiment::parse(&shown, &t)?)),
                };
                files.push(Entry {
                    path: shown,
                    experiment,
                });
            }
        }
    }
    Catalog {
        source: Some(dir.display().to_string()),
        files,
        ..Catalog::default()
    }
}

/// The live cockpit's experiments: the config's `[experiments] dir`, and every experiment
/// record of its journal — the file, or the PostgreSQL journal (`--journal postgres://…` or the
/// config's `[journal] url`) — not only the cockpit's journal tail (the newest records). A
/// journal that cannot be read is said in the catalog (`unread`) and the view says it.
pub fn catalog_live(config: &crate::config::Config, journal: Option<&Path>) -> Catalog {
    let mut c = match &config.experiments {
        Some(dir) => catalog_dir(&dir.value),
        None => Catalog::default(),
    };
    let location = journal
        .map(Path::to_path_buf)
        .or_else(|| config.journal_url.as_ref().map(PathBuf::from))
        .or_else(|| config.journal_path());
    let Some(location) = location else {
        return c;
    };
    let is_url = location.to_str().is_some_and(crate::journal_pg::is_url);
    if !is_url && !location.is_file() {
        return c;
    }
    match crate::journal_pg::read_records(&location) {
        Ok(records) => c.absorb(&records),
        Err(e) => {
            let shown = crate::journal_pg::redact(&location.display().to_string());
            tracing::warn!("experiments view: journal {shown} not read: {e}");
            c.unread = Some(format!("the journal ({shown}) could not be read: {e}"));
        }
    }
    c
}

/// A replay's experiments: the bundled one for the demo; for a scenario file, the files in
/// an `experiments/` directory beside it, if there is one.
pub fn catalog_replay(loaded: &crate::load::LoadedScenario) -> Catalog {
    if loaded.origin == "bundled demo" {
        let (path, text) = BUNDLED;
        let experiment = Experiment::parse(path, text).map_err(EntryError::from);
        // The scenario's own run: the gate lets it start at the demo's start, the governor's
        // move to FREEZE halts it; the view shows it as the replay reaches each record.
        let scripted = match &experiment {
            Ok(e) => scripted_run(e, loaded).unwrap_or_else(|err| {
                tracing::warn!("the demo's experiment run: {err}");
                Vec::new()
            }),
            Err(_) => Vec::new(),
        };
        return Catalog {
            source: Some("bundled with the demo".into()),
            files: vec![Entry {
                path: path.into(),
                experiment,
            }],
            scripted,
            run_flags: " --replay demo".into(),
            ..Catalog::default()
        };
    }
    match Path::new(&loaded.origin)
        .parent()
        .map(|d| d.join("experiments"))
        .filter(|d| d.is_dir())
    {
        Some(dir) => Catalog {
            run_flags: format!(" --replay {}", loaded.origin),
            ..catalog_dir(&dir)
        },
        None => Catalog::default(),
    }
}
