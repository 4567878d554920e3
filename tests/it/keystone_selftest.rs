//! Checks the Keystone test harness (tests/support/keystone.rs) against the
//! real Keystone it starts: the behaviour the OpenStack tests rely on.

use hytop_testkit as support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::keystone::{
    Keystone, application_credential_auth, password_auth_by_id, password_auth_by_name,
};

/// The catalog entries of `token_body` (`{"token": ...}`) of `service_type`
/// in `region`, as (interface, url), sorted.
fn catalog_endpoints(
    token_body: &Value,
    service_type: &str,
    region: &str,
) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = token_body["token"]["catalog"]
        .as_array()
        .expect("token has a catalog")
        .iter()
        .filter(|service| service["type"] == service_type)
        .flat_map(|service| service["endpoints"].as_array().cloned().unwrap_or_default())
        .filter(|endpoint| endpoint["region_id"] == region)
        .map(|endpoint| {
            (
                endpoint["interface"].as_str().unwrap().to_string(),
                endpoint["url"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn shared_keystone_serves_version_document_and_admin() {
    let started = Instant::now();
    let keystone = Keystone::shared();
    eprintln!(
        "Keystone::shared() returned after {:?} (another test may have started it)",
        started.elapsed()
    );
    assert_eq!(
        keystone.auth_url(),
        format!("http://127.0.0.1:{}/v3", keystone.addr().port())
    );
    let response = support::http_request(
        keystone.addr(),
        "GET",
        "/v3",
        &[],
        b"",
        Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(response.status, 200);
    let version: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(version["version"]["status"], "stable", "{version}");

    let admin = keystone.admin();
    assert_eq!(admin.user_name, "admin");
    assert_eq!(admin.project_name, "admin");
    assert_eq!(admin.domain_name, "Default");
    let (_, body) = keystone
        .authenticate(&password_auth_by_name(admin))
        .unwrap();
    let roles: Vec<&str> = body["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"admin"), "{roles:?}");
    assert_eq!(body["token"]["project"]["id"], admin.project_id.as_str());
    // The identity endpoint bootstrap created points at this instance.
    let identity = catalog_endpoints(&body, "identity", "RegionOne");
    assert_eq!(identity.len(), 3, "{identity:?}");
    assert!(
        identity.iter().all(|(_, url)| *url == keystone.auth_url()),
        "{identity:?}"
    );
}

#[test]
fn password_auth_scoped_by_project_name_and_by_project_id() {
    let keystone = Keystone::shared();
    let user = keystone.new_user("pw");
    assert_eq!(user.domain_name, "Default");
    assert_ne!(user.project_name, keystone.new_user("pw").project_name);

    for body in [password_auth_by_name(&user), password_auth_by_id(&user)] {
        let (token, answer) = keystone.authenticate(&body).unwrap();
        assert!(!token.is_empty());
        let token_body = &answer["token"];
        assert_eq!(token_body["user"]["id"], user.user_id.as_str());
        assert_eq!(token_body["user"]["name"], user.user_name.as_str());
        assert_eq!(token_body["project"]["id"], user.project_id.as_str());
        assert_eq!(token_body["project"]["name"], user.project_name.as_str());
        assert_eq!(token_body["project"]["domain"]["name"], "Default");
        let roles: Vec<&str> = token_body["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(roles.contains(&"member"), "{roles:?}");
        assert!(!roles.contains(&"admin"), "{roles:?}");
    }

    let mut wrong = user.clone();
    wrong.password.push('x');
    let (status, text) = keystone
        .authenticate(&password_auth_by_name(&wrong))
        .unwrap_err();
    assert_eq!(status, 401, "{text}\n{}", keystone.log());
}

#[test]
fn student_is_member_of_lab() {
    let keystone = Keystone::shared();
    let student = keystone.student();
    assert_eq!(student.user_name, "student");
    assert_eq!(student.project_name, "lab");
    let token = keystone.password_token(student);
    let valid = keystone.validate(&token).expect("student's token is valid");
    assert_eq!(valid.user_id, student.user_id);
    assert_eq!(valid.project_id, student.project_id);
}

#[test]
fn application_credential_auth_is_scoped_to_the_users_project() {
    let keystone = Keystone::shared();
    let user = keystone.new_user("appcred");
    let (id, secret) = keystone.create_application_credential(&user, "hytop-selftest");
    assert!(!id.is_empty() && !secret.is_empty());

    let (token, answer) = keystone
        .authenticate(&application_credential_auth(&id, &secret))
        .unwrap();
    let token_body = &answer["token"];
    assert_eq!(token_body["methods"][0], "application_credential");
    assert_eq!(token_body["user"]["id"], user.user_id.as_str());
    assert_eq!(token_body["project"]["id"], user.project_id.as_str());
    assert_eq!(token_body["application_credential"]["id"], id.as_str());

    let valid = keystone.validate(&token).unwrap();
    assert_eq!(valid.project_id, user.project_id);

    let (status, _) = keystone
        .authenticate(&application_credential_auth(&id, "not-the-secret"))
        .unwrap_err();
    assert_eq!(status, 401);
}

#[test]
fn catalog_contains_the_endpoints_registered_for_a_region() {
    let keystone = Keystone::shared();
    let region = "selftest-catalog";
    let compute = "http://127.0.0.1:1/compute/v2.1";
    let network = "http://127.0.0.1:1/network";
    let image = "http://127.0.0.1:1/image";
    let metric = "http://127.0.0.1:1/metric";
    keystone.register_region(
        region,
        &[
            ("compute", compute),
            ("network", network),
            ("image", "http://127.0.0.1:1/old-image"),
        ],
    );
    // Registering again adds endpoints and moves existing ones.
    keystone.register_region(region, &[("image", image), ("metric", metric)]);
    // Another region's endpoints stay out of this one.
    keystone.register_region("selftest-other", &[("compute", "http://127.0.0.1:2/other")]);

    let user = keystone.new_user("catalog");
    let (_, body) = keystone
        .authenticate(&password_auth_by_name(&user))
        .unwrap();
    for (kind, url, name) in [
        ("compute", compute, "nova"),
        ("network", network, "neutron"),
        ("image", image, "glance"),
        ("metric", metric, "gnocchi"),
    ] {
        assert_eq!(
            catalog_endpoints(&body, kind, region),
            vec![
                ("internal".to_string(), url.to_string()),
                ("public".to_string(), url.to_string()),
            ],
            "{kind} in {}",
            body["token"]["catalog"]
        );
        let services: Vec<&Value> = body["token"]["catalog"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["type"] == kind)
            .collect();
        assert_eq!(services.len(), 1, "one {kind} service");
        assert_eq!(services[0]["name"], name);
    }
    // The same catalog comes with validation.
    let token = keystone.password_token(&user);
    let validated = keystone.validate_json(&token).unwrap();
    assert_eq!(
        catalog_endpoints(&validated, "metric", region),
        catalog_endpoints(&body, "metric", region)
    );
}

#[test]
fn validate_gives_the_project_and_revoke_invalidates() {
    let keystone = Keystone::shared();
    let user = keystone.new_user("revoke");
    let token = keystone.password_token(&user);
    let other = keystone.password_token(&user);

    let valid = keystone.validate(&token).expect("fresh token is valid");
    assert_eq!(valid.user_id, user.user_id);
    assert_eq!(valid.project_id, user.project_id);
    let expires = chrono::DateTime::parse_from_rfc3339(&valid.expires_at).unwrap();
    let left = expires.signed_duration_since(chrono::Utc::now());
    assert!(
        left > chrono::Duration::minutes(55) && left <= chrono::Duration::minutes(61),
        "{left:?}"
    );

    keystone.revoke(&token);
    assert_eq!(keystone.validate(&token), None);
    // Only that token: the user's other token still works.
    assert!(keystone.validate(&other).is_some());
    // Revoking twice is harmless.
    keystone.revoke(&token);

    assert_eq!(keystone.validate("gAAAAAnot-a-token"), None);
}

#[test]
fn tokens_of_a_short_lived_keystone_expire() {
    let started = Instant::now();
    let keystone = Keystone::start_with_token_lifetime(3);
    eprintln!(
        "Keystone::start_with_token_lifetime(3) returned after {:?}",
        started.elapsed()
    );
    let user = keystone.student().clone();
    let token = keystone.password_token(&user);
    let valid = keystone.validate(&token).expect("fresh token is valid");
    assert_eq!(valid.project_id, user.project_id);

    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(keystone.validate(&token), None);
    // The harness's own (admin) token was renewed behind the scenes.
    let fresh = keystone.password_token(&user);
    assert!(keystone.validate(&fresh).is_some());

    // A private instance has its own keys: its tokens mean nothing to the
    // shared one, and the other way round.
    let shared = Keystone::shared();
    assert_eq!(shared.validate(&fresh), None);
    assert_eq!(
        keystone.validate(&shared.password_token(shared.student())),
        None
    );
}

#[test]
fn harness_is_safe_to_use_from_several_threads() {
    let keystone = Keystone::shared();
    let threads: Vec<_> = (0..6)
        .map(|i| {
            std::thread::spawn(move || {
                let user = keystone.new_user("parallel");
                keystone.register_region(
                    &format!("selftest-parallel-{i}"),
                    &[("compute", &format!("http://127.0.0.1:1/{i}"))],
                );
                let token = keystone.password_token(&user);
                let valid = keystone.validate(&token).unwrap();
                assert_eq!(valid.project_id, user.project_id);
                user.user_name
            })
        })
        .collect();
    let mut names: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 6);
}
