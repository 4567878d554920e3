//! `hytop check` when the metrics service fails: idleness could not be
//! judged, so the answer is incomplete and the exit status is 2, as for
//! any part of a cloud that could not be asked.

use hytop_testkit::openstack::Service;

use super::OpenStack;

#[test]
fn check_is_exit_2_when_gnocchi_fails() {
    let os = OpenStack::start();
    // Servers up for longer than the idle window: check asks their CPU.
    for id in &os.servers {
        os.fake.set_cpu_percent(id, 50.0);
    }
    let home = os.home("[cost]\nidle_after_mins = 1\n");
    let run = home.hytop(&["check"]);
    run.expect_code(0);
    assert!(
        os.fake.count(Service::Metric) > 0,
        "check asked Gnocchi: {run:#?}"
    );

    os.fake.fail(Service::Metric, 503);
    let run = home.hytop(&["check"]);
    run.expect_code(2);
    assert_eq!(run.stdout, "", "nothing is flagged: {run:#?}");
    let prefix = format!("hytop: {}: idleness not judged", os.label());
    assert!(
        run.stderr.lines().any(|l| l.starts_with(&prefix)),
        "{run:#?}"
    );

    // Flagged for age as well: what could be judged is printed, still 2.
    let run = os
        .home("[cost]\nidle_after_mins = 1\nmax_age_hours = 1.0\n")
        .hytop(&["check"]);
    run.expect_code(2);
    assert_eq!(run.stdout.lines().count(), 2, "{run:#?}");
    drop(os.rt);
}
