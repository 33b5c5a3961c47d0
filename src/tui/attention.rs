//! Attention (issue 20.7): when the governor's mode changes or a critical cluster is seen for
//! the first time, the terminal bell rings once (unless `[ui] bell = false`) and the header's
//! mode badge flashes for about two seconds. Decided here, in pure code, by comparing what the
//! cockpit shows with what the previous frame showed; the runtime only writes the BEL
//! ([`super::Command::Bell`]).

use std::collections::BTreeSet;

use crate::alerts::{ClusterId, Severity};
use crate::cockpit::Cockpit;
use crate::slo::Mode;

/// How many frames the header flashes (the runtime draws a frame every 100 ms while it does).
pub const FLASH_FRAMES: u8 = 20;

#[derive(Debug, Clone, Default)]
pub struct Attention {
    /// Ring the terminal bell (`[ui] bell`, default true).
    pub bell: bool,
    /// The cockpit revision last looked at (nothing to compare while it has not moved).
    revision: Option<u64>,
    /// The mode the last frame showed (`None` before the first frame: start-up is no change).
    mode: Option<Mode>,
    /// Every cluster seen critical so far: a cluster rings the first time only.
    critical: BTreeSet<ClusterId>,
    /// Frames the header still flashes.
    flash: u8,
}

impl Attention {
    pub fn new(bell: bool) -> Attention {
        Attention {
            bell,
            ..Attention::default()
        }
    }

    /// Looks at the cockpit before a frame: `true` when the bell is to ring.
    pub fn observe(&mut self, view: &Cockpit) -> bool {
        if self.revision == Some(view.revision()) {
            return false;
        }
        self.revision = Some(view.revision());
        let critical = view
            .clusters()
            .iter()
            .filter(|c| c.severity == Severity::Critical)
            .map(|c| c.id);
        self.saw(view.mode(), critical)
    }

    /// The decision itself: the mode and the clusters that are critical now, against what was
    /// seen before. Starts the flash and answers whether to ring.
    pub fn saw(&mut self, mode: Mode, critical: impl IntoIterator<Item = ClusterId>) -> bool {
        let first = self.mode.is_none();
        let mode_changed = self.mode.is_some_and(|m| m != mode);
        self.mode = Some(mode);
        let mut new_critical = false;
        for id in critical {
            new_critical |= self.critical.insert(id);
        }
        // What is there at start-up was there before this cockpit: no alarm for it.
        let attention = !first && (mode_changed || new_critical);
        if attention {
            self.flash = FLASH_FRAMES;
        }
        attention && self.bell
    }

    /// One frame passed.
    pub fn frame(&mut self) {
        self.flash = self.flash.saturating_sub(1);
    }

    /// Is the header flashing (the mode badge's style changes)?
    pub fn flashing(&self) -> bool {
        self.flash > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mode_change_rings_once_and_flashes_for_a_while() {
        let mut a = Attention::new(true);
        assert!(!a.saw(Mode::Adaptive, []), "start-up is no change");
        assert!(!a.flashing());
        assert!(a.saw(Mode::Freeze, []), "the mode changed");
        assert!(a.flashing());
        assert!(!a.saw(Mode::Freeze, []), "no change, no bell");
        for _ in 0..FLASH_FRAMES {
            assert!(a.flashing());
            a.frame();
        }
        assert!(!a.flashing(), "the flash ends");
    }

    #[test]
    fn a_new_critical_cluster_rings_the_first_time_only() {
        let mut a = Attention::new(true);
        assert!(!a.saw(Mode::Adaptive, [ClusterId(1)]));
        assert!(!a.saw(Mode::Adaptive, [ClusterId(1)]), "known at start-up");
        assert!(a.saw(Mode::Adaptive, [ClusterId(1), ClusterId(2)]));
        assert!(!a.saw(Mode::Adaptive, [ClusterId(2)]));
        assert!(
            !a.saw(Mode::Adaptive, []),
            "one that calmed down is no news"
        );
        assert!(
            !a.saw(Mode::Adaptive, [ClusterId(1)]),
            "critical again: seen before"
        );
    }

    #[test]
    fn bell_off_flashes_without_ringing() {
        let mut a = Attention::new(false);
        assert!(!a.saw(Mode::Adaptive, []));
        assert!(!a.saw(Mode::Redesign, [ClusterId(3)]));
        assert!(a.flashing(), "the flash still says it");
    }
}
