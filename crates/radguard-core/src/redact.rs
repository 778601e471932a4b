//! A wrapper for values that may hold protected health information.

use core::fmt;

/// A value that may hold protected health information (PHI).
///
/// `Debug` and `Display` print `<redacted>`, and with the `serde` feature it
/// serializes as the string `"<redacted>"`. The value is reachable only
/// through [`Redacted::expose`] and [`Redacted::into_inner`], whose names
/// make every read visible in review.
///
/// Use it for fields of errors and reports that must keep a value for the
/// program's own use (for example, to match it again) but must never print
/// it.
///
/// # Examples
///
/// ```
/// use radguard_core::Redacted;
///
/// #[derive(Debug)]
/// struct Mismatch { found: Redacted<String> }
///
/// let m = Mismatch { found: Redacted::new("DOE^JANE".to_owned()) };
/// assert_eq!(format!("{m:?}"), "Mismatch { found: <redacted> }");
/// assert_eq!(m.found.expose(), "DOE^JANE");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// Borrows the wrapped value.
    ///
    /// # Security
    ///
    /// Whatever is done with the result must not print or log it.
    pub const fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    ///
    /// # Security
    ///
    /// As for [`Redacted::expose`].
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Redacted<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(feature = "serde")]
impl<T> serde::Serialize for Redacted<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::{format, string::String};

    #[test]
    fn never_prints_value() {
        let r = Redacted::new(String::from("SMITH^JOHN"));
        assert_eq!(format!("{r}"), "<redacted>");
        assert_eq!(format!("{r:?}"), "<redacted>");
        assert_eq!(format!("{r:#?}"), "<redacted>");
        assert_eq!(r.into_inner(), "SMITH^JOHN");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes_as_marker() {
        let r = Redacted::new(String::from("SMITH^JOHN"));
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"<redacted>\"");
    }
}
