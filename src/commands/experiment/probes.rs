//! The live cockpit's reading of the experiments' Prometheus steady-state probes, off the
//! render path: while the experiments view is open, the runtime asks ([`ProbeReader::want`],
//! from `Session::load`) for the probe queries of its files; at most every [`EVERY`], one task
//! reads them all from the config's Prometheus, as `experiment run` reads them (one number
//! each), and the readings come back as a message (`Msg::ProbeReadings`). The view then shows
//! each probe's value against its tolerance, and the gate counts them.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::sources::prometheus::PrometheusClient;
use crate::time::Timestamp;

/// How often the probes are read while the view is open.
pub const EVERY: Duration = Duration::from_secs(5);

/// One read of the probe queries: each query's value or why none, and when.
pub type Read = (Vec<(String, Result<f64, String>)>, Timestamp);

pub struct ProbeReader {
    client: Option<PrometheusClient>,
    tx: mpsc::Sender<Read>,
    rx: mpsc::Receiver<Read>,
    /// When the last read started (one at a time, at most every [`EVERY`]).
    last: Option<Instant>,
}

impl ProbeReader {
    /// A reader on the config's `[prometheus]` (without one, the probes stay not read).
    pub fn new(config: &crate::config::Config) -> ProbeReader {
        let client = config
            .prometheus
            .as_ref()
            .and_then(|p| PrometheusClient::new(p.url.clone(), p.timeout).ok());
        let (tx, rx) = mpsc::channel(2);
        ProbeReader {
            client,
            tx,
            rx,
            last: None,
        }
    }

    /// The view wants `queries` read: a task reads them unless a read started less than
    /// [`EVERY`] ago. Returns at once.
    pub fn want(&mut self, queries: Vec<String>) {
        let Some(client) = self.client.clone() else {
            return;
        };
        if queries.is_empty() || self.last.is_some_and(|t| t.elapsed() < EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let at = Timestamp::now();
            let mut out = Vec::with_capacity(queries.len());
            for q in queries {
                let v = super::read_one(Some(&client), &q, at)
                    .await
                    .map_err(|e| e.to_string());
                out.push((q, v));
            }
            // Full (the loop has not taken the last one yet): this one is dropped.
            let _ = tx.try_send((out, at));
        });
    }

    /// The next read, when it is done (cancel-safe).
    pub async fn recv(&mut self) -> Option<Read> {
        self.rx.recv().await
    }
}
