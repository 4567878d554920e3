//! keymap.toml as written, read with serde into typed shapes that keep every
//! value's span.
//!
//! Nothing is judged here: a value of the wrong type is kept as what it is
//! ([`Found`]) instead of failing, so that `parse` can report the first
//! problem in file order with its section and key. Serde failing on the spot
//! would stop at the first problem in name order (toml hands tables over
//! sorted by name) and could not say which binding it was in.
//!
//! Keys inside sections and bindings are plain strings: a binding's value
//! starts on its key's line (TOML puts `key = value` on one line; a
//! `[table.X]` header is both the key and the start of the value), so the
//! value's span locates both.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

/// The whole file: what each top-level name holds.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(super) struct Document(pub BTreeMap<Spanned<String>, Spanned<Section>>);

/// A table entry as written: its key and its value with the value's span.
pub(super) type Entries<T> = Vec<(String, Spanned<T>)>;

/// The TOML type of a value that is not what its place takes, in TOML's
/// words ("integer", "array", ...), for "found ..." in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Found(pub &'static str);

/// What a top-level name holds: a `[section]` of bindings, or something else
/// (`console = "close"`, or a binding written before any section).
#[derive(Debug)]
pub(super) enum Section {
    Bindings(Entries<BindingSpec>),
    Other(Found),
}

/// One binding's value: `"command"` or `{ run = "command", desc = "..." }`
/// (or the `[section.key]` sub-table form of the latter).
#[derive(Debug)]
pub(super) enum BindingSpec {
    Run(String),
    Fields(Entries<Field>),
    Other(Found),
}

/// The value of one field of `{ run, desc }`.
#[derive(Debug)]
pub(super) enum Field {
    Text(String),
    Other(Found),
}

/// How each shape above is built from what the TOML deserializer hands over.
trait Shape: Sized {
    /// What a table in this place holds.
    type Entry: DeserializeOwned;
    /// What serde says it expected, should toml itself fail.
    const EXPECTING: &'static str;
    fn text(text: String) -> Self;
    fn table(entries: Entries<Self::Entry>) -> Self;
    fn other(found: Found) -> Self;
}

impl Shape for Section {
    type Entry = BindingSpec;
    const EXPECTING: &'static str = "a table of key bindings";
    fn text(_: String) -> Self {
        Section::Other(Found("string"))
    }
    fn table(entries: Entries<BindingSpec>) -> Self {
        Section::Bindings(entries)
    }
    fn other(found: Found) -> Self {
        Section::Other(found)
    }
}

impl Shape for BindingSpec {
    type Entry = Field;
    const EXPECTING: &'static str = "an action name or { run = \"...\", desc = \"...\" }";
    fn text(text: String) -> Self {
        BindingSpec::Run(text)
    }
    fn table(entries: Entries<Field>) -> Self {
        BindingSpec::Fields(entries)
    }
    fn other(found: Found) -> Self {
        BindingSpec::Other(found)
    }
}

impl Shape for Field {
    /// A table is the wrong type for a field: what it holds is not looked at.
    type Entry = IgnoredAny;
    const EXPECTING: &'static str = "a string";
    fn text(text: String) -> Self {
        Field::Text(text)
    }
    fn table(_: Entries<IgnoredAny>) -> Self {
        Field::Other(Found("table"))
    }
    fn other(found: Found) -> Self {
        Field::Other(found)
    }
}

macro_rules! deserialize_as_shape {
    ($($shape:ty),*) => {$(
        impl<'de> Deserialize<'de> for $shape {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(ShapeVisitor::<$shape>(PhantomData))
            }
        }
    )*};
}

deserialize_as_shape!(Section, BindingSpec, Field);

/// Accepts any TOML value and sorts it into a [`Shape`].
struct ShapeVisitor<T>(PhantomData<T>);

impl<'de, T: Shape> Visitor<'de> for ShapeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::text(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::text(v))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Ok(T::other(Found("boolean")))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
        Ok(T::other(Found("integer")))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Ok(T::other(Found("integer")))
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<T, E> {
        Ok(T::other(Found("integer")))
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<T, E> {
        Ok(T::other(Found("integer")))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Ok(T::other(Found("float")))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<T, A::Error> {
        Ok(T::other(Found("array")))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if entries.is_empty() && is_datetime_key(&key) {
                return Ok(T::other(Found("datetime")));
            }
            let value = map.next_value::<Spanned<T::Entry>>()?;
            entries.push((key, value));
        }
        Ok(T::table(entries))
    }
}

/// Whether `key` is the private key under which toml hands a datetime over
/// as a one-entry map. toml's own `Datetime` knows that key; its value (the
/// date's text) carries no span, so it must not be read as a table entry.
fn is_datetime_key(key: &str) -> bool {
    let probe = de::value::MapDeserializer::<_, de::value::Error>::new(std::iter::once((
        key,
        "1979-05-27",
    )));
    toml::value::Datetime::deserialize(probe).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(String, Spanned<Section>)> {
        let Document(sections) = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        sections
            .into_iter()
            .map(|(name, value)| (name.into_inner(), value))
            .collect()
    }

    #[test]
    fn every_toml_type_is_kept_as_what_it_is() {
        let sections = read(
            "a = 1\nb = 1.5\nc = true\nd = 1979-05-27\ne = [1]\nf = \"x\"\n\
             [s]\nj = 3\nk = 1979-05-27T07:32:00Z\nl = { run = \"x\", desc = { a = 1 } }\n\
             m = { run = 1979-05-27, desc = [] }\n",
        );
        let found: Vec<(&str, Option<Found>)> = sections
            .iter()
            .map(|(name, value)| {
                let found = match value.get_ref() {
                    Section::Other(found) => Some(*found),
                    Section::Bindings(_) => None,
                };
                (name.as_str(), found)
            })
            .collect();
        assert_eq!(
            found,
            [
                ("a", Some(Found("integer"))),
                ("b", Some(Found("float"))),
                ("c", Some(Found("boolean"))),
                ("d", Some(Found("datetime"))),
                ("e", Some(Found("array"))),
                ("f", Some(Found("string"))),
                ("s", None),
            ]
        );
        let Some((_, section)) = sections.iter().find(|(name, _)| name == "s") else {
            panic!("no [s]");
        };
        let Section::Bindings(bindings) = section.get_ref() else {
            panic!("[s] is not a table");
        };
        let shapes: Vec<String> = bindings
            .iter()
            .map(|(key, value)| match value.get_ref() {
                BindingSpec::Run(run) => format!("{key}: run {run}"),
                BindingSpec::Other(Found(found)) => format!("{key}: {found}"),
                BindingSpec::Fields(fields) => {
                    let fields: Vec<String> = fields
                        .iter()
                        .map(|(name, value)| match value.get_ref() {
                            Field::Text(text) => format!("{name} = {text}"),
                            Field::Other(Found(found)) => format!("{name}: {found}"),
                        })
                        .collect();
                    format!("{key}: {}", fields.join(", "))
                }
            })
            .collect();
        assert_eq!(
            shapes,
            [
                "j: integer",
                "k: datetime",
                "l: desc: table, run = x",
                "m: desc: array, run: datetime",
            ]
        );
    }

    #[test]
    fn values_start_on_their_keys_line() {
        let text = "[table]\nj = \"down\"\n\n[table.X]\nrun = \"t\"\n\ndesc = true\n";
        let sections = read(text);
        let line = |span: std::ops::Range<usize>| crate::config::line_of(text, span.start);
        let Section::Bindings(bindings) = sections[0].1.get_ref() else {
            panic!("[table] is not a table");
        };
        let lines: Vec<(&str, usize)> = bindings
            .iter()
            .map(|(key, value)| (key.as_str(), line(value.span())))
            .collect();
        assert_eq!(lines, [("X", 4), ("j", 2)]);
        let Some((_, x)) = bindings.iter().find(|(key, _)| key == "X") else {
            panic!("no X");
        };
        let BindingSpec::Fields(fields) = x.get_ref() else {
            panic!("X has no fields");
        };
        let lines: Vec<(&str, usize)> = fields
            .iter()
            .map(|(name, value)| (name.as_str(), line(value.span())))
            .collect();
        assert_eq!(lines, [("desc", 7), ("run", 5)]);
    }
}
