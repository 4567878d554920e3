//! Check 5: the login user. (Placeholder until the login check lands.)

use crate::cloud::Provider;
use crate::doctor::{Check, DoctorContext, Finding};

pub async fn check(_provider: &dyn Provider, _ctx: &DoctorContext) -> Finding {
    Finding::unknown(Check::LoginUser, "not checked yet")
}
