//! Launch refusals worded like each cloud, and the launch form's options.

use super::*;

#[tokio::test]
async fn launch_validates_like_a_cloud() {
    let (p, _c) = aws_with(quick());
    let before = p.list_instances().await.expect("list").len();
    let mut s = spec(CloudKind::Aws, "x", 1);
    s.image = "ami-0000000000000000".into();
    let err = p.launch(&s).await.expect_err("image");
    assert_eq!(err.code.as_deref(), Some("InvalidAMIID.NotFound"));
    let mut s = spec(CloudKind::Aws, "x", 1);
    s.size = "m5.24xlarge".into();
    let err = p.launch(&s).await.expect_err("size");
    assert_eq!(
        err.to_string(),
        "InvalidParameterValue: Invalid value 'm5.24xlarge' for InstanceType."
    );
    let s = spec(CloudKind::Aws, "x", 0);
    assert_eq!(
        p.launch(&s).await.expect_err("count").code.as_deref(),
        Some("InvalidParameterValue")
    );
    let mut s = spec(CloudKind::Aws, "x", 1);
    s.user_data = Some(vec![b'a'; USER_DATA_LIMIT + 1]);
    let err = p.launch(&s).await.expect_err("user data");
    assert_eq!(err.code.as_deref(), Some("InvalidParameterValue"));
    assert!(err.message.contains("16384"), "{}", err.message);
    let mut s = spec(CloudKind::Aws, "x", 1);
    s.key_name = Some("other".into());
    assert_eq!(
        p.launch(&s).await.expect_err("key").code.as_deref(),
        Some("InvalidKeyPair.NotFound")
    );
    let mut s = spec(CloudKind::Aws, "x", 1);
    s.security_groups = vec!["sg-nope".into()];
    assert_eq!(
        p.launch(&s).await.expect_err("sg").code.as_deref(),
        Some("InvalidGroup.NotFound")
    );
    let mut s = spec(CloudKind::Aws, "x", 1);
    s.network = Some("subnet-nope".into());
    assert_eq!(
        p.launch(&s).await.expect_err("subnet").code.as_deref(),
        Some("InvalidSubnetID.NotFound")
    );
    let s = spec(CloudKind::Aws, "x", 1000);
    assert_eq!(
        p.launch(&s).await.expect_err("quota").code.as_deref(),
        Some("InstanceLimitExceeded")
    );
    assert_eq!(
        p.list_instances().await.expect("list").len(),
        before,
        "nothing launched"
    );
    // Exactly at the limit, with known groups by id and by name, is fine.
    let mut s = spec(CloudKind::Aws, "x", 1);
    s.user_data = Some(vec![b'a'; USER_DATA_LIMIT]);
    s.security_groups = vec![AWS_SECURITY_GROUPS[0].0.into(), "lab-ssh-web".into()];
    s.network = Some(AWS_SUBNETS[1].0.into());
    assert_eq!(p.launch(&s).await.expect("at limit").len(), 1);
}

#[tokio::test]
async fn openstack_launch_errors_are_400s() {
    let (p, _c) = os_with(quick());
    let mut s = spec(CloudKind::OpenStack, "x", 1);
    s.image = AWS_IMAGES[0].0.into();
    let err = p.launch(&s).await.expect_err("image");
    assert_eq!(
        err.to_string(),
        format!("400: Image {} could not be found.", AWS_IMAGES[0].0)
    );
    let mut s = spec(CloudKind::OpenStack, "x", 1);
    s.size = "t2.nano".into();
    assert_eq!(
        p.launch(&s).await.expect_err("flavor").to_string(),
        "400: Invalid flavorRef provided."
    );
    let mut s = spec(CloudKind::OpenStack, "x", 1);
    s.user_data = Some(vec![0; USER_DATA_LIMIT + 1]);
    assert_eq!(
        p.launch(&s).await.expect_err("user data").code.as_deref(),
        Some("400")
    );
    let s = spec(CloudKind::OpenStack, "", 1);
    assert_eq!(
        p.launch(&s).await.expect_err("name").code.as_deref(),
        Some("400")
    );
    let mut s = spec(CloudKind::OpenStack, "ok", 1);
    s.network = Some(OPENSTACK_NETWORKS[0].0.into());
    s.security_groups = vec!["ssh".into()];
    assert_eq!(p.launch(&s).await.expect("launch").len(), 1);
}

#[tokio::test]
async fn launch_options_list_what_launch_accepts() {
    for (p, _c) in [aws_with(quick()), os_with(quick())] {
        let o = p.launch_options().await.expect("options");
        assert!(o.images.len() >= 3 && o.sizes.len() >= 3);
        assert!(!o.networks.is_empty() && !o.security_groups.is_empty());
        assert_eq!(o.key_names, vec![Choice::new("lab-key", "lab-key")]);
        let kind = p.kind();
        let mut s = spec(kind, "opt", 1);
        s.image = o.images[1].id.clone();
        s.size = o.sizes[2].id.clone();
        s.network = Some(o.networks[0].id.clone());
        s.security_groups = vec![o.security_groups[0].id.clone()];
        p.launch(&s).await.expect("launch with listed options");
    }
    let (aws, _c) = aws_with(quick());
    let o = aws.launch_options().await.expect("options");
    assert!(o.images.iter().all(|c| c.id.starts_with("ami-")));
    assert!(o.images.iter().any(|c| c.label == "Amazon Linux 2023"));
    assert!(o.networks.iter().all(|c| c.id.starts_with("subnet-")));
    assert!(o.security_groups.iter().all(|c| c.id.starts_with("sg-")));
    let (os, _c) = os_with(quick());
    let o = os.launch_options().await.expect("options");
    assert!(o.images.iter().all(|c| is_uuid(&c.id)));
    assert!(o.images.iter().any(|c| c.label == "ubuntu-22.04"));
    assert!(o.sizes.iter().any(|c| c.id == "i4.tiny"));
    assert_eq!(o.networks[0].label, "lab-internal");
}
