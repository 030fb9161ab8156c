//! Store behaviour (spec §6, §7, §8.2–8.3) and its consistency decisions, including a seeded
//! comparison of the incremental check against a from-scratch check of the whole store.

use super::*;
use crate::parse::text::{parse, TextOptions};

pub(crate) fn key(pairs: &[(&str, &str)]) -> GroupingKey {
    GroupingKey::from_pairs(
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    )
}

fn families(body: &str) -> Vec<Family<'_>> {
    parse(body.as_bytes(), TextOptions { utf8_names: false }).expect("test body parses")
}

fn t(secs: i64) -> Timestamp {
    Timestamp::from_unix_nanos(secs * 1_000_000_000)
}

fn store() -> Store {
    Store::new(true, crate::own_metrics::OWN_FAMILIES)
}

/// The exposition of the pushed families only, as a string.
fn exposition(store: &mut Store) -> String {
    exposition_as(store, Escaping::default())
}

/// [`exposition`] with names escaped by `escaping` (`AllowUtf8`: as stored).
pub fn exposition_as(store: &mut Store, escaping: Escaping) -> String {
    let scrape = store
        .scrape_with(&[], Format::Text, escaping)
        .expect("store is consistent");
    let bytes: Vec<u8> = scrape
        .chunks
        .iter()
        .flat_map(|c| c.as_slice().to_vec())
        .collect();
    String::from_utf8(bytes).unwrap()
}

fn push(
    s: &mut Store,
    k: &GroupingKey,
    body: &str,
    replace: bool,
    time: i64,
) -> Result<(), Rejection> {
    let result = s.push(k, families(body), replace, t(time));
    assert_eq!(
        s.full_check(),
        Vec::<String>::new(),
        "a checked store stays consistent"
    );
    result
}

#[test]
fn put_then_post_as_worked_example_a() {
    let mut s = store();
    let g1 = key(&[("job", "g1")]);
    push(&mut s, &g1, "a 1\nb{x=\"1\"} 2\n", true, 1795801307).unwrap();
    push(&mut s, &g1, "a 10\n", false, 1795801308).unwrap();
    assert_eq!(
        exposition(&mut s),
        "# TYPE a untyped\n\
         a{instance=\"\",job=\"g1\"} 10\n\
         # TYPE b untyped\n\
         b{instance=\"\",job=\"g1\",x=\"1\"} 2\n\
         # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.\n\
         # TYPE push_failure_time_seconds gauge\n\
         push_failure_time_seconds{instance=\"\",job=\"g1\"} 0\n\
         # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.\n\
         # TYPE push_time_seconds gauge\n\
         push_time_seconds{instance=\"\",job=\"g1\"} 1.795801308e+09\n"
    );
    push(&mut s, &g1, "", true, 1795801309).unwrap();
    let text = exposition(&mut s);
    assert!(
        !text.contains("\na{") && !text.starts_with("# TYPE a"),
        "{text}"
    );
    assert!(text.contains("push_time_seconds{instance=\"\",job=\"g1\"} 1.795801309e+09\n"));
}

#[test]
fn grouping_labels_override_body_labels_as_worked_example_b() {
    let mut s = store();
    let k = key(&[("job", "g3"), ("instance", "gi"), ("foo", "gfoo")]);
    push(
        &mut s,
        &k,
        "d{job=\"other\",instance=\"inst\",foo=\"bar\"} 1\n",
        true,
        1,
    )
    .unwrap();
    assert!(exposition(&mut s).contains("d{foo=\"gfoo\",instance=\"gi\",job=\"g3\"} 1\n"));
    let k2 = key(&[("job", "g2")]);
    push(&mut s, &k2, "e{instance=\"i2\"} 1\n", true, 1).unwrap();
    assert!(exposition(&mut s).contains("e{instance=\"i2\",job=\"g2\"} 1\n"));
}

#[test]
fn timestamps_are_rejected_and_create_a_failed_group() {
    let mut s = store();
    let k = key(&[("job", "ts")]);
    let err = push(&mut s, &k, "tsm 1 1700000000000\n", true, 5).unwrap_err();
    assert_eq!(err.to_string(), "pushed metrics must not have timestamps");
    let group = s
        .group(&k)
        .expect("a failed push creates its group (spec §6.6)");
    assert_eq!((group.push_time(), group.failure_time()), (0.0, 5.0));
    assert!(!group.last_push_successful());
    // A later success keeps the failure time.
    push(&mut s, &k, "tsm 1\n", true, 6).unwrap();
    let group = s.group(&k).unwrap();
    assert_eq!((group.push_time(), group.failure_time()), (6.0, 5.0));
    assert!(group.last_push_successful());
}

#[test]
fn type_clash_across_groups_is_rejected_and_changes_nothing_but_the_failure_time() {
    let mut s = store();
    push(
        &mut s,
        &key(&[("job", "t1")]),
        "# TYPE m counter\nm 1\n",
        true,
        1,
    )
    .unwrap();
    let before = exposition(&mut s);
    let t2 = key(&[("job", "t2")]);
    let err = push(&mut s, &t2, "# TYPE m gauge\nm 1\n", true, 2).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"collected metric "m" { label:<name:"instance" value:"" > label:<name:"job" value:"t2" > gauge:<value:1 > } is not a COUNTER"#
    );
    let after = exposition(&mut s);
    assert!(after.starts_with(&before[..before.find("# HELP push_failure").unwrap()]));
    assert!(after.contains("push_failure_time_seconds{instance=\"\",job=\"t2\"} 2\n"));
    // The same group may change a family's type: the old one is replaced.
    push(
        &mut s,
        &key(&[("job", "t1")]),
        "# TYPE m gauge\nm 1\n",
        true,
        3,
    )
    .unwrap();
    // Untyped beside gauge is a clash as well.
    let err = push(&mut s, &t2, "m 1\n", true, 4).unwrap_err();
    assert!(err.to_string().ends_with("is not a GAUGE"), "{err}");
}

#[test]
fn suffix_collisions_in_both_orders() {
    let mut s = store();
    push(
        &mut s,
        &key(&[("job", "s1")]),
        "# TYPE hh histogram\nhh_bucket{le=\"1\"} 1\nhh_sum 1\nhh_count 1\n",
        true,
        1,
    )
    .unwrap();
    let err = push(
        &mut s,
        &key(&[("job", "s2")]),
        "# TYPE hh_count gauge\nhh_count 1\n",
        true,
        2,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"collected metric named "hh_count" collides with previously collected histogram named "hh""#
    );
    let err = push(&mut s, &key(&[("job", "s2")]), "hh_bucket 1\n", true, 2).unwrap_err();
    assert!(
        err.to_string()
            .contains("collides with previously collected histogram"),
        "{err}"
    );

    let mut s = store();
    push(&mut s, &key(&[("job", "s1")]), "x_sum 1\n", true, 1).unwrap();
    let err = push(
        &mut s,
        &key(&[("job", "s2")]),
        "# TYPE x summary\nx_count 1\n",
        true,
        2,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"collected histogram or summary named "x" collides with previously collected metric named "x_sum""#
    );
    // A summary beside `_bucket` is fine; a push carrying both sides reports one error.
    push(
        &mut s,
        &key(&[("job", "s3")]),
        "# TYPE y summary\ny_count 1\ny_bucket 2\n",
        true,
        3,
    )
    .unwrap();
    let err = push(
        &mut s,
        &key(&[("job", "s4")]),
        "# TYPE z_sum gauge\nz_sum 1\n# TYPE z summary\nz_count 1\n",
        true,
        4,
    )
    .unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    // No rule for _total or _created.
    push(
        &mut s,
        &key(&[("job", "s5")]),
        "# TYPE cc counter\ncc 1\ncc_total 1\ncc_created 1\n",
        true,
        5,
    )
    .unwrap();
}

#[test]
fn collisions_with_own_families() {
    let mut s = store();
    let err = push(
        &mut s,
        &key(&[("job", "o")]),
        "process_open_fds 1\n",
        true,
        1,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "gathered metric family process_open_fds has type UNTYPED but should have GAUGE"
    );
    push(
        &mut s,
        &key(&[("job", "o")]),
        "# TYPE process_open_fds gauge\nprocess_open_fds 1\n",
        true,
        2,
    )
    .unwrap();
    let err = push(
        &mut s,
        &key(&[("job", "o")]),
        "pushgateway_http_push_size_bytes_count 1\n",
        true,
        3,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("collides with previously collected summary"),
        "{err}"
    );
}

#[test]
fn duplicate_series_within_a_push_and_across_groups() {
    let mut s = store();
    let err = push(
        &mut s,
        &key(&[("job", "d")]),
        "a{job=\"x\"} 1\na 2\n",
        true,
        1,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("was collected before with the same name and label values"),
        "{err}"
    );
    push(&mut s, &key(&[("job", "j")]), "a{x=\"1\"} 1\n", true, 1).unwrap();
    let err = push(&mut s, &key(&[("job", "j"), ("x", "1")]), "a 1\n", true, 2).unwrap_err();
    assert!(err.to_string().contains("was collected before"), "{err}");
    // Replacing its own series is no duplicate.
    push(&mut s, &key(&[("job", "j")]), "a{x=\"1\"} 2\n", true, 3).unwrap();
    push(&mut s, &key(&[("job", "j")]), "a{x=\"1\"} 3\n", false, 4).unwrap();
}

#[test]
fn a_rejected_push_never_poisons_the_store_r1() {
    let mut s = store();
    push(&mut s, &key(&[("job", "j")]), "a 1\n", true, 1).unwrap();
    // `{job="j",instance=""}` would expose the same bookkeeping series as `{job="j"}`.
    let empty_instance = key(&[("job", "j"), ("instance", "")]);
    let err = push(&mut s, &empty_instance, "b 1\n", true, 2).unwrap_err();
    assert!(err.to_string().contains("push_time_seconds"), "{err}");
    assert!(
        s.group(&empty_instance).is_none(),
        "the failure must not create the clashing group"
    );
    // A failing push with timestamps to that key stores nothing either.
    assert!(push(&mut s, &empty_instance, "b 1 1\n", true, 3).is_err());
    assert!(s.group(&empty_instance).is_none());
    push(&mut s, &key(&[("job", "k")]), "c 1\n", true, 4).unwrap();
}

#[test]
fn labels_starting_with_double_underscore_fail_the_check() {
    let mut s = store();
    let err = push(&mut s, &key(&[("job", "u")]), "m{__x=\"1\"} 1\n", true, 1).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("has a label with an invalid name: __x"),
        "{err}"
    );
}

#[test]
fn several_problems_use_the_multi_error_format() {
    let mut s = store();
    push(
        &mut s,
        &key(&[("job", "a")]),
        "# TYPE m counter\nm 1\n# TYPE n counter\nn 1\n",
        true,
        1,
    )
    .unwrap();
    let err = push(
        &mut s,
        &key(&[("job", "b")]),
        "# TYPE m gauge\nm 1\n# TYPE n gauge\nn 1\n",
        true,
        2,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("2 error(s) occurred:\n* collected metric \"m\""),
        "{text}"
    );
    assert!(text.contains("\n* collected metric \"n\""), "{text}");
}

#[test]
fn series_merge_across_groups_in_upstream_order_with_deterministic_help() {
    let mut s = store();
    push(
        &mut s,
        &key(&[("job", "g2")]),
        "# HELP m help two\nm 2\n",
        true,
        1,
    )
    .unwrap();
    push(
        &mut s,
        &key(&[("job", "g1")]),
        "# HELP m help one\nm 1\n",
        true,
        1,
    )
    .unwrap();
    push(&mut s, &key(&[("job", "g0")]), "m 0\n", true, 1).unwrap();
    push(
        &mut s,
        &key(&[("job", "g3"), ("instance", "gi"), ("foo", "gfoo")]),
        "m 3\n",
        true,
        1,
    )
    .unwrap();
    let text = exposition(&mut s);
    let m: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("m") || l.starts_with("# HELP m "))
        .collect();
    assert_eq!(
        m,
        vec![
            "# HELP m help one",
            "m{instance=\"\",job=\"g0\"} 0",
            "m{instance=\"\",job=\"g1\"} 1",
            "m{instance=\"\",job=\"g2\"} 2",
            "m{foo=\"gfoo\",instance=\"gi\",job=\"g3\"} 3",
        ]
    );
    for _ in 0..5 {
        assert_eq!(exposition(&mut s), text);
    }
}

#[test]
fn interleaved_groups_merge_in_series_order_runs_and_single_series_alike() {
    let mut s = store();
    let series = |values: &[u32]| -> String {
        let mut body = String::from("# TYPE m gauge\n");
        for v in values {
            body += &format!("m{{a=\"{v}\"}} {v}\n");
        }
        body
    };
    // Runs of several series alternate between the groups, then single series do, then the
    // last group's remaining run follows alone.
    push(
        &mut s,
        &key(&[("job", "x")]),
        &series(&[1, 2, 5, 7]),
        true,
        1,
    )
    .unwrap();
    push(
        &mut s,
        &key(&[("job", "y")]),
        &series(&[3, 4, 6, 8, 9]),
        true,
        1,
    )
    .unwrap();
    push(&mut s, &key(&[("job", "z")]), &series(&[0]), true, 1).unwrap();
    let text = exposition(&mut s);
    let values = m_values(&text);
    assert_eq!(
        values,
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        "{text}"
    );
}

/// The values of the `m` series, in exposition order.
fn m_values(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("m{"))
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect()
}

#[test]
fn merge_orders_by_whole_values_past_a_shared_prefix_and_by_label_count_first() {
    let mut s = store();
    let x = "m{a=\"same-prefix-1\"} 1\nm{a=\"same-prefix-3\"} 3\n";
    let y = "m{a=\"same-prefix-2\"} 2\nm{a=\"same-prefix-4\"} 4\n";
    let z = "m{a=\"same\"} 0\nm{a=\"same-prefix-0\",b=\"more labels sort last\"} 5\n";
    push(&mut s, &key(&[("job", "x")]), x, true, 1).unwrap();
    push(&mut s, &key(&[("job", "y")]), y, true, 1).unwrap();
    push(&mut s, &key(&[("job", "z")]), z, true, 1).unwrap();
    let text = exposition(&mut s);
    let values = m_values(&text);
    assert_eq!(values, ["0", "1", "2", "3", "4", "5"], "{text}");
}

#[test]
fn delete_removes_exactly_one_group() {
    let mut s = store();
    push(&mut s, &key(&[("job", "x")]), "a 1\n", true, 1).unwrap();
    push(
        &mut s,
        &key(&[("job", "x"), ("instance", "y")]),
        "a 2\n",
        true,
        1,
    )
    .unwrap();
    assert!(s.delete(&key(&[("job", "x")])));
    assert!(!s.delete(&key(&[("job", "x")])));
    assert_eq!(s.group_count(), 1);
    assert_eq!(s.full_check(), Vec::<String>::new());
    // The deleted group's series no longer count as duplicates.
    push(
        &mut s,
        &key(&[("job", "x")]),
        "a{instance=\"z\"} 1\n",
        true,
        2,
    )
    .unwrap();
}

#[test]
fn unchecked_mode_stores_inconsistency_and_scrapes_fail_until_deleted() {
    let mut s = Store::new(false, crate::own_metrics::OWN_FAMILIES);
    s.push(
        &key(&[("job", "a")]),
        families("# TYPE m counter\nm 1\n"),
        true,
        t(1),
    )
    .unwrap();
    s.push(
        &key(&[("job", "b")]),
        families("# TYPE m gauge\nm 1\n"),
        true,
        t(2),
    )
    .unwrap();
    let err = s.scrape(&[]).unwrap_err();
    assert!(err.to_string().contains("is not a"), "{err}");
    // Timestamps are still refused, even unchecked.
    assert!(s
        .push(&key(&[("job", "c")]), families("m 1 1\n"), true, t(3))
        .is_err());
    s.delete(&key(&[("job", "b")]));
    assert!(s.scrape(&[]).is_ok());
}

#[test]
fn pushed_bookkeeping_families_are_ignored_r5() {
    let mut s = store();
    let k = key(&[("job", "b")]);
    push(
        &mut s,
        &k,
        "push_failure_time_seconds 7\npush_time_seconds 9\n",
        true,
        3,
    )
    .unwrap();
    let group = s.group(&k).unwrap();
    assert_eq!((group.push_time(), group.failure_time()), (3.0, 0.0));
}

/// A tiny deterministic generator for the seeded comparison below (and the log's tests).
pub(crate) struct XorShift(pub(crate) u64);
impl XorShift {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Builds a store from scratch out of `groups` (unchecked) and asks the full check: the
/// reference for what the incremental check must decide.
fn consistent_from_scratch(groups: &BTreeMap<Vec<(String, String)>, Vec<String>>) -> bool {
    let mut s = Store::new(false, crate::own_metrics::OWN_FAMILIES);
    for (pairs, bodies) in groups {
        let k = GroupingKey::from_pairs(pairs.clone());
        s.push(&k, Vec::new(), false, t(1)).unwrap();
        for body in bodies {
            s.push(&k, families(body), false, t(1)).unwrap();
        }
    }
    s.full_check().is_empty()
}

#[test]
fn incremental_check_agrees_with_a_from_scratch_check() {
    let jobs = ["a", "b", "c"];
    let extra = ["", "x", "instance"];
    let bodies = [
        "# TYPE m counter\nm 1\n",
        "# TYPE m gauge\nm 1\n",
        "m 1\n",
        "m{x=\"1\"} 1\n",
        "m{instance=\"\"} 1\n",
        "# TYPE s summary\ns_sum 1\ns_count 1\n",
        "s_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n",
        "h_bucket 1\n",
        "# TYPE s histogram\ns_count 1\n",
        "n 1\n",
        "",
    ];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut s = store();
    // The reference model: grouping key → the bodies whose families are currently stored.
    let mut model: BTreeMap<Vec<(String, String)>, BTreeMap<String, String>> = BTreeMap::new();
    let mut outcomes = [0usize; 2];
    for step in 0..600 {
        let mut pairs = vec![("job".to_string(), rng.pick(&jobs).to_string())];
        let label = rng.pick(&extra);
        if !label.is_empty() {
            pairs.push((
                label.to_string(),
                if rng.next() % 2 == 0 {
                    "1".into()
                } else {
                    String::new()
                },
            ));
        }
        let k = GroupingKey::from_pairs(pairs.clone());
        let pairs = k.labels().to_vec();
        if rng.next() % 7 == 0 {
            s.delete(&k);
            model.remove(&pairs);
            continue;
        }
        let body = rng.pick(&bodies);
        let replace = rng.next() % 2 == 0;
        // What the group would hold afterwards, family by family (one body per family name).
        let mut after = model.clone();
        let group = after.entry(pairs.clone()).or_default();
        if replace {
            group.clear();
        }
        for f in families(body) {
            let single: String = body.to_string();
            group.insert(f.name.to_string(), single);
        }
        let as_bodies = |m: &BTreeMap<Vec<(String, String)>, BTreeMap<String, String>>| {
            m.iter()
                .map(|(k, fams)| {
                    let mut bodies: Vec<String> = fams.values().cloned().collect();
                    bodies.dedup();
                    (k.clone(), bodies)
                })
                .collect::<BTreeMap<_, _>>()
        };
        let expect_ok = consistent_from_scratch(&as_bodies(&after));
        let got = s.push(&k, families(body), replace, t(step));
        assert_eq!(
            got.is_ok(),
            expect_ok,
            "step {step}: push {body:?} to {pairs:?} (replace {replace}): {got:?}"
        );
        outcomes[usize::from(expect_ok)] += 1;
        assert_eq!(s.full_check(), Vec::<String>::new());
        if got.is_ok() {
            model = after;
        } else if s.group(&k).is_some() {
            // A failed push may leave a group holding only its bookkeeping (spec §6.6).
            model.entry(pairs).or_default();
        }
    }
    // Both verdicts must occur often, or the comparison proves little.
    assert!(
        outcomes.iter().all(|&n| n > 100),
        "rejected, accepted: {outcomes:?}"
    );
}

/// A compact family keeps no model; what it reads back from its fragment must be exactly what
/// was stored, for awkward values and label values too, whether pushed as text or protobuf.
#[test]
fn compact_families_read_back_exactly_what_was_pushed() {
    let body = "# HELP c a \\\\ help\n# TYPE c counter\n\
        c{a=\"\\\\\\\"\\n\",b=\"\u{0}\u{1}\t\r\u{2028}é\"} 1e-300\n\
        c{a=\"x\"} NaN\nc{a=\"y\"} +Inf\nc{a=\"z\"} -1.7976931348623157e+308\n\
        c{a=\"w\"} 123456789012345680000\n\
        # TYPE g gauge\ng 0.1\n# TYPE z gauge\nz -0\n# TYPE u untyped\nu{a=\"}\"} 5e-324\n";
    let k = key(&[("job", "j"), ("instance", "i\"\\")]);
    let expected: Vec<String> = families(body)
        .into_iter()
        .map(|f| format!("{:?}", series::sanitize(f, &k)))
        .collect();
    let stored_models = |s: &Store| -> Vec<String> {
        let group = s.group(&k).unwrap();
        ["c", "g", "u", "z"]
            .iter()
            .map(|name| format!("{:?}", group.families[*name].model()))
            .collect()
    };
    let mut s = store();
    push(&mut s, &k, body, true, 1).unwrap();
    let group = s.group(&k).unwrap();
    // `z` holds -0, which the text format writes as 0: it keeps its model.
    let compact: Vec<&str> = ["c", "g", "u", "z"]
        .into_iter()
        .filter(|name| group.families[*name].model.is_none())
        .collect();
    assert_eq!(compact, ["c", "g", "u"]);
    // The index hashes a compact series by the start of its line: its identity as written out.
    // Its protobuf encoding is made from the lines too: the same as from the model.
    for name in compact {
        let stored = &group.families[name];
        let encoded = protobuf::render_lines(&stored.fragment, stored.mtype);
        let from_model = protobuf::render(&stored.model());
        assert_eq!(encoded.text, from_model.text);
        assert_eq!(encoded.offsets, from_model.offsets);
        for (i, metric) in stored.model().metrics.iter().enumerate() {
            let mut identity = Vec::new();
            fragment::write_identity(&mut identity, name, &metric.labels);
            assert_eq!(stored.fragment.identity(i), &identity[..]);
        }
    }
    let mut sorted_expected = expected.clone();
    sorted_expected.sort();
    let mut got = stored_models(&s);
    got.sort();
    assert_eq!(got, sorted_expected);

    // The same families as protobuf (what compaction writes): compact again, same model.
    let mut pb = Vec::new();
    for name in ["c", "g", "u", "z"] {
        s.group(&k).unwrap().families[name].write_protobuf(&mut pb);
    }
    let decoded =
        crate::parse::protobuf::parse(&pb, crate::parse::names::NameScheme { utf8: false })
            .unwrap();
    let mut again = store();
    again.push(&k, decoded.families, true, t(1)).unwrap();
    let group = again.group(&k).unwrap();
    assert!(["c", "g", "u"]
        .iter()
        .all(|n| group.families[*n].model.is_none()));
    let strip_pb = |s: &Store| -> Vec<String> {
        let group = s.group(&k).unwrap();
        let mut out: Vec<String> = ["c", "g", "u", "z"]
            .iter()
            .map(|name| {
                let mut f = group.families[*name].model();
                f.metrics.iter_mut().for_each(|m| m.pb_value = None);
                format!("{f:?}")
            })
            .collect();
        out.sort();
        out
    };
    assert_eq!(strip_pb(&again), strip_pb(&s));
    assert_eq!(exposition(&mut again), exposition(&mut s));
}

/// Identity hashes go through a buffer: series longer than it are still told apart and found.
#[test]
fn long_series_are_told_apart_and_duplicates_found() {
    let long = "v".repeat(300);
    let mut s = store();
    let body = format!("m{{a=\"{long}\",b=\"1\"}} 1\nm{{a=\"{long}\",b=\"2\"}} 1\n");
    push(&mut s, &key(&[("job", "j")]), &body, true, 1).unwrap();
    let one = format!("m{{a=\"{long}\"}} 1\n");
    let err = push(&mut s, &key(&[("job", "j"), ("b", "2")]), &one, true, 2).unwrap_err();
    assert!(err.to_string().contains("was collected before"), "{err}");
}

/// Identity hashes have 32 bits, so different series do collide: found here by search, two
/// such series are stored side by side, and a duplicate of one is still found beside the other.
#[test]
fn series_whose_hashes_collide_are_told_apart() {
    let mut s = store();
    let k = key(&[("job", "j")]);
    let identity = |i: u32| format!("m{{instance=\"\",job=\"j\",n=\"{i}\"}}");
    let mut seen = HashMap::new();
    let (a, b) = (0..1_000_000u32)
        .find_map(|i| {
            let hash = s.series.hash(identity(i).as_bytes());
            seen.insert(hash, i).map(|earlier| (earlier, i))
        })
        .expect("a 32-bit collision within a million series");
    let both = format!("m{{n=\"{a}\"}} 1\nm{{n=\"{b}\"}} 2\n");
    push(&mut s, &k, &both, true, 1).unwrap();
    let other = key(&[("job", "j"), ("x", "1")]);
    push(&mut s, &other, &format!("m{{n=\"{a}\"}} 3\n"), true, 2).unwrap();
    let exposition = exposition(&mut s);
    assert_eq!(exposition.matches("\nm{").count(), 3, "{exposition}");
    let again = format!("m{{n=\"{b}\"}} 2\nm{{n=\"{a}\"}} 1\nm{{n=\"{b}\"}} 4\n");
    let err = push(&mut s, &k, &again, true, 3).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert!(err.0[0].contains(&format!("value:\"{b}\"")), "{err}");
}

/// Whether the groups' series interleave (a label sorting before the grouping label) or follow
/// each other, the scrape lists a family's series in the series order, seeded over many stores.
#[test]
fn merged_series_follow_the_series_order_whether_groups_interleave_or_not() {
    let mut rng = XorShift(0x5eed_cafe);
    for round in 0..200 {
        let mut s = store();
        let label = rng.pick(&["a", "z"]);
        let groups = 1 + rng.next() % 6;
        for g in 0..groups {
            let count = rng.next() % 5;
            let body: String = (0..count)
                .map(|i| format!("m{{{label}=\"{}\",i=\"{i}\"}} 1\n", rng.next() % 20))
                .collect();
            let k = key(&[("job", "j"), ("g", &g.to_string())]);
            // A value drawn twice in one group is a duplicate: the push is refused, which is fine.
            let _ = s.push(&k, families(&body), true, t(1));
        }
        let in_order = |text: &str, name: &str| {
            let lines: Vec<&str> = text.lines().filter(|l| l.starts_with(name)).collect();
            let mut sorted = lines.clone();
            sorted.sort_by(|a, b| {
                labels::series_order(
                    labels::SeriesLabels::Line(a.as_bytes()),
                    labels::SeriesLabels::Line(b.as_bytes()),
                )
            });
            assert_eq!(lines, sorted, "round {round}: {name}");
        };
        // The bookkeeping families' kept order follows groups that come and go.
        for change in 0..4 {
            let text = exposition(&mut s);
            in_order(&text, "m{");
            in_order(&text, "push_time_seconds{");
            in_order(&text, "push_failure_time_seconds{");
            let count = text.lines().filter(|l| l.starts_with("push_time_seconds{"));
            assert_eq!(count.count(), s.group_count(), "round {round}");
            let g = rng.next() % (groups + 2);
            let k = key(&[("job", "j"), ("g", &g.to_string())]);
            match change {
                0 => drop(s.push(&k, families("x 1\n"), false, t(2))),
                1 => drop(s.delete(&k)),
                _ => {
                    let v = rng.next() % 20;
                    let body = format!("m{{{label}=\"{v}\",i=\"0\"}} 1\n");
                    drop(s.push(&k, families(&body), true, t(2)));
                }
            }
        }
    }
}
