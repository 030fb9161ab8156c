//! Golden protobuf vectors from the real upstream binary (see tests/data/protobuf/README.md):
//! our decoder reads upstream's exposition, and our protobuf exposition of the same push
//! decodes to the same families.

use pushgateway::clock::Timestamp;
use pushgateway::grouping::GroupingKey;
use pushgateway::model::{Family, Value};
use pushgateway::parse::names::NameScheme;
use pushgateway::parse::protobuf;
use pushgateway::parse::text::{self, TextOptions};
use pushgateway::store::{Format, Store};

const UPSTREAM: &[u8] = include_bytes!("data/protobuf/upstream-1.5.1-exposition.bin");
const PUSHED: &str =
    "# HELP c a counter\n# TYPE c counter\nc{a=\"x\"} 1.5\n# TYPE g gauge\ng -2\nu 3\n\
# TYPE s summary\ns{quantile=\"0.5\"} 7\ns_sum 3.5\ns_count 10\n\
# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 3\nh_sum 4\nh_count 3\n";

/// The pushed families (not the bookkeeping or own ones), without the raw value bytes, whose
/// field layout may legitimately differ between encoders.
fn pushed(families: Vec<Family<'_>>) -> Vec<Family<'static>> {
    families
        .into_iter()
        .filter(|f| ["c", "g", "u", "s", "h"].contains(&&*f.name))
        .map(|f| {
            let mut f = f.into_owned();
            for m in &mut f.metrics {
                m.pb_value = None;
            }
            f
        })
        .collect()
}

#[test]
fn decodes_upstreams_protobuf_exposition() {
    let decoded =
        protobuf::parse(UPSTREAM, NameScheme::default()).expect("upstream's bytes decode");
    assert!(decoded.problems.is_empty(), "{:?}", decoded.problems);
    let names: Vec<&str> = decoded.families.iter().map(|f| &*f.name).collect();
    for expected in [
        "c",
        "g",
        "go_goroutines",
        "h",
        "push_time_seconds",
        "s",
        "u",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let families = pushed(decoded.families);
    let c = families.iter().find(|f| f.name == "c").unwrap();
    assert_eq!(c.help.as_deref(), Some("a counter"));
    assert_eq!(c.metrics[0].value, Value::Simple(1.5));
    let labels: Vec<(&str, &str)> = c.metrics[0]
        .labels
        .iter()
        .map(|l| (&*l.name, &*l.value))
        .collect();
    assert_eq!(
        labels,
        vec![("a", "x"), ("instance", "i1"), ("job", "golden")]
    );
}

#[test]
fn our_protobuf_exposition_matches_upstreams() {
    let mut store = Store::new(true, &[]);
    let key = GroupingKey::from_pairs(vec![
        ("job".into(), "golden".into()),
        ("instance".into(), "i1".into()),
    ]);
    let body = text::parse(PUSHED.as_bytes(), TextOptions { utf8_names: false }).unwrap();
    store.push(&key, body, true, Timestamp::now()).unwrap();
    let scrape = store.scrape_as(&[], Format::Protobuf).unwrap();
    let bytes: Vec<u8> = scrape
        .chunks
        .iter()
        .flat_map(|c| c.as_slice().to_vec())
        .collect();
    let ours = protobuf::parse(&bytes, NameScheme::default()).expect("our exposition decodes");
    let upstream = protobuf::parse(UPSTREAM, NameScheme::default()).unwrap();
    assert_eq!(pushed(ours.families), pushed(upstream.families));
}
