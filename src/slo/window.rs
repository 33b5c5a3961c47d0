//! The burn-rate windows every SLO is evaluated over, and the Workbook's multiwindow,
//! multi-burn-rate rules expressed as budget fractions.

use serde::{Deserialize, Serialize};

use crate::time::SignedDuration;

/// A lookback window. `Slo` is the SLO's own rolling period (e.g. 30 days).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Window {
    #[serde(rename = "5m")]
    M5,
    #[serde(rename = "30m")]
    M30,
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "2h")]
    H2,
    #[serde(rename = "6h")]
    H6,
    #[serde(rename = "1d")]
    D1,
    #[serde(rename = "3d")]
    D3,
    #[serde(rename = "slo")]
    Slo,
}

impl Window {
    /// The fixed windows, shortest first.
    pub const FAST: [Window; 7] = [
        Window::M5,
        Window::M30,
        Window::H1,
        Window::H2,
        Window::H6,
        Window::D1,
        Window::D3,
    ];

    /// Every window, `Slo` last.
    pub const ALL: [Window; 8] = [
        Window::M5,
        Window::M30,
        Window::H1,
        Window::H2,
        Window::H6,
        Window::D1,
        Window::D3,
        Window::Slo,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Window::M5 => "5m",
            Window::M30 => "30m",
            Window::H1 => "1h",
            Window::H2 => "2h",
            Window::H6 => "6h",
            Window::D1 => "1d",
            Window::D3 => "3d",
            Window::Slo => "slo",
        }
    }

    /// Length in seconds of a fixed window; `None` for `Slo`.
    pub fn fixed_secs(self) -> Option<i64> {
        Some(match self {
            Window::M5 => 300,
            Window::M30 => 1_800,
            Window::H1 => 3_600,
            Window::H2 => 7_200,
            Window::H6 => 21_600,
            Window::D1 => 86_400,
            Window::D3 => 259_200,
            Window::Slo => return None,
        })
    }

    /// Length of this window for an SLO whose period is `slo_window`.
    pub fn duration(self, slo_window: SignedDuration) -> SignedDuration {
        match self.fixed_secs() {
            Some(s) => SignedDuration::from_secs(s),
            None => slo_window,
        }
    }

    /// Parses a label (`"5m"`, …, `"slo"`).
    pub fn from_label(label: &str) -> Option<Window> {
        Window::ALL.into_iter().find(|w| w.label() == label)
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// How urgent a firing burn-rate condition is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BurnSeverity {
    Page,
    Ticket,
}

impl BurnSeverity {
    pub fn label(self) -> &'static str {
        match self {
            BurnSeverity::Page => "page",
            BurnSeverity::Ticket => "ticket",
        }
    }
}

impl std::fmt::Display for BurnSeverity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One multiwindow rule: fires when both windows burn faster than the rate that would consume
/// `budget_fraction` of the SLO period's budget within the long window.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BurnRule {
    pub severity: BurnSeverity,
    pub long: Window,
    pub short: Window,
    pub budget_fraction: f64,
}

impl BurnRule {
    /// `fraction × period ÷ long window`: 14.4 for 2% of a 30-day budget in 1 hour.
    pub fn threshold(&self, slo_window: SignedDuration) -> f64 {
        let period = slo_window.as_secs_f64();
        let long = self.long.duration(slo_window).as_secs_f64();
        // period / long first: 2592000 / 3600 is exactly 720, and 0.02 × 720 rounds to 14.4.
        self.budget_fraction * (period / long)
    }
}

/// The SRE Workbook's recommended rules (chapter "Alerting on SLOs", table 5-8 and rule text):
/// page at 2% of budget in 1h (short 5m) and 5% in 6h (short 30m); ticket at 10% in 1d
/// (short 2h) and 10% in 3d (short 6h). For a 30-day period: 14.4, 6, 3, 1.
pub const WORKBOOK_RULES: [BurnRule; 4] = [
    BurnRule {
        severity: BurnSeverity::Page,
        long: Window::H1,
        short: Window::M5,
        budget_fraction: 0.02,
    },
    BurnRule {
        severity: BurnSeverity::Page,
        long: Window::H6,
        short: Window::M30,
        budget_fraction: 0.05,
    },
    BurnRule {
        severity: BurnSeverity::Ticket,
        long: Window::D1,
        short: Window::H2,
        budget_fraction: 0.10,
    },
    BurnRule {
        severity: BurnSeverity::Ticket,
        long: Window::D3,
        short: Window::H6,
        budget_fraction: 0.10,
    },
];

/// Relative tolerance of the strict `>` comparisons: a burn rate equal to its threshold in exact
/// arithmetic must not fire because of binary rounding (`100 − 99.9 ≠ 0.1` in f64).
pub const COMPARE_EPSILON: f64 = 1e-9;

/// `value > threshold`, strictly, ignoring differences below [`COMPARE_EPSILON`] (relative).
pub fn exceeds(value: f64, threshold: f64) -> bool {
    value > threshold + COMPARE_EPSILON * threshold.abs().max(1.0)
}
