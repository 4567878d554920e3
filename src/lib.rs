//! hytop: a terminal dashboard for hybrid-cloud operations (AWS EC2 and
//! OpenStack in one live instance table).

pub mod action;
pub mod app;
pub mod cli;
pub mod command;
pub mod config;
pub mod cost;
pub mod format;
pub mod keymap;
pub mod launch;
pub mod logging;
pub mod model;
pub mod provider;
pub mod report;
pub mod ssh;
pub mod state;
pub mod tui;
pub mod ui;
pub mod update;
pub mod worker;

#[doc(hidden)]
pub mod testutil;
