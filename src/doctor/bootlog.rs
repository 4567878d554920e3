//! Check 7: the boot log. (Placeholder until the boot-log check lands.)

use crate::cloud::Provider;
use crate::doctor::{Check, DoctorContext, Finding};

pub async fn check(_provider: &dyn Provider, _ctx: &DoctorContext) -> Finding {
    Finding::unknown(Check::BootLog, "not checked yet")
}
