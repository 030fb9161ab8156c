//! Name escaping of the exposition (spec §8.4), as Prometheus' `model.EscapeName`: a scrape
//! asks for a scheme with `escaping=` in `Accept`, and names outside the legacy character set
//! (possible only with `--push.enable-utf8-names`) are rewritten by it. A legacy name is never
//! rewritten. Rewritten names are legacy names, so a scraper that knows nothing of UTF-8 names
//! can parse them; `allow-utf-8` keeps names as they are (the text format then quotes them).
//!
//! One deliberate difference: upstream judges label names by the *metric* name rule, so a label
//! name holding `:` is left alone (and `a.b:c` becomes `a_b:c`), which no Prometheus parser
//! accepts. Here label names follow the label name rule: `:` is escaped like any other
//! character a label name cannot hold.

use crate::parse::names::{is_legacy_label_name, is_legacy_metric_name};
use std::borrow::Cow;
use std::fmt::Write;

/// The `escaping=` values of `Accept` and `Content-Type`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Escaping {
    /// Names as they are.
    AllowUtf8,
    /// Every character a legacy name cannot hold becomes `_` (upstream 1.10+'s default).
    #[default]
    Underscores,
    /// `.` becomes `_dot_`, `_` becomes `__`, any other character a legacy name cannot hold `__`.
    Dots,
    /// `U__`, then `_` as `__` and any other character a legacy name cannot hold as `_<hex>_`,
    /// its code point in lower-case hex; the one scheme that can be undone.
    Values,
}

impl Escaping {
    pub const ALL: [Escaping; 4] = [
        Escaping::AllowUtf8,
        Escaping::Underscores,
        Escaping::Dots,
        Escaping::Values,
    ];

    /// The scheme an `escaping=` parameter names, if it names one.
    pub fn from_param(value: &str) -> Option<Escaping> {
        Escaping::ALL.into_iter().find(|e| e.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Escaping::AllowUtf8 => "allow-utf-8",
            Escaping::Underscores => "underscores",
            Escaping::Dots => "dots",
            Escaping::Values => "values",
        }
    }
}

/// Which legacy character set a name belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    Metric,
    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    Label,
}

impl NameKind {
    /// Whether `c` may stand in a legacy name of this kind, at the start or after it.
    fn allows(self, c: char, first: bool) -> bool {
        c.is_ascii_alphabetic()
            || c == '_'
            || (c == ':' && self == NameKind::Metric)
            || (c.is_ascii_digit() && !first)
    }

    pub fn is_legacy(self, name: &str) -> bool {
        match self {
            NameKind::Metric => is_legacy_metric_name(name.as_bytes()),
            NameKind::Label => is_legacy_label_name(name.as_bytes()),
        }
    }
}

/// `name` as `escaping` writes it: unchanged when it is a legacy name (or empty, or the scheme
/// is `allow-utf-8`), else rewritten into a legacy name.
pub fn escape(name: &str, kind: NameKind, escaping: Escaping) -> Cow<'_, str> {
    if escaping == Escaping::AllowUtf8 || name.is_empty() || kind.is_legacy(name) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    match escaping {
        Escaping::AllowUtf8 => unreachable!("returned above"),
        Escaping::Underscores => {
            for (i, c) in name.char_indices() {
                out.push(if kind.allows(c, i == 0) { c } else { '_' });
            }
        }
        Escaping::Dots => {
            for (i, c) in name.char_indices() {
                match c {
                    '_' => out.push_str("__"),
                    '.' => out.push_str("_dot_"),
                    c if kind.allows(c, i == 0) => out.push(c),
                    _ => out.push_str("__"),
                }
            }
        }
        Escaping::Values => write_value_encoding(&mut out, name, kind),
    }
    Cow::Owned(out)
}

/// Appends `name` in the `values` scheme (`U__…`) whether or not it is a legacy name: what the
/// push URL grammar un-escapes (spec §4.6), so the web UI writes grouping names with it too.
pub fn write_value_encoding(out: &mut String, name: &str, kind: NameKind) {
    out.push_str("U__");
    for (i, c) in name.char_indices() {
        match c {
            '_' => out.push_str("__"),
            c if kind.allows(c, i == 0) => out.push(c),
            // Writing to a String cannot fail.
            c => drop(write!(out, "_{:x}_", u32::from(c))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// prometheus/common's `TestEscapeName` table: (input, underscores, dots, values).
    #[test]
    fn upstream_examples() {
        let table = [
            ("", "", "", ""),
            (
                "no:escaping_required",
                "no:escaping_required",
                // Upstream's EscapeName doubles the `_` of a legacy name under `dots`, but its
                // EscapeMetricFamily never calls it for one: a legacy name is never rewritten.
                "no:escaping_required",
                "no:escaping_required",
            ),
            (
                "mysystem.prod.west.cpu.load",
                "mysystem_prod_west_cpu_load",
                "mysystem_dot_prod_dot_west_dot_cpu_dot_load",
                "U__mysystem_2e_prod_2e_west_2e_cpu_2e_load",
            ),
            (
                "mysystem.prod.west.cpu.load_total",
                "mysystem_prod_west_cpu_load_total",
                "mysystem_dot_prod_dot_west_dot_cpu_dot_load__total",
                "U__mysystem_2e_prod_2e_west_2e_cpu_2e_load__total",
            ),
            (
                "http.status:sum",
                "http_status:sum",
                "http_dot_status:sum",
                "U__http_2e_status:sum",
            ),
            (
                "label with 😱",
                "label_with__",
                "label__with____",
                "U__label_20_with_20__1f631_",
            ),
            ("花火", "__", "____", "U___82b1__706b_"),
            (
                "label with \u{100}",
                "label_with__",
                "label__with____",
                "U__label_20_with_20__100_",
            ),
            // EscapeMetricFamily's examples.
            ("my.metric", "my_metric", "my_dot_metric", "U__my_2e_metric"),
            (
                "unicode.and.dots.花火",
                "unicode_and_dots___",
                "unicode_dot_and_dot_dots_dot_____",
                "U__unicode_2e_and_2e_dots_2e__82b1__706b_",
            ),
            // A leading digit is not legacy; later ones are.
            ("1a2", "_a2", "__a2", "U___31_a2"),
        ];
        for (input, underscores, dots, values) in table {
            let got = |e| escape(input, NameKind::Metric, e).into_owned();
            assert_eq!(got(Escaping::Underscores), underscores, "{input:?}");
            assert_eq!(got(Escaping::Dots), dots, "{input:?}");
            assert_eq!(got(Escaping::Values), values, "{input:?}");
            assert_eq!(got(Escaping::AllowUtf8), input, "{input:?}");
        }
        // EscapeMetricFamily's label examples.
        let label = |name, e| escape(name, NameKind::Label, e).into_owned();
        assert_eq!(label("some.label", Escaping::Values), "U__some_2e_label");
        assert_eq!(label("some?label", Escaping::Values), "U__some_3f_label");
        assert_eq!(label("some_label", Escaping::Dots), "some_label");
    }

    #[test]
    fn label_names_escape_colons() {
        let label = |name, e| escape(name, NameKind::Label, e).into_owned();
        assert_eq!(label("a:b", Escaping::Underscores), "a_b");
        assert_eq!(label("a.b:c", Escaping::Underscores), "a_b_c");
        assert_eq!(label("a:b", Escaping::Dots), "a__b");
        assert_eq!(label("a:b", Escaping::Values), "U__a_3a_b");
        assert_eq!(label("a:b", Escaping::AllowUtf8), "a:b");
        // The metric name rule keeps them.
        assert_eq!(
            escape("a.b:c", NameKind::Metric, Escaping::Underscores),
            "a_b:c"
        );
    }

    #[test]
    fn every_escaped_name_is_legacy() {
        let names = ["a.b", "9", "_", "é", "a:b", "\"\\\n", "U__x", "__name__."];
        for name in names {
            for kind in [NameKind::Metric, NameKind::Label] {
                for e in [Escaping::Underscores, Escaping::Dots, Escaping::Values] {
                    let escaped = escape(name, kind, e);
                    assert!(
                        kind.is_legacy(&escaped),
                        "{name:?} {kind:?} {e:?}: {escaped}"
                    );
                }
            }
        }
    }

    #[test]
    fn scheme_names() {
        for e in Escaping::ALL {
            assert_eq!(Escaping::from_param(e.as_str()), Some(e));
        }
        assert_eq!(Escaping::from_param("bogus"), None);
        assert_eq!(Escaping::default(), Escaping::Underscores);
    }
}
