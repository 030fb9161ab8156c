//! Metric and label name rules shared by the body parsers.
//!
//! Legacy names: metric `[a-zA-Z_:][a-zA-Z0-9_:]*`, label `[a-zA-Z_][a-zA-Z0-9_]*`. With
//! `--push.enable-utf8-names` any non-empty name is allowed as well (upstream's `UTF8Validation`
//! scheme; names are `str` here, so they are valid UTF-8 by construction). Nothing here knows
//! about reserved names (`__name__`, `__…`): upstream checks those in different places.

/// Which names a push may use: `--push.enable-utf8-names` off (legacy) or on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NameScheme {
    pub utf8: bool,
}

impl NameScheme {
    pub fn allows_metric_name(self, name: &str) -> bool {
        is_legacy_metric_name(name.as_bytes()) || (self.utf8 && !name.is_empty())
    }

    pub fn allows_label_name(self, name: &str) -> bool {
        is_legacy_label_name(name.as_bytes()) || (self.utf8 && !name.is_empty())
    }
}

pub fn is_legacy_metric_name(name: &[u8]) -> bool {
    match name.split_first() {
        Some((&first, rest)) => {
            (first.is_ascii_alphabetic() || first == b'_' || first == b':')
                && rest.iter().all(|&b| is_metric_name_byte(b))
        }
        None => false,
    }
}

pub fn is_legacy_label_name(name: &[u8]) -> bool {
    match name.split_first() {
        Some((&first, rest)) => {
            (first.is_ascii_alphabetic() || first == b'_')
                && rest.iter().all(|&b| is_label_name_byte(b))
        }
        None => false,
    }
}

/// A byte that may continue a legacy metric name.
pub fn is_metric_name_byte(b: u8) -> bool {
    is_label_name_byte(b) || b == b':'
}

/// A byte that may continue a legacy label name.
pub fn is_label_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_and_utf8_schemes() {
        let legacy = NameScheme { utf8: false };
        let utf8 = NameScheme { utf8: true };
        // (name, legacy metric, legacy label, UTF-8 metric and label)
        let table = [
            ("a", true, true, true),
            ("_a9", true, true, true),
            (":a", true, false, true),
            ("a:b", true, false, true),
            ("9a", false, false, true),
            ("a.b", false, false, true),
            ("a-b", false, false, true),
            ("café", false, false, true),
            ("", false, false, false),
        ];
        for (name, metric, label, any) in table {
            assert_eq!(legacy.allows_metric_name(name), metric, "{name:?}");
            assert_eq!(legacy.allows_label_name(name), label, "{name:?}");
            assert_eq!(utf8.allows_metric_name(name), any, "{name:?}");
            assert_eq!(utf8.allows_label_name(name), any, "{name:?}");
        }
    }
}
