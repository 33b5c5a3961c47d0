//! The silence form (`s`): matchers from the focused cluster's common labels, a duration and a
//! comment; the preview says what it would mute and what the policy will require.

use super::super::step::titled_argv_lines;
use super::super::wrap;
use super::{Parts, requirement, wrapped_rows};
use crate::actions::silence::{self, SilenceRequest};
use crate::alerts::ClusterId;
use crate::cockpit::{Cockpit, UserCommand};
use crate::tui::app::{App, Draft, Overlay};
use crate::tui::panes::approvals;
use crate::tui::text_input::TextInput;
use crate::tui::theme;

/// `s`: a silence for the focused cluster, its form filled from the cluster's common labels.
pub fn open(app: &mut App, view: &Cockpit) {
    if view.config().readonly {
        app.warn(approvals::READ_ONLY);
        return;
    }
    let Some(cluster) = crate::tui::panes::clusters::focused(app, view) else {
        app.info("no cluster to silence");
        return;
    };
    let form = SilenceRequest {
        matchers: silence::default_matchers(&cluster.common_labels, &cluster.alertnames),
        duration: silence::DEFAULT_SILENCE,
        author: view.config().actor.clone(),
        comment: String::new(),
    }
    .form();
    // The cursor waits at the end of the comment, the one thing always left to write.
    let input = TextInput::new(form);
    app.overlay = Overlay::Write {
        draft: Draft::Silence(cluster.id),
        input,
    };
    preview(app, view);
}

/// Remakes the silence form's preview if the cockpit moved on since it was made (new alerts, a
/// mode change): what the silence would mute is what the person reads before proposing it.
pub fn refresh(app: &mut App, view: &Cockpit) {
    if matches!(
        app.overlay,
        Overlay::Write {
            draft: Draft::Silence(_),
            ..
        }
    ) && app.silence_preview_at != view.revision()
    {
        preview(app, view);
    }
}

/// Remakes the silence form's preview (it scans every alert, so not on every frame).
pub(super) fn preview(app: &mut App, view: &Cockpit) {
    let Overlay::Write {
        draft: Draft::Silence(cluster),
        input,
    } = &app.overlay
    else {
        return;
    };
    app.silence_preview = Some(
        SilenceRequest::from_form(input.lines(), &view.config().actor)
            .map(|req| view.preview_silence(*cluster, &req)),
    );
    app.silence_preview_at = view.revision();
}

/// The silence to propose, or `None` (and a warning) while the form is not ready.
pub(super) fn submit(
    app: &mut App,
    view: &Cockpit,
    cluster: ClusterId,
    input: &TextInput,
) -> Option<UserCommand> {
    let silence = match SilenceRequest::from_form(input.lines(), &view.config().actor) {
        Ok(s) => s,
        Err(e) => {
            app.warn(format!("silence not proposed: {e}"));
            return None;
        }
    };
    // The preview was made from these same lines (the form has not changed since).
    if matches!(&app.silence_preview, Some(Ok(p)) if p.inside == 0) {
        app.warn(format!(
            "these matchers mute no alert of {cluster}: check them (Esc cancels)"
        ));
        return None;
    }
    app.info(format!(
        "silence of {cluster} proposed: it waits in the approvals queue (4), approve it with a"
    ));
    Some(UserCommand::ProposeSilence { cluster, silence })
}

/// What the form is for, then the preview: the amtool argv, its reach and the policy's requirement.
pub(super) fn parts(
    app: &App,
    view: &Cockpit,
    cluster: ClusterId,
    input: &TextInput,
    width: usize,
) -> Parts {
    let mut above = Vec::new();
    let size = view.cluster(cluster).map_or(0, |c| c.size());
    above.extend(wrap::words(
        &[(
            format!(
                "Silence {cluster} ({size} alerts) in Alertmanager. One matcher per line: \
                 name=value, or name=~a|b for one of several values; delete a line to \
                 widen. Then --duration= (at most {}) and --comment= (required).",
                crate::actions::step::format_duration_exact(silence::MAX_SILENCE)
            ),
            theme::text(),
        )],
        width,
        &[],
        &[],
    ));
    let mut below = Vec::new();
    match &app.silence_preview {
        Some(Ok(preview)) => {
            let (inside, outside) = (preview.inside, preview.outside);
            let reach = if outside == 0 {
                (
                    format!("mutes {inside} alert(s) of {cluster} and nothing else. "),
                    theme::good(),
                )
            } else {
                (
                    format!(
                        "mutes {inside} alert(s) of {cluster} and {outside} OUTSIDE it: \
                         not pre-audited. "
                    ),
                    theme::warn(),
                )
            };
            below.extend(titled_argv_lines("as", preview.step.argv(), width, true));
            below.extend(wrap::words(
                &[
                    reach,
                    (
                        format!(
                            "In {} the policy will require: {}",
                            view.mode().label(),
                            requirement(&preview.verdict)
                        ),
                        theme::text(),
                    ),
                ],
                width,
                &[],
                &[],
            ));
        }
        Some(Err(e)) => below.extend(wrap::words(
            &[(format!("not ready: {e}"), theme::warn())],
            width,
            &[],
            &[],
        )),
        // Made when the form opens; absent only for a form made by hand (tests).
        None => {}
    }
    let rows = wrapped_rows(input.lines(), width.saturating_sub(2)).clamp(4, 12);
    Parts {
        title: format!(" Silence {cluster} "),
        above,
        rows,
        below,
        keys: vec![
            ("Ctrl-S", "propose".into()),
            ("Enter", "new line".into()),
            ("Esc", "cancel".into()),
        ],
    }
}
