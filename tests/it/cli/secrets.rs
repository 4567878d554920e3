//! A mistyped credential in clouds.yaml or secure.yaml: `hytop list` names
//! the file, the line of the key and the key, and the value reaches neither
//! stderr nor the log file, whatever its type. Nothing is asked of any cloud:
//! the profile is refused before a request could be made.

use std::fs;

use super::Home;

/// The digits every broken value below is made of; it must never show.
const SECRET: &str = "73951824";

const CONFIG: &str = "[[cloud]]\nname = \"lab\"\nprovider = \"openstack\"\n";

/// `clouds.yaml` (and `secure.yaml` if given) where the openstack CLI finds them.
fn home(clouds: &str, secure: Option<&str>) -> Home {
    let home = Home::new(CONFIG);
    let dir = home.path("config").join("openstack");
    fs::create_dir_all(&dir).expect("openstack config dir");
    fs::write(dir.join("clouds.yaml"), clouds).expect("clouds.yaml");
    if let Some(secure) = secure {
        fs::write(dir.join("secure.yaml"), secure).expect("secure.yaml");
    }
    home
}

/// The clouds.yaml head: the cloud's line is 2, its auth block's line 3.
const HEAD: &str = "clouds:\n  lab:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n      username: alice\n      project_name: course\n";

/// Runs `hytop list` and checks it fails with `file:line` and `key`, and
/// that `SECRET` shows nowhere.
fn refused(home: &Home, file: &str, line: usize, key: &str) {
    refused_with(home, file, line, &format!("key \"{key}\""));
}

/// As [`refused`], with `named` (a key or a section) in the message.
fn refused_with(home: &Home, file: &str, line: usize, named: &str) {
    let run = home.hytop(&["list"]);
    run.expect_code(2);
    let log = home.log();
    assert!(
        !run.stderr.contains(SECRET),
        "stderr shows the secret: {run:#?}"
    );
    assert!(
        !run.stdout.contains(SECRET),
        "stdout shows the secret: {run:#?}"
    );
    assert!(!log.contains(SECRET), "the log shows the secret:\n{log}");
    let path = home.path("config").join("openstack").join(file);
    let at = format!("{}:{line}: ", path.display());
    assert!(run.stderr.contains(&at), "no {at} in: {run:#?}");
    assert!(run.stderr.contains(named), "no {named}: {run:#?}");
    assert!(
        log.contains(&format!("{file}:{line}: ")),
        "the log names the problem: {log}"
    );
}

#[test]
fn a_password_of_any_type_in_clouds_yaml_is_never_shown() {
    for value in [
        SECRET.to_string(),
        format!("{SECRET}.5"),
        format!("[{SECRET}]"),
        format!("{{pin: {SECRET}}}"),
        format!("\n        - {SECRET}"),
        format!("\n        nested: {SECRET}"),
    ] {
        let clouds = format!("{HEAD}      user_domain_name: Default\n      password: {value}\n");
        refused(&home(&clouds, None), "clouds.yaml", 8, "auth.password");
    }
}

#[test]
fn a_mistyped_secret_in_secure_yaml_is_located_in_secure_yaml() {
    let secure = format!("# secrets\nclouds:\n  lab:\n    auth:\n      password: {SECRET}\n");
    refused(
        &home(HEAD, Some(&secure)),
        "secure.yaml",
        5,
        "auth.password",
    );
    let secure = format!(
        "clouds:\n  lab:\n    auth_type: v3applicationcredential\n    auth:\n      application_credential_id: abc\n      application_credential_secret: -{SECRET}\n"
    );
    refused(
        &home(HEAD, Some(&secure)),
        "secure.yaml",
        6,
        "auth.application_credential_secret",
    );
}

#[test]
fn an_auth_block_or_cloud_that_is_not_a_mapping_is_never_quoted() {
    let clouds = format!(
        "clouds:\n  other:\n    auth: {{}}\n  lab:\n    region_name: r\n    auth: \"{SECRET}\"\n"
    );
    refused(&home(&clouds, None), "clouds.yaml", 6, "auth");
    let clouds = format!("clouds:\n  lab: {SECRET}\n");
    refused_with(&home(&clouds, None), "clouds.yaml", 2, "[cloud \"lab\"]");
}
