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
