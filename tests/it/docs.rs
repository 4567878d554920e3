//! The docs move with the code: README and --help describe what exists.

use clap::CommandFactory;
use hytop::dashboard::command::{Command, Context};
use hytop::dashboard::keymap::Keymap;

const README: &str = include_str!("../../README.md");

#[test]
fn readme_documents_every_command() {
    for cmd in Command::ALL {
        assert!(
            README.contains(&format!("`{}`", cmd.name())),
            "README.md does not document the command `{}`",
            cmd.name()
        );
    }
}

#[test]
fn readme_lists_every_default_binding() {
    let keymap = Keymap::default_keymap().expect("default keymap");
    for ctx in Context::ALL {
        for binding in keymap.bindings(ctx) {
            let key = format!("`{}`", binding.key);
            assert!(
                README.contains(&key),
                "README.md does not mention the default key {key} ({} in {})",
                binding.command.name(),
                ctx.name()
            );
        }
    }
}

#[test]
fn readme_gives_the_two_commands() {
    assert!(README.contains("cargo run --release -- --demo"));
    assert!(README.contains("\n./scripts/test\n"));
    let ci = include_str!("../../.ci/run");
    assert!(
        ci.contains("\n./scripts/test\n"),
        ".ci/run must run the README's test command"
    );
}

#[test]
fn help_names_every_flag() {
    let help = hytop::cli::Cli::command().render_long_help().to_string();
    for flag in ["--demo", "--config", "--keymap", "--readonly", "--refresh"] {
        assert!(help.contains(flag), "--help lacks {flag}");
        assert!(README.contains(flag), "README lacks {flag}");
    }
}

/// Every `.rs` file below `dir`, with its text.
fn sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.push((path, text));
            }
        }
    }
    out
}

fn src() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layers of the architecture (README → Architecture): `cloud` and
/// `domain` import neither `report` nor `dashboard`; `report` never imports
/// `dashboard`.
#[test]
fn layers_never_import_upwards() {
    let rules: [(&str, &[&str]); 4] = [
        (
            "domain",
            &["crate::dashboard", "crate::report", "crate::cloud"],
        ),
        ("cloud", &["crate::dashboard", "crate::report"]),
        ("config", &["crate::dashboard", "crate::report"]),
        ("report", &["crate::dashboard"]),
    ];
    let mut checked = 0;
    for (layer, forbidden) in rules {
        for (path, text) in sources(&src().join(layer)) {
            checked += 1;
            for (n, line) in text.lines().enumerate() {
                for f in forbidden {
                    assert!(
                        !line.contains(f),
                        "{}:{}: the {layer} layer imports {f}: {line}",
                        path.display(),
                        n + 1
                    );
                }
            }
        }
    }
    assert!(
        checked > 30,
        "only {checked} files read: is src/ where it was?"
    );
}

#[test]
fn no_source_file_is_huge() {
    for (path, text) in sources(&src()) {
        let lines = text.lines().count();
        assert!(
            lines <= 850,
            "{} has {lines} lines: split it by job",
            path.display()
        );
    }
}

/// The part of the README from the heading `## {title}` to the next `## `.
fn readme_section(title: &str) -> &'static str {
    let start = README
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("README has no section {title}"));
    let rest = &README[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    &rest[..end]
}

/// The README bullet that starts with `**{name}**`.
fn readme_bullet(section: &'static str, name: &str) -> &'static str {
    let start = section
        .find(&format!("- **{name}**"))
        .unwrap_or_else(|| panic!("no bullet {name}"));
    let rest = &section[start..];
    let end = rest[2..].find("\n- ").map_or(rest.len(), |e| e + 2);
    &rest[..end]
}

/// The table's REGION column holds `Instance::region`: for OpenStack the
/// region of the endpoint (clouds.yaml's `region_name`/`regions` or the
/// config's), and the cloud's name only when none is named.
#[test]
fn readme_says_what_the_region_column_shows() {
    let table = readme_bullet(readme_section("The screen"), "Table");
    assert!(
        table.contains("region (the AWS region, or the OpenStack region"),
        "{table}"
    );
    assert!(!table.contains("or cloud name (OpenStack)"), "{table}");
}

/// One user-data limit for every cloud, checked before any request; the
/// README's OpenStack launch bullet says that limit, not Nova's larger one.
#[test]
fn readme_gives_the_user_data_limit_the_code_applies() {
    use hytop::domain::model::USER_DATA_LIMIT;
    assert_eq!(USER_DATA_LIMIT, 16_384, "update the README's figures");
    let launch = readme_bullet(readme_section("OpenStack"), "Launch");
    assert!(launch.contains("16,384 bytes"), "{launch}");
    assert!(
        !launch.contains("over Nova's 65,535"),
        "hytop refuses user-data long before Nova's limit: {launch}"
    );
}

/// Every key name the parser takes is in the README and keymap.toml's
/// header; the ones no terminal reports to hytop are refused.
#[test]
fn key_names_are_documented_or_refused() {
    use hytop::dashboard::keymap::Key;
    let keymap = include_str!("../../keymap.toml");
    let header: String = keymap
        .lines()
        .take_while(|l| l.starts_with('#') || l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    for name in [
        "Enter",
        "Return",
        "Esc",
        "Escape",
        "Tab",
        "BackTab",
        "Backspace",
        "Delete",
        "Del",
        "Insert",
        "Ins",
        "PageUp",
        "PgUp",
        "PageDown",
        "PgDn",
        "Home",
        "End",
        "Space",
    ] {
        assert!(name.parse::<Key>().is_ok(), "{name}");
        assert!(README.contains(name), "README lacks the key name {name}");
        assert!(header.contains(name), "keymap.toml's header lacks {name}");
    }
    for prefix in ["ctrl-", "alt-", "shift-", "control-"] {
        assert!(format!("{prefix}Up").parse::<Key>().is_ok(), "{prefix}");
        assert!(
            README.contains(&format!("`{prefix}`")),
            "README lacks {prefix}"
        );
    }
    assert!(README.contains("F1…F20"), "README: the function keys");
    assert!(
        header.contains("F1 ... F20"),
        "keymap.toml: the function keys"
    );
    assert!("F20".parse::<Key>().is_ok());
    assert!("F21".parse::<Key>().is_err());
    for refused in ["meta-x", "super-x", "hyper-x"] {
        assert!(refused.parse::<Key>().is_err(), "{refused}");
    }
    assert!(README.contains("`meta-`"), "README: why meta- is refused");
}
