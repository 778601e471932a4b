//! Rules back to TOML, in the format [`super::parse`] reads.

use std::fmt::Write as _;

use super::{Condition, FORMAT_VERSION, Rule, Test};

/// A TOML basic string: quotes, backslashes and control characters
/// escaped.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn texts(v: &[String]) -> String {
    if let [one] = v {
        quote(one)
    } else {
        let items: Vec<String> = v.iter().map(|s| quote(s)).collect();
        format!("[{}]", items.join(", "))
    }
}

/// One condition as an inline table.
pub(crate) fn condition(c: &Condition) -> String {
    match c {
        Condition::Test { attr, test } => {
            let value = match test {
                Test::Missing | Test::Present | Test::Empty => "true".to_owned(),
                other => texts(other.texts()),
            };
            format!(
                "{{ attr = {}, {} = {value} }}",
                quote(attr.keyword()),
                test.name()
            )
        }
        Condition::All(v) | Condition::Any(v) => {
            let name = if matches!(c, Condition::All(_)) {
                "all"
            } else {
                "any"
            };
            let items: Vec<String> = v.iter().map(condition).collect();
            format!("{{ {name} = [{}] }}", items.join(", "))
        }
        Condition::Not(inner) => format!("{{ not = {} }}", condition(inner)),
    }
}

pub(super) fn to_toml(rules: &[Rule]) -> String {
    let mut out = format!("format = {FORMAT_VERSION}\n");
    for r in rules {
        out.push_str("\n[[rule]]\n");
        let _ = writeln!(out, "id = {}", quote(&r.id));
        let _ = writeln!(out, "label = {}", quote(&r.label));
        if let Some(s) = &r.source {
            let _ = writeln!(out, "source = {}", quote(s));
        }
        if let Some(n) = &r.note {
            let _ = writeln!(out, "note = {}", quote(n));
        }
        let _ = writeln!(out, "action = {}", quote(r.action.as_str()));
        match &r.when {
            Condition::All(v) | Condition::Any(v) => {
                let name = if matches!(r.when, Condition::All(_)) {
                    "all"
                } else {
                    "any"
                };
                let _ = writeln!(out, "when.{name} = [");
                for c in v {
                    let _ = writeln!(out, "  {},", condition(c));
                }
                out.push_str("]\n");
            }
            other => {
                let _ = writeln!(out, "when = {}", condition(other));
            }
        }
        if !r.rects.is_empty() {
            out.push_str("rects = [\n");
            for q in &r.rects {
                let _ = writeln!(
                    out,
                    "  {{ x = {}, y = {}, width = {}, height = {} }},",
                    q.x, q.y, q.width, q.height
                );
            }
            out.push_str("]\n");
        }
    }
    out
}

/// The dictionary keyword of a tag (its `(gggg,eeee)` form if unknown).
pub(crate) fn keyword_of(tag: dicom_core::Tag) -> String {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
    dicom_dictionary_std::StandardDataDictionary
        .by_tag(tag)
        .map_or_else(|| tag.to_string(), |e| e.alias().to_owned())
}
