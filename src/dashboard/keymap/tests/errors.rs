//! Bad keymaps: every problem names file, line, section and key.

use super::*;
use crate::dashboard::command::Context;

#[test]
fn unknown_action_suggests_the_closest() {
    assert_eq!(
        user_err("# my keys\n\n[table]\nj = \"down\"\n\n\nX = \"terminat\"\n"),
        "~/.config/hytop/keymap.toml:7: [table] key \"X\": unknown action \"terminat\" \
         (did you mean \"terminate\"?)"
    );
    assert_eq!(
        user_err("[console]\nx = { run = \"serch\" }\n"),
        "~/.config/hytop/keymap.toml:2: [console] key \"x\": unknown action \"serch\" \
         (did you mean \"search\"?)"
    );
}

#[test]
fn errors_carry_their_location_as_fields() {
    let err = match user("[console]\nq = \"quit\"\n\n[table]\n\"ctrl-x\" = \"nope\"\n") {
        Ok(file) => panic!("parsed {file:?}"),
        Err(e) => e,
    };
    assert_eq!(err.file, "~/.config/hytop/keymap.toml");
    assert_eq!(err.line, Some(5));
    assert_eq!(err.section.as_deref(), Some(Context::Table.name()));
    assert_eq!(err.key.as_deref(), Some("ctrl-x"));
    assert_eq!(
        err.message,
        "unknown action \"nope\" (did you mean \"none\"?)"
    );
}

#[test]
fn unknown_action_without_a_close_match_lists_them() {
    assert_eq!(
        user_err("[table]\nz = \"frobnicate\"\n"),
        "~/.config/hytop/keymap.toml:2: [table] key \"z\": unknown action \"frobnicate\" \
         (actions: quit, help, down, up, page_down, page_up, top, bottom, filter, command, \
         clear, describe, launch, terminate, stop, start, reboot, hard_reboot, shelve, unshelve, public_ip, addresses, forgotten, extend, console, doctor, probe, ssh, copy_menu, copy, refresh, \
         sweep, region, profile, cloud, toggle, mark, mark_all, sort_next, sort_reverse, follow, search, search_next, search_prev, \
         close, confirm, cancel, next_field, prev_field, choose_next, choose_prev, attach, \
         detach, release, toggle_release, delete_back, clear_line, keep_and_quit, park, \
         or \"none\" to unbind)"
    );
}

#[test]
fn bad_key_name_is_located() {
    assert_eq!(
        user_err("[table]\nj = \"down\"\n\"ctrl-pgdwn\" = \"page_down\"\n"),
        "~/.config/hytop/keymap.toml:3: [table] key \"ctrl-pgdwn\": unknown key \"pgdwn\" \
         (did you mean \"PgDn\"?)"
    );
}

#[test]
fn keys_no_terminal_reports_are_located() {
    assert_eq!(
        user_err("[table]\nj = \"down\"\n\n\"meta-x\" = \"launch\"\n"),
        "~/.config/hytop/keymap.toml:4: [table] key \"meta-x\": terminals do not report \
         \"meta-\" to hytop: the Meta key arrives as Alt, write \"alt-x\""
    );
    assert_eq!(
        user_err("[console]\nF24 = \"follow\"\n"),
        "~/.config/hytop/keymap.toml:2: [console] key \"F24\": unknown key \"F24\" \
         (terminals report function keys F1 to F20)"
    );
    // F13 to F20 exist on some keyboards, and terminals report them.
    let file = user("[console]\nF13 = \"follow\"\n").expect("F13 binds");
    assert_eq!(file.entries.len(), 1, "{file:?}");
    assert_eq!(file.entries[0].key, key("F13"));
}

#[test]
fn wrong_value_type_is_located() {
    assert_eq!(
        user_err("[console]\n\nj = 3\n"),
        "~/.config/hytop/keymap.toml:3: [console] key \"j\": expected an action name or \
         { run = \"...\", desc = \"...\" }, found integer"
    );
    assert_eq!(
        user_err("[table]\nj = [\"down\"]\n"),
        "~/.config/hytop/keymap.toml:2: [table] key \"j\": expected an action name or \
         { run = \"...\", desc = \"...\" }, found array"
    );
}

#[test]
fn inline_table_fields_are_checked() {
    assert_eq!(
        user_err("[table]\nX = { run = \"terminate\", descr = \"Bye\" }\n"),
        "~/.config/hytop/keymap.toml:2: [table] key \"X\": unknown field \"descr\" \
         (did you mean \"desc\"?)"
    );
    assert_eq!(
        user_err("[table]\nX = { command = \"terminate\" }\n"),
        "~/.config/hytop/keymap.toml:2: [table] key \"X\": unknown field \"command\" \
         (fields: run, desc)"
    );
    assert_eq!(
        user_err("[table]\nX = { desc = \"Bye\" }\n"),
        "~/.config/hytop/keymap.toml:2: [table] key \"X\": missing field \"run\" \
         (the action to run)"
    );
    assert_eq!(
        user_err("[table]\nX = { run = \"terminate\", desc = 1 }\n"),
        "~/.config/hytop/keymap.toml:2: [table] key \"X\": \"desc\" must be a string, \
         found integer"
    );
    assert_eq!(
        user_err("[table.X]\nrun = \"terminate\"\n\ndesc = true\n"),
        "~/.config/hytop/keymap.toml:4: [table] key \"X\": \"desc\" must be a string, \
         found boolean"
    );
}

#[test]
fn unknown_context_is_located() {
    assert_eq!(
        user_err("[table]\nj = \"down\"\n\n[tabel]\nk = \"up\"\n"),
        "~/.config/hytop/keymap.toml:4: unknown context [tabel] (did you mean [table]?)"
    );
    let contexts = "[table] or [console] or [help] or [describe] or [prompt] or [confirm] \
                    or [launch] or [public_ip] or [addresses] or [quit] or [doctor] or [copy] \
                    or [picker]";
    assert_eq!(
        user_err("[popup]\nq = \"close\"\n"),
        format!("~/.config/hytop/keymap.toml:1: unknown context [popup] (contexts: {contexts})")
    );
    assert_eq!(
        user_err("# oops\nj = \"down\"\n"),
        format!(
            "~/.config/hytop/keymap.toml:2: key \"j\": bindings go in a context table: \
             put it under {contexts}"
        )
    );
    assert_eq!(
        user_err("console = \"close\"\n"),
        "~/.config/hytop/keymap.toml:1: \"console\" must be a table of key bindings \
         ([console]), found string"
    );
}

#[test]
fn same_key_written_twice_is_rejected() {
    assert_eq!(
        user_err("[table]\nDown = \"down\"\ndown = \"up\"\n"),
        "~/.config/hytop/keymap.toml:3: [table] key \"down\": same key as \"Down\" on line 2"
    );
    assert_eq!(
        user_err("[console]\n\" \" = \"follow\"\n\nspace = \"close\"\n"),
        "~/.config/hytop/keymap.toml:4: [console] key \"space\": same key as \" \" on line 2"
    );
    // The same key in two contexts is two bindings.
    assert!(user("[table]\nz = \"down\"\n[console]\nz = \"down\"\n").is_ok());
}

#[test]
fn toml_syntax_errors_keep_file_and_line() {
    let err = match user("[table]\nj = \"down\"\nk = up\n") {
        Ok(file) => panic!("parsed {file:?}"),
        Err(e) => e,
    };
    assert_eq!(err.line, Some(3));
    assert_eq!(err.section, None);
    assert_eq!(err.key, None);
    assert_eq!(
        err.to_string(),
        "~/.config/hytop/keymap.toml:3: string values must be quoted, expected literal \
         string (at \"up\")"
    );
    assert_eq!(
        user_err("[table]\nj = \"down\"\nj = \"up\"\n"),
        "~/.config/hytop/keymap.toml:3: duplicate key (at \"j\")"
    );
    assert_eq!(
        user_err("[table]\nj = \"down\"\n\n[table]\n"),
        "~/.config/hytop/keymap.toml:4: duplicate key (at \"table\")"
    );
    assert_eq!(
        user_err("[table\nj = \"down\"\n"),
        "~/.config/hytop/keymap.toml:1: unclosed table, expected `]`"
    );
}

#[test]
fn first_error_in_file_order_wins() {
    // The parser's map is sorted by name ("a" < "z"); the file is not.
    assert_eq!(
        user_err("[table]\nz = \"bogus1\"\na = \"bogus2\"\n")
            .split(':')
            .nth(1),
        Some("2")
    );
}

#[test]
fn misspelt_popup_sections_are_suggested() {
    assert_eq!(
        user_err("[confrim]\ny = \"none\"\n"),
        "~/.config/hytop/keymap.toml:1: unknown context [confrim] (did you mean [confirm]?)"
    );
    assert_eq!(
        user_err("[public-ip]\na = \"attach\"\n"),
        "~/.config/hytop/keymap.toml:1: unknown context [public-ip] (did you mean [public_ip]?)"
    );
}

#[test]
fn datetimes_are_named_like_any_other_type() {
    assert_eq!(
        user_err("[table]\nj = 1979-05-27\n"),
        "~/.config/hytop/keymap.toml:2: [table] key \"j\": expected an action name or \
         { run = \"...\", desc = \"...\" }, found datetime"
    );
    assert_eq!(
        user_err("\ntable = 1979-05-27T07:32:00Z\n"),
        "~/.config/hytop/keymap.toml:2: \"table\" must be a table of key bindings \
         ([table]), found datetime"
    );
    assert_eq!(
        user_err("[table]\nX = { run = \"terminate\", desc = 07:32:00 }\n"),
        "~/.config/hytop/keymap.toml:2: [table] key \"X\": \"desc\" must be a string, \
         found datetime"
    );
}

#[test]
fn type_errors_are_reported_in_file_order_too() {
    // By name "a" comes first; in the file "z" does.
    assert_eq!(
        user_err("[table]\nz = 3\na = \"bogus\"\n"),
        "~/.config/hytop/keymap.toml:2: [table] key \"z\": expected an action name or \
         { run = \"...\", desc = \"...\" }, found integer"
    );
    assert_eq!(
        user_err("[table]\nX = { run = 1, desc = \"Bye\", bogus = 2 }\n"),
        "~/.config/hytop/keymap.toml:2: [table] key \"X\": \"run\" must be a string, \
         found integer"
    );
    // Sections too: [zzz] before [tabel] in the file.
    assert_eq!(
        user_err("[zzz]\n[tabel]\n"),
        "~/.config/hytop/keymap.toml:1: unknown context [zzz] (contexts: [table] or \
         [console] or [help] or [describe] or [prompt] or [confirm] or [launch] or \
         [public_ip] or [addresses] or [quit] or [doctor] or [copy] or [picker])"
    );
}

#[test]
fn sub_table_and_dotted_forms_are_located() {
    assert_eq!(
        user_err("[table]\nj = \"down\"\n\n[table.X]\ndesc = \"Bye\"\n"),
        "~/.config/hytop/keymap.toml:4: [table] key \"X\": missing field \"run\" \
         (the action to run)"
    );
    assert_eq!(
        user_err("# dotted\ntable.j = \"down\"\ntable.k = \"upp\"\n"),
        "~/.config/hytop/keymap.toml:3: [table] key \"k\": unknown action \"upp\" \
         (did you mean \"up\"?)"
    );
}
