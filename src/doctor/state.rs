//! Check 1: the instance runs, and the cloud sees nothing wrong with it —
//! EC2's system and instance reachability checks, Nova's task and fault.

use crate::cloud::Provider;
use crate::cloud::facts::{FactKind, Facts, StatusFacts};
use crate::doctor::{Check, DoctorContext, Finding};
use crate::domain::model::{CloudKind, InstanceState};

pub async fn check(provider: &dyn Provider, ctx: &DoctorContext) -> Finding {
    let inst = &ctx.instance;
    if inst.state != InstanceState::Running {
        let fix = match (inst.kind, inst.raw_state.as_str()) {
            (CloudKind::OpenStack, "SHELVED" | "SHELVED_OFFLOADED") => Some("unshelve it: W"),
            (_, _) if inst.state == InstanceState::Stopped => Some("start it: U"),
            (_, _) if inst.state == InstanceState::Pending => Some("wait: it is starting"),
            _ => None,
        };
        let mut finding = Finding::fail(
            Check::State,
            format!("{} ({}), not running", inst.state, inst.raw_state),
        );
        // Why a server failed is Nova's fault message: worth the call.
        if inst.state == InstanceState::Error
            && let Ok(Facts::Status(StatusFacts {
                fault: Some(fault), ..
            })) = provider.facts(inst, FactKind::Status).await
        {
            finding.reason = format!("{} ({}): {fault}", inst.state, inst.raw_state);
        }
        return match fix {
            Some(f) => finding.with_fix(f),
            None => finding,
        };
    }
    match provider.facts(inst, FactKind::Status).await {
        Ok(Facts::Status(status)) => judge(inst.kind, &status),
        Ok(other) => Finding::unknown(Check::State, format!("unexpected answer: {other:?}")),
        Err(e) => Finding::unasked(Check::State, &e),
    }
}

/// A running instance's status checks or task and fault.
pub fn judge(kind: CloudKind, status: &StatusFacts) -> Finding {
    if let Some(fault) = &status.fault {
        return Finding::fail(
            Check::State,
            format!("running, but Nova reports a fault: {fault}"),
        );
    }
    if let Some(task) = &status.task_state {
        return Finding::unknown(Check::State, format!("running, task under way: {task}"))
            .with_fix("wait for the task to end");
    }
    match kind {
        CloudKind::OpenStack => Finding::pass(Check::State, "ACTIVE, no task, no fault"),
        CloudKind::Aws => {
            let (system, instance) = (status.system.as_deref(), status.instance.as_deref());
            match (system, instance) {
                (Some("ok"), Some("ok")) => Finding::pass(
                    Check::State,
                    "running; system and instance reachability checks passed",
                ),
                (Some("impaired"), _) => Finding::fail(
                    Check::State,
                    "running, but the system reachability check failed (AWS hardware or network)",
                )
                .with_fix("stop and start it (S, then U) to move it to another host"),
                (_, Some("impaired")) => Finding::fail(
                    Check::State,
                    "running, but the instance reachability check failed (its OS does not answer)",
                )
                .with_fix("read the boot log (l); reboot it (B)"),
                (Some("initializing"), _) | (_, Some("initializing")) => {
                    Finding::unknown(Check::State, "running; status checks still initializing")
                        .with_fix("wait a minute or two")
                }
                (None, None) => {
                    Finding::unknown(Check::State, "running; EC2 reports no status checks yet")
                }
                (s, i) => Finding::unknown(
                    Check::State,
                    format!(
                        "running; status checks: system {}, instance {}",
                        s.unwrap_or("-"),
                        i.unwrap_or("-")
                    ),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Verdict;

    fn aws(system: &str, instance: &str) -> Verdict {
        judge(
            CloudKind::Aws,
            &StatusFacts {
                system: Some(system.into()),
                instance: Some(instance.into()),
                ..StatusFacts::default()
            },
        )
        .verdict
    }

    #[test]
    fn status_checks_decide() {
        assert_eq!(aws("ok", "ok"), Verdict::Pass);
        assert_eq!(aws("impaired", "ok"), Verdict::Fail);
        assert_eq!(aws("ok", "impaired"), Verdict::Fail);
        assert_eq!(aws("initializing", "ok"), Verdict::Unknown);
        assert_eq!(aws("insufficient-data", "ok"), Verdict::Unknown);
        let none = judge(CloudKind::Aws, &StatusFacts::default());
        assert_eq!(none.verdict, Verdict::Unknown);
    }

    #[test]
    fn a_fault_fails_and_a_task_waits() {
        let fault = judge(
            CloudKind::OpenStack,
            &StatusFacts {
                fault: Some("No valid host was found. (500)".into()),
                ..StatusFacts::default()
            },
        );
        assert_eq!(fault.verdict, Verdict::Fail);
        assert!(fault.reason.contains("No valid host"), "{}", fault.reason);
        let task = judge(
            CloudKind::OpenStack,
            &StatusFacts {
                task_state: Some("rebooting".into()),
                ..StatusFacts::default()
            },
        );
        assert_eq!(task.verdict, Verdict::Unknown);
        let fine = judge(CloudKind::OpenStack, &StatusFacts::default());
        assert_eq!(fine.verdict, Verdict::Pass);
    }
}
