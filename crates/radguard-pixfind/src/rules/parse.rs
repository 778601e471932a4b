//! The strict TOML reader of rule files.

use std::collections::HashSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Attribute, Condition, FORMAT_VERSION, MAX_CONDITION_DEPTH, Rule, RuleAction, RuleError, Test,
};
use crate::Rect;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: Spanned<i64>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Option<Spanned<String>>,
    label: Spanned<String>,
    source: Option<String>,
    note: Option<String>,
    action: Spanned<String>,
    when: Spanned<RawCond>,
    #[serde(default)]
    rects: Option<Spanned<Vec<RawRect>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRect {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCond {
    attr: Option<Spanned<String>>,
    equals: Option<Spanned<Texts>>,
    contains: Option<Spanned<Texts>>,
    startswith: Option<Spanned<Texts>>,
    endswith: Option<Spanned<Texts>>,
    missing: Option<Spanned<bool>>,
    present: Option<Spanned<bool>>,
    empty: Option<Spanned<bool>>,
    all: Option<Spanned<Vec<Spanned<Self>>>>,
    any: Option<Spanned<Vec<Spanned<Self>>>>,
    not: Option<Box<Spanned<Self>>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Texts {
    One(Scalar),
    Many(Vec<Scalar>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
}

impl Scalar {
    fn into_string(self) -> String {
        match self {
            Self::Text(s) => s,
            Self::Int(i) => i.to_string(),
        }
    }
}

/// Line and column (1-based) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let upto = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = upto.matches('\n').count() + 1;
    let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Ctx<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Ctx<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        line_col(self.text, span.start).0
    }

    fn invalid(&self, span: &Range<usize>, message: impl Into<String>) -> RuleError {
        RuleError::Invalid {
            origin: self.origin.to_owned(),
            line: self.line(span),
            message: message.into(),
        }
    }

    fn texts(&self, name: &str, t: Spanned<Texts>) -> Result<Vec<String>, RuleError> {
        let span = t.span();
        let v: Vec<String> = match t.into_inner() {
            Texts::One(s) => vec![s.into_string()],
            Texts::Many(v) => v.into_iter().map(Scalar::into_string).collect(),
        };
        if v.is_empty() {
            return Err(self.invalid(&span, format!("`{name}` needs at least one text")));
        }
        if v.iter().any(|s| s.trim().is_empty()) {
            return Err(self.invalid(&span, format!("`{name}` texts must not be blank")));
        }
        Ok(v)
    }

    fn flag(&self, name: &str, b: &Spanned<bool>) -> Result<(), RuleError> {
        if *b.get_ref() {
            Ok(())
        } else {
            Err(self.invalid(
                &b.span(),
                format!(
                    "`{name} = false` is not allowed: write `not = {{ attr = ..., {name} = true }}`"
                ),
            ))
        }
    }

    fn condition(&self, c: Spanned<RawCond>, depth: usize) -> Result<Condition, RuleError> {
        let span = c.span();
        if depth > MAX_CONDITION_DEPTH {
            return Err(self.invalid(
                &span,
                format!("conditions nest deeper than {MAX_CONDITION_DEPTH} levels"),
            ));
        }
        let c = c.into_inner();
        let mut tests: Vec<Test> = Vec::new();
        if let Some(t) = c.equals {
            tests.push(Test::Equals(self.texts("equals", t)?));
        }
        if let Some(t) = c.contains {
            tests.push(Test::Contains(self.texts("contains", t)?));
        }
        if let Some(t) = c.startswith {
            tests.push(Test::StartsWith(self.texts("startswith", t)?));
        }
        if let Some(t) = c.endswith {
            tests.push(Test::EndsWith(self.texts("endswith", t)?));
        }
        for (name, b, test) in [
            ("missing", &c.missing, Test::Missing),
            ("present", &c.present, Test::Present),
            ("empty", &c.empty, Test::Empty),
        ] {
            if let Some(b) = b {
                self.flag(name, b)?;
                tests.push(test);
            }
        }
        let mut combos: Vec<Condition> = Vec::new();
        for (name, list, any) in [("all", c.all, false), ("any", c.any, true)] {
            let Some(list) = list else { continue };
            let lspan = list.span();
            let items = list.into_inner();
            if items.is_empty() {
                return Err(self.invalid(&lspan, format!("`{name}` needs at least one condition")));
            }
            let conds = items
                .into_iter()
                .map(|i| self.condition(i, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            combos.push(if any {
                Condition::Any(conds)
            } else {
                Condition::All(conds)
            });
        }
        if let Some(n) = c.not {
            combos.push(Condition::Not(Box::new(self.condition(*n, depth + 1)?)));
        }

        match (c.attr, tests.len(), combos.len()) {
            (Some(attr), 1, 0) => {
                let aspan = attr.span();
                let keyword = attr.into_inner();
                let Some(a) = Attribute::from_keyword(keyword.trim()) else {
                    return Err(self.invalid(
                        &aspan,
                        format!("unknown attribute keyword {keyword:?} (use the PS3.6 keyword, e.g. \"ManufacturerModelName\")"),
                    ));
                };
                let test = tests.pop().ok_or_else(|| self.invalid(&span, "no test"))?;
                Ok(Condition::Test { attr: a, test })
            }
            (None, 0, 1) => combos.pop().ok_or_else(|| self.invalid(&span, "no condition")),
            (Some(_), 0, _) => Err(self.invalid(
                &span,
                "`attr` needs one test: equals, contains, startswith, endswith, missing, present or empty",
            )),
            (Some(_), _, 0) => Err(self.invalid(
                &span,
                "one test per condition: combine several with `all = [...]` or `any = [...]`",
            )),
            (None, n, 0) if n > 0 => Err(self.invalid(&span, "a test needs `attr`")),
            (None, 0, 0) => Err(self.invalid(
                &span,
                "empty condition: give `attr` and a test, or `all`, `any` or `not`",
            )),
            _ => Err(self.invalid(
                &span,
                "a condition is either `attr` with one test, or one of `all`, `any`, `not`",
            )),
        }
    }
}

pub(super) fn parse(text: &str, origin: &str) -> Result<Vec<Rule>, RuleError> {
    let ctx = Ctx { text, origin };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        RuleError::Syntax {
            origin: origin.to_owned(),
            line,
            column,
            message: e.message().trim().to_owned(),
        }
    })?;
    if *raw.format.get_ref() != FORMAT_VERSION {
        return Err(ctx.invalid(
            &raw.format.span(),
            format!(
                "format {} is not supported (this version reads format {FORMAT_VERSION})",
                raw.format.get_ref()
            ),
        ));
    }
    let mut ids: HashSet<String> = HashSet::new();
    let mut rules = Vec::with_capacity(raw.rule.len());
    for r in raw.rule {
        let span = r.span();
        let line = ctx.line(&span);
        let r = r.into_inner();
        let label = r.label.get_ref().trim().to_owned();
        if label.is_empty() {
            return Err(ctx.invalid(&r.label.span(), "`label` must not be blank"));
        }
        let Some(action) = RuleAction::parse(r.action.get_ref()) else {
            return Err(ctx.invalid(
                &r.action.span(),
                format!(
                    "unknown action {:?} (blank, keep-only, flag or declared-clean)",
                    r.action.get_ref()
                ),
            ));
        };
        let id = match r.id {
            Some(id) => {
                let s = id.get_ref().trim().to_owned();
                if s.is_empty() {
                    return Err(ctx.invalid(&id.span(), "`id` must not be blank"));
                }
                s
            }
            None => format!("{origin}:{line}"),
        };
        if !ids.insert(id.clone()) {
            return Err(ctx.invalid(&span, format!("rule id {id:?} is used twice")));
        }
        let when = ctx.condition(r.when, 1)?;
        let rects: Vec<Rect> = match r.rects {
            None => Vec::new(),
            Some(rs) => {
                let rspan = rs.span();
                let rs = rs.into_inner();
                if !action.has_rects() {
                    return Err(ctx.invalid(
                        &rspan,
                        format!("action `{}` takes no `rects`", action.as_str()),
                    ));
                }
                let mut out = Vec::with_capacity(rs.len());
                for q in rs {
                    let rect = Rect::new(q.x, q.y, q.width, q.height);
                    if rect.is_empty() {
                        return Err(ctx.invalid(&rspan, format!("empty rectangle ({rect})")));
                    }
                    out.push(rect);
                }
                out
            }
        };
        if action.has_rects() && rects.is_empty() {
            return Err(ctx.invalid(&span, format!("action `{}` needs `rects`", action.as_str())));
        }
        rules.push(Rule {
            id,
            label,
            source: r
                .source
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            note: r
                .note
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            action,
            when,
            rects,
            origin: origin.to_owned(),
            line,
        });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn lines_and_columns() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
