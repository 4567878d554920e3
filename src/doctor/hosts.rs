//! Check 6: the host key. (Placeholder until the host-key check lands.)

use crate::doctor::{Check, DoctorContext, Finding};

pub async fn check(_ctx: &DoctorContext) -> Finding {
    Finding::unknown(Check::HostKey, "not checked yet")
}
