//! Public addresses: attach reuses, then allocates, then runs out; detach and release.

use super::*;

async fn running_without_ip(p: &SimProvider) -> Vec<String> {
    p.list_instances()
        .await
        .expect("list")
        .into_iter()
        .filter(|i| i.state == InstanceState::Running && i.public_ip.is_none())
        .map(|i| i.id)
        .collect()
}

#[tokio::test]
async fn attach_reuses_then_allocates_then_runs_out() {
    let (p, _c) = aws_with(quick());
    let free = running_without_ip(&p).await;
    assert!(free.len() >= 3, "{free:?}");
    let forgotten = p
        .list_addresses()
        .await
        .expect("a")
        .into_iter()
        .find(|a| a.instance_id.is_none())
        .expect("forgotten");
    let first = p.attach_public_ip(&free[0]).await.expect("reuse");
    assert_eq!(
        first,
        AttachedAddress {
            ip: forgotten.ip.clone(),
            reused: true
        }
    );
    let second = p.attach_public_ip(&free[1]).await.expect("allocate");
    assert!(!second.reused);
    assert!(second.ip.starts_with("203.0.113."));
    assert_ne!(second.ip, first.ip);
    assert_eq!(p.list_addresses().await.expect("a").len(), 4);
    let err = p.attach_public_ip(&free[2]).await.expect_err("exhausted");
    assert_eq!(err.code.as_deref(), Some("AddressLimitExceeded"));
    assert_eq!(
        err.message,
        "The maximum number of addresses has been reached."
    );
    assert_eq!(
        get(&p, &free[1]).await.expect("i").public_ip,
        Some(second.ip.clone())
    );
    let err = p
        .attach_public_ip(&free[1])
        .await
        .expect_err("already has one");
    assert_eq!(err.code.as_deref(), Some("Resource.AlreadyAssociated"));
    assert!(err.message.contains(&second.ip), "{}", err.message);
}

#[tokio::test]
async fn openstack_pool_exhaustion_says_what_neutron_says() {
    let (p, _c) = os_with(SimSettings {
        address_pool: 0,
        ..quick()
    });
    assert!(p.list_addresses().await.expect("a").is_empty());
    let id = running_without_ip(&p).await.remove(0);
    let err = p.attach_public_ip(&id).await.expect_err("no pool");
    assert_eq!(
        err.to_string(),
        "409: No more IP addresses available on network i4labnet."
    );
}

#[tokio::test]
async fn attach_needs_a_running_instance() {
    let (p, _c) = aws_with(quick());
    let pending = p
        .launch(&spec(CloudKind::Aws, "p", 1))
        .await
        .expect("launch")
        .remove(0);
    let err = p.attach_public_ip(&pending).await.expect_err("pending");
    assert_eq!(err.code.as_deref(), Some("IncorrectInstanceState"));
    assert_eq!(
        err.message,
        format!("The pending instance '{pending}' is not in a valid state for this operation.")
    );
    let (p, _c) = os_with(quick());
    let error = p
        .list_instances()
        .await
        .expect("list")
        .into_iter()
        .find(|i| i.state == InstanceState::Error)
        .expect("an ERROR one");
    let err = p
        .attach_public_ip(&error.id)
        .await
        .expect_err("error state");
    assert_eq!(err.code.as_deref(), Some("409"));
    assert!(err.message.contains("vm_state error"), "{}", err.message);
}

#[tokio::test]
async fn detach_keeps_address_allocated_and_release_frees_it() {
    let (p, _c) = aws_with(quick());
    let holder = p
        .list_instances()
        .await
        .expect("list")
        .into_iter()
        .find(|i| i.public_ip.is_some())
        .expect("one with ip");
    let ip = holder.public_ip.clone().expect("ip");
    let address = p
        .list_addresses()
        .await
        .expect("a")
        .into_iter()
        .find(|a| a.ip == ip)
        .expect("its address");
    let err = p.release_address(&address.id).await.expect_err("in use");
    assert_eq!(
        err.to_string(),
        format!("InvalidIPAddress.InUse: Address {ip} is in use.")
    );
    assert_eq!(p.detach_public_ip(&holder.id).await.expect("detach"), ip);
    assert_eq!(get(&p, &holder.id).await.expect("i").public_ip, None);
    let after = p.list_addresses().await.expect("a");
    assert_eq!(after.len(), 3);
    assert_eq!(
        after.iter().find(|a| a.ip == ip).expect("kept").instance_id,
        None
    );
    let err = p
        .detach_public_ip(&holder.id)
        .await
        .expect_err("nothing attached");
    assert_eq!(err.code.as_deref(), Some("InvalidAssociationID.NotFound"));
    p.release_address(&address.id).await.expect("release");
    let after = p.list_addresses().await.expect("a");
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|a| a.id != address.id));
    let err = p
        .release_address(&address.id)
        .await
        .expect_err("released twice");
    assert_eq!(err.code.as_deref(), Some("InvalidAllocationID.NotFound"));
    // Released addresses go back to the pool: four can be held again.
    let free = running_without_ip(&p).await;
    for id in &free[..3] {
        p.attach_public_ip(id).await.expect("attach");
    }
    assert_eq!(p.list_addresses().await.expect("a").len(), 4);
}
