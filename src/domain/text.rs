//! [`Text`]: an immutable, cheaply shared string for the fields that repeat
//! across a fleet (account, region, state word, size, image). Ten thousand
//! instances in one region hold one `eu-west-1`, not ten thousand.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, LazyLock, Mutex};

/// A shared string; compares, hashes, prints and serialises as its text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Text(Arc<str>);

/// Every distinct value interned so far. Only low-cardinality fields are
/// interned, so the set stays small (regions, sizes, images, state words).
static INTERNED: LazyLock<Mutex<HashSet<Arc<str>>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

impl Text {
    /// The one shared copy of `s`.
    pub fn interned(s: &str) -> Text {
        let mut set = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = set.get(s) {
            return Text(Arc::clone(existing));
        }
        let new: Arc<str> = Arc::from(s);
        set.insert(Arc::clone(&new));
        Text(new)
    }

    /// A text of its own, not interned: for values that rarely repeat (an
    /// address list, an allocation id), which would only grow the set.
    pub fn unique(s: String) -> Text {
        Text(Arc::from(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::interned(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::interned(&s)
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::interned(s)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_copy() {
        let a = Text::from("eu-west-1");
        let b = Text::from(String::from("eu-west-1"));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "eu-west-1");
        assert_eq!("eu-west-1", a);
        assert_eq!(a.to_string(), "eu-west-1");
        assert_eq!(format!("{a:?}"), "\"eu-west-1\"");
        assert_eq!(serde_json::to_string(&a).expect("json"), "\"eu-west-1\"");
        assert!(Text::interned("a") < Text::interned("b"));
    }
}
