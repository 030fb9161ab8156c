//! Decoder tests: every field the model keeps, unknown fields, truncation at every byte, and the
//! problems left for the store's check.

use super::*;
use crate::model::{Count, Value};

fn names() -> NameScheme {
    NameScheme { utf8: false }
}

fn label(name: &str, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put_bytes(&mut out, 1, name.as_bytes());
    put_bytes(&mut out, 2, value);
    out
}

fn simple(field: u32, v: f64) -> Vec<u8> {
    let mut inner = Vec::new();
    put_double(&mut inner, 1, v);
    let mut out = Vec::new();
    put_bytes(&mut out, field, &inner);
    out
}

fn metric(labels: &[Vec<u8>], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in labels {
        put_bytes(&mut out, 1, l);
    }
    out.extend_from_slice(value);
    out
}

fn family(name: &str, help: Option<&str>, mtype: u64, metrics: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    put_bytes(&mut out, 1, name.as_bytes());
    if let Some(h) = help {
        put_bytes(&mut out, 2, h.as_bytes());
    }
    put_key(&mut out, 3, VARINT);
    put_varint(&mut out, mtype);
    for m in metrics {
        put_bytes(&mut out, 4, m);
    }
    out
}

fn delimited(families: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in families {
        put_varint(&mut out, f.len() as u64);
        out.extend_from_slice(f);
    }
    out
}

#[test]
fn decodes_simple_types_labels_and_help() {
    let body = delimited(&[
        family(
            "c",
            Some("a counter"),
            0,
            &[metric(&[label("a", b"x")], &simple(3, 1.5))],
        ),
        family("g", None, 1, &[metric(&[], &simple(2, -2.0))]),
        family("u", None, 3, &[metric(&[], &simple(5, f64::INFINITY))]),
    ]);
    let d = parse(&body, names()).unwrap();
    assert!(d.problems.is_empty());
    let f = &d.families;
    assert_eq!(
        (&*f[0].name, f[0].help.as_deref(), f[0].mtype),
        ("c", Some("a counter"), MetricType::Counter)
    );
    assert_eq!(f[0].metrics[0].labels[0].value, "x");
    assert_eq!(f[0].metrics[0].value, Value::Simple(1.5));
    assert_eq!(f[1].metrics[0].value, Value::Simple(-2.0));
    assert_eq!(f[2].metrics[0].value, Value::Simple(f64::INFINITY));
    assert!(
        matches!(f[0].name, Cow::Borrowed(_)),
        "names borrow from the body"
    );
}

#[test]
fn decodes_summaries_and_histograms_with_float_counts() {
    let mut q = Vec::new();
    put_double(&mut q, 1, 0.5);
    put_double(&mut q, 2, 7.0);
    let mut summary = Vec::new();
    put_key(&mut summary, 1, VARINT);
    put_varint(&mut summary, 10);
    put_double(&mut summary, 2, 3.5);
    put_bytes(&mut summary, 3, &q);
    let mut bucket = Vec::new();
    put_double(&mut bucket, 4, 2.5);
    put_double(&mut bucket, 2, 1.0);
    let mut histogram = Vec::new();
    put_key(&mut histogram, 1, VARINT);
    put_varint(&mut histogram, 3);
    put_double(&mut histogram, 2, 4.0);
    put_bytes(&mut histogram, 3, &bucket);
    // An unknown native-histogram field (schema, sint32) is skipped, and kept in pb_value.
    put_key(&mut histogram, 5, VARINT);
    put_varint(&mut histogram, 3);
    let mut sv = Vec::new();
    put_bytes(&mut sv, 4, &summary);
    let mut hv = Vec::new();
    put_bytes(&mut hv, 7, &histogram);
    let body = delimited(&[
        family("s", None, 2, &[metric(&[], &sv)]),
        family("h", None, 4, &[metric(&[], &hv)]),
    ]);
    let d = parse(&body, names()).unwrap();
    let Value::Summary(s) = &d.families[0].metrics[0].value else {
        panic!("summary")
    };
    assert_eq!(
        (
            s.count,
            s.sum,
            s.quantiles[0].quantile,
            s.quantiles[0].value
        ),
        (10, 3.5, 0.5, 7.0)
    );
    let Value::Histogram(h) = &d.families[1].metrics[0].value else {
        panic!("histogram")
    };
    assert_eq!((h.count, h.sum), (Count::Int(3), 4.0));
    assert_eq!(
        (h.buckets[0].upper_bound, h.buckets[0].count),
        (1.0, Count::Float(2.5))
    );
    assert_eq!(d.families[1].metrics[0].pb_value.as_deref(), Some(&hv[..]));
}

#[test]
fn later_family_of_the_same_name_replaces_the_earlier() {
    let body = delimited(&[
        family("m", None, 1, &[metric(&[], &simple(2, 1.0))]),
        family(
            "m",
            None,
            1,
            &[
                metric(&[], &simple(2, 2.0)),
                metric(&[label("x", b"1")], &simple(2, 3.0)),
            ],
        ),
    ]);
    let d = parse(&body, names()).unwrap();
    assert_eq!(d.families.len(), 1);
    assert_eq!(d.families[0].metrics.len(), 2);
}

#[test]
fn names_are_validated_r6() {
    for bad in ["foo-bar", "1abc", ""] {
        let body = delimited(&[family(bad, None, 1, &[metric(&[], &simple(2, 1.0))])]);
        let err = parse(&body, names()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("invalid metric name {}", quote(bad.as_bytes()))
        );
    }
    let body = delimited(&[family(
        "m",
        None,
        1,
        &[metric(&[label("a-b", b"1")], &simple(2, 1.0))],
    )]);
    assert_eq!(
        parse(&body, names()).unwrap_err().to_string(),
        "invalid label name \"a-b\""
    );
    let body = delimited(&[family("a.b", None, 1, &[metric(&[], &simple(2, 1.0))])]);
    assert!(parse(&body, NameScheme { utf8: true }).is_ok());
}

#[test]
fn consistency_problems_are_left_for_the_store() {
    let body = delimited(&[family(
        "m",
        None,
        0,
        &[metric(&[label("b", b"\xff")], &simple(2, 1.0))],
    )]);
    let d = parse(&body, names()).unwrap();
    assert_eq!(d.problems.len(), 2, "{:?}", d.problems);
    assert!(
        d.problems[0].ends_with("gauge:<value:1 > } is not a COUNTER"),
        "{}",
        d.problems[0]
    );
    assert!(
        d.problems[1].ends_with(r#"has a label named "b" whose value is not utf8: "\xff""#),
        "{}",
        d.problems[1]
    );
}

#[test]
fn truncation_at_every_byte_is_an_error_not_a_panic() {
    let body = delimited(&[
        family(
            "c",
            Some("help"),
            0,
            &[metric(&[label("a", b"x")], &simple(3, 1.5))],
        ),
        family("g", None, 1, &[metric(&[], &simple(2, 2.0))]),
    ]);
    assert!(parse(&body, names()).is_ok());
    for cut in 1..body.len() {
        // Only the cut after the first family (its one-byte length plus its bytes) is whole.
        let boundary = cut == 1 + body[0] as usize;
        match parse(&body[..cut], names()) {
            Ok(_) => assert!(boundary, "a cut at {cut} decoded"),
            Err(e) => assert_eq!(e.to_string(), "unexpected EOF", "cut at {cut}"),
        }
    }
    assert_eq!(parse(&[], names()).unwrap().families.len(), 0);
}

#[test]
fn garbage_is_rejected_without_panicking() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for len in 0..400 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let _ = parse(&bytes, names());
    }
}

#[test]
fn the_unit_is_kept() {
    let mut f = family("seconds_total", None, 0, &[metric(&[], &simple(3, 1.0))]);
    put_bytes(&mut f, 5, b"seconds");
    let body = delimited(&[f]);
    let d = parse(&body, names()).unwrap();
    assert_eq!(d.families[0].unit.as_deref(), Some("seconds"));
}
