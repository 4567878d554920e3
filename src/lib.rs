//! hytop: a terminal dashboard for hybrid-cloud operations (AWS EC2 and
//! OpenStack in one live instance table).
//!
//! The modules are the architecture: `config` and `domain` know nothing of
//! clouds or screens, `cloud` talks to the clouds, `report` is the headless
//! `list`/`check` and `dashboard` the interactive screen. Neither `cloud` nor
//! `domain` imports `report` or `dashboard`, and `report` never imports
//! `dashboard`.

pub mod cli;
pub mod cloud;
pub mod config;
pub mod dashboard;
pub mod doctor;
pub mod domain;
pub mod logging;
pub mod report;

/// Fixtures for unit tests, integration tests and benches; not in a normal build.
#[cfg(any(test, feature = "testutil"))]
pub mod testutil;
