//! With `--push.enable-utf8-names`, names outside the legacy character set come back escaped
//! per the scrape's `Accept: …;escaping=` (spec §8.4), over a real socket: a text body with
//! quoted names and a `U__` grouping label name in the URL, scraped with each scheme, as text
//! and as protobuf.

mod attack_support;

use attack_support::http_support::Reply;
use attack_support::{start_with, Gateway};
use pushgateway::config::Config;
use pushgateway::limits::Limits;
use pushgateway::parse::names::NameScheme;
use pushgateway::parse::protobuf;
use pushgateway::parse::text::{self, TextOptions};

const BODY: &str = "# TYPE \"my.metric\" counter\n\
                    {\"my.metric\",\"some.label\"=\"x\"} 1\n\
                    plain 2\n";
const PROTOBUF: &str =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

fn gateway() -> Gateway {
    let config = Config {
        enable_utf8_names: true,
        ..Config::default()
    };
    let gateway = start_with(Limits::default(), config);
    let reply = gateway.push("/metrics/job/j/U__dotted_2e_label/v", BODY);
    assert_eq!(reply.status, 200, "{}", reply.text());
    gateway
}

fn scrape(gateway: &Gateway, accept: Option<&str>) -> Reply {
    let mut client = gateway.client();
    let accept = accept.map_or(String::new(), |a| format!("Accept: {a}\r\n"));
    client.send(format!("GET /metrics HTTP/1.1\r\nHost: t\r\n{accept}\r\n").as_bytes());
    let reply = client.response();
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply
}

#[test]
fn text_names_follow_the_negotiated_scheme() {
    let gateway = gateway();
    let cases = [
        (
            None,
            "underscores",
            "my_metric{dotted_label=\"v\",instance=\"\",job=\"j\",some_label=\"x\"} 1\n",
        ),
        (
            Some("text/plain;version=0.0.4;escaping=dots"),
            "dots",
            "my_dot_metric{dotted_dot_label=\"v\",instance=\"\",job=\"j\",some_dot_label=\"x\"} 1\n",
        ),
        (
            Some("text/plain;escaping=values"),
            "values",
            "U__my_2e_metric{U__dotted_2e_label=\"v\",instance=\"\",job=\"j\",U__some_2e_label=\"x\"} 1\n",
        ),
        (
            // What Prometheus 3 asks for: OpenMetrics is never served, its escaping= counts.
            Some("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"),
            "allow-utf-8",
            "{\"my.metric\",\"dotted.label\"=\"v\",instance=\"\",job=\"j\",\"some.label\"=\"x\"} 1\n",
        ),
    ];
    for (accept, scheme, line) in cases {
        let reply = scrape(&gateway, accept);
        assert_eq!(
            reply.header("content-type"),
            Some(format!("text/plain; version=0.0.4; charset=utf-8; escaping={scheme}").as_str())
        );
        let body = reply.text();
        assert!(body.contains(line), "{scheme}: no {line:?} in\n{body}");
        assert!(body.contains("\nplain{"), "{body}");
        // Escaped expositions are legacy text; the quoted one needs UTF-8 names.
        let utf8_names = scheme == "allow-utf-8";
        text::parse(body.as_bytes(), TextOptions { utf8_names })
            .unwrap_or_else(|e| panic!("{scheme}: {e}\n{body}"));
        if !utf8_names {
            assert!(
                !body.contains("my.metric") && !body.contains("dotted.label"),
                "{body}"
            );
        }
    }
    gateway.stop();
}

#[test]
fn protobuf_names_follow_the_negotiated_scheme() {
    let gateway = gateway();
    let cases = [
        (
            "",
            "underscores",
            "my_metric",
            ["dotted_label", "instance", "job", "some_label"],
        ),
        (
            ";escaping=values",
            "values",
            "U__my_2e_metric",
            ["U__dotted_2e_label", "instance", "job", "U__some_2e_label"],
        ),
        (
            ";escaping=allow-utf-8",
            "allow-utf-8",
            "my.metric",
            ["dotted.label", "instance", "job", "some.label"],
        ),
    ];
    for (param, scheme, name, labels) in cases {
        let reply = scrape(&gateway, Some(&format!("{PROTOBUF}{param}")));
        let content_type = reply.header("content-type").unwrap();
        assert!(
            content_type.ends_with(&format!("; escaping={scheme}")),
            "{content_type}"
        );
        let decoded = protobuf::parse(&reply.body, NameScheme { utf8: true }).unwrap();
        let family = decoded
            .families
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{scheme}: no {name}"));
        let got: Vec<&str> = family.metrics[0].labels.iter().map(|l| &*l.name).collect();
        assert_eq!(got, labels, "{scheme}");
    }
    gateway.stop();
}
