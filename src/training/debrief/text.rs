//! The debrief as text.

use super::*;

pub(super) fn plus(offset_s: i64) -> String {
    format!("+{}", format_duration(SignedDuration::from_secs(offset_s)))
}

pub(super) fn pct(x: Option<f64>) -> String {
    x.map_or("–".to_string(), |v| format!("{:.1}%", v * 100.0))
}

pub(super) fn pp(x: Option<f64>) -> String {
    x.map_or("–".to_string(), |v| format!("{:.1} pp", v * 100.0))
}

/// What the debrief says when there is nothing of the person's to score.
pub const NOTHING_TO_SCORE: &str = "nothing to score: no decisions of yours in this replay yet \
     (approve, reject, note or write a hypothesis; the debrief compares them with the responders')";

impl Debrief {
    /// Whether the person decided anything the debrief can score.
    pub fn has_decisions(&self) -> bool {
        self.trainee.is_some()
    }

    /// The debrief in the middle of a drill: the trainee's own decisions, what the policy made
    /// of them and the budgets so far, and nothing of the responders' (no score either: it is
    /// a comparison with them). [`Debrief::to_text`] is the full scorecard.
    pub fn to_text_in_progress(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "Debrief so far — {} ({})", self.title, self.scenario);
        let _ = writeln!(
            o,
            "trainee {}   drill {}–{} (in progress)",
            self.trainee.as_deref().unwrap_or("(no decisions)"),
            clock_hms(self.start),
            clock_hms(self.until),
        );
        let _ = writeln!(
            o,
            "  The responders' decisions and your score stay hidden until the end of the drill."
        );
        let _ = writeln!(o, "\nYour decisions");
        if self.decisions.is_empty() {
            let _ = writeln!(o, "  none yet");
        }
        for d in &self.decisions {
            let _ = writeln!(o, "  {} {}", plus(d.offset_s), d.text);
        }
        let s = &self.safety;
        if !(s.refused.is_empty() && s.not_offered.is_empty() && s.unknown.is_empty()) {
            let _ = writeln!(o, "\nWhat the cockpit did not take");
        }
        findings(&mut o, "refused    ", &s.refused);
        not_offered(&mut o, &s.not_offered);
        findings(&mut o, "unknown step", &s.unknown);
        let _ = writeln!(o, "\nError budget so far");
        for slo in &self.budget.slos {
            let _ = writeln!(
                o,
                "  {:<28} start {:>7}   now {:>7}",
                slo.slo,
                pct(slo.at_start),
                pct(slo.at_until)
            );
        }
        o
    }

    /// The human scorecard (TUI overlay and `replay --headless`): the header, then one
    /// section a score.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "Debrief — {} ({})", self.title, self.scenario);
        let _ = writeln!(
            o,
            "trainee {}   drill {}–{}   score {}/100 ({})",
            self.trainee.as_deref().unwrap_or("(no decisions)"),
            clock_hms(self.start),
            clock_hms(self.until),
            self.score,
            self.grade
        );
        self.diagnostic_text(&mut o);
        self.mitigation_text(&mut o);
        self.safety_text(&mut o);
        self.budget_text(&mut o);
        self.hypotheses_text(&mut o);
        o
    }

    fn diagnostic_text(&self, o: &mut String) {
        let d = &self.diagnostic;
        let _ = writeln!(o, "\nFirst useful diagnostic   {:>2}/20", d.points);
        match &d.trainee {
            Some(m) => {
                let _ = writeln!(
                    o,
                    "  you        {} {} ({})",
                    plus(m.offset_s),
                    m.step,
                    m.why.as_deref().unwrap_or("")
                );
            }
            None => {
                let _ = writeln!(
                    o,
                    "  you        none ({} diagnostic(s) approved, none the responders needed)",
                    d.approved
                );
            }
        }
        match &d.reference {
            Some(m) => {
                let _ = writeln!(o, "  responders {} {} ({})", plus(m.offset_s), m.step, m.by);
            }
            None => {
                let _ = writeln!(
                    o,
                    "  responders ran no runbook diagnostic: nothing to match"
                );
            }
        }
    }

    fn mitigation_text(&self, o: &mut String) {
        let m = &self.mitigation;
        let _ = writeln!(o, "\nMitigation                {:>2}/40", m.points);
        let _ = writeln!(o, "  {}", m.verdict);
        if let Some(r) = &m.reference {
            let exec = m
                .reference_executed
                .as_ref()
                .map(|e| format!(", ran {} by {}", plus(e.offset_s), e.by))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  responders approved {} {} ({}){exec}",
                r.step,
                plus(r.offset_s),
                r.by
            );
        }
        for w in &m.wrong {
            let why = w
                .why
                .as_deref()
                .map(|w| format!(" {w}"))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  you also approved {} {}{why}",
                w.step,
                plus(w.offset_s)
            );
        }
    }

    fn safety_text(&self, o: &mut String) {
        let s = &self.safety;
        let _ = writeln!(o, "\nSafety                    {:>2}/20", s.points);
        if s.refused.is_empty()
            && s.unnecessary.is_empty()
            && s.not_offered.is_empty()
            && s.unknown.is_empty()
        {
            let _ = writeln!(o, "  no refused or unnecessary steps");
        }
        findings(o, "refused    ", &s.refused);
        findings(o, "unneeded   ", &s.unnecessary);
        not_offered(o, &s.not_offered);
        findings(o, "unknown step", &s.unknown);
        findings(o, "rejected   ", &s.rejections);
    }

    fn budget_text(&self, o: &mut String) {
        let b = &self.budget;
        let _ = writeln!(o, "\nError budget burned       {:>2}/10", b.points);
        let _ = writeln!(
            o,
            "  you: until {} ({})   responders: until {}",
            clock_hms(b.trainee_at),
            match (b.trainee_mitigated, &b.trainee_held) {
                (true, None) => "your mitigation",
                (true, Some(_)) => "your mitigation, once the commander approved it",
                (false, Some(_)) => "end of drill: your mitigation never ran",
                (false, None) => "end of drill, not mitigated",
            },
            clock_hms(b.reference_at)
        );
        if let Some(held) = &b.trainee_held {
            let _ = writeln!(o, "  your mitigation {held}");
        }
        for slo in &b.slos {
            let _ = writeln!(
                o,
                "  {:<28} start {:>7}   you {:>9}{}   responders {:>9}",
                slo.slo,
                pct(slo.at_start),
                pp(slo.trainee_burned),
                if slo.estimated { "*" } else { " " },
                pp(slo.reference_burned)
            );
        }
        if b.slos.iter().any(|s| s.estimated) {
            let _ = writeln!(
                o,
                "  * estimated: your extra time charged at the burn rate the responders' fix stopped"
            );
        }
    }

    fn hypotheses_text(&self, o: &mut String) {
        let h = &self.hypotheses;
        let _ = writeln!(o, "\nHypotheses                {:>2}/10", h.points);
        if h.trainee.is_empty() {
            let _ = writeln!(o, "  you noted none");
        }
        for t in &h.trainee {
            let _ = writeln!(o, "  you        {} {}", plus(t.offset_s), t.text);
        }
        for t in &h.reference {
            let _ = writeln!(o, "  {:<10} {} {}", t.by, plus(t.offset_s), t.text);
        }
    }
}

/// Safety findings with their reasons, one line each: `  LABEL +TIME STEP: REASON`.
fn findings(o: &mut String, label: &str, found: &[Finding]) {
    for f in found {
        let _ = writeln!(o, "  {label} {} {}: {}", plus(f.offset_s), f.step, f.reason);
    }
}

/// Steps the script named that were not on offer: `  not offered +TIME STEP`.
fn not_offered(o: &mut String, found: &[Finding]) {
    for f in found {
        let _ = writeln!(o, "  not offered {} {}", plus(f.offset_s), f.step);
    }
}
