//! The interactive dashboard: one terminal, one input task, one loop that
//! turns actions into a new model and effects.

pub mod action;
pub mod clipboard;
pub mod command;
pub mod effect;
pub mod endpoints;
pub mod event_loop;
pub mod input;
pub mod keymap;
pub mod model;
pub mod mouse;
pub mod overlays;
pub mod ssh;
pub mod terminal;
pub mod update;
pub mod view;
