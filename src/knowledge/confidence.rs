//! How far a match can be trusted: a calibrated 0–1 value per match ([`calibrate`]) and its
//! level ([`Confidence`]: high, medium, low).
//!
//! The raw content score (normalised BM25F with the matching factors and cuts, in [0, 1]) only
//! means something relative to the floors the evaluation placed: the "good" floor (the
//! match's own: [`super::MatchParams::good_match`], or [`super::MatchParams::cut_good_match`]
//! for a runbook named after another problem, kind, resource or component) and the strong line
//! ([`super::MatchParams::high_match`]). The calibrated value is piecewise-linear in the raw
//! score through those points:
//!
//! | raw content score | calibrated |
//! |---|---|
//! | 0 | 0.00 |
//! | the match's good floor | [`MEDIUM_FROM`] = 0.60 |
//! | the strong line | [`HIGH_FROM`] = 0.85 |
//! | 1 | 1.00 |
//!
//! so that 0.60 means "just good enough to offer steps" whatever the floor was, and the level
//! is read off the value: low below 0.60 (no good match: no steps offered, the cluster is
//! novel), medium from 0.60, high from 0.85. An explicit link (alert name, file name,
//! `runbook_url`, service) is 1.00, high.

use serde::{Deserialize, Serialize};

/// The calibrated value of a match just at its good floor: medium from here.
pub const MEDIUM_FROM: f64 = 0.60;
/// The calibrated value of a match at the strong line: high from here.
pub const HIGH_FROM: f64 = 0.85;

/// How far a match can be trusted. Low is "no good match": matching abstains, no steps are
/// offered from it, and a cluster whose matches are all low is novel (human judgment).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    #[default]
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// The level of a calibrated value.
    pub fn of(value: f64) -> Confidence {
        if value >= HIGH_FROM {
            Confidence::High
        } else if value >= MEDIUM_FROM {
            Confidence::Medium
        } else {
            Confidence::Low
        }
    }
}

/// The calibrated 0–1 value of a match: 1 when explicitly linked, else its raw content score
/// mapped piecewise-linearly through (0, 0), (`floor`, 0.60), (`strong`, 0.85), (1, 1). A
/// strong line at or below the floor counts as just above it; floors outside (0, 1) are
/// clamped, so any parameters give a value in [0, 1] that rises with the score.
pub fn calibrate(content: f64, linked: bool, floor: f64, strong: f64) -> f64 {
    if linked {
        return 1.0;
    }
    let x = if content.is_nan() {
        0.0
    } else {
        content.clamp(0.0, 1.0)
    };
    let sane = |v: f64, lo: f64, hi: f64| if v.is_nan() { hi } else { v.max(lo).min(hi) };
    let floor = sane(floor, 1e-6, 0.999);
    let strong = sane(strong, floor + 1e-6, 0.9999);
    let along = |x: f64, x0: f64, x1: f64, y0: f64, y1: f64| y0 + (x - x0) / (x1 - x0) * (y1 - y0);
    if x < floor {
        along(x, 0.0, floor, 0.0, MEDIUM_FROM)
    } else if x < strong {
        along(x, floor, strong, MEDIUM_FROM, HIGH_FROM)
    } else {
        along(x, strong, 1.0, HIGH_FROM, 1.0)
    }
    .clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_floors_map_to_the_levels() {
        assert_eq!(calibrate(0.16, false, 0.16, 0.6), MEDIUM_FROM);
        assert_eq!(calibrate(0.24, false, 0.24, 0.6), MEDIUM_FROM);
        assert!((calibrate(0.6, false, 0.16, 0.6) - HIGH_FROM).abs() < 1e-12);
        assert_eq!(calibrate(0.0, false, 0.16, 0.6), 0.0);
        assert_eq!(calibrate(1.0, false, 0.16, 0.6), 1.0);
        assert_eq!(calibrate(0.01, true, 0.16, 0.6), 1.0);
        // Half-way to the floor is half-way to 0.60.
        assert!((calibrate(0.08, false, 0.16, 0.6) - 0.30).abs() < 1e-12);
        assert_eq!(
            Confidence::of(calibrate(0.159, false, 0.16, 0.6)),
            Confidence::Low
        );
        assert_eq!(
            Confidence::of(calibrate(0.16, false, 0.16, 0.6)),
            Confidence::Medium
        );
        assert_eq!(
            Confidence::of(calibrate(0.6, false, 0.16, 0.6)),
            Confidence::High
        );
        // Nonsense parameters give a value in range, never a panic.
        for (f, h) in [
            (f64::NAN, 0.6),
            (0.16, f64::NAN),
            (2.0, -1.0),
            (1.0, 1.0),
            (0.0, 0.0),
        ] {
            let v = calibrate(0.5, false, f, h);
            assert!((0.0..=1.0).contains(&v), "{f} {h} -> {v}");
        }
    }

    proptest! {
        #[test]
        fn in_range_monotone_and_level_agrees_with_the_floor(
            a in -0.5f64..1.5, b in -0.5f64..1.5, floor in -0.5f64..1.5, strong in -0.5f64..1.5,
        ) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let (vlo, vhi) = (calibrate(lo, false, floor, strong), calibrate(hi, false, floor, strong));
            prop_assert!((0.0..=1.0).contains(&vlo) && (0.0..=1.0).contains(&vhi));
            prop_assert!(vlo <= vhi + 1e-12, "{lo} -> {vlo}, {hi} -> {vhi}");
            // Within the ordinary range the level is exactly "at least the floor".
            if (1e-6..0.999).contains(&floor) && (0.0..=1.0).contains(&a) {
                let medium = calibrate(a, false, floor, strong) >= MEDIUM_FROM - 1e-12;
                prop_assert_eq!(medium, a >= floor);
            }
        }
    }
}
