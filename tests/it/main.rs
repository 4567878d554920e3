//! hytop's integration tests: one test binary, one module per subject, so
//! hytop, the AWS SDK and the test doubles (`hytop-testkit` in tests/support)
//! are linked once instead of once per file.
//!
//! Run one module with `./scripts/test --test it <module>::`, e.g.
//! `./scripts/test --test it snapshots::`.
// A failed assumption in a test is the failure: tests fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod aws;
mod aws_doctor;
mod aws_faults;
mod aws_images;
mod cli;
mod docs;
mod e2e_aws;
mod e2e_endpoints;
mod e2e_lifecycle;
mod e2e_openstack;
mod e2e_output;
mod e2e_tmux;
mod e2e_tmux_mouse;
mod keystone_selftest;
mod metrics_schedule;
mod model;
mod openstack;
mod openstack_doctor;
mod openstack_fakes;
mod openstack_images;
mod openstack_lifecycle;
mod openstack_volumes;
mod snapshots;
mod support_selftest;
mod worker;
