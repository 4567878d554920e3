//! Check 8, on request only: TCP connects to 22 and the service ports and
//! an HTTP GET of the template's `health_url`, through the provider (the
//! simulator answers itself; real clouds go over the network).

use crate::cloud::Provider;
use crate::cloud::facts::{ProbePlan, ProbeResult};
use crate::doctor::{Check, DoctorContext, Finding, Verdict};

/// The plan for `ctx`: its ports and health URL at its address.
pub fn plan(ctx: &DoctorContext) -> Option<ProbePlan> {
    let address = ctx.instance.ssh_address()?.to_string();
    let health_url = ctx.health_url.as_ref().map(|u| u.replace("{ip}", &address));
    Some(ProbePlan {
        address,
        ports: ctx.ports(),
        health_url,
        timeout: ctx.probe_timeout,
    })
}

pub async fn check(provider: &dyn Provider, ctx: &DoctorContext) -> Finding {
    let Some(plan) = plan(ctx) else {
        return Finding::fail(Check::Probe, "no address to probe")
            .with_fix("press i to attach one");
    };
    let results = provider.probe(&ctx.instance, &plan).await;
    judge(&plan, &results)
}

/// ✓ when every port answers and the health URL gives a 2xx.
pub fn judge(plan: &ProbePlan, results: &[ProbeResult]) -> Finding {
    let mut lines = Vec::new();
    let mut failed = Vec::new();
    for r in results {
        match r {
            ProbeResult::Tcp {
                port,
                result: Ok(ms),
            } => {
                lines.push(format!("{port}/tcp open ({ms} ms)"));
            }
            ProbeResult::Tcp {
                port,
                result: Err(why),
            } => {
                lines.push(format!("{port}/tcp: {why}"));
                failed.push(format!("{port}/tcp"));
            }
            ProbeResult::Http {
                url,
                result: Ok((status, ms)),
            } => {
                lines.push(format!("GET {url}: {status} ({ms} ms)"));
                if !(200..300).contains(status) {
                    failed.push(format!("GET {status}"));
                }
            }
            ProbeResult::Http {
                url,
                result: Err(why),
            } => {
                lines.push(format!("GET {url}: {why}"));
                failed.push("GET".to_string());
            }
        }
    }
    let verdict = if failed.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    let reason = if failed.is_empty() {
        format!("{} answers on every port probed", plan.address)
    } else {
        format!("{}: {} failed", plan.address, failed.join(", "))
    };
    Finding {
        lines,
        ..Finding::new(Check::Probe, verdict, reason)
    }
}
