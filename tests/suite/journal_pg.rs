//! The PostgreSQL journal against a real PostgreSQL: a throwaway cluster made with `initdb` in a
//! temp dir and started on a free loopback port (run as the `postgres` user when the tests run
//! as root: PostgreSQL refuses to run as root).
//!
//! Without the binaries (Debian's `postgresql` package) the tests are skipped with a message
//! saying what to install; under `CI=true` they fail instead.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use flightdeck::journal::{JournalEntry, RecordKind};
use flightdeck::journal_pg::{JournalBackend, JournalPg, read_records, verify_url_with};
use flightdeck::time::Timestamp;

use crate::common::cli::flightdeck;
use crate::common::live::free_port;

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// Are the PostgreSQL binaries there? `false` (skip) — or a failure under CI.
fn need_postgres() -> bool {
    if Path::new(BIN).join("initdb").exists() && Path::new(BIN).join("postgres").exists() {
        return true;
    }
    let msg = format!(
        "{BIN}/initdb or postgres not found: install the Debian package with `apt-get install \
         postgresql` to run the PostgreSQL journal tests"
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI=true: the PostgreSQL journal tests must run)");
    }
    eprintln!("SKIPPED: {msg}");
    false
}

/// The uid and gid to run PostgreSQL as: ours, or the `postgres` user's when we are root.
fn run_as() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let line = passwd
        .lines()
        .find(|l| l.starts_with("postgres:"))
        .expect("running as root needs a `postgres` user (the postgresql package makes it)");
    let f: Vec<&str> = line.split(':').collect();
    Some((f[2].parse().unwrap(), f[3].parse().unwrap()))
}

fn as_user(cmd: &mut Command, user: Option<(u32, u32)>) -> &mut Command {
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

/// A throwaway PostgreSQL cluster; its server is killed (by pid) when dropped.
struct Postgres {
    _dir: tempfile::TempDir,
    data: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    user: Option<(u32, u32)>,
    server: Option<Child>,
    /// More `-c` settings for the server.
    extra: Vec<String>,
}

impl Postgres {
    fn start() -> Postgres {
        let dir = tempfile::tempdir().unwrap();
        let user = run_as();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let data = dir.path().join("data");
        let socket_dir = dir.path().to_path_buf();
        let out = as_user(
            Command::new(format!("{BIN}/initdb")).args([
                "-D",
                data.to_str().unwrap(),
                "-U",
                "flightdeck",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]),
            user,
        )
        .env("LC_ALL", "C")
        .output()
        .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut pg = Postgres {
            _dir: dir,
            data,
            socket_dir,
            port: free_port(),
            user,
            server: None,
            extra: Vec::new(),
        };
        pg.run();
        pg
    }

    /// Starts the server (again) and waits until it accepts connections.
    fn run(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mut child = as_user(
                Command::new(format!("{BIN}/postgres"))
                    .args([
                        "-D",
                        self.data.to_str().unwrap(),
                        "-p",
                        &self.port.to_string(),
                        "-k",
                        self.socket_dir.to_str().unwrap(),
                        "-c",
                        "listen_addresses=127.0.0.1",
                        "-c",
                        "max_connections=40",
                    ])
                    .args(self.extra.iter().flat_map(|c| ["-c", c.as_str()])),
                self.user,
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres starts");
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // exited: e.g. the old server's backends still hold its memory
                }
                if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                    let ok = Command::new(format!("{BIN}/pg_isready"))
                        .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
                        .output()
                        .is_ok_and(|o| o.status.success());
                    if ok {
                        self.server = Some(child);
                        return;
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
            assert!(Instant::now() < deadline, "postgres did not start in 60s");
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    fn url(&self) -> String {
        format!(
            "postgres://flightdeck@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    /// `kill -9` of the server and every process it started.
    fn kill(&mut self) {
        let Some(mut child) = self.server.take() else {
            return;
        };
        let pid = child.id() as i32;
        let children = children_of(pid);
        // SAFETY: plain kill(2) of processes we started.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            for c in children {
                libc::kill(c, libc::SIGKILL);
            }
        }
        let _ = child.wait();
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The pids whose parent is `pid` (from /proc).
fn children_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid …
        let Some(after) = stat.rsplit_once(')').map(|(_, a)| a) else {
            continue;
        };
        let ppid: Option<i32> = after.split_whitespace().nth(1).and_then(|p| p.parse().ok());
        if ppid == Some(pid)
            && let Ok(child) = entry.file_name().to_string_lossy().parse()
        {
            out.push(child);
        }
    }
    out
}

fn note(actor: &str, text: String) -> JournalEntry {
    JournalEntry {
        actor: actor.into(),
        role: flightdeck::actions::Role::Oncall.into(),
        kind: RecordKind::Note,
        summary: text.clone(),
        body: serde_json::json!({ "text": text }),
    }
}

#[test]
fn four_writers_append_concurrently_without_gaps_or_forks_and_it_verifies() {
    if !need_postgres() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.url();
    const EACH: usize = 1_000;
    let started = Instant::now();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut j = JournalPg::open(&url).unwrap();
                let mut mine = Vec::new();
                let mut seen = Vec::new();
                for i in 0..EACH {
                    let r = j
                        .append(
                            note(&format!("w{w}"), format!("w{w} #{i}")),
                            Timestamp::now(),
                        )
                        .unwrap();
                    seen.extend(j.refresh().unwrap().into_iter().map(|r| r.seq));
                    mine.push(r.seq);
                }
                // Every record the others wrote reaches this handle too (pushed or read). The
                // others may still be appending (a loaded machine runs the four writers at very
                // different speeds): wait for the condition, the deadline only ends a hang.
                let deadline = Instant::now() + Duration::from_secs(180);
                while j.len() < 1 + 4 * EACH as u64 && Instant::now() < deadline {
                    seen.extend(j.refresh().unwrap().into_iter().map(|r| r.seq));
                    std::thread::sleep(Duration::from_millis(50));
                }
                seen.extend(j.refresh().unwrap().into_iter().map(|r| r.seq));
                (mine, seen, j.len())
            })
        })
        .collect();
    let mut all = Vec::new();
    for (w, h) in writers.into_iter().enumerate() {
        let (mine, seen, len) = h.join().unwrap();
        assert_eq!(mine.len(), EACH);
        assert!(
            mine.windows(2).all(|p| p[0] < p[1]),
            "writer {w}: seqs in order"
        );
        assert_eq!(len, 1 + 4 * EACH as u64, "writer {w} knows every record");
        // What this writer acknowledged plus what refresh gave it = every record after the
        // genesis record it read on open (records before its open were read then).
        let mut union: Vec<u64> = mine.iter().chain(&seen).copied().collect();
        union.sort();
        let before = union.first().copied().unwrap();
        union.dedup();
        assert_eq!(
            union.len() as u64,
            1 + 4 * EACH as u64 - before,
            "writer {w}"
        );
        all.extend(mine);
    }
    let elapsed = started.elapsed();
    eprintln!(
        "4 writers x {EACH} appends (one transaction each) in {:.1}s",
        elapsed.as_secs_f64()
    );
    all.sort();
    let expected: Vec<u64> = (1..=4 * EACH as u64).collect();
    assert_eq!(
        all, expected,
        "no gaps, no forks: every seq acknowledged exactly once"
    );

    let report = verify_url_with(&url, None, |_| {}).unwrap();
    assert_eq!(report.head_seq, 4 * EACH as u64);

    // The CLI: verify, then export to a file journal that verifies on its own and reads the
    // same as the database.
    let out = flightdeck(&["journal", "verify", "--journal", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("intact: "));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exported.jsonl");
    let out = flightdeck(&[
        "journal",
        "export",
        "--journal",
        &url,
        "--format",
        "journal",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out_file = flightdeck(&["journal", "verify", "--journal", file.to_str().unwrap()]);
    assert!(out_file.status.success());
    let exported = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(exported.contains("exported 4001 records"), "{exported}");
    assert!(String::from_utf8_lossy(&out_file.stdout).starts_with("intact: "));
    let file_arg = file.to_str().unwrap();
    for args in [
        &["journal", "show", "--json"][..],
        &["journal", "export", "--format", "jsonl"][..],
        &["journal", "timeline"][..],
    ] {
        let from_db = flightdeck(&[args, &["--journal", url.as_str()]].concat());
        let from_file = flightdeck(&[args, &["--journal", file_arg]].concat());
        assert!(
            from_db.status.success(),
            "{}",
            String::from_utf8_lossy(&from_db.stderr)
        );
        assert_eq!(
            from_db.stdout, from_file.stdout,
            "{args:?}: the same from both stores"
        );
    }
    // The exported file is byte for byte the stored lines.
    let records = read_records(Path::new(&url)).unwrap();
    let lines: Vec<u8> = records
        .iter()
        .flat_map(flightdeck::journal::encode_line)
        .collect();
    assert_eq!(std::fs::read(&file).unwrap(), lines);
}

#[test]
fn a_killed_database_refuses_appends_clearly_and_recovers_losing_nothing_acknowledged() {
    if !need_postgres() {
        return;
    }
    let mut pg = Postgres::start();
    let url = pg.url();
    let mut j = JournalBackend::open(&url).unwrap();
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let r = j
            .append(note("oncall", format!("before #{i}")), Timestamp::now())
            .unwrap();
        acknowledged.push(r.summary);
    }
    pg.kill();
    let started = Instant::now();
    let err = j
        .append(note("oncall", "while down".into()), Timestamp::now())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("PostgreSQL journal") && err.contains("127.0.0.1"),
        "a clear error naming the database: {err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "refused promptly"
    );
    // Refresh reports the outage once, then keeps quiet while it lasts.
    let first = j.refresh();
    let second = j.refresh();
    assert!(first.is_err() || second.is_ok());
    assert!(second.is_ok_and(|r| r.is_empty()));
    assert_eq!(
        j.len(),
        21,
        "nothing was acknowledged while the database was down"
    );

    pg.run();
    let r = j
        .append(note("oncall", "after".into()), Timestamp::now())
        .unwrap();
    acknowledged.push(r.summary);
    assert_eq!(r.seq, 21, "no gap where the refused append was");
    let summaries: Vec<String> = read_records(Path::new(&url))
        .unwrap()
        .into_iter()
        .skip(1)
        .map(|r| r.summary)
        .collect();
    assert_eq!(
        summaries, acknowledged,
        "every acknowledged record, nothing else"
    );
    verify_url_with(&url, None, |_| {}).unwrap();
}

#[test]
fn a_tampered_row_fails_verify_naming_its_seq() {
    if !need_postgres() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.url();
    let mut j = JournalPg::open(&url).unwrap();
    for i in 0..5 {
        j.append(note("oncall", format!("n{i}")), Timestamp::now())
            .unwrap();
    }
    let psql = |sql: &str| {
        let out = Command::new(format!("{BIN}/psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &pg.port.to_string(),
                "-U",
                "flightdeck",
            ])
            .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    psql("UPDATE flightdeck_records SET line = replace(line, 'n3', 'n9') WHERE seq = 4");
    let e = verify_url_with(&url, None, |_| {}).unwrap_err();
    assert_eq!(e.seq, 4, "{e}");
    let out = flightdeck(&["journal", "verify", "--journal", &url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("BROKEN: "));
    // A removed row is a gap.
    psql("UPDATE flightdeck_records SET line = replace(line, 'n9', 'n3') WHERE seq = 4");
    verify_url_with(&url, None, |_| {}).unwrap();
    // Rows cut from the end: the head row still says where the journal ended.
    psql("DELETE FROM flightdeck_records WHERE seq = 5");
    let e = verify_url_with(&url, None, |_| {}).unwrap_err();
    assert_eq!(e.seq, 5, "{e}");
    assert!(e.to_string().contains("records were cut off"), "{e}");
    psql("DELETE FROM flightdeck_records WHERE seq = 2");
    let e = verify_url_with(&url, None, |_| {}).unwrap_err();
    assert_eq!(e.seq, 2, "{e}");
}

fn cockpit(
    url: &str,
    actor: &str,
    role: flightdeck::actions::Role,
    at: Timestamp,
) -> flightdeck::live::LiveSession {
    flightdeck::live::LiveSession::with_journal(
        flightdeck::cockpit::CockpitConfig {
            actor: actor.into(),
            role,
            session: format!("{actor}-session"),
            ..flightdeck::cockpit::CockpitConfig::default()
        },
        Vec::new(),
        flightdeck::knowledge::KnowledgeBase::default(),
        at,
        Some(JournalBackend::open(url).expect("the PostgreSQL journal opens")),
    )
}

#[test]
fn two_cockpits_on_one_database_follow_each_other_and_survive_an_outage() {
    use flightdeck::actions::Role;
    use flightdeck::cockpit::UserCommand;
    use flightdeck::slo::Mode;
    use flightdeck::time::SignedDuration;
    if !need_postgres() {
        return;
    }
    let mut pg = Postgres::start();
    // No sslmode: the default (prefer) asks for TLS, and this server offers none.
    let url = pg.url().replace("?sslmode=disable", "");
    let t0 = Timestamp::now();
    let mut lee = cockpit(&url, "lee", Role::Commander, t0);
    let mut dana = cockpit(&url, "dana", Role::Oncall, t0);
    lee.command(
        UserCommand::OverrideMode {
            to: Some(Mode::Freeze),
            reason: "database migration in progress".into(),
            duration: SignedDuration::from_mins(60),
        },
        t0,
    );
    assert_eq!(lee.cockpit().mode(), Mode::Freeze);
    // Dana's cockpit, on another "host", is told of the record and governs by it too.
    let deadline = Instant::now() + Duration::from_secs(10);
    while dana.cockpit().mode() != Mode::Freeze && Instant::now() < deadline {
        dana.tick(Timestamp::now());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        dana.cockpit().mode(),
        Mode::Freeze,
        "{}",
        dana.cockpit().mode_reason()
    );
    assert_eq!(dana.cockpit().mode_override().unwrap().by, "lee");

    // The database dies: Dana's note is refused with a clear message, not shown as taken.
    let len = dana.cockpit().journal_len();
    pg.kill();
    dana.take_notices();
    dana.command(
        UserCommand::Note {
            text: "checked the replica lag".into(),
            kind: flightdeck::cockpit::NoteKind::Note,
            about: None,
        },
        Timestamp::now(),
    );
    let notices = dana.take_notices();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("decision not taken") && n.contains("PostgreSQL journal")),
        "{notices:?}"
    );
    assert_eq!(
        dana.cockpit().journal_len(),
        len,
        "nothing shown as journaled"
    );
    dana.tick(Timestamp::now()); // keeps running

    // It returns: the next note is taken, and Lee's cockpit sees it.
    pg.run();
    dana.command(
        UserCommand::Note {
            text: "replica caught up".into(),
            kind: flightdeck::cockpit::NoteKind::Note,
            about: None,
        },
        Timestamp::now(),
    );
    assert_eq!(
        dana.cockpit().journal_len(),
        len + 1,
        "{:?}",
        dana.take_notices()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen_by_lee = |lee: &flightdeck::live::LiveSession| {
        lee.cockpit()
            .journal_tail()
            .any(|r| r.summary.contains("replica caught up"))
    };
    while !seen_by_lee(&lee) && Instant::now() < deadline {
        lee.tick(Timestamp::now());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(seen_by_lee(&lee), "Lee's cockpit shows Dana's note");
    let summaries: Vec<String> = read_records(Path::new(&url))
        .unwrap()
        .into_iter()
        .map(|r| r.summary)
        .collect();
    assert!(summaries.iter().any(|s| s.contains("replica caught up")));
    assert!(
        !summaries
            .iter()
            .any(|s| s.contains("checked the replica lag"))
    );
    verify_url_with(&url, None, |_| {}).unwrap();
}

#[test]
fn the_config_takes_a_postgres_url_and_names_the_fix_for_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::common::live::load_config(
        dir.path(),
        "[webhook]\nlisten = \"127.0.0.1:0\"\n[journal]\nurl = \"postgres://oncall@db.internal:5432/incidents\"\n",
    );
    assert_eq!(
        config.journal_url.as_deref(),
        Some("postgres://oncall@db.internal:5432/incidents")
    );
    let path = dir.path().join("flightdeck.toml");
    std::fs::write(&path, "[journal]\nurl = \"mysql://db/x\"\n").unwrap();
    let e = flightdeck::config::Config::load(&path)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(":2:7: journal.url:") && e.contains("postgres://USER@HOST"),
        "{e}"
    );
    std::fs::write(
        &path,
        "[journal]\npath = \"j.jsonl\"\nurl = \"postgres://db/x\"\n",
    )
    .unwrap();
    let e = flightdeck::config::Config::load(&path)
        .unwrap_err()
        .to_string();
    assert!(e.contains("both journal.path and journal.url"), "{e}");
}

#[test]
fn tls_is_used_when_the_server_offers_it_even_with_a_self_signed_certificate() {
    const CERT: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    const KEY: &str = "/etc/ssl/private/ssl-cert-snakeoil.key";
    if !need_postgres() {
        return;
    }
    if !Path::new(KEY).exists() {
        eprintln!("SKIPPED: {KEY} not found (Debian's ssl-cert package makes it)");
        return;
    }
    let mut pg = Postgres::start();
    pg.kill();
    // The key must belong to the server's user (or root, group-readable): copy it.
    let key = pg.data.join("server.key");
    let cert = pg.data.join("server.crt");
    std::fs::copy(KEY, &key).unwrap();
    std::fs::copy(CERT, &cert).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    if let Some((uid, gid)) = pg.user {
        std::os::unix::fs::chown(&key, Some(uid), Some(gid)).unwrap();
        std::os::unix::fs::chown(&cert, Some(uid), Some(gid)).unwrap();
    }
    pg.extra = vec!["ssl=on".into()];
    pg.run();
    // sslmode=require fails without TLS: that it works shows the connection is encrypted.
    let url = pg.url().replace("sslmode=disable", "sslmode=require");
    let mut j = JournalPg::open(&url).unwrap();
    j.append(note("oncall", "over TLS".into()), Timestamp::now())
        .unwrap();
    let out = Command::new(format!("{BIN}/psql"))
        .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "flightdeck"])
        .args(["-d", "postgres", "-At", "-c"])
        .arg("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.ssl AND a.backend_type = 'client backend' AND s.pid <> pg_backend_pid()")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "1",
        "the journal's connection uses TLS"
    );
    // The default (prefer) takes TLS too.
    let url = pg.url().replace("?sslmode=disable", "");
    verify_url_with(&url, None, |_| {}).unwrap();
}

const RESTART_RUNBOOK: &str = r#"---
id: payments-down
title: Payments down
alerts: [PaymentsDown]
services: [payments]
steps:
  - id: restart
    title: Restart the payments deployment
    kind: mitigation
    argv: [echo, restarted, "deployment/{{labels.service}}", "{{labels.namespace}}"]
    timeout: 20s
    audited: {by: maria, on: 2026-01-15}
---
# Payments down

Restart it.
"#;

/// A cockpit's home on its own "host": its own directory, config, runbooks and data, sharing
/// only the PostgreSQL journal.
async fn home(
    dir: &Path,
    url: &str,
    user: &str,
    role: flightdeck::actions::Role,
) -> flightdeck::live::Live {
    std::fs::create_dir_all(dir.join("runbooks")).unwrap();
    std::fs::write(dir.join("runbooks/payments-down.md"), RESTART_RUNBOOK).unwrap();
    let config = crate::common::live::load_config(
        dir,
        &format!(
            "[webhook]\nlisten = \"127.0.0.1:0\"\n\n[journal]\nurl = \"{url}\"\n\n\
             [knowledge]\nrunbooks = [\"runbooks\"]\n"
        ),
    );
    let opts = flightdeck::live::LiveOptions {
        user: Some(user.into()),
        role: Some(role),
        ..flightdeck::live::LiveOptions::default()
    };
    flightdeck::live::Live::start(&config, &opts)
        .await
        .unwrap_or_else(|e| panic!("{user}'s cockpit starts: {e}"))
}

async fn post_payments_alert(live: &flightdeck::live::Live) {
    let addr = live.sources().webhook_addr().unwrap();
    let body = serde_json::json!({"version": "4", "groupKey": "{}:{alertname=\"PaymentsDown\"}",
        "truncatedAlerts": 0, "status": "firing", "receiver": "flightdeck", "groupLabels": {},
        "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
        "alerts": [{"status": "firing",
            "labels": {"alertname": "PaymentsDown", "service": "payments", "namespace": "shop",
                       "severity": "critical"},
            "annotations": {"summary": "payments 5xx at 40%"},
            "startsAt": "2026-11-25T23:00:58.609463328Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "", "fingerprint": "0000000000000000"}]});
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/webhook"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

async fn wait_for(
    live: &mut flightdeck::live::Live,
    what: &str,
    cond: impl FnMut(&flightdeck::cockpit::Cockpit) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    assert!(live.run_until(deadline, cond).await, "timed out: {what}");
}

/// The restart step as one cockpit shows it.
fn restart(c: &flightdeck::cockpit::Cockpit) -> Option<&flightdeck::cockpit::Suggestion> {
    c.suggestions()
        .iter()
        .find(|s| s.step_ref == "payments-down/restart" && s.targeted)
}

/// Issue 18: an on-call engineer and a commander on two hosts (two homes, one PostgreSQL
/// journal) take a pre-audited mitigation through REDESIGN's two-person rule to an execution;
/// each sees the other's decisions under the same step name, and the journal tells it whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_homes_take_a_redesign_mitigation_through_two_approvals_to_an_execution() {
    use flightdeck::actions::Role;
    use flightdeck::cockpit::{SuggestionStatus, UserCommand};
    use flightdeck::slo::Mode;
    if !need_postgres() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.url();
    let homes = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut lee = home(homes.0.path(), &url, "lee", Role::Commander).await;
    let mut dana = home(homes.1.path(), &url, "dana", Role::Oncall).await;

    // The commander puts automation in REDESIGN; the other host follows the journal.
    let notices = lee.command(UserCommand::OverrideMode {
        to: Some(Mode::Redesign),
        reason: "budget gone for the week: humans decide".into(),
        duration: flightdeck::time::SignedDuration::from_mins(60),
    });
    assert!(notices.is_empty(), "{notices:?}");
    wait_for(&mut dana, "REDESIGN on Dana's host", |c| {
        c.mode() == Mode::Redesign
    })
    .await;

    // The alert reaches both hosts (each has its own receiver); both offer the same step.
    post_payments_alert(&lee).await;
    post_payments_alert(&dana).await;
    wait_for(&mut lee, "the restart on offer to Lee", |c| {
        restart(c).is_some()
    })
    .await;
    wait_for(&mut dana, "the restart on offer to Dana", |c| {
        restart(c).is_some()
    })
    .await;
    let key = restart(lee.cockpit()).unwrap().key();
    assert_eq!(
        restart(dana.cockpit()).unwrap().key(),
        key,
        "one name everywhere"
    );
    assert_eq!(
        restart(dana.cockpit()).unwrap().argv.as_ref().unwrap(),
        &["echo", "restarted", "deployment/payments", "shop"]
    );

    // Dana approves first: one approval of the two, nothing runs.
    let id = restart(dana.cockpit()).unwrap().id;
    let notices = dana.command(UserCommand::Approve(id));
    assert!(
        !notices.iter().any(|n| n.contains("not taken")),
        "{notices:?}"
    );
    assert_eq!(restart(dana.cockpit()).unwrap().approvals.len(), 1);
    assert_eq!(
        restart(dana.cockpit()).unwrap().status,
        SuggestionStatus::Pending
    );
    wait_for(&mut lee, "Dana's approval on Lee's host", |c| {
        restart(c).is_some_and(|s| s.approvals.iter().any(|a| a.by == "dana"))
    })
    .await;
    // The commander's approval completes it on his host, which runs it.
    let id = restart(lee.cockpit()).unwrap().id;
    lee.command(UserCommand::Approve(id));
    wait_for(&mut lee, "the restart run on Lee's host", |c| {
        matches!(
            restart(c).map(|s| &s.status),
            Some(SuggestionStatus::Executed { .. })
        )
    })
    .await;
    let Some(SuggestionStatus::Executed {
        ok, dry_run, by, ..
    }) = restart(lee.cockpit()).map(|s| s.status.clone())
    else {
        unreachable!()
    };
    assert!(ok && !dry_run, "a real run that succeeded");
    assert_eq!(by, "lee");
    wait_for(&mut dana, "the execution on Dana's host", |c| {
        matches!(
            restart(c).map(|s| &s.status),
            Some(SuggestionStatus::Executed { .. })
        )
    })
    .await;

    // The journal: two approvals by two people, one the commander, and the execution that
    // names exactly those two; the chain verifies.
    let records = read_records(Path::new(&url)).unwrap();
    let approvals: Vec<_> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Approval && r.body["step"] == "payments-down/restart")
        .collect();
    assert_eq!(
        approvals
            .iter()
            .map(|r| r.actor.as_str())
            .collect::<Vec<_>>(),
        ["dana", "lee"]
    );
    let exec: Vec<_> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Execution)
        .collect();
    assert_eq!(exec.len(), 1, "one execution, on one host");
    let named: Vec<&str> = exec[0].body["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    let hashes: Vec<&str> = approvals.iter().map(|r| r.hash.as_str()).collect();
    assert_eq!(
        named, hashes,
        "the execution names the approvals that counted"
    );
    assert_eq!(exec[0].body["mode"], "redesign");
    verify_url_with(&url, None, |_| {}).unwrap();
    let out = flightdeck(&["journal", "timeline", "--journal", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let timeline = String::from_utf8_lossy(&out.stdout);
    assert!(
        timeline.contains("dana") && timeline.contains("lee"),
        "{timeline}"
    );
}

/// Issue 18.1: state is a fold of the journal. Decisions taken before a cockpit started — a
/// proposed silence, a first approval, a rejection — are in its queue when it starts, under the
/// same step names, so the second approval can be given there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cockpit_started_later_knows_the_decisions_taken_before_it() {
    use flightdeck::actions::Role;
    use flightdeck::actions::silence::SilenceRequest;
    use flightdeck::cockpit::{SuggestionStatus, UserCommand};
    use flightdeck::slo::Mode;
    if !need_postgres() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.url();
    let homes = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut dana = home(homes.1.path(), &url, "dana", Role::Oncall).await;
    post_payments_alert(&dana).await;
    wait_for(&mut dana, "the restart on offer to Dana", |c| {
        restart(c).is_some()
    })
    .await;
    // REDESIGN, set before the commander's cockpit starts (by a commander who left).
    let mut early = home(homes.0.path(), &url, "ivo", Role::Commander).await;
    early.command(UserCommand::OverrideMode {
        to: Some(Mode::Redesign),
        reason: "budget gone".into(),
        duration: flightdeck::time::SignedDuration::from_mins(60),
    });
    drop(early);
    wait_for(&mut dana, "REDESIGN on Dana's host", |c| {
        c.mode() == Mode::Redesign
    })
    .await;
    // Dana approves the restart, and proposes and approves a silence for the cluster.
    let id = restart(dana.cockpit()).unwrap().id;
    dana.command(UserCommand::Approve(id));
    let cluster = dana.cockpit().clusters()[0].id;
    let form: Vec<String> = [
        "alertname=PaymentsDown",
        "service=payments",
        "--duration=1h",
        "--comment=known: the fix is rolling out",
    ]
    .map(String::from)
    .to_vec();
    let silence = SilenceRequest::from_form(&form, "dana").unwrap();
    let notices = dana.command(UserCommand::ProposeSilence { cluster, silence });
    assert!(notices.is_empty(), "{notices:?}");
    let silence_step = |c: &flightdeck::cockpit::Cockpit| {
        c.suggestions()
            .iter()
            .find(|s| s.step_ref.starts_with("silence"))
            .map(|s| (s.key(), s.approvals.len(), s.status.clone()))
    };
    let sid = dana
        .cockpit()
        .suggestions()
        .iter()
        .find(|s| s.step_ref.starts_with("silence"))
        .expect("the proposed silence waits")
        .id;
    dana.command(UserCommand::Approve(sid));

    // The commander's cockpit starts now, on another host, and the alert reaches it.
    let mut lee = home(homes.0.path(), &url, "lee", Role::Commander).await;
    assert_eq!(lee.cockpit().mode(), Mode::Redesign);
    post_payments_alert(&lee).await;
    wait_for(&mut lee, "the restart on offer to Lee", |c| {
        restart(c).is_some()
    })
    .await;
    let (lr, dr) = (
        restart(lee.cockpit()).unwrap(),
        restart(dana.cockpit()).unwrap(),
    );
    assert_eq!(lr.key(), dr.key(), "one name everywhere");
    assert_eq!(
        lr.approvals
            .iter()
            .map(|a| a.by.as_str())
            .collect::<Vec<_>>(),
        ["dana"],
        "Dana's approval, given before Lee's cockpit started, is known to it"
    );
    let (key, approvals, status) =
        silence_step(lee.cockpit()).expect("the silence proposed before Lee started is queued");
    assert_eq!(Some(key), silence_step(dana.cockpit()).map(|s| s.0));
    assert_eq!(approvals, 1);
    assert_eq!(status, SuggestionStatus::Pending);
    // One queue, one verdict, on both hosts.
    let queue = |c: &flightdeck::cockpit::Cockpit| {
        let mut q: Vec<_> = c
            .approval_queue()
            .iter()
            .map(|s| (s.key(), s.approvals.len(), format!("{:?}", s.verdict)))
            .collect();
        q.sort();
        q
    };
    assert_eq!(queue(lee.cockpit()), queue(dana.cockpit()));

    // Lee's approval completes the restart on his host.
    let id = restart(lee.cockpit()).unwrap().id;
    lee.command(UserCommand::Approve(id));
    wait_for(&mut lee, "the restart run on Lee's host", |c| {
        matches!(
            restart(c).map(|s| &s.status),
            Some(SuggestionStatus::Executed { .. })
        )
    })
    .await;
    verify_url_with(&url, None, |_| {}).unwrap();
}

/// A chaos experiment run (issue 21) on a cockpit whose journal is PostgreSQL: `experiment run`
/// writes to the journal the cockpit uses — here the config's `[journal] url`, with no
/// `--journal` — (its gate refuses: the cockpit has no budget data for the blast radius's SLO,
/// and the refusal is journaled in the database), `experiment report` on the URL shows it, and
/// the experiments view folds every experiment record of the database, not a window of the
/// newest: the refusal is still there after 250 newer records. The cockpit's `r` gives the run
/// the config's journal without putting the URL on a command line.
#[test]
fn an_experiment_run_journals_to_postgres_and_the_view_reads_all_its_records() {
    if !need_postgres() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.url();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(dir.path().join("experiments")).unwrap();
    std::fs::copy(
        "assets/scenarios/chaos-halt/experiment.yaml",
        dir.path().join("experiments/pod-loss.yaml"),
    )
    .unwrap();
    let config = crate::common::live::load_config(
        dir.path(),
        &format!(
            "[webhook]\nlisten = \"127.0.0.1:0\"\n[journal]\nurl = \"{url}\"\n\
             [experiments]\ndir = \"experiments\"\n"
        ),
    );
    let cfg = config.path.to_str().unwrap();
    let file = dir.path().join("experiments/pod-loss.yaml");
    let out = crate::common::cli::flightdeck_at_home(
        &home,
        &[
            "experiment",
            "run",
            file.to_str().unwrap(),
            "--config",
            cfg,
            "--warmup",
            "1s",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "refused: {stderr}");
    assert!(stderr.contains("refused; journaled as #"), "{stderr}");
    let records = read_records(Path::new(&url)).unwrap();
    let refused: Vec<_> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Experiment && r.body["phase"] == "refused")
        .collect();
    assert_eq!(refused.len(), 1, "{records:#?}");
    assert_eq!(refused[0].body["title"], "Checkout survives losing one pod");

    // 250 newer records: more than a cockpit's journal tail holds.
    let mut j = JournalPg::open(&url).unwrap();
    for i in 0..250 {
        j.append(note("kim", format!("note {i}")), Timestamp::now())
            .unwrap();
    }
    let catalog = flightdeck::commands::experiment::catalog_live(&config, None);
    assert!(catalog.unread.is_none(), "{:?}", catalog.unread);
    assert_eq!(catalog.files.len(), 1);
    assert!(
        catalog.records.iter().any(|r| r.body["phase"] == "refused"),
        "the view folds every experiment record: {:?}",
        catalog.records.len()
    );
    let out = flightdeck(&["experiment", "report", "--journal", &url]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 refused by the gate"), "{text}");

    // `r` in a cockpit on this config: the run reads the journal's URL from the config.
    let launcher = flightdeck::commands::experiment::Launcher::new(
        &config.path,
        Some(&url),
        config.journal_url.as_deref(),
        Some(home.join("pg.d/experiments")),
        "dana",
        flightdeck::actions::Role::Oncall,
    );
    let argv = launcher.argv(file.to_str().unwrap()).unwrap();
    assert!(!argv.iter().any(|a| a.contains("postgres://")), "{argv:?}");
    assert!(!argv.contains(&"--journal".to_string()), "{argv:?}");
    // A URL given on the cockpit's command line is passed on as given.
    let other = format!("{url}&application_name=x");
    let launcher = flightdeck::commands::experiment::Launcher::new(
        &config.path,
        Some(&other),
        config.journal_url.as_deref(),
        Some(home.join("pg.d/experiments")),
        "dana",
        flightdeck::actions::Role::Oncall,
    );
    let argv = launcher.argv(file.to_str().unwrap()).unwrap();
    assert!(
        argv.windows(2)
            .any(|w| w[0] == "--journal" && w[1] == other),
        "{argv:?}"
    );
}
