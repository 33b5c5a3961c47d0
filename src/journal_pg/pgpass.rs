//! Where and as whom to connect: the URL's settings, and a password from `~/.pgpass` the way
//! libpq finds it.

use super::*;

/// Splits one `~/.pgpass` line into its five fields (`\:` and `\\` are escapes).
pub(super) fn pgpass_fields(line: &str) -> Option<[String; 5]> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut()?.push(chars.next().unwrap_or('\\')),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut()?.push(c),
        }
    }
    fields.try_into().ok()
}

/// The password `~/.pgpass` (its text) gives for `host:port:database:user`, as libpq reads it:
/// the first matching line wins, `*` matches anything, comments and short lines are skipped.
pub fn pgpass_lookup(
    text: &str,
    host: &str,
    port: u16,
    database: &str,
    user: &str,
) -> Option<String> {
    let port = port.to_string();
    let wanted = [host, port.as_str(), database, user];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .filter_map(pgpass_fields)
        .find(|f| {
            f[..4]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field == "*" || field == want)
        })
        .map(|f| f[4].clone())
}

/// `$PGPASSFILE`, else `~/.pgpass`.
pub(super) fn pgpass_path() -> Option<PathBuf> {
    std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pgpass")))
}

/// Parses `url` and fills what it leaves out the way libpq does: the user from `$PGUSER` or
/// `$USER`, the password from `$PGPASSWORD`, else from `~/.pgpass` (`$PGPASSFILE`; ignored,
/// with a warning, unless only its owner can read it).
pub fn connection_config(url: &str) -> io::Result<tokio_postgres::Config> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{}: not a PostgreSQL URL ({e}); write it as \
                 postgres://USER@HOST:PORT/DATABASE[?sslmode=prefer|require|disable]",
                redact(url)
            ),
        )
    })?;
    if config.get_user().is_none()
        && let Some(user) = std::env::var("PGUSER")
            .ok()
            .or_else(|| std::env::var("USER").ok())
    {
        config.user(user);
    }
    if config.get_password().is_none() {
        if let Ok(p) = std::env::var("PGPASSWORD") {
            config.password(p);
        } else if let Some(path) = pgpass_path()
            && let Ok(meta) = std::fs::metadata(&path)
        {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    "{}: ignored: group or others can read it (chmod 600 {})",
                    path.display(),
                    path.display()
                );
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                let host = match config.get_hosts().first() {
                    Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
                    _ => "localhost".to_string(),
                };
                let port = config.get_ports().first().copied().unwrap_or(5432);
                let user = config.get_user().unwrap_or_default().to_string();
                let db = config.get_dbname().unwrap_or(&user).to_string();
                if let Some(p) = pgpass_lookup(&text, &host, port, &db, &user) {
                    config.password(p);
                }
            }
        }
    }
    config.connect_timeout(CONNECT_TIMEOUT);
    Ok(config)
}
