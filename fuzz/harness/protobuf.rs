//! The delimited protobuf decoder (`parse::protobuf`), with legacy and UTF-8 names. Input: a
//! push body, as is.
//!
//! Checked for every body that decodes without problems: the store accepts or refuses it
//! without panicking and stays consistent, and when accepted, the protobuf exposition of the
//! store decodes again and names the same pushed families.

use pushgateway::clock::Timestamp;
use pushgateway::escaping::Escaping;
use pushgateway::grouping::GroupingKey;
use pushgateway::parse::names::NameScheme;
use pushgateway::parse::protobuf;
use pushgateway::store::{Format, Store};

pub fn run(data: &[u8]) {
    for utf8 in [false, true] {
        let Ok(decoded) = protobuf::parse(data, NameScheme { utf8 }) else {
            continue;
        };
        if !decoded.problems.is_empty() {
            continue;
        }
        let mut names: Vec<String> = decoded
            .families
            .iter()
            .filter(|f| !f.metrics.is_empty())
            .map(|f| f.name.to_string())
            .collect();
        let mut store = Store::new(true, &[]);
        let key = GroupingKey::from_pairs(vec![("job".into(), "fuzz".into())]);
        let accepted = store
            .push(&key, decoded.families, true, Timestamp::from_unix_nanos(1))
            .is_ok();
        assert_eq!(
            store.full_check(),
            Vec::<String>::new(),
            "a checked store stays consistent"
        );
        if !accepted {
            continue;
        }
        let scrape = store
            // Names as stored: escaping (checked by the `app` target) would rename UTF-8 ones.
            .scrape_with(&[], Format::Protobuf, Escaping::AllowUtf8)
            .expect("a consistent store scrapes");
        let bytes: Vec<u8> = scrape
            .chunks
            .iter()
            .flat_map(|c| c.as_slice().to_vec())
            .collect();
        let again = protobuf::parse(&bytes, NameScheme { utf8 }).expect("our exposition decodes");
        let mut served: Vec<String> = again
            .families
            .iter()
            .map(|f| f.name.to_string())
            .filter(|n| n != "push_time_seconds" && n != "push_failure_time_seconds")
            .collect();
        names.retain(|n| n != "push_time_seconds" && n != "push_failure_time_seconds");
        names.sort();
        served.sort();
        assert_eq!(
            served, names,
            "the exposition serves every pushed family with series"
        );
    }
}
