//! Finding clouds in files and variables.

use std::path::Path;

use super::*;

fn sources(dir: &Path, env: &[(&str, &str)]) -> Sources {
    Sources {
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        cwd: Some(dir.to_path_buf()),
        home: Some(dir.join("home")),
    }
}

const CLOUDS: &str = "\
clouds:
  lab:
    auth:
      auth_url: https://keystone.example.org:5000
      username: alice
      project_name: course
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    cacert: /etc/ssl/campus.pem
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example.org:5000/v3/
      application_credential_id: abc
      application_credential_secret: s3cret
    regions: [north, {name: south}]
    interface: internal
    verify: false
";

#[test]
fn clouds_yaml_and_secure_yaml_merge() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clouds.yaml"), CLOUDS).unwrap();
    std::fs::write(
        dir.path().join("secure.yaml"),
        "clouds:\n  lab:\n    auth:\n      password: hunter2\n",
    )
    .unwrap();
    let s = sources(dir.path(), &[]);
    let lab = find(&s, "lab").unwrap();
    assert_eq!(lab.auth_url, "https://keystone.example.org:5000/v3");
    assert_eq!(lab.regions, vec!["RegionOne".to_string()]);
    assert_eq!(lab.interface, "public");
    assert_eq!(lab.cacert, Some(PathBuf::from("/etc/ssl/campus.pem")));
    assert!(lab.verify);
    match &lab.auth {
        Auth::Password {
            user,
            password,
            project,
        } => {
            assert_eq!(
                user,
                &Named::Name {
                    name: "alice".into(),
                    domain: Domain::Name("Default".into())
                }
            );
            assert_eq!(password.expose(), "hunter2");
            assert!(matches!(project, Named::Name { name, .. } if name == "course"));
        }
        other => panic!("{other:?}"),
    }
    // The secret never prints.
    assert!(!format!("{lab:?}").contains("hunter2"));

    let app = find(&s, "appcred").unwrap();
    assert_eq!(app.auth_url, "https://keystone.example.org:5000/v3");
    assert_eq!(app.regions, vec!["north".to_string(), "south".to_string()]);
    assert_eq!(app.interface, "internal");
    assert!(!app.verify);
    assert!(matches!(
        app.auth,
        Auth::ApplicationCredential { credential: AppCredentialRef::Id(ref id), .. } if id == "abc"
    ));

    let all = discover(&s);
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["lab", "appcred"]);
}

#[test]
fn user_config_dir_is_searched_and_os_cloud_selects() {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("home/.config/openstack");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("clouds.yaml"), CLOUDS).unwrap();
    let mut s = sources(dir.path(), &[("OS_CLOUD", "appcred")]);
    s.cwd = Some(dir.path().join("elsewhere"));
    let found = discover(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1.as_ref().unwrap().name, "appcred");
}

#[test]
fn openrc_variables_make_a_cloud() {
    let dir = tempfile::tempdir().unwrap();
    let s = sources(
        dir.path(),
        &[
            ("OS_AUTH_URL", "http://10.0.0.1:5000/v3"),
            ("OS_USERNAME", "student"),
            ("OS_PASSWORD", "pw"),
            ("OS_PROJECT_ID", "p-123"),
            ("OS_USER_DOMAIN_NAME", "Default"),
            ("OS_REGION_NAME", "RegionOne"),
            ("OS_INTERFACE", "public"),
            ("OS_IDENTITY_API_VERSION", "3"),
            ("OS_CACERT", "/tmp/ca.pem"),
        ],
    );
    let found = discover(&s);
    assert_eq!(found.len(), 1);
    let p = found[0].1.as_ref().unwrap();
    assert_eq!(p.name, ENV_CLOUD);
    assert_eq!(p.regions, vec!["RegionOne".to_string()]);
    assert_eq!(p.cacert, Some(PathBuf::from("/tmp/ca.pem")));
    assert!(matches!(&p.auth, Auth::Password { project: Named::Id(id), .. } if id == "p-123"));
}

#[test]
fn problems_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clouds.yaml"),
        "clouds:\n  lab:\n    auth:\n      username: alice\n",
    )
    .unwrap();
    let s = sources(dir.path(), &[]);
    let err = find(&s, "lab").unwrap_err().to_string();
    assert!(
        err.contains("clouds.yaml:2: [cloud \"lab\"] no auth.auth_url"),
        "{err}"
    );

    let err = find(&s, "nope").unwrap_err().to_string();
    assert!(
        err.contains("cloud \"nope\" is not in") && err.contains("(clouds: lab)"),
        "{err}"
    );

    std::fs::write(dir.path().join("clouds.yaml"), "clouds:\n  lab: [\n").unwrap();
    let err = find(&s, "lab").unwrap_err().to_string();
    assert!(err.contains("clouds.yaml:"), "{err}");

    let env = sources(
        dir.path(),
        &[("OS_AUTH_URL", "http://x:5000"), ("OS_USERNAME", "u")],
    );
    let err = find(&env, ENV_CLOUD).unwrap_err().to_string();
    assert!(err.contains("OS_PASSWORD"), "{err}");
}

#[test]
fn type_errors_never_show_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clouds.yaml"), CLOUDS).unwrap();
    std::fs::write(
        dir.path().join("secure.yaml"),
        "clouds:\n  lab:\n    auth:\n      password: 918273645\n  appcred:\n    auth:\n      application_credential_secret: [s3cr3tpart]\n",
    )
    .unwrap();
    let s = sources(dir.path(), &[]);
    let err = find(&s, "lab").unwrap_err().to_string();
    assert!(!err.contains("918273645"), "{err}");
    // Located where the value is: secure.yaml, the password's own line.
    assert!(
        err.contains("secure.yaml:4: [cloud \"lab\"] key \"auth.password\": must be a string"),
        "{err}"
    );
    let err = find(&s, "appcred").unwrap_err().to_string();
    assert!(!err.contains("s3cr3tpart"), "{err}");
    assert!(err.contains("application_credential_secret"), "{err}");
}

#[test]
fn credential_variables_never_print() {
    let s = sources(
        Path::new("/tmp"),
        &[
            ("OS_PASSWORD", "hunter2"),
            ("OS_APPLICATION_CREDENTIAL_SECRET", "s3cr3t"),
            ("OS_USERNAME", "alice"),
        ],
    );
    let shown = format!("{s:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("s3cr3t"),
        "{shown}"
    );
    assert!(shown.contains("alice"), "{shown}");
}

#[test]
fn syntax_errors_never_show_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let s = sources(dir.path(), &[]);
    for broken in [
        "clouds:\n  lab:\n    auth:\n      password: \"918273645\n",
        "clouds:\n  lab:\n    auth:\n      password: 918273645: x\n",
        "clouds:\n  lab:\n    auth:\n      password: '918273645\n      username: u\n",
        "clouds:\n  lab:\n    auth:\n\t  password: 918273645\n",
        "clouds:\n  lab:\n    auth:\n      password: *918273645\n",
        "clouds:\n  lab:\n    auth:\n      password: !!int 918273645x\n",
    ] {
        std::fs::write(dir.path().join("clouds.yaml"), broken).unwrap();
        let err = find(&s, "lab").unwrap_err().to_string();
        assert!(!err.contains("918273645"), "{broken:?}: {err}");
        assert!(err.contains("clouds.yaml:"), "{err}");
    }
}

#[test]
fn the_picker_offers_every_cloud_whatever_os_cloud_says() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clouds.yaml"), CLOUDS).unwrap();
    let openrc = [
        ("OS_CLOUD", "lab"),
        ("OS_AUTH_URL", "https://keystone.example.org:5000/v3"),
        ("OS_USERNAME", "bob"),
        ("OS_PASSWORD", "pw"),
        ("OS_PROJECT_NAME", "course"),
    ];
    let s = sources(dir.path(), &openrc);
    assert_eq!(
        discover(&s).len(),
        1,
        "OS_CLOUD narrows what is shown at start"
    );
    assert_eq!(names(&s).unwrap(), ["lab", "appcred", ENV_CLOUD]);
    let bare = sources(dir.path(), &[]);
    assert_eq!(
        names(&bare).unwrap(),
        ["lab", "appcred"],
        "no openrc, no envvars"
    );
}
