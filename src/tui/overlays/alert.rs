//! One alert in full (Enter on the detail pane): state and times, then every label and every
//! annotation, values quoted with invisible characters escaped.

use ratatui::text::{Line, Span};

use super::read::View;
use super::step::{escaped, field};
use super::wrap::{self, Fragment};
use crate::alerts::Fingerprint;
use crate::cockpit::Cockpit;
use crate::time::clock_hms;
use crate::tui::theme;

const KEYS: &str = "j/k scroll · Esc close";

pub fn view(cockpit: &Cockpit, fp: Fingerprint, width: usize) -> View {
    let Some(t) = cockpit.alert(fp) else {
        return View::missing(" Alert ".into(), format!("alert {fp} is gone"));
    };
    let a = &t.alert;
    let mut body = Vec::new();
    body.extend(field("state", &a.state.to_string(), width));
    body.extend(field(
        "severity",
        &format!("{:?}", a.severity()).to_lowercase(),
        width,
    ));
    body.extend(field("starts", &a.starts_at.to_string(), width));
    if let Some(end) = a.ends_at {
        body.extend(field("ends", &end.to_string(), width));
    }
    body.extend(field(
        "seen",
        &format!(
            "first {} · last change {} · {} fire↔resolve transitions",
            clock_hms(t.first_seen),
            clock_hms(t.last_change),
            t.transitions
        ),
        width,
    ));
    body.extend(field("cluster", &cockpit.cluster_name(t.cluster), width));
    if !t.noise.is_empty() {
        let noise: Vec<String> = t.noise.iter().map(ToString::to_string).collect();
        body.extend(field("noise", &noise.join(", "), width));
    }
    if let Some(url) = &a.generator_url {
        body.extend(field("source", url, width));
    }
    body.extend(field("print", &fp.to_string(), width));
    body.push(Line::default());
    body.push(Line::from(Span::styled(
        format!("labels ({})", a.labels.len()),
        theme::key(),
    )));
    for (k, v) in &a.labels {
        body.extend(pair(k, "=", v, width));
    }
    body.push(Line::default());
    body.push(Line::from(Span::styled(
        format!("annotations ({})", a.annotations.len()),
        theme::key(),
    )));
    if a.annotations.is_empty() {
        body.push(Line::from(Span::styled("  none", theme::dim())));
    }
    for (k, v) in &a.annotations {
        body.extend(pair(k, ": ", v, width));
    }
    View {
        title: format!(" Alert {} · {fp} ", a.name()),
        header: Vec::new(),
        body,
        keys: KEYS,
    }
}

/// `  key=“value”`, wrapped at any character so nothing of the value is lost.
fn pair(key: &str, sep: &str, value: &str, width: usize) -> Vec<Line<'static>> {
    let mut fragments: Vec<Fragment> = vec![
        (key.to_string(), theme::bold()),
        (sep.to_string(), theme::dim()),
        ("\"".into(), theme::dim()),
    ];
    fragments.extend(escaped(value));
    fragments.push(("\"".into(), theme::dim()));
    wrap::chars(&fragments, width, &[Span::raw("  ")], &[Span::raw("    ")])
}
