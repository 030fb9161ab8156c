//! The grouping key of a push or delete URL (`GroupingKey::parse`).
//!
//! Input: one flags byte (bit 0: the route was `job@base64`; bit 1: `--push.enable-utf8-names`;
//! so `0`…`3` in a hand-written seed), then the decoded path after `…/job[@base64]/`: the job
//! segment runs to the first `/`, the rest is the label string. That is exactly how the router
//! hands them over, so the label string is empty or starts with `/`, as `parse` requires.
//!
//! Checked for every key that parses:
//! - it is canonical: names sorted and unique, a non-empty `job`, no reserved name, legacy
//!   names unless UTF-8 names are on;
//! - it survives a round trip: written back as a URL with every value in base64 (and, with
//!   UTF-8 names, every name that needs it `U__`-escaped), it parses to the same key.
//!
//! A refused one must have a message.

use pushgateway::base64::encode_raw_url;
use pushgateway::grouping::GroupingKey;
use pushgateway::parse::names::is_legacy_label_name;

/// Upstream's un-escaping gives up on escapes of more than five hex digits.
const ESCAPE_HEX_DIGITS_MAX: usize = 5;

pub fn run(data: &[u8]) {
    let Some((&flags, path)) = data.split_first() else {
        return;
    };
    let job_base64 = flags & 1 != 0;
    let utf8_names = flags & 2 != 0;
    let slash = path.iter().position(|&b| b == b'/').unwrap_or(path.len());
    let (job, label_string) = path.split_at(slash);
    let key = match GroupingKey::parse(job, job_base64, label_string, utf8_names) {
        Ok(key) => key,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let labels = key.labels();
    assert!(
        labels.windows(2).all(|w| w[0].0 < w[1].0),
        "not sorted: {labels:?}"
    );
    assert!(!key.job().is_empty());
    for (name, _) in labels {
        assert!(!name.is_empty() && !name.starts_with("__"), "name {name:?}");
        assert!(
            utf8_names || is_legacy_label_name(name.as_bytes()),
            "name {name:?}"
        );
    }
    let separators = key.canonical().iter().filter(|&&b| b == 0xff).count();
    assert_eq!(separators, 2 * labels.len() - 1);

    let Some((job, label_string)) = as_url(&key, utf8_names) else {
        return;
    };
    let again = GroupingKey::parse(job.as_bytes(), true, label_string.as_bytes(), utf8_names);
    assert_eq!(again.as_ref(), Ok(&key), "{job}{label_string}");
}

/// The key as the base64 job segment and a label string of `name@base64/value` pairs, or
/// `None` when a name cannot be spelled in a URL.
fn as_url(key: &GroupingKey, utf8_names: bool) -> Option<(String, String)> {
    let mut job = String::new();
    encode_raw_url(key.job().as_bytes(), &mut job);
    let mut label_string = String::new();
    for (name, value) in key.labels().iter().filter(|(name, _)| name != "job") {
        label_string.push('/');
        let escape =
            utf8_names && (name.starts_with("U__") || !is_legacy_label_name(name.as_bytes()));
        if escape {
            label_string.push_str(&value_encoding(name)?);
        } else {
            label_string.push_str(name);
        }
        label_string.push_str("@base64/");
        encode_raw_url(value.as_bytes(), &mut label_string);
    }
    Some((job, label_string))
}

/// Prometheus' "value encoding" of a name (`U__`, `_` doubled, other characters but ASCII
/// letters and digits as `_<hex>_`), or `None` for a character upstream cannot un-escape.
fn value_encoding(name: &str) -> Option<String> {
    let mut out = String::from("U__");
    for c in name.chars() {
        match c {
            '_' => out.push_str("__"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            c => {
                let hex = format!("{:x}", u32::from(c));
                if hex.len() > ESCAPE_HEX_DIGITS_MAX {
                    return None;
                }
                out.push('_');
                out.push_str(&hex);
                out.push('_');
            }
        }
    }
    Some(out)
}
