//! The terminal UI, in The Elm Architecture: a key is looked up in the [`keymap`] to get an
//! [`Action`]; [`update`] changes the [`App`] state and returns [`Command`]s for the runtime;
//! [`render`] draws a frame as a pure function of the `App` and the cockpit view.
//!
//! Nothing here blocks, spawns, reads the clock or touches files: crossterm is used only for its
//! key types, and the runtime owns the terminal.

pub mod action;
pub mod app;
pub mod attention;
pub mod command;
pub mod input;
pub mod key;
pub mod keymap;
pub mod line_input;
pub mod message;
pub mod mouse;
pub mod overlays;
pub mod panes;
pub mod render;
pub mod share;
pub mod text_input;
pub mod theme;
pub mod update;
pub mod view;

pub use action::Action;
pub use app::{
    App, CockpitMode, Confirm, Draft, NoteKind, Overlay, Page, Pane, ReplayStatus, StatusMessage,
};
pub use command::Command;
pub use input::handle_key;
pub use keymap::{Binding, Context, Key, Keymap};
pub use message::Msg;
pub use render::render;
pub use update::{handle, update};

/// Brings what the UI derived from the cockpit up to date after the cockpit changed; the
/// runtime calls it before drawing. Cheap when nothing moved.
pub fn refresh(app: &mut App, view: &crate::cockpit::Cockpit) {
    self::view::refresh(app, view);
    overlays::write::refresh(app, view);
    overlays::experiment::absorb(app, view);
    update::keep_selections(app, view);
}
