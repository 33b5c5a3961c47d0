//! The journal in PostgreSQL: the file journal's records and hash chain, shared by a team.
//!
//! Edge code (network I/O); the records, the chain and verification are the pure
//! `crate::journal`, exactly as for [`crate::journal_store::JournalFile`]. The database holds the
//! exact canonical line of every record (what the file journal writes, without its newline), so
//! `journal verify` streams the same bytes through the same [`Verifier`], and an export to a file
//! is byte for byte a file journal (it verifies on its own).
//!
//! The rules:
//!
//! - **Appends are serialised by the database.** An append is one transaction: lock the
//!   journal's head row (`SELECT … FOR UPDATE`), check that it is the head the records were
//!   sealed after, insert them under the primary key `(journal_id, seq)`, move the head, commit.
//!   A writer that lost the race gets the records written meanwhile back in the same answer,
//!   verifies them, seals after the true head and tries again. No forks (the key), no gaps (the
//!   head check).
//! - **Acknowledged means committed.** [`JournalPg::append`] returns only after `COMMIT`
//!   answered (PostgreSQL's `synchronous_commit`, on by default, makes that durable). A database
//!   that is down, or an answer that does not come within [`OP_TIMEOUT`], is an error naming the
//!   server: nothing is acknowledged. A commit whose answer was lost shows up later as a record
//!   like any other cockpit's (via [`JournalPg::refresh`]), never twice.
//! - **New records are pushed.** Every append sends `NOTIFY flightdeck_journal` inside its
//!   transaction; each handle `LISTEN`s, and [`JournalPg::refresh`] reads the database only when
//!   told something changed (or every [`POLL_EVERY`], should notifications be lost).
//! - **Schema** (created on first use, docs/FORMATS.md): `flightdeck_journal(journal_id, head_seq,
//!   head_hash, created_at)` (one row per journal, at most one journal per database or schema)
//!   and `flightdeck_records(journal_id, seq, line)`.
//!
//! Client crate: `tokio-postgres` (with `tokio-postgres-rustls` for TLS). It is the maintained
//! pure-Rust client on tokio (which flightdeck already runs on), exposes the connection's
//! asynchronous messages so `LISTEN/NOTIFY` arrives as a stream, and plugs into rustls (the TLS
//! stack reqwest already brings: no OpenSSL). sqlx would add a compile-time query layer, a pool
//! and its own runtime glue for two tables and four statements, and its `PgListener` needs a
//! second connection anyway. The store runs its connection on a thread of its own (a
//! current-thread runtime), so the synchronous API below works from inside and outside tokio.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use crate::actions::Role;
use crate::journal::{
    Chain, CheckpointBody, JournalEntry, JournalRecord, KindBody, MAX_BODY_DEPTH, Problem,
    RecordBody, RecordKind, RecordRole, Verifier, VerifyError, VerifyReport, body_depth,
    encode_line,
};
use crate::journal_store::SYSTEM_ACTOR;
use crate::time::Timestamp;

/// How long one database operation (connecting included) may take before it is an error.
pub const OP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// [`JournalPg::refresh`] reads the database at least this often, notified or not.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// After a failed read, [`JournalPg::refresh`] waits this long before trying again.
const RETRY_EVERY: Duration = Duration::from_secs(2);
/// Records read per query when reading a whole journal.
const PAGE: i64 = 5_000;
/// The notification channel.
const CHANNEL: &str = "flightdeck_journal";
/// Serialises schema creation and genesis between cockpits opening an empty database at once.
const SCHEMA_LOCK: i64 = 0x666c_6967_6874;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS flightdeck_journal (
    journal_id text PRIMARY KEY,
    head_seq bigint NOT NULL CHECK (head_seq >= 0),
    head_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS flightdeck_records (
    journal_id text NOT NULL REFERENCES flightdeck_journal (journal_id),
    seq bigint NOT NULL CHECK (seq >= 0),
    line text NOT NULL,
    PRIMARY KEY (journal_id, seq)
);";

/// Is `s` a PostgreSQL connection URL (`postgres://…` or `postgresql://…`)?
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// The URL with any password replaced by `***` (for messages).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match auth.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

// ---- ~/.pgpass ----------------------------------------------------------------------------------

/// Splits one `~/.pgpass` line into its five fields (`\:` and `\\` are escapes).
fn pgpass_fields(line: &str) -> Option<[String; 5]> {
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
fn pgpass_path() -> Option<PathBuf> {
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

// ---- the connection thread ----------------------------------------------------------------------

/// What the connection thread does for a handle.
enum Job {
    /// The database's journal id, if it has one (creates nothing).
    Find,
    /// The head row: seq and hash of the last record committed.
    Head { journal_id: String },
    /// Creates the schema if needed; inserts `genesis` if the database has no journal yet.
    /// Answers the journal's id.
    Init { genesis: Box<(String, String)> },
    /// Lines with seq >= `from` (at most `limit`).
    Fetch {
        journal_id: String,
        from: u64,
        limit: i64,
    },
    /// Appends `lines` (seq `next`, `next+1`, …) if the head is still `next - 1` with hash
    /// `head`.
    Append {
        journal_id: String,
        next: u64,
        head: String,
        lines: Vec<String>,
    },
}

enum Answer {
    Found(Option<String>),
    Head(u64, String),
    JournalId(String),
    Lines(Vec<(u64, String)>),
    Appended,
    /// Someone else appended first: these are the records after the expected head.
    Stale(Vec<(u64, String)>),
}

type Reply = std::sync::mpsc::SyncSender<Result<Answer, String>>;

/// Change signals from the connection thread.
#[derive(Default)]
struct Signals {
    /// The highest seq a notification announced.
    notified: AtomicU64,
    /// A connection was (re)made or lost: notifications may have been missed.
    dirty: AtomicBool,
}

struct Connection {
    jobs: tokio::sync::mpsc::UnboundedSender<(Job, Reply)>,
    signals: Arc<Signals>,
    /// The URL without its password, for messages.
    target: String,
}

impl Connection {
    fn start(url: &str) -> io::Result<Connection> {
        let config = connection_config(url)?;
        let target = redact(url);
        let signals = Arc::new(Signals::default());
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let s = signals.clone();
        let t = target.clone();
        std::thread::Builder::new()
            .name("journal-pg".into())
            .spawn(move || runtime.block_on(serve(config, t, rx, s)))?;
        Ok(Connection {
            jobs: tx,
            signals,
            target,
        })
    }

    /// Runs `job` on the connection thread and waits for its answer (at most [`OP_TIMEOUT`]
    /// plus connecting).
    fn call(&self, job: Job) -> io::Result<Answer> {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.jobs
            .send((job, reply))
            .map_err(|_| self.error("the connection thread is gone"))?;
        match answer.recv_timeout(OP_TIMEOUT + CONNECT_TIMEOUT + Duration::from_secs(1)) {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(e)) => Err(self.error(&e)),
            Err(_) => Err(self.error(&format!(
                "no answer within {}s",
                (OP_TIMEOUT + CONNECT_TIMEOUT).as_secs()
            ))),
        }
    }

    fn error(&self, why: &str) -> io::Error {
        io::Error::other(format!("PostgreSQL journal {}: {why}", self.target))
    }
}

/// TLS as libpq's `sslmode=prefer` and `require` do it: the connection is encrypted, the
/// server's certificate is not checked against a CA (Debian's default cluster serves its
/// self-signed "snakeoil" certificate). The handshake's signatures are still verified.
fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
        .with_no_client_auth();
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

/// Accepts the server's certificate without a CA (libpq's `prefer`/`require`).
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Connects, starts the task that drives the connection (and turns notifications into
/// signals), and `LISTEN`s.
async fn connect(
    config: &tokio_postgres::Config,
    signals: &Arc<Signals>,
) -> Result<Client, String> {
    let describe = |e: tokio_postgres::Error| describe_error(&e);
    let client = if config.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
        let (client, connection) = config.connect(NoTls).await.map_err(describe)?;
        spawn_connection(connection, signals.clone());
        client
    } else {
        let (client, connection) = config.connect(tls()).await.map_err(describe)?;
        spawn_connection(connection, signals.clone());
        client
    };
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .await
        .map_err(describe)?;
    signals.dirty.store(true, Ordering::SeqCst);
    Ok(client)
}

fn spawn_connection<S, T>(mut connection: tokio_postgres::Connection<S, T>, signals: Arc<Signals>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if let Some(seq) = n
                        .payload()
                        .rsplit_once(':')
                        .and_then(|(_, s)| s.parse::<u64>().ok())
                    {
                        signals.notified.fetch_max(seq, Ordering::SeqCst);
                    } else {
                        signals.dirty.store(true, Ordering::SeqCst);
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("PostgreSQL journal connection: {e}");
                    break;
                }
            }
        }
        signals.dirty.store(true, Ordering::SeqCst);
    });
}

/// The server's own message when there is one (`tokio_postgres::Error`'s display hides it).
fn describe_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

async fn serve(
    config: tokio_postgres::Config,
    target: String,
    mut jobs: tokio::sync::mpsc::UnboundedReceiver<(Job, Reply)>,
    signals: Arc<Signals>,
) {
    let mut client: Option<Client> = None;
    while let Some((job, reply)) = jobs.recv().await {
        if client.as_ref().is_none_or(Client::is_closed) {
            client = None;
            match connect(&config, &signals).await {
                Ok(c) => client = Some(c),
                Err(e) => {
                    let _ = reply.send(Err(format!("cannot connect: {e}")));
                    continue;
                }
            }
        }
        let c = client.as_mut().expect("connected above");
        let answer = match tokio::time::timeout(OP_TIMEOUT, run(c, job)).await {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!("no answer within {}s", OP_TIMEOUT.as_secs())),
        };
        if answer.is_err() {
            // A failed statement may have left the connection in any state: start afresh.
            client = None;
            signals.dirty.store(true, Ordering::SeqCst);
        }
        if reply.send(answer).is_err() {
            tracing::debug!("{target}: an answer came after its caller gave up");
        }
    }
}

async fn fetch(
    tx: &tokio_postgres::Transaction<'_>,
    journal_id: &str,
    from: u64,
    limit: i64,
) -> Result<Vec<(u64, String)>, tokio_postgres::Error> {
    let rows = tx
        .query(
            "SELECT seq, line FROM flightdeck_records WHERE journal_id = $1 AND seq >= $2 \
             ORDER BY seq LIMIT $3",
            &[&journal_id, &(from as i64), &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, String>(1)))
        .collect())
}

async fn run(client: &mut Client, job: Job) -> Result<Answer, String> {
    let d = |e: tokio_postgres::Error| describe_error(&e);
    match job {
        Job::Head { journal_id } => {
            let row = client
                .query_one(
                    "SELECT head_seq, head_hash FROM flightdeck_journal WHERE journal_id = $1",
                    &[&journal_id],
                )
                .await
                .map_err(d)?;
            Ok(Answer::Head(row.get::<_, i64>(0) as u64, row.get(1)))
        }
        Job::Find => {
            let exists: bool = client
                .query_one("SELECT to_regclass('flightdeck_journal') IS NOT NULL", &[])
                .await
                .map_err(d)?
                .get(0);
            if !exists {
                return Ok(Answer::Found(None));
            }
            let rows = client
                .query("SELECT journal_id FROM flightdeck_journal", &[])
                .await
                .map_err(d)?;
            match rows.as_slice() {
                [] => Ok(Answer::Found(None)),
                [one] => Ok(Answer::Found(Some(one.get(0)))),
                many => Err(format!(
                    "the database holds {} journals; flightdeck uses one per database or schema",
                    many.len()
                )),
            }
        }
        Job::Init { genesis } => {
            let (id, line) = *genesis;
            let tx = client.transaction().await.map_err(d)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
                .await
                .map_err(d)?;
            tx.batch_execute(SCHEMA).await.map_err(d)?;
            let rows = tx
                .query("SELECT journal_id FROM flightdeck_journal", &[])
                .await
                .map_err(d)?;
            let existing: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
            let id = match existing.as_slice() {
                [] => {
                    let hash = serde_json::from_str::<JournalRecord>(&line)
                        .map_err(|e| e.to_string())?
                        .hash;
                    tx.execute(
                        "INSERT INTO flightdeck_journal (journal_id, head_seq, head_hash) \
                         VALUES ($1, 0, $2)",
                        &[&id, &hash],
                    )
                    .await
                    .map_err(d)?;
                    tx.execute(
                        "INSERT INTO flightdeck_records (journal_id, seq, line) VALUES ($1, 0, $2)",
                        &[&id, &line],
                    )
                    .await
                    .map_err(d)?;
                    id
                }
                [one] => one.clone(),
                many => {
                    return Err(format!(
                        "the database holds {} journals ({}); flightdeck uses one journal per \
                         database or schema: point the URL at another database, or at another \
                         schema with ?options=-csearch_path%3DNAME",
                        many.len(),
                        many.join(", ")
                    ));
                }
            };
            tx.commit().await.map_err(d)?;
            Ok(Answer::JournalId(id))
        }
        Job::Fetch {
            journal_id,
            from,
            limit,
        } => {
            let tx = client
                .build_transaction()
                .read_only(true)
                .start()
                .await
                .map_err(d)?;
            let lines = fetch(&tx, &journal_id, from, limit).await.map_err(d)?;
            tx.commit().await.map_err(d)?;
            Ok(Answer::Lines(lines))
        }
        Job::Append {
            journal_id,
            next,
            head,
            lines,
        } => {
            let tx = client.transaction().await.map_err(d)?;
            let row = tx
                .query_opt(
                    "SELECT head_seq, head_hash FROM flightdeck_journal WHERE journal_id = $1 \
                     FOR UPDATE",
                    &[&journal_id],
                )
                .await
                .map_err(d)?
                .ok_or_else(|| format!("journal {journal_id} is not in this database"))?;
            let (head_seq, head_hash): (i64, String) = (row.get(0), row.get(1));
            if head_seq as u64 + 1 != next || head_hash != head {
                let newer = fetch(&tx, &journal_id, next.min(head_seq as u64 + 1), i64::MAX)
                    .await
                    .map_err(d)?;
                tx.rollback().await.map_err(d)?;
                return Ok(Answer::Stale(newer));
            }
            let seqs: Vec<i64> = (0..lines.len() as i64).map(|i| next as i64 + i).collect();
            let last = *seqs.last().expect("an append has lines");
            let last_hash = serde_json::from_str::<JournalRecord>(lines.last().expect("lines"))
                .map_err(|e| e.to_string())?
                .hash;
            tx.execute(
                "INSERT INTO flightdeck_records (journal_id, seq, line) \
                 SELECT $1, s, l FROM unnest($2::bigint[], $3::text[]) AS t(s, l)",
                &[&journal_id, &seqs, &lines],
            )
            .await
            .map_err(d)?;
            tx.execute(
                "UPDATE flightdeck_journal SET head_seq = $2, head_hash = $3 WHERE journal_id = $1",
                &[&journal_id, &last, &last_hash],
            )
            .await
            .map_err(d)?;
            tx.execute(
                "SELECT pg_notify($1, $2)",
                &[&CHANNEL, &format!("{journal_id}:{last}")],
            )
            .await
            .map_err(d)?;
            tx.commit().await.map_err(d)?;
            Ok(Answer::Appended)
        }
    }
}

// ---- the store ----------------------------------------------------------------------------------

/// A journal in PostgreSQL (see the module documentation). The same API as
/// [`crate::journal_store::JournalFile`] where the two overlap.
pub struct JournalPg {
    conn: Connection,
    journal_id: String,
    /// Verified state up to the last record this handle has read or written.
    verifier: Verifier,
    /// Records other cockpits appended, not yet returned by [`JournalPg::refresh`].
    unseen: Vec<JournalRecord>,
    last_read: Instant,
    /// Set while the database cannot be read (refresh reports an outage once).
    down_since: Option<Instant>,
}

impl std::fmt::Debug for JournalPg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalPg")
            .field("target", &self.conn.target)
            .field("journal_id", &self.journal_id)
            .field("next_seq", &self.verifier.next_seq())
            .finish()
    }
}

fn corrupt(e: VerifyError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl JournalPg {
    /// Connects to the database at `url`, creates the schema and the journal (its genesis
    /// record) if the database has none, and reads and verifies every record.
    pub fn open(url: &str) -> io::Result<JournalPg> {
        let conn = Connection::start(url)?;
        let now = Timestamp::now();
        let mut h = blake3::Hasher::new();
        h.update(&now.as_nanosecond().to_le_bytes());
        h.update(&std::process::id().to_le_bytes());
        h.update(&fastrand::u64(..).to_le_bytes());
        h.update(url.as_bytes());
        let id = h.finalize().to_hex()[..32].to_string();
        let genesis = Chain::default().seal(
            JournalEntry {
                actor: SYSTEM_ACTOR.into(),
                role: RecordRole::System,
                kind: RecordKind::Genesis,
                summary: format!("journal {id} created"),
                body: crate::journal_store::genesis_body(&id),
            },
            now,
        );
        let line = line_of(&genesis);
        let journal_id = match conn.call(Job::Init {
            genesis: Box::new((id, line)),
        })? {
            Answer::JournalId(id) => id,
            _ => unreachable!("Init answers a journal id"),
        };
        let mut journal = JournalPg {
            conn,
            journal_id,
            verifier: Verifier::new(),
            unseen: Vec::new(),
            last_read: Instant::now(),
            down_since: None,
        };
        journal.catch_up(false)?;
        Ok(journal)
    }

    /// The URL, password hidden.
    pub fn target(&self) -> &str {
        &self.conn.target
    }

    /// The id named by the genesis record (the database's key for this journal).
    pub fn journal_id(&self) -> &str {
        &self.journal_id
    }

    /// Seq and hash of the last record this handle knows of.
    pub fn head(&self) -> (u64, &str) {
        (
            self.verifier.next_seq().saturating_sub(1),
            self.verifier.head(),
        )
    }

    /// Number of records this handle knows of (the next record's seq).
    pub fn len(&self) -> u64 {
        self.verifier.next_seq()
    }

    pub fn is_empty(&self) -> bool {
        self.verifier.next_seq() == 0
    }

    /// Bytes the records take as a file journal (what checkpoints count).
    pub fn size(&self) -> u64 {
        self.verifier.offset()
    }

    /// Reads, verifies and remembers the records after this handle's head.
    fn catch_up(&mut self, collect: bool) -> io::Result<()> {
        loop {
            let lines = match self.conn.call(Job::Fetch {
                journal_id: self.journal_id.clone(),
                from: self.verifier.next_seq(),
                limit: PAGE,
            })? {
                Answer::Lines(lines) => lines,
                _ => unreachable!("Fetch answers lines"),
            };
            let full = lines.len() as i64 == PAGE;
            self.take(lines, collect)?;
            self.last_read = Instant::now();
            if !full {
                return Ok(());
            }
        }
    }

    /// Verifies `lines` (seq, line) as the records after the head and advances past them.
    fn take(&mut self, lines: Vec<(u64, String)>, collect: bool) -> io::Result<()> {
        let mut verifier = self.verifier.clone();
        let mut fresh = Vec::new();
        for (seq, line) in lines {
            let record = verifier.feed(line.as_bytes()).map_err(corrupt)?;
            if record.seq != seq {
                return Err(corrupt(VerifyError {
                    seq,
                    offset: verifier.offset(),
                    why: Problem::Sequence { found: record.seq },
                }));
            }
            if collect {
                fresh.push(record);
            }
        }
        self.verifier = verifier;
        self.unseen.extend(fresh);
        Ok(())
    }

    /// Seals `entry` at `ts` after the journal's true head and commits it; the returned record
    /// is committed when this returns. Records other cockpits appended meanwhile come first
    /// ([`JournalPg::refresh`] returns them).
    pub fn append(&mut self, entry: JournalEntry, ts: Timestamp) -> io::Result<JournalRecord> {
        let mut records = self.append_batch([entry], ts)?;
        Ok(records.swap_remove(0))
    }

    /// Seals all `entries` at `ts` and commits them in one transaction: all or none.
    pub fn append_batch(
        &mut self,
        entries: impl IntoIterator<Item = JournalEntry>,
        ts: Timestamp,
    ) -> io::Result<Vec<JournalRecord>> {
        let entries: Vec<JournalEntry> = entries.into_iter().collect();
        self.commit(|_| entries.clone(), ts)
    }

    /// Appends a checkpoint record `{size, head}` (as the file journal's: the byte length the
    /// records take as a file journal, and the hash of the record before it).
    pub fn checkpoint(
        &mut self,
        actor: &str,
        role: Role,
        ts: Timestamp,
    ) -> io::Result<JournalRecord> {
        let mut records = self.commit(
            |v| {
                vec![JournalEntry {
                    actor: actor.into(),
                    role: role.into(),
                    kind: RecordKind::Checkpoint,
                    summary: format!(
                        "checkpoint: {} bytes, head {}:{}",
                        v.offset(),
                        v.next_seq().saturating_sub(1),
                        &v.head()[..v.head().len().min(12)]
                    ),
                    body: RecordBody::of(KindBody::Checkpoint(CheckpointBody {
                        size: Some(v.offset()),
                        head: Some(v.head().to_string()),
                    }))
                    .to_value(),
                }]
            },
            ts,
        )?;
        Ok(records.swap_remove(0))
    }

    /// Seals what `build` returns after the head this handle knows and asks the database to
    /// append it; when another cockpit came first, takes its records and seals again.
    fn commit(
        &mut self,
        build: impl Fn(&Verifier) -> Vec<JournalEntry>,
        ts: Timestamp,
    ) -> io::Result<Vec<JournalRecord>> {
        let mut collisions = 0u32;
        loop {
            let entries = build(&self.verifier);
            if entries.is_empty() {
                return Ok(Vec::new());
            }
            let mut chain =
                Chain::resume(self.verifier.next_seq(), self.verifier.head().to_string());
            let mut verifier = self.verifier.clone();
            let mut records = Vec::new();
            let mut lines = Vec::new();
            for entry in entries {
                let depth = body_depth(&entry.body);
                if depth > MAX_BODY_DEPTH {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "{}: a {} record's body nests {depth} levels deep; a journal \
                             record may nest at most {MAX_BODY_DEPTH}",
                            self.conn.target,
                            entry.kind.name()
                        ),
                    ));
                }
                let record = chain.seal(entry, ts);
                let line = line_of(&record);
                // Self-check: what we store must verify like any record read back.
                verifier.feed(line.as_bytes()).map_err(corrupt)?;
                lines.push(line);
                records.push(record);
            }
            match self.conn.call(Job::Append {
                journal_id: self.journal_id.clone(),
                next: self.verifier.next_seq(),
                head: self.verifier.head().to_string(),
                lines,
            })? {
                Answer::Appended => {
                    self.verifier = verifier;
                    self.down_since = None;
                    return Ok(records);
                }
                Answer::Stale(newer) => {
                    if newer.is_empty() {
                        return Err(self.conn.error(&format!(
                            "the database's head is not seq {} (as read before) and no records \
                             follow it: the journal was changed behind flightdeck's back; run \
                             `flightdeck journal verify --journal URL`",
                            self.verifier.next_seq().saturating_sub(1)
                        )));
                    }
                    self.take(newer, true)?;
                    collisions += 1;
                    if collisions > 1_000 {
                        return Err(self.conn.error("lost the race for the head 1000 times"));
                    }
                }
                _ => unreachable!("Append answers Appended or Stale"),
            }
        }
    }

    /// Records other cockpits appended since the last call (or since open), in order. Reads
    /// the database when a notification announced a newer record, after a reconnection, or
    /// every [`POLL_EVERY`]. While the database cannot be read, the first call reports it and
    /// the next ones return nothing, retrying every few seconds.
    pub fn refresh(&mut self) -> io::Result<Vec<JournalRecord>> {
        let signals = &self.conn.signals;
        let elapsed = self.last_read.elapsed();
        let wanted = match self.down_since {
            Some(_) => elapsed >= RETRY_EVERY,
            None => {
                signals.dirty.swap(false, Ordering::SeqCst)
                    || signals.notified.load(Ordering::SeqCst) >= self.verifier.next_seq()
                    || elapsed >= POLL_EVERY
            }
        };
        if wanted {
            match self.catch_up(true) {
                Ok(()) => {
                    if self.down_since.take().is_some() {
                        tracing::info!("{}: reachable again", self.conn.target);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::InvalidData => return Err(e),
                Err(e) => {
                    self.last_read = Instant::now();
                    if self.down_since.is_none() {
                        self.down_since = Some(Instant::now());
                        return Err(e);
                    }
                }
            }
        }
        Ok(std::mem::take(&mut self.unseen))
    }

    /// Every record up to this handle's head, read back from the database and verified again.
    pub fn records(&self) -> io::Result<Vec<JournalRecord>> {
        let mut out = Vec::new();
        let end = self.verifier.next_seq();
        read_verified(&self.conn, &self.journal_id, None, |r| {
            if r.seq < end {
                out.push(r)
            }
        })
        .map_err(corrupt)?;
        Ok(out)
    }
}

fn line_of(record: &JournalRecord) -> String {
    let mut line = encode_line(record);
    line.pop();
    String::from_utf8(line).expect("journal lines are JSON, so UTF-8")
}

/// Streams every stored line of the journal, in seq order, through a fresh [`Verifier`]
/// (checking the rows' seqs against the lines' and the head row against the last record), and
/// passes each verified record to `each`.
fn read_verified(
    conn: &Connection,
    journal_id: &str,
    checkpoint: Option<(u64, String)>,
    mut each: impl FnMut(JournalRecord),
) -> Result<VerifyReport, VerifyError> {
    let mut verifier = Verifier::new();
    if let Some((seq, hash)) = checkpoint {
        verifier.expect_checkpoint(seq, hash);
    }
    let io_error = |e: io::Error, v: &Verifier| VerifyError {
        seq: v.next_seq(),
        offset: v.offset(),
        why: Problem::Io {
            message: e.to_string(),
        },
    };
    loop {
        let lines = match conn.call(Job::Fetch {
            journal_id: journal_id.to_string(),
            from: verifier.next_seq(),
            limit: PAGE,
        }) {
            Ok(Answer::Lines(lines)) => lines,
            Ok(_) => unreachable!("Fetch answers lines"),
            Err(e) => return Err(io_error(e, &verifier)),
        };
        let full = lines.len() as i64 == PAGE;
        for (seq, line) in lines {
            if seq != verifier.next_seq() {
                return Err(VerifyError {
                    seq: verifier.next_seq(),
                    offset: verifier.offset(),
                    why: Problem::Sequence { found: seq },
                });
            }
            let record = verifier.feed(line.as_bytes())?;
            each(record);
        }
        if !full {
            break;
        }
    }
    verifier.finish()
}

/// Verifies the journal in the database at `url` strictly, without changing it (like
/// [`crate::journal_store::verify_file_with`]): every record through the pure [`Verifier`],
/// the rows' seqs, the checkpoint reference if given; `each` sees every verified record.
pub fn verify_url_with(
    url: &str,
    checkpoint: Option<(u64, String)>,
    each: impl FnMut(JournalRecord),
) -> Result<VerifyReport, VerifyError> {
    let io_error = |e: io::Error| VerifyError {
        seq: 0,
        offset: 0,
        why: Problem::Io {
            message: e.to_string(),
        },
    };
    let (conn, journal_id) = connect_existing(url).map_err(io_error)?;
    // The head row, read first, names a record the lines must reach (rows deleted from the
    // end leave a chain that verifies on its own; the head row still says where it ended).
    let (head_seq, head_hash) = match conn.call(Job::Head {
        journal_id: journal_id.clone(),
    }) {
        Ok(Answer::Head(seq, hash)) => (seq, hash),
        Ok(_) => unreachable!("Head answers Head"),
        Err(e) => return Err(io_error(e)),
    };
    let mut each = each;
    let mut head_problem: Option<VerifyError> = None;
    let report = read_verified(&conn, &journal_id, checkpoint, |r| {
        if r.seq == head_seq && r.hash != head_hash && head_problem.is_none() {
            head_problem = Some(VerifyError {
                seq: r.seq,
                offset: 0,
                why: Problem::CheckpointMismatch {
                    found: r.hash.clone(),
                    expected: head_hash.clone(),
                },
            });
        }
        each(r)
    })?;
    if let Some(e) = head_problem {
        return Err(e);
    }
    if report.head_seq < head_seq {
        return Err(VerifyError {
            seq: report.head_seq + 1,
            offset: 0,
            why: Problem::Truncated {
                last: Some(report.head_seq),
                checkpoint: head_seq,
            },
        });
    }
    Ok(report)
}

/// Every record of the journal at `url`, verified (for `journal show`, `timeline`, `export`).
pub fn read_records_url(url: &str) -> io::Result<Vec<JournalRecord>> {
    let (conn, journal_id) = connect_existing(url)?;
    let mut out = Vec::new();
    read_verified(&conn, &journal_id, None, |r| out.push(r)).map_err(corrupt)?;
    Ok(out)
}

/// Connects and finds the database's journal without creating anything.
fn connect_existing(url: &str) -> io::Result<(Connection, String)> {
    let conn = Connection::start(url)?;
    match conn.call(Job::Find)? {
        Answer::Found(Some(id)) => Ok((conn, id)),
        Answer::Found(None) => Err(io::Error::new(
            io::ErrorKind::NotFound,
            conn.error(
                "the database holds no flightdeck journal (a cockpit or `flightdeck \
                        journal note` with this URL creates one)",
            )
            .to_string(),
        )),
        _ => unreachable!("Find answers Found"),
    }
}

// ---- either store -------------------------------------------------------------------------------

/// A durable journal shared with other cockpits: a file on this host (the default) or a
/// PostgreSQL database for a team. Live mode writes through this.
#[derive(Debug)]
pub enum JournalBackend {
    File(crate::journal_store::JournalFile),
    Pg(JournalPg),
}

impl JournalBackend {
    /// `postgres://…` or `postgresql://…` opens the database's journal; anything else is a
    /// file path.
    pub fn open(location: &str) -> io::Result<JournalBackend> {
        if is_url(location) {
            JournalPg::open(location).map(JournalBackend::Pg)
        } else {
            crate::journal_store::JournalFile::open(location).map(JournalBackend::File)
        }
    }

    /// Where the journal is (a path, or the URL with its password hidden).
    pub fn describe(&self) -> String {
        match self {
            JournalBackend::File(f) => f.path().display().to_string(),
            JournalBackend::Pg(p) => p.target().to_string(),
        }
    }

    /// Where the output of steps run from this cockpit is kept: beside a journal file; for a
    /// PostgreSQL journal, on this host, in the data directory (`pg-JOURNAL_ID.d/output/`: the
    /// execution records in the database name each object by its hash).
    pub fn output_store(&self) -> crate::outputs::OutputStore {
        match self {
            JournalBackend::File(f) => crate::outputs::OutputStore::beside(f.path()),
            JournalBackend::Pg(p) => match crate::paths::data_dir() {
                Some(dir) => {
                    crate::outputs::OutputStore::beside(&dir.join(format!("pg-{}", p.journal_id())))
                }
                None => crate::outputs::OutputStore::in_memory(),
            },
        }
    }

    pub fn journal_id(&self) -> &str {
        match self {
            JournalBackend::File(f) => f.journal_id(),
            JournalBackend::Pg(p) => p.journal_id(),
        }
    }

    pub fn len(&self) -> u64 {
        match self {
            JournalBackend::File(f) => f.len(),
            JournalBackend::Pg(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// See [`crate::journal_store::JournalFile::append`] and [`JournalPg::append`]: the record
    /// is durable when this returns.
    pub fn append(&mut self, entry: JournalEntry, ts: Timestamp) -> io::Result<JournalRecord> {
        match self {
            JournalBackend::File(f) => f.append(entry, ts),
            JournalBackend::Pg(p) => p.append(entry, ts),
        }
    }

    pub fn append_batch(
        &mut self,
        entries: impl IntoIterator<Item = JournalEntry>,
        ts: Timestamp,
    ) -> io::Result<Vec<JournalRecord>> {
        match self {
            JournalBackend::File(f) => f.append_batch(entries, ts),
            JournalBackend::Pg(p) => p.append_batch(entries, ts),
        }
    }

    pub fn checkpoint(
        &mut self,
        actor: &str,
        role: Role,
        ts: Timestamp,
    ) -> io::Result<JournalRecord> {
        match self {
            JournalBackend::File(f) => f.checkpoint(actor, role, ts),
            JournalBackend::Pg(p) => p.checkpoint(actor, role, ts),
        }
    }

    /// Records other cockpits appended since the last call.
    pub fn refresh(&mut self) -> io::Result<Vec<JournalRecord>> {
        match self {
            JournalBackend::File(f) => f.refresh(),
            JournalBackend::Pg(p) => p.refresh(),
        }
    }

    /// Every record up to this handle's head, read back and verified again.
    pub fn records(&self) -> io::Result<Vec<JournalRecord>> {
        match self {
            JournalBackend::File(f) => f.records(),
            JournalBackend::Pg(p) => p.records(),
        }
    }
}

impl From<crate::journal_store::JournalFile> for JournalBackend {
    fn from(f: crate::journal_store::JournalFile) -> Self {
        JournalBackend::File(f)
    }
}

impl From<JournalPg> for JournalBackend {
    fn from(p: JournalPg) -> Self {
        JournalBackend::Pg(p)
    }
}

/// Verifies the journal at `location` (a path or a `postgres://` URL) strictly, passing every
/// verified record to `each`.
pub fn verify_with(
    location: &Path,
    checkpoint: Option<(u64, String)>,
    each: impl FnMut(JournalRecord),
) -> Result<VerifyReport, VerifyError> {
    match location.to_str().filter(|s| is_url(s)) {
        Some(url) => verify_url_with(url, checkpoint, each),
        None => crate::journal_store::verify_file_with(location, checkpoint, each),
    }
}

/// Every record of the journal at `location` (a path or a `postgres://` URL).
pub fn read_records(location: &Path) -> io::Result<Vec<JournalRecord>> {
    match location.to_str().filter(|s| is_url(s)) {
        Some(url) => read_records_url(url),
        None => crate::journal_store::read_records(location),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_matches_like_libpq() {
        let text = "# comment\n\
                    db.example:5432:incidents:alice:s3cr\\:et\n\
                    *:*:*:bob:wild\n\
                    short:line\n\
                    127.0.0.1:6543:*:alice:local\n";
        assert_eq!(
            pgpass_lookup(text, "db.example", 5432, "incidents", "alice").as_deref(),
            Some("s3cr:et")
        );
        assert_eq!(
            pgpass_lookup(text, "anywhere", 1, "x", "bob").as_deref(),
            Some("wild")
        );
        assert_eq!(
            pgpass_lookup(text, "127.0.0.1", 6543, "other", "alice").as_deref(),
            Some("local")
        );
        assert_eq!(
            pgpass_lookup(text, "db.example", 5433, "incidents", "alice"),
            None
        );
    }

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            redact("postgres://alice:hunter2@db:5432/incidents?sslmode=require"),
            "postgres://alice:***@db:5432/incidents?sslmode=require"
        );
        assert_eq!(redact("postgres://alice@db/x"), "postgres://alice@db/x");
        assert!(is_url("postgresql://db/x") && !is_url("/var/lib/journal.jsonl"));
    }

    #[test]
    fn a_bad_url_says_how_to_write_one() {
        let e = connection_config("postgres://db:notaport/x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("postgres://USER@HOST:PORT/DATABASE"), "{e}");
    }
}
