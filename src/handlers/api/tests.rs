use super::super::test_support::{app, push, push_protobuf, T0};
use crate::build_info;
use crate::config::Config;
use crate::http::{Body, Response};
use crate::native_histogram::test_support::{push_body, H};

fn body(response: Response) -> String {
    assert_eq!(response.status, 200);
    let content_type = response
        .headers
        .iter()
        .find(|(n, _)| *n == "Content-Type")
        .map(|(_, v)| v.as_ref());
    assert_eq!(content_type, Some("application/json"));
    match response.body {
        Body::Bytes(b) => String::from_utf8(b).expect("JSON is UTF-8"),
        other => panic!("unexpected body {other:?}"),
    }
}

const ALL_TYPES: &str = "\
# TYPE c counter
# HELP c A counter <b>&amp
c{x=\"1\"} 3
# TYPE g gauge
g -0
# TYPE s summary
s{quantile=\"0.5\"} 1.5
s{quantile=\"0.9\"} 1e+06
s_sum 12
s_count 7
# TYPE h histogram
h_bucket{le=\"0.1\"} 1
h_bucket{le=\"1\"} 2
h_bucket{le=\"+Inf\"} 3
h_sum 1.5
h_count 3
u NaN
# TYPE s2 summary
s2_sum 1
s2_count 0
";

#[test]
fn metrics_empty_store() {
    let app = app(Config::default());
    assert_eq!(body(app.api_metrics()), r#"{"status":"success","data":[]}"#);
}

#[test]
fn metrics_of_every_type_as_upstream_writes_them() {
    // The same push on upstream 1.5.1 gave this document, apart from the time stamps.
    let mut app = app(Config::default());
    let group = [("job", "batch"), ("instance", "x"), ("a", "<script>")];
    push(&mut app, &group, ALL_TYPES, T0);
    let labels = r#"{"a":"\u003cscript\u003e","instance":"x","job":"batch"}"#;
    let stamp = r#""time_stamp":"2025-04-09T10:02:27.716605811Z""#;
    let want = [
        r#"{"status":"success","data":[{"#,
        &format!(
            r#""c":{{{stamp},"type":"COUNTER","help":"A counter \u003cb\u003e\u0026amp","metrics":[{{"labels":{{"a":"\u003cscript\u003e","instance":"x","job":"batch","x":"1"}},"value":"3"}}]}},"#
        ),
        &format!(r#""g":{{{stamp},"type":"GAUGE","metrics":[{{"labels":{labels},"value":"-0"}}]}},"#),
        &format!(
            r#""h":{{{stamp},"type":"HISTOGRAM","metrics":[{{"buckets":{{"+Inf":"3","0.1":"1","1":"2"}},"count":"3","labels":{labels},"sum":"1.5"}}]}},"#
        ),
        &format!(r#""labels":{labels},"last_push_successful":true,"#),
        &format!(
            r#""push_failure_time_seconds":{{{stamp},"type":"GAUGE","help":"Last Unix time when changing this group in the Pushgateway failed.","metrics":[{{"labels":{labels},"value":"0"}}]}},"#
        ),
        &format!(
            r#""push_time_seconds":{{{stamp},"type":"GAUGE","help":"Last Unix time when changing this group in the Pushgateway succeeded.","metrics":[{{"labels":{labels},"value":"1.7441929477166057e+09"}}]}},"#
        ),
        &format!(
            r#""s":{{{stamp},"type":"SUMMARY","metrics":[{{"count":"7","labels":{labels},"quantiles":{{"0.5":"1.5","0.9":"1e+06"}},"sum":"12"}}]}},"#
        ),
        &format!(
            r#""s2":{{{stamp},"type":"SUMMARY","metrics":[{{"count":"0","labels":{labels},"quantiles":{{}},"sum":"1"}}]}},"#
        ),
        &format!(r#""u":{{{stamp},"type":"UNTYPED","metrics":[{{"labels":{labels},"value":"NaN"}}]}}"#),
        "}]}",
    ]
    .concat();
    assert_eq!(body(app.api_metrics()), want);
}

#[test]
fn metrics_quirks_and_order() {
    let mut app = app(Config::default());
    // A family named `labels` takes that key (spec §9.3 Quirk); groups come in the UI's order.
    push(&mut app, &[("job", "b")], "labels 1\n", T0);
    push(
        &mut app,
        &[("job", "a"), ("x", "")],
        "# TYPE gh histogram\ngh_bucket{le=\"1\"} 0.5\ngh_sum 2\ngh_count 1.5\n",
        T0 + 1,
    );
    let got = body(app.api_metrics());
    let a = r#"{"gh":{"time_stamp":"2025-04-09T10:02:27.716605812Z","type":"HISTOGRAM","metrics":[{"buckets":{"1":"0.5"},"count":"1.5","labels":{"instance":"","job":"a","x":""},"sum":"2"}]},"labels":{"job":"a","x":""},"last_push_successful":true,"#;
    let b = r#"{"labels":{"time_stamp":"2025-04-09T10:02:27.716605811Z","type":"UNTYPED","metrics":[{"labels":{"instance":"","job":"b"},"value":"1"}]},"last_push_successful":true,"#;
    let a_at = got.find(a).unwrap_or_else(|| panic!("group a in {got}"));
    let b_at = got.find(b).unwrap_or_else(|| panic!("group b in {got}"));
    assert!(a_at < b_at, "{got}");
}

#[test]
fn failed_push_shows_in_last_push_successful() {
    let mut app = app(Config::default());
    push(&mut app, &[("job", "j")], "# TYPE x counter\nx 1\n", T0);
    let families = crate::parse::text::parse(b"# TYPE x gauge\nx 1\n", Default::default()).unwrap();
    let key = super::super::test_support::key(&[("job", "j"), ("instance", "i")]);
    // A clash with the counter in group j: rejected, so the new group records only a failure.
    assert!(app
        .store
        .push(
            &key,
            families,
            true,
            crate::clock::Timestamp::from_unix_nanos(T0 + 5)
        )
        .is_err());
    let got = body(app.api_metrics());
    assert!(
        got.contains(r#""labels":{"instance":"i","job":"j"},"last_push_successful":false,"push_failure_time_seconds":{"time_stamp":"2025-04-09T10:02:27.716605816Z""#),
        "{got}"
    );
}

#[test]
fn status_document() {
    let config = Config {
        listen_addresses: vec![":1".into(), "[::1]:2".into()],
        external_url: "http://example.com/a?b=<c>&d".into(),
        ..Config::default()
    };
    let app = app(config);
    for (_, value) in super::build_information() {
        assert!(
            !value.contains(['"', '\\', '<', '>', '&']),
            "{value} needs no escaping"
        );
    }
    let want = format!(
        concat!(
            r#"{{"status":"success","data":{{"build_information":{{"branch":"{}","buildDate":"{}","buildUser":"{}","goVersion":"{}","revision":"{}","version":"{}"}},"#,
            r#""flags":{{"log.format":"logfmt","log.level":"info","persistence.file":"","persistence.fsync":"interval","persistence.interval":"5m0s","push.disable-consistency-check":"false","push.enable-utf8-names":"false","push.group-ttl":"0s","web.config.file":"","web.enable-admin-api":"false","web.enable-lifecycle":"false","web.external-url":"http://example.com/a?b=\u003cc\u003e\u0026d","web.listen-address":":1,[::1]:2","web.route-prefix":"","web.systemd-socket":"false","web.telemetry-path":"/metrics"}},"#,
            r#""start_time":"2025-04-09T10:02:27.716605811Z"}}}}"#
        ),
        build_info::BRANCH,
        build_info::BUILD_DATE,
        build_info::BUILD_USER,
        build_info::COMPILER_VERSION,
        build_info::REVISION,
        build_info::VERSION,
    );
    assert_eq!(body(app.api_status()), want);
}

#[test]
fn native_histograms_as_upstream_1_8_writes_them() {
    // Upstream's API test case (integer deltas 0, 2, -2, 0; float counts 2, 2, -2, 0; schema 1),
    // pushed as protobuf. Bounds are exact powers of √2: upstream's table gives √2 one unit
    // in the last place lower, 1.414213562373095 (README, deliberate differences).
    let mut app = app(Config::default());
    let int = H {
        deltas: [vec![0, 2, -2, 0], vec![0, 2, -2, 0]],
        ..H::default()
    };
    let float = H {
        count: 0,
        count_float: 20.0,
        counts: [vec![2.0, 2.0, -2.0, 0.0], vec![2.0, 2.0, -2.0, 0.0]],
        ..H::default()
    };
    push_protobuf(&mut app, &[("job", "i")], &push_body("nh", &int), T0);
    push_protobuf(&mut app, &[("job", "f")], &push_body("nh", &float), T0);
    let doc = body(app.api_metrics());
    let labels = |job| format!(r#""labels":{{"instance":"","job":"{job}"}}"#);
    let int_metric = format!(
        r#""metrics":[{{"buckets":[[1,"-1.4142135623730951","-1","2"],[0,"1","1.4142135623730951","2"]],"count":"20",{},"sum":"99.23"}}]"#,
        labels("i")
    );
    let float_metric = format!(
        r#""metrics":[{{"buckets":[[1,"-2","-1.4142135623730951","-2"],[1,"-1.4142135623730951","-1","2"],[1,"-1","-0.7071067811865476","2"],[0,"0.7071067811865476","1","2"],[0,"1","1.4142135623730951","2"],[0,"1.4142135623730951","2","-2"]],"count":"20",{},"sum":"99.23"}}]"#,
        labels("f")
    );
    assert!(doc.contains(&int_metric), "{doc}");
    assert!(doc.contains(&float_metric), "{doc}");
}

#[test]
fn utf8_names_are_shown_as_pushed_not_escaped() {
    // Upstream's API writes the stored names; only the exposition escapes (spec §8.4).
    let config = Config {
        enable_utf8_names: true,
        ..Config::default()
    };
    let mut app = app(config);
    let group = [("job", "j"), ("dotted.label", "v")];
    push(
        &mut app,
        &group,
        "{\"my.metric\",\"some.label\"=\"x\"} 1\n",
        T0,
    );
    let json = body(app.api_metrics());
    let labels = r#""labels":{"dotted.label":"v","instance":"","job":"j","some.label":"x"}"#;
    assert!(json.contains(r#""my.metric":{"#), "{json}");
    assert!(json.contains(labels), "{json}");
}
