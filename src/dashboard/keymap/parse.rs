//! The keymap file format: from keymap.toml's text to a checked
//! [`KeymapFile`], or the first problem in file order, located in the file.
//!
//! ```toml
//! [table]                     # a section: one per `Context`
//! j = "down"                  # key = "command"
//! X = { run = "terminate", desc = "Shown by ?" }
//! x = "none"                  # unbinds the key
//! ```

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use super::key::{Key, ParseKeyError};
use super::suggest::suggest;
use super::written::{BindingSpec, Document, Entries, Field, Found, Section};
use super::{Binding, Entry, KeymapFile};
use crate::config::error::{Located, line_of};
use crate::dashboard::command::{Command, Context};

/// The value that removes a binding instead of naming a command.
pub(super) const UNBIND: &str = "none";

/// The fields of `key = { run = "...", desc = "..." }`.
const FIELDS: [&str; 2] = ["run", "desc"];

/// Parses and checks `text`; `source` names the file in errors.
pub(super) fn parse(text: &str, source: &str) -> Result<KeymapFile, Located> {
    let file = File { text, source };
    let Document(sections) = toml::from_str(text).map_err(|e| file.syntax_error(&e))?;
    let mut sections: Vec<_> = sections.into_iter().collect();
    sections.sort_by_key(|(name, _)| name.span().start);

    let mut entries = Vec::new();
    for (name, value) in sections {
        let name_span = name.span();
        let name = name.into_inner();
        let context = Context::ALL.into_iter().find(|c| c.name() == name);
        match (context, value.into_inner()) {
            (Some(context), Section::Bindings(bindings)) => {
                parse_section(&file, context, bindings, &mut entries)?;
            }
            (Some(context), Section::Other(Found(found))) => {
                return Err(file.error(
                    name_span,
                    format!(
                        "\"{name}\" must be a table of key bindings ([{name}]), found {found}",
                        name = context.name()
                    ),
                ));
            }
            (None, Section::Bindings(_)) => {
                let names = Context::ALL.iter().map(|c| c.name());
                let hint = match suggest(&name, names) {
                    Some(guess) => format!("did you mean [{guess}]?"),
                    None => format!("contexts: {}", context_list()),
                };
                return Err(file.error(name_span, format!("unknown context [{name}] ({hint})")));
            }
            (None, Section::Other(_)) => {
                return Err(file
                    .error(
                        name_span,
                        format!(
                            "bindings go in a context table: put it under {}",
                            context_list()
                        ),
                    )
                    .at_key(name));
            }
        }
    }
    Ok(KeymapFile { entries })
}

/// The file being parsed, to locate errors in.
struct File<'a> {
    text: &'a str,
    source: &'a str,
}

impl File<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        line_of(self.text, span.start)
    }

    fn error(&self, span: Range<usize>, message: String) -> Located {
        Located::new(self.source, message).at_line(Some(self.line(span)))
    }

    /// A TOML syntax error, with the text it points at: toml's messages (e.g.
    /// "duplicate key") do not say which key.
    fn syntax_error(&self, error: &toml::de::Error) -> Located {
        let message = error.message().trim();
        let at = error
            .span()
            .and_then(|span| self.text.get(span))
            .filter(|at| !at.trim().is_empty() && !at.contains('\n') && at.chars().count() <= 40);
        let message = match at {
            Some(at) => format!("{message} (at {at:?})"),
            None => message.to_string(),
        };
        Located::new(self.source, message).at_line(error.span().map(|span| self.line(span)))
    }
}

/// The bindings of one `[section]`, in file order, appended to `entries`.
fn parse_section(
    file: &File<'_>,
    context: Context,
    bindings: Entries<BindingSpec>,
    entries: &mut Vec<Entry>,
) -> Result<(), Located> {
    // TOML sees `Down` and `down`, or `G` and `shift-g`, as different keys;
    // silently letting the later one win would hide a mistake.
    let mut seen: HashMap<Key, (String, usize)> = HashMap::new();
    for (written, spec) in in_file_order(bindings) {
        let err = |span: Range<usize>, message: String| {
            file.error(span, message)
                .in_section(context.name())
                .at_key(written.as_str())
        };
        let span = spec.span();
        let key: Key = written
            .parse()
            .map_err(|e: ParseKeyError| err(span.clone(), e.to_string()))?;
        let line = file.line(span.clone());
        if let Some((first, first_line)) = seen.insert(key, (written.clone(), line)) {
            return Err(err(
                span,
                format!("same key as {first:?} on line {first_line}"),
            ));
        }

        let (run, desc) = match spec.into_inner() {
            BindingSpec::Run(run) => (Spanned::new(span, run), None),
            BindingSpec::Fields(fields) => parse_fields(fields, span, &err)?,
            BindingSpec::Other(Found(found)) => {
                return Err(err(
                    span,
                    format!(
                        "expected an action name or {{ run = \"...\", desc = \"...\" }}, found {found}"
                    ),
                ));
            }
        };
        let binding = if run.get_ref() == UNBIND {
            None
        } else {
            let command: Command = run
                .get_ref()
                .parse()
                .map_err(|()| err(run.span(), unknown_action_message(run.get_ref())))?;
            let description = match desc {
                Some(desc) if !desc.trim().is_empty() => desc,
                _ => command.description().to_string(),
            };
            Some(Binding {
                key,
                command,
                description,
            })
        };
        entries.push(Entry {
            context,
            key,
            binding,
        });
    }
    Ok(())
}

/// The `run` and `desc` of `key = { run = "...", desc = "..." }`; `span` is
/// the whole table's, for a missing `run`.
fn parse_fields(
    fields: Entries<Field>,
    span: Range<usize>,
    err: &dyn Fn(Range<usize>, String) -> Located,
) -> Result<(Spanned<String>, Option<String>), Located> {
    let mut run = None;
    let mut desc = None;
    for (name, value) in in_file_order(fields) {
        let slot = match name.as_str() {
            "run" => &mut run,
            "desc" => &mut desc,
            _ => {
                let hint = match suggest(&name, FIELDS.into_iter()) {
                    Some(guess) => format!("did you mean \"{guess}\"?"),
                    None => format!("fields: {}", FIELDS.join(", ")),
                };
                return Err(err(
                    value.span(),
                    format!("unknown field \"{name}\" ({hint})"),
                ));
            }
        };
        let value_span = value.span();
        match value.into_inner() {
            Field::Text(text) => *slot = Some(Spanned::new(value_span, text)),
            Field::Other(Found(found)) => {
                return Err(err(
                    value_span,
                    format!("\"{name}\" must be a string, found {found}"),
                ));
            }
        }
    }
    match run {
        Some(run) => Ok((run, desc.map(Spanned::into_inner))),
        None => Err(err(
            span,
            "missing field \"run\" (the action to run)".to_string(),
        )),
    }
}

fn unknown_action_message(name: &str) -> String {
    let names = Command::ALL.iter().map(|c| c.name());
    match suggest(name, names.clone().chain([UNBIND])) {
        Some(guess) => format!("unknown action \"{name}\" (did you mean \"{guess}\"?)"),
        None => format!(
            "unknown action \"{name}\" (actions: {}, or \"{UNBIND}\" to unbind)",
            names.collect::<Vec<_>>().join(", ")
        ),
    }
}

fn context_list() -> String {
    Context::ALL
        .iter()
        .map(|c| format!("[{}]", c.name()))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A table's entries in the order they appear in the file, which is the
/// order a user reads errors in (toml hands them over sorted by name).
fn in_file_order<T>(mut entries: Entries<T>) -> Entries<T> {
    entries.sort_by_key(|(_, value)| value.span().start);
    entries
}
