//! The grouping key of a push or delete URL (spec §4) and its canonical form (spec §18.3).
//!
//! Owns: turning the routed, percent-decoded job segment and label string into a
//! [`GroupingKey`], with upstream's exact error texts; the key's order and canonical bytes.
//! Must never: look at anything but those two inputs, or panic on any bytes a client can send.
//!
//! Grammar (the router has already split off `…/metrics/job[@base64]/<job-seg>`):
//! ```text
//! label-string = "" | "/" | "/" pair *( "/" pair )
//! pair         = name-seg "/" value-seg
//! name-seg     = label-name [ "@base64" ]       ; "@base64": value-seg is base64 (crate::base64)
//! ```
//! Checks, in upstream's order, the first failure answering: job base64 → label string
//! (component count, then each pair in URL order: name, then base64 value) → empty job. Then,
//! deviation R3 (spec §17), every stored value must be valid UTF-8, so the store only ever sees
//! text. A repeated name overwrites the earlier value; the job segment overrides a `job` pair.

// A client's bytes (or a damaged file's) reach this code: it must not be able to panic. An
// exception is allowed in place, with the reason it cannot fire.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::base64;
use crate::go_quote::quote as go_quote;
use std::cmp::Ordering;
use std::collections::hash_map::{Entry, HashMap};
use std::fmt;

/// Suffix of a label name segment whose value segment is base64-encoded.
const BASE64_SUFFIX: &[u8] = b"@base64";
/// Byte separating names, values and pairs in the canonical form; it never occurs in UTF-8.
const CANONICAL_SEPARATOR: u8 = 0xff;

/// The labels of one group: `job` plus any further pairs, sorted by name, values valid UTF-8.
/// Equal keys have exactly the same names with the same values (an empty value is not an
/// absent label).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupingKey {
    /// Sorted by name, names unique, always containing `job`.
    labels: Vec<(String, String)>,
}

/// Why a push or delete URL has no valid grouping key; `Display` is upstream's 400 body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupingError {
    /// The job is empty, directly or after base64 decoding.
    JobRequired,
    /// The label string has an odd number of `/`-separated components.
    OddComponents { label_string: Vec<u8> },
    /// A label name (with `@base64` removed, not un-escaped) is not a valid name or is reserved.
    ImproperLabelName { name: Vec<u8> },
    /// A `<name>@base64` value does not decode; `raw_value` is the segment as sent.
    LabelBase64 {
        name: String,
        raw_value: Vec<u8>,
        cause: base64::DecodeError,
    },
    /// The `job@base64` segment does not decode; `decoded` is what had been decoded before the
    /// error, which upstream quotes instead of the input.
    JobBase64 {
        decoded: Vec<u8>,
        cause: base64::DecodeError,
    },
    /// Deviation R3: a value that would be stored is not valid UTF-8.
    InvalidUtf8Value { name: String },
}

impl fmt::Display for GroupingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupingError::JobRequired => f.write_str("job name is required"),
            GroupingError::OddComponents { label_string } => write!(
                f,
                "odd number of components in label string {}",
                go_quote(label_string)
            ),
            GroupingError::ImproperLabelName { name } => {
                write!(f, "improper label name {}", go_quote(name))
            }
            GroupingError::LabelBase64 {
                name,
                raw_value,
                cause,
            } => write!(
                f,
                "invalid base64 encoding for label {name}={}: {cause}",
                go_quote(raw_value)
            ),
            GroupingError::JobBase64 { decoded, cause } => write!(
                f,
                "invalid base64 encoding in job name {}: {cause}",
                go_quote(decoded)
            ),
            GroupingError::InvalidUtf8Value { name } => {
                write!(f, "invalid label value for label {name}: not valid UTF-8")
            }
        }
    }
}

impl std::error::Error for GroupingError {}

impl GroupingKey {
    /// Parses the grouping key of a push or delete URL.
    ///
    /// `job_segment` is the percent-decoded segment after `job` (or `job@base64` when
    /// `job_base64`); `label_string` is the rest of the decoded path after it, empty or starting
    /// with `/`. `utf8_names` is `--push.enable-utf8-names`: names are then un-escaped from the
    /// `U__` value encoding and may be any non-empty UTF-8 (spec §4.6).
    pub fn parse(
        job_segment: &[u8],
        job_base64: bool,
        label_string: &[u8],
        utf8_names: bool,
    ) -> Result<GroupingKey, GroupingError> {
        assert!(
            label_string.first().is_none_or(|&b| b == b'/'),
            "the router hands over the label string with its leading slash"
        );
        let job = if job_base64 {
            let mut decoded = Vec::new();
            match base64::decode_padding_optional(job_segment, &mut decoded) {
                Ok(()) => decoded,
                Err(cause) => return Err(GroupingError::JobBase64 { decoded, cause }),
            }
        } else {
            job_segment.to_vec()
        };
        let mut pairs = split_labels(label_string, utf8_names)?;
        if job.is_empty() {
            return Err(GroupingError::JobRequired);
        }
        pairs.retain(|(name, _)| name != "job");
        pairs.insert(0, (String::from("job"), job));

        // R3, checked last so that every URL upstream rejects gets upstream's message; the job
        // comes first in the URL, the other pairs follow in the order their names first appeared.
        let mut labels = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            match String::from_utf8(value) {
                Ok(value) => labels.push((name, value)),
                Err(_) => return Err(GroupingError::InvalidUtf8Value { name }),
            }
        }
        labels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(GroupingKey { labels })
    }

    /// A key from already valid pairs (tests, log replay). A missing `job` or a repeated name is
    /// a bug in the caller.
    pub fn from_pairs(mut pairs: Vec<(String, String)>) -> GroupingKey {
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        assert!(
            pairs.windows(2).all(|w| matches!(w, [a, b] if a.0 != b.0)),
            "grouping key label names must be unique"
        );
        let key = GroupingKey { labels: pairs };
        assert!(key.get("job").is_some(), "a grouping key always has a job");
        key
    }

    /// The pairs, sorted by name.
    pub fn labels(&self) -> &[(String, String)] {
        &self.labels
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.labels
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .and_then(|i| self.labels.get(i))
            .map(|(_, value)| value.as_str())
    }

    #[allow(
        clippy::expect_used,
        reason = "`parse` always adds the job label and `from_pairs` asserts it"
    )]
    pub fn job(&self) -> &str {
        self.get("job")
            .expect("both constructors guarantee the job label")
    }

    /// Upstream's key (spec §18.3): for each pair in name order `name 0xFF value`, the pairs
    /// joined by 0xFF. Used for ordering and persistence.
    pub fn canonical(&self) -> Vec<u8> {
        self.canonical_bytes().collect()
    }

    fn canonical_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.labels
            .iter()
            .enumerate()
            .flat_map(|(i, (name, value))| {
                let separator = (i > 0).then_some(CANONICAL_SEPARATOR);
                separator
                    .into_iter()
                    .chain(name.bytes())
                    .chain(std::iter::once(CANONICAL_SEPARATOR))
                    .chain(value.bytes())
            })
    }
}

/// Ordered by canonical form (the UI's group order, and the deterministic HELP choice of R4);
/// consistent with `Eq` because the separator cannot occur inside a name or value.
impl Ord for GroupingKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.canonical_bytes().cmp(other.canonical_bytes())
    }
}

impl PartialOrd for GroupingKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Upstream's `splitLabels`: the pairs of the label string in the order their names first
/// appear, a repeated name overwriting the earlier value in place. Values are bytes until R3.
fn split_labels(
    label_string: &[u8],
    utf8_names: bool,
) -> Result<Vec<(String, Vec<u8>)>, GroupingError> {
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
    // Name → its index in `pairs`, so that a URL of many pairs costs linear time, not quadratic.
    let mut index: HashMap<String, usize> = HashMap::new();
    if label_string.len() <= 1 {
        return Ok(pairs);
    }
    let components = label_string.get(1..).unwrap_or_default();
    // n separators make n + 1 components.
    if memchr::memchr_iter(b'/', components).count() % 2 == 0 {
        return Err(GroupingError::OddComponents {
            label_string: label_string.to_vec(),
        });
    }
    let mut segments = components.split(|&b| b == b'/');
    while let (Some(name_segment), Some(value_segment)) = (segments.next(), segments.next()) {
        let (trimmed, base64) = match name_segment.strip_suffix(BASE64_SUFFIX) {
            Some(trimmed) => (trimmed, true),
            None => (name_segment, false),
        };
        let Some(name) = label_name(trimmed, utf8_names) else {
            return Err(GroupingError::ImproperLabelName {
                name: trimmed.to_vec(),
            });
        };
        let value = if base64 {
            let mut decoded = Vec::new();
            if let Err(cause) = base64::decode_padding_optional(value_segment, &mut decoded) {
                return Err(GroupingError::LabelBase64 {
                    // A valid name's segment is UTF-8: un-escaping only turns ASCII into text.
                    name: String::from_utf8_lossy(trimmed).into_owned(),
                    raw_value: value_segment.to_vec(),
                    cause,
                });
            }
            decoded
        } else {
            value_segment.to_vec()
        };
        match index.entry(name) {
            Entry::Occupied(seen) => {
                if let Some(pair) = pairs.get_mut(*seen.get()) {
                    pair.1 = value;
                }
            }
            Entry::Vacant(new) => {
                pairs.push((new.key().clone(), value));
                new.insert(pairs.len() - 1);
            }
        }
    }
    Ok(pairs)
}

/// The label name a name segment stands for, or `None` if it is improper: legacy names match
/// `[a-zA-Z_][a-zA-Z0-9_]*`; with UTF-8 names any non-empty UTF-8 is fine after `U__`
/// un-escaping. Either way a name starting with `__` is reserved.
fn label_name(segment: &[u8], utf8_names: bool) -> Option<String> {
    let name = if utf8_names {
        String::from_utf8(unescape_value_encoding(segment)).ok()?
    } else {
        let (first, rest) = segment.split_first()?;
        let legacy = (first.is_ascii_alphabetic() || *first == b'_')
            && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if !legacy {
            return None;
        }
        String::from_utf8(segment.to_vec()).ok()?
    };
    (!name.is_empty() && !name.starts_with("__")).then_some(name)
}

/// Prometheus' "value encoding" un-escaping (`model.UnescapeName` in prometheus/common ≥ 0.62):
/// after a `U__` prefix, `__` is `_` and `_<hex>_` is the character with that code point. A name
/// without the prefix, or with any invalid sequence, is returned unchanged.
///
/// Upstream's loop gives up on the sixth hex digit before it looks for the closing `_`, so an
/// escape has at most five digits (`_10ffff_` stays as it is); matched here on purpose.
fn unescape_value_encoding(name: &[u8]) -> Vec<u8> {
    const HEX_DIGITS_MAX: usize = 5;
    let Some(escaped) = name.strip_prefix(b"U__") else {
        return name.to_vec();
    };
    let mut out = Vec::with_capacity(escaped.len());
    let mut i = 0;
    while let Some(&b) = escaped.get(i) {
        if b != b'_' {
            out.push(b);
            i += 1;
            continue;
        }
        match escaped.get(i + 1) {
            None => return name.to_vec(),
            Some(b'_') => {
                out.push(b'_');
                i += 2;
            }
            Some(_) => {
                let hex_start = i + 1;
                let rest = escaped.get(hex_start..).unwrap_or_default();
                let Some(len) = rest.iter().position(|&b| b == b'_') else {
                    return name.to_vec();
                };
                let hex = rest.get(..len).unwrap_or_default();
                if len > HEX_DIGITS_MAX || !hex.iter().all(u8::is_ascii_hexdigit) {
                    return name.to_vec();
                }
                let code_point = hex.iter().fold(0u32, |acc, &b| {
                    acc * 16 + char::from(b).to_digit(16).unwrap_or(0)
                });
                // Surrogates and values past U+10FFFF are not characters.
                let Some(c) = char::from_u32(code_point) else {
                    return name.to_vec();
                };
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i = hex_start + len + 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits a routed path like the router does: `job` or `job@base64`, its segment, the rest.
    fn parse(path: &[u8], utf8_names: bool) -> Result<Vec<(String, String)>, String> {
        let (job_base64, rest) = if let Some(rest) = path.strip_prefix(b"/metrics/job@base64/") {
            (true, rest)
        } else {
            (false, path.strip_prefix(b"/metrics/job/").unwrap())
        };
        let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
        GroupingKey::parse(&rest[..end], job_base64, &rest[end..], utf8_names)
            .map(|key| key.labels().to_vec())
            .map_err(|e| e.to_string())
    }

    /// A decoded path and the grouping key it yields.
    type Accepted = (&'static [u8], &'static [(&'static str, &'static str)]);

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn accepted_urls() {
        // Decoded path → sorted grouping key; all checked against upstream 1.5.1 (spec §4, §19).
        let cases: &[Accepted] = &[
            (b"/metrics/job/g1", &[("job", "g1")]),
            (b"/metrics/job/j3/", &[("job", "j3")]),
            (
                b"/metrics/job/j/instance/",
                &[("instance", ""), ("job", "j")],
            ),
            (
                b"/metrics/job/g3/instance/gi/foo/gfoo",
                &[("foo", "gfoo"), ("instance", "gi"), ("job", "g3")],
            ),
            (b"/metrics/job/j/a/1/a/2", &[("a", "2"), ("job", "j")]),
            (b"/metrics/job/j3/job/other", &[("job", "j3")]),
            (
                b"/metrics/job@base64/ajM=/a@base64/=/b@base64/L3Zhci90bXA",
                &[("a", ""), ("b", "/var/tmp"), ("job", "j3")],
            ),
            (
                b"/metrics/job/j3/a@base64/YQ=",
                &[("a", "a"), ("job", "j3")],
            ),
            (b"/metrics/job/j/a@base64/", &[("a", ""), ("job", "j")]),
            (b"/metrics/job/j/a@base64/==", &[("a", ""), ("job", "j")]),
            (b"/metrics/job@base64/YR", &[("job", "a")]),
            (b"/metrics/job@base64/L3Zhcg", &[("job", "/var")]),
            (b"/metrics/job/j/Ab_9/x", &[("Ab_9", "x"), ("job", "j")]),
            (b"/metrics/job/a b+c/_x/%", &[("_x", "%"), ("job", "a b+c")]),
            (
                b"/metrics/job/j/U__label_2e_name2/v",
                &[("U__label_2e_name2", "v"), ("job", "j")],
            ),
            (b"/metrics/job/j/v/\xc3\xbc", &[("job", "j"), ("v", "ü")]),
            // A value overwritten later is never stored, so it is not checked for UTF-8.
            (b"/metrics/job/j/a/\xff/a/1", &[("a", "1"), ("job", "j")]),
            (b"/metrics/job/j/job/\xff", &[("job", "j")]),
        ];
        for (path, want) in cases {
            assert_eq!(
                parse(path, false),
                Ok(pairs(want)),
                "{}",
                String::from_utf8_lossy(path)
            );
        }
    }

    #[test]
    fn rejected_urls() {
        // Decoded path → 400 body. Upstream rows checked against the 1.5.1 binary.
        let cases: &[(&[u8], &str)] = &[
            (b"/metrics/job/j3/a-b/c", r#"improper label name "a-b""#),
            (b"/metrics/job/j/1a/x", r#"improper label name "1a""#),
            (b"/metrics/job/j/__a/x", r#"improper label name "__a""#),
            (b"/metrics/job/j/@base64/x", r#"improper label name """#),
            (
                b"/metrics/job/j/a@base64@base64/x",
                r#"improper label name "a@base64""#,
            ),
            (b"/metrics/job/j/a:b/x", r#"improper label name "a:b""#),
            (b"/metrics/job/j/\xc3\xbc/x", r#"improper label name "ü""#),
            (b"/metrics/job/j/\xff/x", r#"improper label name "\xff""#),
            (
                b"/metrics/job/j3/instance",
                r#"odd number of components in label string "/instance""#,
            ),
            (
                b"/metrics/job/j/a/1/",
                r#"odd number of components in label string "/a/1/""#,
            ),
            (
                b"/metrics/job/j/a/b/c/d/e",
                r#"odd number of components in label string "/a/b/c/d/e""#,
            ),
            (
                b"/metrics/job/j/\"a\\\n\t\x01\x7f\xc2\xa0\xff\xe2\x82/x/y",
                r#"odd number of components in label string "/\"a\\\n\t\x01\x7f\u00a0\xff\xe2\x82/x/y""#,
            ),
            (b"/metrics/job@base64/=/a/1", "job name is required"),
            (b"/metrics/job@base64/==", "job name is required"),
            (b"/metrics/job//a/1", "job name is required"),
            (
                b"/metrics/job/j3/a@base64/a+b",
                r#"invalid base64 encoding for label a="a+b": illegal base64 data at input byte 1"#,
            ),
            (
                b"/metrics/job/j/a@base64/YWJjZGVmZ2g=x",
                r#"invalid base64 encoding for label a="YWJjZGVmZ2g=x": illegal base64 data at input byte 11"#,
            ),
            (
                b"/metrics/job/j/a@base64/Y",
                r#"invalid base64 encoding for label a="Y": illegal base64 data at input byte 0"#,
            ),
            (
                b"/metrics/job@base64/aj+M",
                r#"invalid base64 encoding in job name "": illegal base64 data at input byte 2"#,
            ),
            (
                b"/metrics/job@base64/YWJj_-_-\xff",
                r#"invalid base64 encoding in job name "abc\xff\xef\xfe": illegal base64 data at input byte 8"#,
            ),
            (
                b"/metrics/job@base64/YWJjZGVm\n\nYWJ\nj\nY",
                r#"invalid base64 encoding in job name "abcdefabc": illegal base64 data at input byte 16"#,
            ),
            // Validation order: job base64 first, then the label string, then the empty job.
            (
                b"/metrics/job@base64/Y/a-b/1",
                r#"invalid base64 encoding in job name "": illegal base64 data at input byte 0"#,
            ),
            (
                b"/metrics/job@base64/=/a-b/1",
                r#"improper label name "a-b""#,
            ),
            (
                b"/metrics/job@base64/=/a",
                r#"odd number of components in label string "/a""#,
            ),
            // Within the label string, the first offending pair in URL order.
            (
                b"/metrics/job/j/a@base64/+/b-c/1",
                r#"invalid base64 encoding for label a="+": illegal base64 data at input byte 0"#,
            ),
            (
                b"/metrics/job/j/b-c/1/a@base64/+",
                r#"improper label name "b-c""#,
            ),
            // A `job` pair is validated even though the job segment overrides it.
            (
                b"/metrics/job/j/job@base64/+",
                r#"invalid base64 encoding for label job="+": illegal base64 data at input byte 0"#,
            ),
            // Deviation R3 (upstream would store these and poison the store, R1).
            (
                b"/metrics/job/j/a/\xff",
                "invalid label value for label a: not valid UTF-8",
            ),
            (
                b"/metrics/job/j/a@base64/_-_-",
                "invalid label value for label a: not valid UTF-8",
            ),
            (
                b"/metrics/job/j/a/1/a@base64/a-b/c/1",
                "invalid label value for label a: not valid UTF-8",
            ),
            (
                b"/metrics/job/\xe2\x82/a/\xff",
                "invalid label value for label job: not valid UTF-8",
            ),
            (
                b"/metrics/job@base64/_-_-",
                "invalid label value for label job: not valid UTF-8",
            ),
            (
                b"/metrics/job/j/b/\xff/a/\xfe",
                "invalid label value for label b: not valid UTF-8",
            ),
            // R3 comes after every upstream check.
            (
                b"/metrics/job/j/a/\xff/b-c/1",
                r#"improper label name "b-c""#,
            ),
        ];
        for (path, want) in cases {
            assert_eq!(
                parse(path, false),
                Err(want.to_string()),
                "{}",
                String::from_utf8_lossy(path)
            );
        }
    }

    #[test]
    fn utf8_names() {
        // With --push.enable-utf8-names (spec §4.6, since 1.11.0).
        let ok: &[Accepted] = &[
            (
                b"/metrics/job/j/U__dotted_2e_label_2e_name/v",
                &[("dotted.label.name", "v"), ("job", "j")],
            ),
            (b"/metrics/job/j/U__a__b/v", &[("a_b", "v"), ("job", "j")]),
            (
                b"/metrics/job/j/U__A_1F600_/v",
                &[("A😀", "v"), ("job", "j")],
            ),
            (
                b"/metrics/job/j/U__x_FfFd_/v",
                &[("job", "j"), ("x\u{fffd}", "v")],
            ),
            (
                b"/metrics/job/j/U__x_fffff_/v",
                &[("job", "j"), ("x\u{fffff}", "v")],
            ),
            (b"/metrics/job/j/a-b/v", &[("a-b", "v"), ("job", "j")]),
            (b"/metrics/job/j/1a/v", &[("1a", "v"), ("job", "j")]),
            (b"/metrics/job/j/\xc3\xbc/v", &[("job", "j"), ("ü", "v")]),
            (
                b"/metrics/job/j/a.b@base64/dg",
                &[("a.b", "v"), ("job", "j")],
            ),
            // Invalid escapes leave the name as it is: no closing `_`, a non-hex digit, six or
            // more digits (upstream's limit, even for U+10FFFF), a surrogate, a lone final `_`.
            (
                b"/metrics/job/j/U__a_2e/v",
                &[("U__a_2e", "v"), ("job", "j")],
            ),
            (
                b"/metrics/job/j/U__a_2g_/v",
                &[("U__a_2g_", "v"), ("job", "j")],
            ),
            (
                b"/metrics/job/j/U__a_000002e_/v",
                &[("U__a_000002e_", "v"), ("job", "j")],
            ),
            (
                b"/metrics/job/j/U__a_d800_/v",
                &[("U__a_d800_", "v"), ("job", "j")],
            ),
            (
                b"/metrics/job/j/U__a_10ffff_/v",
                &[("U__a_10ffff_", "v"), ("job", "j")],
            ),
            (b"/metrics/job/j/U__a_/v", &[("U__a_", "v"), ("job", "j")]),
            // The same name spelled two ways is one label; the later value wins.
            (
                b"/metrics/job/j/U__a_2e_b/1/a.b/2",
                &[("a.b", "2"), ("job", "j")],
            ),
        ];
        for (path, want) in ok {
            assert_eq!(
                parse(path, true),
                Ok(pairs(want)),
                "{}",
                String::from_utf8_lossy(path)
            );
        }
        let bad: &[(&[u8], &str)] = &[
            (b"/metrics/job/j/__a/v", r#"improper label name "__a""#),
            (
                b"/metrics/job/j/U______a/v",
                r#"improper label name "U______a""#,
            ),
            (b"/metrics/job/j/U__/v", r#"improper label name "U__""#),
            (b"/metrics/job/j/@base64/v", r#"improper label name """#),
            (b"/metrics/job/j/\xff/v", r#"improper label name "\xff""#),
            (
                b"/metrics/job/j/U__a_2e_b@base64/+",
                r#"invalid base64 encoding for label U__a_2e_b="+": illegal base64 data at input byte 0"#,
            ),
        ];
        for (path, want) in bad {
            assert_eq!(
                parse(path, true),
                Err(want.to_string()),
                "{}",
                String::from_utf8_lossy(path)
            );
        }
    }

    #[test]
    fn canonical_form_and_order() {
        let a = GroupingKey::from_pairs(pairs(&[("job", "j"), ("instance", "i")]));
        assert_eq!(a.canonical(), b"instance\xffi\xffjob\xffj".to_vec());
        assert_eq!(a.job(), "j");
        assert_eq!(a.get("instance"), Some("i"));
        assert_eq!(a.get("nope"), None);
        assert_eq!(
            a.labels(),
            pairs(&[("instance", "i"), ("job", "j")]).as_slice()
        );

        // Sorted by canonical bytes: an empty label is not an absent one, and since the
        // separator 0xFF is above every UTF-8 byte, `a="10"` sorts before `a="1"`.
        let mut keys = [
            GroupingKey::from_pairs(pairs(&[("job", "j2")])),
            GroupingKey::from_pairs(pairs(&[("job", "j"), ("x", "")])),
            GroupingKey::from_pairs(pairs(&[("job", "j")])),
            GroupingKey::from_pairs(pairs(&[("job", "j"), ("instance", "")])),
            GroupingKey::from_pairs(pairs(&[("job", "j"), ("a", "1")])),
            GroupingKey::from_pairs(pairs(&[("job", "j"), ("a", "10")])),
        ];
        keys.sort();
        let canonical: Vec<Vec<u8>> = keys.iter().map(GroupingKey::canonical).collect();
        let mut sorted = canonical.clone();
        sorted.sort();
        assert_eq!(canonical, sorted);
        assert_eq!(
            canonical,
            vec![
                b"a\xff10\xffjob\xffj".to_vec(),
                b"a\xff1\xffjob\xffj".to_vec(),
                b"instance\xff\xffjob\xffj".to_vec(),
                b"job\xffj".to_vec(),
                b"job\xffj2".to_vec(),
                b"job\xffj\xffx\xff".to_vec(),
            ]
        );
        assert_ne!(keys[2], keys[3]);
        assert_eq!(
            GroupingKey::parse(b"j", false, b"/instance/", false).unwrap(),
            GroupingKey::from_pairs(pairs(&[("instance", ""), ("job", "j")]))
        );
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        let alphabet = b"/_@base64=U_2eaZ9-+\n\xff\xc3\xbc";
        let mut state = 0x1234_5678_9abc_def0_u64;
        for _ in 0..20_000 {
            let mut next = || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            };
            let len = (next() % 24) as usize;
            let mut bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let split = bytes.iter().position(|&b| b == b'/').unwrap_or(bytes.len());
            let labels = bytes.split_off(split);
            for (base64, utf8) in [(false, false), (true, false), (false, true), (true, true)] {
                if let Ok(key) = GroupingKey::parse(&bytes, base64, &labels, utf8) {
                    assert!(!key.job().is_empty());
                    assert!(key.labels().windows(2).all(|w| w[0].0 < w[1].0));
                }
            }
        }
    }
}
