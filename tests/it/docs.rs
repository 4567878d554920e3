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
