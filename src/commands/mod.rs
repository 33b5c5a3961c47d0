//! Non-interactive subcommands: read files, call the pure core, print text or JSON.
//! Each returns the process exit code; errors that stop a command are `color_eyre` reports.

pub mod alerts;
pub mod check;
pub mod experiment;
pub mod journal;
pub mod kb;
pub mod slo;
pub mod training;

/// Reads a file for a subcommand, naming it in the error.
pub(crate) fn read(path: &std::path::Path) -> color_eyre::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| color_eyre::eyre::eyre!("{}: cannot read: {e}", path.display()))
}

/// Human output made safe for a terminal (escape sequences in label values, documents and
/// notes shown as `\u{001b}`, never acted on); JSON output is printed as it is.
pub(crate) fn human(text: &str) -> std::borrow::Cow<'_, str> {
    crate::sanitize::for_terminal(text)
}
