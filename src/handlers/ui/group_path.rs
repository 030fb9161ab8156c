//! The path that names a group in the web UI's URLs: what follows `metrics/` in the delete
//! request of the `Delete Group` button (spec §11.1), and the `group` query parameter that asks
//! for one group's families.
//!
//! Grammar (written by [`group_path`], read by [`parse_group_path`]):
//! ```text
//! group-path = "job@base64/" b64(job) *( "/" name-seg "@base64/" b64(value) "=" )
//! ```
//! `b64` is unpadded URL-safe base64 (`crate::base64`); the one `=` keeps an empty value a
//! non-empty segment (upstream's UI does the same). With `--push.enable-utf8-names`, a name that
//! is not a legacy name, or that starts with `U__`, is written in Prometheus' `U__` value
//! encoding, which the push URL parser un-escapes; every other name is written as it is. So the
//! path is plain ASCII that needs no further escaping in a URL or an HTML attribute.

use crate::base64::encode_raw_url;
use crate::escaping::{write_value_encoding, NameKind};
use crate::grouping::{GroupingError, GroupingKey};
use crate::parse::names::is_legacy_label_name;
use std::fmt;

const JOB_PREFIX: &[u8] = b"job@base64/";

/// Why a `group` parameter names no group.
#[derive(Debug, PartialEq, Eq)]
pub enum GroupPathError {
    /// The path does not start with `job@base64/`.
    NoJob,
    Grouping(GroupingError),
}

impl fmt::Display for GroupPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupPathError::NoJob => f.write_str("group path must start with job@base64/"),
            GroupPathError::Grouping(e) => write!(f, "{e}"),
        }
    }
}

pub fn group_path(key: &GroupingKey, utf8_names: bool) -> String {
    let mut out = String::from("job@base64/");
    encode_raw_url(key.job().as_bytes(), &mut out);
    for (name, value) in key.labels().iter().filter(|(n, _)| n != "job") {
        out.push('/');
        write_name(&mut out, name, utf8_names);
        out.push_str("@base64/");
        encode_raw_url(value.as_bytes(), &mut out);
        out.push('=');
    }
    out
}

/// The grouping key of a path written by [`group_path`] (already percent-decoded).
pub fn parse_group_path(path: &[u8], utf8_names: bool) -> Result<GroupingKey, GroupPathError> {
    let rest = path.strip_prefix(JOB_PREFIX).ok_or(GroupPathError::NoJob)?;
    let (job, labels) = match memchr::memchr(b'/', rest) {
        Some(slash) => rest.split_at(slash),
        None => (rest, &b""[..]),
    };
    GroupingKey::parse(job, true, labels, utf8_names).map_err(GroupPathError::Grouping)
}

fn write_name(out: &mut String, name: &str, utf8_names: bool) {
    // Without UTF-8 names every grouping name is a legacy name and `U__` means nothing.
    let escape = utf8_names && (!is_legacy_label_name(name.as_bytes()) || name.starts_with("U__"));
    if !escape {
        out.push_str(name);
        return;
    }
    // Prometheus' value encoding. Its decoder (upstream's too) reads at most five hex digits,
    // so a name with a character past U+FFFFF cannot be named this way; such names come only
    // from URLs written by hand and are left out of consideration.
    write_value_encoding(out, name, NameKind::Label);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::test_support::key;

    type Pairs<'a> = &'a [(&'a str, &'a str)];

    #[test]
    fn paths_as_upstream_ui_writes_them() {
        let cases: &[(Pairs<'_>, bool, &str)] = &[
            (&[("job", "batch")], false, "job@base64/YmF0Y2g"),
            (
                &[("job", "batch"), ("instance", "x"), ("a", "<script>")],
                false,
                "job@base64/YmF0Y2g/a@base64/PHNjcmlwdD4=/instance@base64/eA=",
            ),
            (
                &[("job", "j/k"), ("instance", "")],
                false,
                "job@base64/ai9r/instance@base64/=",
            ),
            (&[("job", "??>")], false, "job@base64/Pz8-"),
            (
                &[("job", "j"), ("a.b", "v"), ("U__x", "w"), ("plain", "")],
                true,
                "job@base64/ag/U__U____x@base64/dw=/U__a_2e_b@base64/dg=/plain@base64/=",
            ),
            (
                &[("job", "j"), ("ä_/", "")],
                true,
                "job@base64/ag/U___e4____2f_@base64/=",
            ),
        ];
        for (pairs, utf8, want) in cases {
            assert_eq!(group_path(&key(pairs), *utf8), *want, "{pairs:?}");
        }
    }

    #[test]
    fn every_path_parses_back_to_its_key() {
        let keys: &[Pairs<'_>] = &[
            &[("job", "batch")],
            &[("job", "j/k"), ("instance", "")],
            &[("job", "é 😀"), ("a", "="), ("b", "//"), ("c", "")],
            &[("job", "j"), ("a.b", "v"), ("U__x", "w"), ("ä_/", "")],
            &[("job", "j"), ("job_name", "x")],
        ];
        for pairs in keys {
            let utf8 = pairs
                .iter()
                .any(|(n, _)| !is_legacy_label_name(n.as_bytes()) || n.starts_with("U__"));
            let k = key(pairs);
            let path = group_path(&k, utf8);
            assert!(path.bytes().all(|b| b.is_ascii_graphic()), "{path}");
            assert_eq!(parse_group_path(path.as_bytes(), utf8), Ok(k), "{path}");
        }
    }

    #[test]
    fn bad_paths_are_errors() {
        assert_eq!(
            parse_group_path(b"job/x", false),
            Err(GroupPathError::NoJob)
        );
        assert_eq!(
            parse_group_path(b"job@base64/", false)
                .unwrap_err()
                .to_string(),
            "job name is required"
        );
        assert_eq!(
            parse_group_path(b"job@base64/eA/a", false)
                .unwrap_err()
                .to_string(),
            "odd number of components in label string \"/a\""
        );
    }
}
