//! What a replayed drill does as its clock runs, decided without the clock: `--guided` drills
//! stop at each moment the real responders decided something and ask; a trainee's drill pauses
//! at the scenario's end and opens the debrief by itself, once. The runtime reads the virtual
//! clock and carries out the [`Step`] a [`Guide`] returns; the decision is pure and tested here.

use crate::time::Timestamp;

use super::Scenario;

/// Where a replay's clock is going, and what to do on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guide {
    /// Every decision point of the scenario, in order (empty unless guided).
    points: Vec<Timestamp>,
    /// The first of `points` still ahead.
    next: usize,
    /// The debrief opens by itself at the end (trainee drills).
    debrief_at_end: bool,
    /// It has.
    debriefed: bool,
    end: Timestamp,
}

/// What one pass of the clock comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The virtual time the session advances to.
    pub at: Timestamp,
    /// Pause the clock at `at` (a decision point, or the end).
    pub pause: bool,
    /// A decision point was reached: the person is asked what they would do.
    pub decision_point: Option<Timestamp>,
    /// Open the debrief (the end of a trainee's drill, once).
    pub debrief: bool,
}

impl Step {
    /// What the status line says at a decision point.
    pub fn message(&self) -> Option<String> {
        self.decision_point.map(|point| {
            format!(
                "decision point at {}: the responders decided something here. What would you do? (space resumes)",
                crate::time::clock_hms(point)
            )
        })
    }
}

impl Guide {
    /// `guided`: stop at the scenario's decision points; `trainee`: open the debrief at the end.
    pub fn new(scenario: &Scenario, guided: bool, trainee: bool) -> Self {
        let points = if guided {
            super::decision_times(scenario)
        } else {
            Vec::new()
        };
        Guide {
            points,
            next: 0,
            debrief_at_end: trainee,
            debriefed: false,
            end: scenario.end(),
        }
    }

    /// The decision points still ahead.
    pub fn stops_ahead(&self) -> &[Timestamp] {
        &self.points[self.next.min(self.points.len())..]
    }

    /// The clock reads `now` (`paused` or running): where the session goes, and whether the
    /// clock stops there. A running clock stops at the first decision point it has passed
    /// (once each), and at the end; a paused one stays where it is.
    pub fn advance(&mut self, now: Timestamp, paused: bool) -> Step {
        let mut step = Step {
            at: now,
            pause: false,
            decision_point: None,
            debrief: false,
        };
        if paused {
            step.at = now.min(self.end);
            return step;
        }
        if let Some(&point) = self.points.get(self.next)
            && now >= point
        {
            self.next += 1;
            step.at = point;
            step.pause = true;
            step.decision_point = Some(point);
        }
        if !step.pause && now >= self.end {
            step.at = self.end;
            step.pause = true;
            if self.debrief_at_end && !self.debriefed {
                self.debriefed = true;
                step.debrief = true;
            }
        }
        step.at = step.at.min(self.end);
        step
    }

    /// The clock jumped to `to`: the decision points after it are ahead again.
    pub fn seeked(&mut self, to: Timestamp) {
        self.next = self.points.iter().take_while(|t| **t <= to).count();
    }
}

/// What the cockpit says when asked for a debrief of a scenario without reference decisions.
pub const NO_REFERENCE: &str =
    "this scenario records no reference decisions: there is nothing to score against";

/// The debrief at `at` (`R`, and by itself at the end of a trainee's drill): the decisions in
/// `records` scored against `scenario`'s reference ones. `Err` when the scenario has none.
pub fn debrief_at(
    scenario: &Scenario,
    knowledge: &crate::knowledge::KnowledgeBase,
    records: &[crate::journal::JournalRecord],
    at: Timestamp,
) -> Result<super::Debrief, &'static str> {
    if scenario.reference_decisions().next().is_none() {
        return Err(NO_REFERENCE);
    }
    Ok(super::debrief(scenario, knowledge, records, &[], at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SignedDuration;

    fn demo() -> Scenario {
        let text = include_str!("../../assets/demo/scenario.yaml");
        Scenario::parse("assets/demo/scenario.yaml", text).expect("the demo scenario parses")
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    #[test]
    fn a_guided_drill_stops_once_at_each_decision_point_in_order() {
        let scenario = demo();
        let points = crate::training::decision_times(&scenario);
        assert!(points.len() >= 2, "the demo has decision points");
        let mut guide = Guide::new(&scenario, true, false);
        let start = scenario.start;
        // Before the first point: the clock runs on.
        let step = guide.advance(points[0] - SignedDuration::from_secs(1), false);
        assert!(!step.pause && step.decision_point.is_none());
        assert!(step.at >= start);
        // A frame late (the clock passed the point): the session stops at the point itself.
        let step = guide.advance(points[0] + SignedDuration::from_secs(7), false);
        assert_eq!(step.at, points[0]);
        assert!(step.pause);
        assert_eq!(step.decision_point, Some(points[0]));
        assert!(step.message().unwrap().contains("decision point at"));
        // Paused there: nothing more happens.
        let step = guide.advance(points[0], true);
        assert_eq!(
            (step.at, step.pause, step.decision_point),
            (points[0], false, None)
        );
        // Resumed: the same point does not stop it twice.
        let step = guide.advance(points[0] + SignedDuration::from_secs(1), false);
        assert!(!step.pause);
        // Far past two points at once (a high speed): one stop a pass, the earliest first.
        if points.len() >= 3 {
            let step = guide.advance(points[2] + mins(1), false);
            assert_eq!(step.decision_point, Some(points[1]));
            let step = guide.advance(points[1] + SignedDuration::from_secs(1), false);
            assert_eq!(
                step.decision_point, None,
                "resumed from the stop, the next is ahead"
            );
            let step = guide.advance(points[2], false);
            assert_eq!(step.decision_point, Some(points[2]));
        }
    }

    #[test]
    fn seeking_back_brings_the_points_after_it_back() {
        let scenario = demo();
        let points = crate::training::decision_times(&scenario);
        let mut guide = Guide::new(&scenario, true, false);
        for p in &points {
            assert_eq!(guide.advance(*p, false).decision_point, Some(*p));
        }
        assert!(guide.stops_ahead().is_empty());
        guide.seeked(points[0] - mins(1));
        assert_eq!(guide.stops_ahead(), &points[..]);
        guide.seeked(points[0]);
        assert_eq!(
            guide.stops_ahead(),
            &points[1..],
            "a point at the seek target is passed"
        );
        guide.seeked(scenario.end());
        assert!(guide.stops_ahead().is_empty());
    }

    #[test]
    fn an_unguided_replay_never_stops_before_the_end() {
        let scenario = demo();
        let mut guide = Guide::new(&scenario, false, false);
        for p in crate::training::decision_times(&scenario) {
            let step = guide.advance(p, false);
            assert!(!step.pause && step.decision_point.is_none());
        }
        let step = guide.advance(scenario.end() + mins(3), false);
        assert_eq!(step.at, scenario.end(), "never past the end");
        assert!(step.pause, "the clock stops at the end");
        assert!(!step.debrief, "a watcher's replay opens no debrief");
    }

    #[test]
    fn a_trainee_gets_the_debrief_once_at_the_end_and_not_while_paused() {
        let scenario = demo();
        let mut guide = Guide::new(&scenario, false, true);
        let end = scenario.end();
        assert!(!guide.advance(end - mins(1), false).debrief);
        assert!(
            !guide.advance(end + mins(1), true).debrief,
            "paused: no end yet"
        );
        let step = guide.advance(end, false);
        assert!(step.debrief && step.pause);
        assert_eq!(step.at, end);
        assert!(!guide.advance(end, false).debrief, "once");
        // Seeking back and playing to the end again does not reopen it.
        guide.seeked(end - mins(10));
        assert!(!guide.advance(end + mins(1), false).debrief);
    }

    #[test]
    fn a_debrief_needs_reference_decisions() {
        let scenario = demo();
        let kb = crate::knowledge::KnowledgeBase::default();
        let at = scenario.end();
        let d = debrief_at(&scenario, &kb, &[], at).expect("the demo has a reference");
        assert!(d.at_end);
        let bare = crate::training::without_reference(&scenario);
        assert_eq!(debrief_at(&bare, &kb, &[], at).err(), Some(NO_REFERENCE));
    }

    #[test]
    fn a_decision_point_at_the_end_stops_first_then_the_end_debriefs() {
        let scenario = demo();
        let end = scenario.end();
        let mut guide = Guide::new(&scenario, true, true);
        guide.points = vec![end];
        let step = guide.advance(end + mins(1), false);
        assert_eq!(step.decision_point, Some(end));
        assert!(!step.debrief, "the question first");
        let step = guide.advance(end, false);
        assert!(step.debrief);
    }
}
