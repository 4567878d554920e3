//! Check 4: the instance's key pair has a private key here. (Placeholder
//! until the key check lands.)

use crate::cloud::Provider;
use crate::doctor::{Check, DoctorContext, Finding};

pub async fn check(_provider: &dyn Provider, _ctx: &DoctorContext) -> Finding {
    Finding::unknown(Check::Key, "not checked yet")
}
