//! Live sources: the Prometheus poller (SLI counters → `Event::Sample`), the Alertmanager
//! poller (alerts → `Event::Alert`, resolve by absence, silences) and the webhook receiver
//! (Alertmanager notifications → `Event::Alert`), each with its health.
//!
//! Sources never touch the cockpit: they are tokio tasks started by the live loop
//! (`crate::live`), and talk to it only through one bounded channel of [`SourceMsg`]. Every
//! request has a timeout; failures back off exponentially with jitter.

pub mod alertmanager;
pub mod health;
pub mod prometheus;
pub mod sli;
pub mod webhook;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::task::JoinHandle;

pub use alertmanager::{AlertmanagerClient, AlertmanagerSettings, AmError, Matcher, matchers_for};
pub use health::{Backoff, Health};
pub use prometheus::{PromError, PrometheusClient, PrometheusSettings, SloTarget};
pub use sli::{NoLiveQuery, SliMode, SliQuery};
pub use webhook::{StatsSnapshot, WebhookServer, WebhookSettings};

use crate::cockpit::Event;
use crate::time::Timestamp;

/// Messages in the source → live loop channel.
pub const CHANNEL_CAPACITY: usize = 1024;

/// Where events came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    Prometheus,
    Alertmanager,
    Webhook,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Prometheus => "prometheus",
            Origin::Alertmanager => "alertmanager",
            Origin::Webhook => "webhook",
        }
    }
}

/// What a source sends to the live loop.
#[derive(Debug)]
pub enum SourceMsg {
    /// Events with the time they happened, in order.
    Events {
        origin: Origin,
        events: Vec<(Timestamp, Event)>,
        /// Held until the events are applied (bounds the webhook's queue).
        permit: Option<OwnedSemaphorePermit>,
    },
    /// The source's health after its last attempt.
    Health(Health),
}

/// An HTTP client could not be built (the TLS backend or the system's configuration).
#[derive(Debug, thiserror::Error)]
#[error("cannot build an HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// An HTTP client with a request timeout and a shorter connect timeout.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, ClientError> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("flightdeck/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Which sources to run.
#[derive(Debug, Clone, Default)]
pub struct SourceSet {
    pub prometheus: Option<(PrometheusSettings, Vec<SloTarget>)>,
    pub alertmanager: Option<AlertmanagerSettings>,
    pub webhook: Option<WebhookSettings>,
}

/// The running source tasks; dropping this stops them.
pub struct Sources {
    tasks: Vec<JoinHandle<()>>,
    webhook: Option<WebhookServer>,
    alertmanager: Option<AlertmanagerClient>,
    initial: Vec<Health>,
}

impl Sources {
    /// Starts every configured source. A source that cannot start (the webhook's port is
    /// taken, say) does not stop the others: it shows as down with the reason.
    pub async fn start(set: SourceSet, tx: mpsc::Sender<SourceMsg>) -> Sources {
        let mut s = Sources {
            tasks: Vec::new(),
            webhook: None,
            alertmanager: None,
            initial: Vec::new(),
        };
        let now = Timestamp::now();
        if let Some((settings, targets)) = set.prometheus {
            let mut h = Health::new("prometheus", Some(settings.interval));
            match prometheus::PrometheusSource::new(settings, targets) {
                Ok(p) => {
                    s.tasks.push(tokio::spawn(p.run(tx.clone())));
                }
                Err(e) => h.failed(now, e.to_string()),
            }
            s.initial.push(h);
        }
        if let Some(settings) = set.alertmanager {
            let mut h = Health::new("alertmanager", Some(settings.interval));
            match alertmanager::AlertmanagerSource::new(settings) {
                Ok(a) => {
                    s.alertmanager = Some(a.client().clone());
                    s.tasks.push(tokio::spawn(a.run(tx.clone())));
                }
                Err(e) => h.failed(now, e.to_string()),
            }
            s.initial.push(h);
        }
        if let Some(settings) = set.webhook {
            let mut h = Health::new("webhook", None);
            match webhook::bind(&settings, tx.clone()).await {
                Ok(server) => {
                    // Listening is not delivering: `last_ok` waits for the first notification.
                    tracing::info!("webhook receiver listening on {}", server.addr());
                    s.webhook = Some(server);
                }
                Err(e) => {
                    tracing::error!("{e}");
                    h.failed(now, e.to_string());
                }
            }
            s.initial.push(h);
        }
        s
    }

    /// The health of each source right after start (before any poll).
    pub fn initial_health(&self) -> &[Health] {
        &self.initial
    }

    /// The webhook receiver's bound address.
    pub fn webhook_addr(&self) -> Option<SocketAddr> {
        self.webhook.as_ref().map(WebhookServer::addr)
    }

    pub fn webhook_stats(&self) -> Option<StatsSnapshot> {
        self.webhook.as_ref().map(|w| w.stats().snapshot())
    }

    /// The Alertmanager client (silences).
    pub fn alertmanager(&self) -> Option<&AlertmanagerClient> {
        self.alertmanager.as_ref()
    }
}

impl Drop for Sources {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
