use super::*;
use crate::model::Family;
use crate::parse::text::{parse, TextOptions};
use crate::store::tests::key;
use crate::store::Format;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_unix_nanos(secs * 1_000_000_000)
}

fn push(store: &mut Store, k: &GroupingKey, body: &str, secs: i64) {
    let families = parse(body.as_bytes(), TextOptions { utf8_names: false }).unwrap();
    store.push(k, families, false, t(secs)).unwrap();
}

fn scrape(store: &mut Store, format: Format) -> Result<Vec<u8>, String> {
    let scrape = store.scrape_as(&[], format).map_err(|e| e.to_string())?;
    Ok(scrape
        .chunks
        .iter()
        .flat_map(|c| c.as_slice().to_vec())
        .collect())
}

/// Every family of every group: name, stamp, header and model.
fn families(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for group in store.groups_sorted() {
        for stored in group.families.values() {
            let model: Family<'_> = stored.model();
            out.push(format!("{:?} @{:?} {model:?}", group.key, stored.stamp));
        }
    }
    out
}

fn gauge<'a>(name: &'a str, lines: &'a [u8]) -> Restored<'a> {
    Restored {
        name,
        help: None,
        mtype: MetricType::Gauge,
        stamp: t(9),
        lines,
    }
}

/// A store with groups `{job="a"}` and `{job="b",instance="i"}`, and what they hold.
fn two_groups(checked: bool) -> Store {
    let mut store = Store::new(checked, crate::own_metrics::OWN_FAMILIES);
    push(
        &mut store,
        &key(&[("job", "a")]),
        "# TYPE m gauge\nm{x=\"1\"} 1\n",
        1,
    );
    push(
        &mut store,
        &key(&[("job", "b"), ("instance", "i")]),
        "c_total 2\n",
        2,
    );
    store
}

#[test]
fn restored_families_are_what_the_pushed_ones_were() {
    let mut pushed = Store::new(true, crate::own_metrics::OWN_FAMILIES);
    let (a, b) = (key(&[("job", "a")]), key(&[("job", "b"), ("x", "q\"\\")]));
    // Lines that share their start with the line before, up to a value or not.
    let many: String = (0..30)
        .map(|i| format!("many{{i=\"{}\",n=\"{i}\",é=\"{}\"}} {i}\n", i % 3, i % 2))
        .collect();
    let body = "# HELP g A gauge \\\\ with \\n escapes.\n# TYPE g gauge\n\
                g{l=\"a\\\"b\\\\c\\nd\"} 1e-07\ng{l=\"\"} NaN\ng{instance=\"own\",l=\"z\"} -Inf\n\
                g{l=\"long value past eight bytes\",m=\"1\"} 3\n\
                # HELP c \n# TYPE c counter\nc 12345678912345\n# TYPE u untyped\nu{é=\"x\"} 1\n";
    let body = body.replace("é", "e");
    push(&mut pushed, &a, &body, 1);
    push(&mut pushed, &b, &body, 2);
    push(&mut pushed, &b, "# TYPE g gauge\ng{l=\"x\"} 5\n", 3);
    push(&mut pushed, &a, &many.replace("é", "z"), 4);

    let mut restored = Store::new(true, crate::own_metrics::OWN_FAMILIES);
    for group in pushed.groups_sorted() {
        // Created when it was (no push failed), and last pushed when it was.
        let created = group.families[super::super::PUSH_FAILURE_TIME].stamp;
        for time in [created, group.refreshed_at()] {
            restored.push(&group.key, Vec::new(), false, time).unwrap();
        }
        for stored in group.families.values() {
            if is_bookkeeping(&stored.name) {
                continue;
            }
            let lines = stored.compact_lines().expect("a compact family");
            let family = Restored {
                name: &stored.name,
                help: stored.help.as_deref(),
                mtype: stored.mtype,
                stamp: stored.stamp,
                lines,
            };
            restored.restore_family(&group.key, family).unwrap();
        }
    }
    assert_eq!(families(&restored), families(&pushed));
    for format in [Format::Text, Format::Protobuf] {
        assert_eq!(scrape(&mut restored, format), scrape(&mut pushed, format));
    }
    assert_eq!(restored.full_check(), Vec::<String>::new());
    // The indexes hold the restored series: a push of one to another group is a duplicate.
    let c = key(&[("job", "a"), ("instance", "own")]);
    let duplicate = "# TYPE g gauge\ng{l=\"z\"} 1\n";
    let families = parse(duplicate.as_bytes(), TextOptions { utf8_names: false }).unwrap();
    let rejection = restored.push(&c, families, false, t(4)).unwrap_err();
    assert!(
        rejection.to_string().contains("was collected before"),
        "{rejection}"
    );
}

#[test]
fn a_restored_family_replaces_the_one_of_its_name() {
    let mut store = two_groups(true);
    let a = key(&[("job", "a")]);
    let lines = b"m{instance=\"\",job=\"a\",x=\"2\"} 7\n";
    store.restore_family(&a, gauge("m", lines)).unwrap();
    let text = String::from_utf8(scrape(&mut store, Format::Text).unwrap()).unwrap();
    assert_eq!(
        text.split("# HELP push_failure").next().unwrap(),
        "# TYPE c_total untyped\nc_total{instance=\"i\",job=\"b\"} 2\n\
         # TYPE m gauge\nm{instance=\"\",job=\"a\",x=\"2\"} 7\n"
    );
    // The replaced series left the index: another group may now push it.
    let body = "# TYPE m gauge\nm{job=\"a\",x=\"1\"} 1\n";
    push(&mut store, &key(&[("job", "c")]), body, 3);
    assert_eq!(store.full_check(), Vec::<String>::new());
}

#[test]
fn lines_the_store_would_not_have_stored_are_refused_and_change_nothing() {
    let a = key(&[("job", "a")]);
    let cases: &[(&str, &[u8], &str)] = &[
        ("m", b"m{instance=\"\",job=\"a\"} 1", "no newline"),
        (
            "m",
            b"m{instance=\"\",job=\"a\"} 1\nm",
            "line 2: not the family's name",
        ),
        ("m", b"n{instance=\"\",job=\"a\"} 1\n", "family's name"),
        ("m", b"mm{instance=\"\",job=\"a\"} 1\n", "family's name"),
        ("m", b"m{instance=\"\",job=\"a\"}1\n", "no space"),
        ("m", b"m{instance=\"\",job=\"a\"} \n", "not a number"),
        ("m", b"m{instance=\"\",job=\"a\"} 1 2\n", "not a number"),
        ("m", b"m{instance=\"\",job=\"a\"} 0x1\n", "not a number"),
        ("m", b"m{instance=\"\",job=\"a\"} \xff\n", "not UTF-8"),
        ("m", b"m{instance=\"\",job=\"b\"} 1\n", "another value"),
        ("m", b"m{job=\"a\"} 1\n", "missing"),
        ("m", b"m{instance=\"\"} 1\n", "missing"),
        ("m", b"m 1\n", "missing"),
        ("m", b"m{} 1\n", "label name"),
        ("m", b"m{job=\"a\",instance=\"\"} 1\n", "sorted"),
        (
            "m",
            b"m{instance=\"\",instance=\"\",job=\"a\"} 1\n",
            "sorted",
        ),
        (
            "m",
            b"m{__x=\"\",instance=\"\",job=\"a\"} 1\n",
            "label name",
        ),
        ("m", b"m{instance=\"\",job=\"a\",1x=\"\"} 1\n", "label name"),
        ("m", b"m{instance=\"\",job=\"a\",x=1} 1\n", "not quoted"),
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"\\t\"} 1\n",
            "invalid escape",
        ),
        ("m", b"m{instance=\"\",job=\"a\",x=\"\\", "invalid escape"),
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"\xff\"} 1\n",
            "not UTF-8",
        ),
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"1\" 1\n",
            "comma or brace",
        ),
        ("m", b"m{instance=\"\",job=\"a\",x=\"1\n", "not closed"),
        ("m", b"m{instance=\"\",job=\"a\"\n", "comma or brace"),
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"2\"} 1\nm{instance=\"\",job=\"a\",x=\"1\"} 1\n",
            "series order",
        ),
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"1\"} 1\nm{instance=\"\",job=\"a\",x=\"1\"} 2\n",
            "series order",
        ),
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"\\\\\"} 1\nm{instance=\"\",job=\"a\",x=\"\\\"\"} 1\n",
            "series order",
        ),
        // A second line read from where it leaves the first.
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"1\"} 1\nm{instance=\"\",job=\"a\",x=\"1\\t\"} 1\n",
            "line 2: a label value has an invalid escape",
        ),
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"1\"} 1\nm{instance=\"\",job=\"a\",x=\"1\xff\"} 1\n",
            "line 2: a label value is not UTF-8",
        ),
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"1\"} 1\nm{instance=\"\",job=\"a\",x=\"12\"} 1",
            "line 2: the last line has no newline",
        ),
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"1\"} 1\nm{instance=\"\",job=\"a\",x=\"12\",__y=\"\"} 1\n",
            "line 2: a label name is not valid",
        ),
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"1\"} 1\nm{instance=\"\",job=\"a\",x=\"12\",a=\"\"} 1\n",
            "line 2: label names are not sorted",
        ),
        (
            "m",
            b"m{instance=\"\",job=\"a\",x=\"1\"} 1\nm{instance=\"\",job=\"a\",x=\"1",
            "line 2: a label value is not closed",
        ),
        ("push_time_seconds", b"", "not a name"),
        ("a.b", b"", "not a name"),
        // The series another group holds, and a name that group keeps as another type.
        (
            "c_total",
            b"c_total{instance=\"i\",job=\"b\"} 1\n",
            "grouping label",
        ),
        (
            "c_total",
            b"c_total{instance=\"\",job=\"a\"} 1\n",
            "another type",
        ),
        // An own family's name with another type, and a suffix of a summary.
        (
            "process_cpu_seconds_total",
            b"process_cpu_seconds_total{instance=\"\",job=\"a\"} 1\n",
            "own families",
        ),
        ("pushgateway_http_push_size_bytes_sum", b"", "collides"),
    ];
    for &(name, lines, want) in cases {
        let mut store = two_groups(true);
        let before = (families(&store), scrape(&mut store, Format::Text));
        let restored = store.restore_family(&a, gauge(name, lines));
        let lossy = String::from_utf8_lossy(lines);
        let err = restored.expect_err(&format!("{name} {lossy:?} is refused"));
        assert!(err.contains(want), "{name} {lossy:?}: {err}");
        assert_eq!((families(&store), scrape(&mut store, Format::Text)), before);
    }
    let mut store = two_groups(true);
    let missing = key(&[("job", "nope")]);
    let err = store.restore_family(&missing, gauge("m", b"")).unwrap_err();
    assert_eq!(err, "its group does not exist");
    let summary = Restored {
        mtype: MetricType::Summary,
        ..gauge("m", b"")
    };
    assert!(store.restore_family(&a, summary).is_err());
}

#[test]
fn a_series_another_group_holds_is_refused_checked_and_reported_unchecked() {
    // `{job="b",instance="i"}` holds c_total{instance="i",job="b"}; a group whose key has no
    // instance may carry a series with that label.
    let lines = b"c_total{instance=\"i\",job=\"b\"} 1\n";
    let other = key(&[("job", "b")]);
    let restored = Restored {
        mtype: MetricType::Untyped,
        ..gauge("c_total", lines)
    };
    let mut checked = two_groups(true);
    push(&mut checked, &other, "x 1\n", 3);
    let err = checked.restore_family(&other, restored).unwrap_err();
    assert!(err.contains("held by another group"), "{err}");

    let mut unchecked = two_groups(false);
    push(&mut unchecked, &other, "x 1\n", 3);
    unchecked.restore_family(&other, restored).unwrap();
    let errors = unchecked.full_check();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("was collected before"), "{errors:?}");
    assert!(scrape(&mut unchecked, Format::Text).is_err());
}

#[test]
fn a_compact_familys_lines_that_do_not_read_back_give_no_series() {
    // Lines the restore accepts but the text parser does not (a label value that is not valid
    // in upstream's grammar would be one); here made directly to pin the choice.
    let mut store = two_groups(true);
    let a = key(&[("job", "a")]);
    let group = store.by_key[&a];
    let stored = store.groups[group as usize]
        .as_mut()
        .unwrap()
        .families
        .get_mut("m")
        .unwrap();
    stored.fragment.text = b"m{instance=\"\",job=\"a\",x=\"1\"} 1 2 3\n"
        .to_vec()
        .into();
    assert!(stored.model().metrics.is_empty());
}

#[test]
fn plain_decimals_are_what_the_parser_accepts() {
    let cases: &[&[u8]] = &[
        b"0", b"1.5", b"-2", b"12.", b"007", b"-0.25", b"", b"-", b".5", b"1e5", b"1.2.3", b"+1",
        b"1_0", b"NaN", b" 1", b"\xff",
    ];
    let long = [b'9'; 301];
    for value in cases.iter().copied().chain([&long[..300], &long[..]]) {
        if is_plain_decimal(value) {
            let parsed = std::str::from_utf8(value)
                .ok()
                .and_then(crate::parse::text::parse_float);
            assert!(parsed.is_some(), "{value:?}");
        }
    }
    assert!(is_plain_decimal(b"-0.25") && is_plain_decimal(&long[..300]));
    assert!(!is_plain_decimal(&long) && !is_plain_decimal(b"12.3.4"));
}

#[test]
fn the_order_of_two_lines_is_the_series_order() {
    let values = [
        "",
        "0",
        "00",
        "1",
        "10",
        "9",
        "a",
        "a b",
        "a}",
        "a\"",
        "a\\",
        "a\nb",
        "\u{1}",
        " ",
        "!",
        "é",
        "ab",
        "a,b=\"c\"",
    ];
    let mut lines = Vec::new();
    for x in values {
        for y in ["", "1"] {
            let mut line = b"m{instance=\"\",job=\"a\",x=\"".to_vec();
            crate::store::fragment::write_escaped_label_value(&mut line, x);
            line.extend_from_slice(b"\"");
            if !y.is_empty() {
                line.extend_from_slice(format!(",y=\"{y}\"").as_bytes());
            }
            line.extend_from_slice(b"} 1\n");
            lines.push(line);
        }
        let mut line = b"m{instance=\"\",job=\"a\",w=\"".to_vec();
        crate::store::fragment::write_escaped_label_value(&mut line, x);
        line.extend_from_slice(b"\"} 1\n");
        lines.push(line);
    }
    let read = |text: &[u8]| {
        let mut line = Line::default();
        line.read(text, b"m", None).unwrap();
        line
    };
    for a in &lines {
        for b in &lines {
            let want = series_order(SeriesLabels::Line(a), SeriesLabels::Line(b));
            let got = Line::order(a, &read(a), b, &read(b));
            let show = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
            assert_eq!(got, want, "{show:?}");
        }
    }
}

#[test]
fn common_prefixes() {
    let cases: &[(&[u8], &[u8], usize)] = &[
        (b"", b"", 0),
        (b"abc", b"abd", 2),
        (b"abcdefgh", b"abcdefgh", 8),
        (b"abcdefghij", b"abcdefghiJ", 9),
        (b"abcdefgh12345678x", b"abcdefgh12345678", 16),
        (b"abcdefgh", b"abcdefgX", 7),
        (b"Xbcdefgh", b"abcdefgh", 0),
        (b"abcdefghabcdefgh", b"abcdefghabcXefgh", 11),
    ];
    for &(a, b, want) in cases {
        assert_eq!(
            (common_prefix(a, b), common_prefix(b, a)),
            (want, want),
            "{a:?} {b:?}"
        );
    }
}
