//! `flightdeck init`: the example configuration and SLO files written where none exist.

use super::*;

/// What `flightdeck init` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    pub config: PathBuf,
    pub written: Vec<PathBuf>,
    pub kept: Vec<PathBuf>,
}

/// Where `init PATH` writes the config: inside PATH when it is a directory, or when it does not
/// exist and has no extension (it is created as a directory); PATH itself otherwise (`x.toml`,
/// an existing file).
pub fn init_target(path: &Path) -> PathBuf {
    let is_dir = path.is_dir()
        || (!path.exists() && path.extension().is_none())
        || path
            .as_os_str()
            .to_string_lossy()
            .ends_with(std::path::MAIN_SEPARATOR);
    if is_dir {
        path.join(FILE_NAME)
    } else {
        path.to_path_buf()
    }
}

/// Why `flightdeck init` wrote nothing (or stopped part way).
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("no config directory on this system; give a path")]
    NoConfigDir,
    #[error("{} is a directory; give the directory that should hold {FILE_NAME}", .0.display())]
    IsDirectory(PathBuf),
    #[error("{} exists; keep it, or overwrite it with --force", .0.display())]
    Exists(PathBuf),
    #[error("{}: {why}", path.display())]
    Write { path: PathBuf, why: std::io::Error },
}

/// Writes the commented example config (and the example SLO files, and empty `runbooks/` and
/// `postmortems/` directories next to it) to `path` (see [`init_target`]; default: the config
/// directory). An existing config is kept unless `force`.
pub fn init(path: Option<&Path>, force: bool) -> Result<InitReport, InitError> {
    let path = match path {
        Some(p) => init_target(p),
        None => default_path().ok_or(InitError::NoConfigDir)?,
    };
    if path.is_dir() {
        return Err(InitError::IsDirectory(path));
    }
    if path.exists() && !force {
        return Err(InitError::Exists(path));
    }
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let io = |p: &Path, why: std::io::Error| InitError::Write {
        path: p.to_path_buf(),
        why,
    };
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let mut report = InitReport {
        config: path.clone(),
        written: Vec::new(),
        kept: Vec::new(),
    };
    std::fs::write(&path, EXAMPLE).map_err(|e| io(&path, e))?;
    report.written.push(path.clone());
    for (rel, text) in EXAMPLE_SLOS {
        let slo = dir.join(rel);
        if slo.exists() {
            report.kept.push(slo);
            continue;
        }
        if let Some(p) = slo.parent() {
            std::fs::create_dir_all(p).map_err(|e| io(p, e))?;
        }
        std::fs::write(&slo, text).map_err(|e| io(&slo, e))?;
        report.written.push(slo);
    }
    for d in ["runbooks", "postmortems"] {
        let p = dir.join(d);
        if p.exists() {
            report.kept.push(p);
        } else {
            std::fs::create_dir_all(&p).map_err(|e| io(&p, e))?;
            report.written.push(p);
        }
    }
    Ok(report)
}
