//! The reader view of a runbook or postmortem (Enter on the knowledge pane): a header with its
//! path, review date and why it matched the focused cluster, then the Markdown body rendered
//! for reading.

use ratatui::text::{Line, Span};

use super::markdown;
use super::read::View;
use super::wrap;
use crate::cockpit::Cockpit;
use crate::knowledge::DocRef;
use crate::knowledge::lint::{DEFAULT_MAX_AGE_DAYS, age_days};
use crate::tui::app::App;
use crate::tui::panes::clusters;
use crate::tui::theme;

const KEYS: &str = "j/k PgUp/PgDn g/G scroll · Esc close";

pub fn view(app: &App, cockpit: &Cockpit, doc: DocRef, width: usize) -> View {
    let kb = cockpit.knowledge();
    let today = cockpit
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let (kind, title, mut facts, body) = match doc {
        DocRef::Runbook(i) => {
            let Some(r) = kb.runbooks.get(i) else {
                return View::missing(" Runbook ".into(), format!("runbook #{i} is gone"));
            };
            let mut facts = vec![(r.path.clone(), theme::key())];
            match r.last_reviewed {
                Some(date) => {
                    let age = age_days(date, today);
                    let stale = age > DEFAULT_MAX_AGE_DAYS;
                    facts.push((
                        format!(
                            "last reviewed {date} ({age} days ago{})",
                            if stale { ", STALE" } else { "" }
                        ),
                        if stale { theme::warn() } else { theme::text() },
                    ));
                }
                None => facts.push(("never reviewed (no last_reviewed)".into(), theme::warn())),
            }
            if let Some(owner) = &r.owner {
                facts.push((format!("owner {owner}"), theme::text()));
            }
            let steps = if r.schema {
                format!("{} structured steps", r.steps.len())
            } else {
                format!(
                    "no schema: {} unaudited steps from code blocks",
                    r.steps.len()
                )
            };
            facts.push((steps, theme::dim()));
            for f in cockpit
                .runbook_staleness(i)
                .into_iter()
                .filter(|f| f.code != "stale")
            {
                facts.push((f.message, theme::warn()));
            }
            ("RUNBOOK", r.title.clone(), facts, r.body.as_str())
        }
        DocRef::Postmortem(i) => {
            let Some(p) = kb.postmortems.get(i) else {
                return View::missing(" Postmortem ".into(), format!("postmortem #{i} is gone"));
            };
            let mut facts = vec![(p.path.clone(), theme::key())];
            if let Some(date) = p.date {
                facts.push((format!("incident of {date}"), theme::text()));
            }
            if let Some(sev) = &p.severity {
                facts.push((format!("severity {sev}"), theme::text()));
            }
            ("POSTMORTEM", p.title.clone(), facts, p.body.as_str())
        }
    };
    let why = clusters::focused(app, cockpit).and_then(|c| {
        cockpit
            .matches(c.id)
            .iter()
            .find(|m| m.doc == doc)
            .map(|m| (c.name, m))
    });
    let mut header = Vec::new();
    let mut line: Vec<(String, ratatui::style::Style)> = Vec::new();
    for (i, fact) in facts.drain(..).enumerate() {
        if i > 0 {
            line.push((" · ".into(), theme::dim()));
        }
        line.push(fact);
    }
    header.extend(wrap::words(&line, width, &[], &[]));
    match why {
        Some((cluster, m)) => header.extend(wrap::words(
            &[(
                // Score, then the level and its calibrated value as the knowledge pane shows them.
                format!(
                    "{:.2} {} confidence: {}",
                    m.score,
                    m.confidence_label(0),
                    m.why.join("; ")
                ),
                theme::dim(),
            )],
            width,
            &[Span::styled(format!("matched {cluster} "), theme::key())],
            &[Span::raw("  ")],
        )),
        None => header.push(Line::from(Span::styled(
            "not matched to the focused cluster",
            theme::dim(),
        ))),
    }
    header.push(Line::from(Span::styled(
        "─".repeat(width.min(200)),
        theme::dim(),
    )));
    View {
        title: format!(" {kind} · {title} "),
        header,
        body: markdown::render(body, width),
        keys: KEYS,
    }
}
