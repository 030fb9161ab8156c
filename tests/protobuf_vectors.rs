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

/// A hand-built native histogram (schema 3, zero bucket, one positive span with deltas, an
/// exemplar-free body) pushed as protobuf: the text exposition shows what upstream shows (the
/// synthesised `+Inf` bucket, sum and count), and the protobuf exposition returns the
/// histogram field byte for byte.
#[test]
fn native_histograms_round_trip_exactly() {
    use pushgateway::parse::protobuf::{put_bytes, put_double, put_key, put_varint};
    let mut span = Vec::new();
    put_key(&mut span, 1, 0); // offset (sint32): 0
    put_varint(&mut span, 0);
    put_key(&mut span, 2, 0); // length: 2
    put_varint(&mut span, 2);
    let mut histogram = Vec::new();
    put_key(&mut histogram, 1, 0); // sample_count
    put_varint(&mut histogram, 5);
    put_double(&mut histogram, 2, 12.5); // sample_sum
    put_key(&mut histogram, 5, 0); // schema (sint32, zig-zag): 3
    put_varint(&mut histogram, 6);
    put_double(&mut histogram, 6, 0.001); // zero_threshold
    put_key(&mut histogram, 7, 0); // zero_count
    put_varint(&mut histogram, 1);
    put_bytes(&mut histogram, 12, &span); // positive_span
    put_bytes(&mut histogram, 13, &[4, 0]); // positive_delta (packed sint64): 2, 0
    let mut value = Vec::new();
    put_bytes(&mut value, 7, &histogram);
    let mut metric = Vec::new();
    metric.extend_from_slice(&value);
    let mut family = Vec::new();
    put_bytes(&mut family, 1, b"nh");
    put_key(&mut family, 3, 0);
    put_varint(&mut family, 4); // HISTOGRAM
    put_bytes(&mut family, 4, &metric);
    put_bytes(&mut family, 5, b"seconds");
    let mut body = Vec::new();
    put_varint(&mut body, family.len() as u64);
    body.extend_from_slice(&family);

    let decoded = protobuf::parse(&body, NameScheme::default()).unwrap();
    assert!(decoded.problems.is_empty());
    let mut store = Store::new(true, &[]);
    let key = GroupingKey::from_pairs(vec![("job".into(), "native".into())]);
    store
        .push(&key, decoded.families, true, Timestamp::now())
        .unwrap();

    let text: Vec<u8> = store
        .scrape(&[])
        .unwrap()
        .chunks
        .iter()
        .flat_map(|c| c.as_slice().to_vec())
        .collect();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(
            "# TYPE nh histogram\nnh_bucket{instance=\"\",job=\"native\",le=\"+Inf\"} 5\n\
             nh_sum{instance=\"\",job=\"native\"} 12.5\nnh_count{instance=\"\",job=\"native\"} 5\n"
        ),
        "{text}"
    );
    let pb: Vec<u8> = store
        .scrape_as(&[], Format::Protobuf)
        .unwrap()
        .chunks
        .iter()
        .flat_map(|c| c.as_slice().to_vec())
        .collect();
    let served = protobuf::parse(&pb, NameScheme::default()).unwrap();
    let nh = served.families.iter().find(|f| f.name == "nh").unwrap();
    assert_eq!(
        nh.metrics[0].pb_value.as_deref(),
        Some(&value[..]),
        "served back byte for byte"
    );
}
