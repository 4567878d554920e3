//! Stop, start and reboot on EC2. One call for all the ids; when EC2
//! refuses the call (it refuses it whole when one instance is in the wrong
//! state, e.g. `IncorrectInstanceState`), each id is asked on its own so
//! every instance gets its own outcome and one refusal stops no other.

use aws_sdk_ec2::Client;

use super::errors::ec2_error;
use crate::cloud::{CloudError, CloudResult, PowerAction, PowerOutcome};

/// The code of an action EC2 does not have.
pub const UNSUPPORTED: &str = "Unsupported";

/// Why EC2 cannot do `action`, if it cannot.
pub fn unsupported(action: PowerAction) -> Option<CloudError> {
    let why = match action {
        PowerAction::Stop | PowerAction::Start | PowerAction::Reboot => return None,
        PowerAction::HardReboot => {
            "EC2 has no hard reboot (a stop and start is not one: it moves the instance to \
             new hardware and, without an Elastic IP, to a new public address); use reboot, \
             or stop then start"
        }
        PowerAction::Shelve | PowerAction::Unshelve => {
            "EC2 has no shelve: stop the instance instead (its volumes keep billing, its \
             compute does not)"
        }
    };
    Some(CloudError::new(UNSUPPORTED, why))
}

pub(super) async fn power(
    ec2: &Client,
    instance_ids: &[String],
    action: PowerAction,
) -> Vec<PowerOutcome> {
    let all = |result: CloudResult<()>| PowerOutcome::for_all(instance_ids, &result);
    if let Some(refusal) = unsupported(action) {
        return all(Err(refusal));
    }
    if instance_ids.is_empty() {
        return Vec::new();
    }
    match call(ec2, instance_ids, action).await {
        Ok(()) => all(Ok(())),
        Err(e) if instance_ids.len() == 1 => all(Err(e)),
        Err(_) => {
            let mut out = Vec::with_capacity(instance_ids.len());
            for id in instance_ids {
                let result = call(ec2, std::slice::from_ref(id), action).await;
                out.push(PowerOutcome {
                    instance_id: id.clone(),
                    result,
                });
            }
            out
        }
    }
}

async fn call(ec2: &Client, ids: &[String], action: PowerAction) -> CloudResult<()> {
    let ids = Some(ids.to_vec());
    match action {
        PowerAction::Stop => ec2
            .stop_instances()
            .set_instance_ids(ids)
            .send()
            .await
            .map(drop)
            .map_err(ec2_error),
        PowerAction::Start => ec2
            .start_instances()
            .set_instance_ids(ids)
            .send()
            .await
            .map(drop)
            .map_err(ec2_error),
        PowerAction::Reboot => ec2
            .reboot_instances()
            .set_instance_ids(ids)
            .send()
            .await
            .map(drop)
            .map_err(ec2_error),
        other => Err(unsupported(other)
            .unwrap_or_else(|| CloudError::new(UNSUPPORTED, other.name().to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stop_start_and_reboot_exist_on_ec2() {
        for action in PowerAction::ALL {
            let refused = unsupported(action);
            match action {
                PowerAction::Stop | PowerAction::Start | PowerAction::Reboot => {
                    assert!(refused.is_none(), "{action:?}")
                }
                _ => {
                    let e = refused.expect("refused");
                    assert_eq!(e.code.as_deref(), Some(UNSUPPORTED));
                    assert!(e.message.starts_with("EC2 has no"), "{e}");
                }
            }
        }
    }
}
