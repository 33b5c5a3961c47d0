//! The automation mode the error budget puts the cockpit in (design brief §1).

use serde::{Deserialize, Serialize};

/// Ordered from most permissive to strictest: `Adaptive < Freeze < Redesign`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Healthy budget: learn, suggest, act after approval.
    Adaptive,
    /// Fast burn: only pre-audited steps, approved by the incident commander.
    Freeze,
    /// Budget exhausted: humans only, two approvers for any mitigation.
    Redesign,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Adaptive, Mode::Freeze, Mode::Redesign];

    pub fn label(self) -> &'static str {
        match self {
            Mode::Adaptive => "ADAPTIVE",
            Mode::Freeze => "FREEZE",
            Mode::Redesign => "REDESIGN",
        }
    }

    /// One step stricter (the drift overlay); Redesign stays Redesign.
    pub fn stricter(self) -> Mode {
        match self {
            Mode::Adaptive => Mode::Freeze,
            Mode::Freeze | Mode::Redesign => Mode::Redesign,
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Adaptive => "adaptive",
            Mode::Freeze => "freeze",
            Mode::Redesign => "redesign",
        })
    }
}
