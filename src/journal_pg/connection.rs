//! The connection thread: one PostgreSQL connection on a current-thread runtime of its own,
//! serving the synchronous handles' jobs (find, create, append, fetch) and forwarding
//! `NOTIFY`s; TLS as libpq's `sslmode=prefer`/`require`.

use super::*;

/// What the connection thread does for a handle.
pub(super) enum Job {
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

pub(super) enum Answer {
    Found(Option<String>),
    Head(u64, String),
    JournalId(String),
    Lines(Vec<(u64, String)>),
    Appended,
    /// Someone else appended first: these are the records after the expected head.
    Stale(Vec<(u64, String)>),
}

pub(super) type Reply = std::sync::mpsc::SyncSender<Result<Answer, PgError>>;

/// Why the connection thread could not do a job (the handle adds the journal's URL).
#[derive(Debug, thiserror::Error)]
pub(super) enum PgError {
    /// The server's message, or the driver's with its cause ([`describe_error`]).
    #[error("{0}")]
    Server(String),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no answer within {}s", .0.as_secs())]
    Timeout(Duration),
    #[error("the database holds {0} journals; flightdeck uses one per database or schema")]
    ManyJournals(usize),
    /// Met while creating the journal: which ids, and how to point elsewhere.
    #[error(
        "the database holds {} journals ({}); flightdeck uses one journal per \
         database or schema: point the URL at another database, or at another \
         schema with ?options=-csearch_path%3DNAME",
        .0.len(),
        .0.join(", ")
    )]
    ManyJournalsHere(Vec<String>),
    #[error("journal {0} is not in this database")]
    NotHere(String),
    /// A stored line that is not a record.
    #[error("{0}")]
    Record(#[from] serde_json::Error),
}

fn server(e: tokio_postgres::Error) -> PgError {
    PgError::Server(describe_error(&e))
}

/// Change signals from the connection thread.
#[derive(Default)]
pub(super) struct Signals {
    /// The highest seq a notification announced.
    pub(super) notified: AtomicU64,
    /// A connection was (re)made or lost: notifications may have been missed.
    pub(super) dirty: AtomicBool,
}

pub(super) struct Connection {
    pub(super) jobs: tokio::sync::mpsc::UnboundedSender<(Job, Reply)>,
    pub(super) signals: Arc<Signals>,
    /// The URL without its password, for messages.
    pub(super) target: String,
}

impl Connection {
    pub(super) fn start(url: &str) -> io::Result<Connection> {
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
    pub(super) fn call(&self, job: Job) -> io::Result<Answer> {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.jobs
            .send((job, reply))
            .map_err(|_| self.error("the connection thread is gone"))?;
        match answer.recv_timeout(OP_TIMEOUT + CONNECT_TIMEOUT + Duration::from_secs(1)) {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(e)) => Err(self.error(&e.to_string())),
            Err(_) => Err(self.error(&format!(
                "no answer within {}s",
                (OP_TIMEOUT + CONNECT_TIMEOUT).as_secs()
            ))),
        }
    }

    pub(super) fn error(&self, why: &str) -> io::Error {
        io::Error::other(format!("PostgreSQL journal {}: {why}", self.target))
    }
}

/// TLS as libpq's `sslmode=prefer` and `require` do it: the connection is encrypted, the
/// server's certificate is not checked against a CA (Debian's default cluster serves its
/// self-signed "snakeoil" certificate). The handshake's signatures are still verified.
pub(super) fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
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
pub(super) struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

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
pub(super) async fn connect(
    config: &tokio_postgres::Config,
    signals: &Arc<Signals>,
) -> Result<Client, PgError> {
    let describe = |e: tokio_postgres::Error| PgError::Connect(describe_error(&e));
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

pub(super) fn spawn_connection<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    signals: Arc<Signals>,
) where
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
pub(super) fn describe_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

pub(super) async fn serve(
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
                    let _ = reply.send(Err(e));
                    continue;
                }
            }
        }
        let c = client.as_mut().expect("connected above");
        let answer = match tokio::time::timeout(OP_TIMEOUT, run(c, job)).await {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(PgError::Timeout(OP_TIMEOUT)),
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

pub(super) async fn fetch(
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

pub(super) async fn run(client: &mut Client, job: Job) -> Result<Answer, PgError> {
    let d = server;
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
                many => Err(PgError::ManyJournals(many.len())),
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
                    let hash = serde_json::from_str::<JournalRecord>(&line)?.hash;
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
                many => return Err(PgError::ManyJournalsHere(many.to_vec())),
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
                .ok_or_else(|| PgError::NotHere(journal_id.clone()))?;
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
            let last_hash =
                serde_json::from_str::<JournalRecord>(lines.last().expect("lines"))?.hash;
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
