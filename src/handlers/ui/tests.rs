use super::*;
use crate::config::Config;
use crate::handlers::test_support::{app, app_routed, push, push_protobuf, T0};
use crate::http::Method;
use crate::native_histogram::test_support::{push_body, H};

fn get(app: &App, target: &str, headers: &[httparse::Header<'_>]) -> Response {
    let req = Request {
        method: Method::Get,
        method_token: "GET",
        target,
        version_minor: 1,
        headers,
        body: b"",
        peer: "127.0.0.1:1".parse().expect("valid address"),
    };
    match app.router.route(req.method, target) {
        crate::router::Routed::Endpoint {
            endpoint: crate::router::Endpoint::Static,
            params,
        } => app.static_file(&req, &params),
        crate::router::Routed::Endpoint {
            endpoint: crate::router::Endpoint::Ui,
            ..
        } => app.ui(&req),
        other => panic!("{target} routed to {other:?}"),
    }
}

fn text(response: &Response) -> String {
    let bytes = match &response.body {
        Body::Bytes(b) => b.clone(),
        Body::Static(b) => b.to_vec(),
        Body::Empty => Vec::new(),
        Body::Chunks(_) | Body::Stream(_) => panic!("the UI answers with plain bytes"),
    };
    String::from_utf8(bytes).expect("UTF-8")
}

fn header<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
    response
        .headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_ref())
}

fn config_with_external_url(url: &str, path: &str) -> Config {
    Config {
        external_url: url.to_string(),
        external_url_path: path.to_string(),
        ..Config::default()
    }
}

#[test]
fn tabs_and_links() {
    let version = query_escape(build_info::REVISION);
    for (config, target, tab, base) in [
        (Config::default(), "/", "Metrics", "."),
        (Config::default(), "/status", "Status", "."),
        (Config::default(), "/?x=1", "Metrics", "."),
        (
            config_with_external_url("http://example.com/pg/", "/pg/"),
            "/pg/status",
            "Status",
            "/pg",
        ),
    ] {
        let app = app_routed(config, if base == "." { "" } else { base });
        let response = get(&app, target, &[]);
        assert_eq!(response.status, 200);
        assert_eq!(
            header(&response, "Content-Type"),
            Some("text/html; charset=utf-8")
        );
        let page = text(&response);
        for link in [
            format!("<link rel=\"icon\" href=\"{base}/static/favicon.ico?v={version}\">"),
            format!("<link rel=\"stylesheet\" href=\"{base}/static/prometheus.css?v={version}\">"),
            format!("<script defer src=\"{base}/static/functions.js?v={version}\"></script>"),
            format!("<a class=\"brand\" href=\"{base}/\">Pushgateway</a>"),
        ] {
            assert!(page.contains(&link), "{target}: {link}");
        }
        let active = format!("class=\"active\" aria-current=\"page\">{tab}</a>");
        assert!(page.contains(&active), "{target}: {tab} active");
        assert_eq!(page.matches("class=\"active\"").count(), 1);
        assert!(page.ends_with("</main>\n</body>\n</html>\n"));
        assert_eq!(page.contains("<h2>Startup Flags</h2>"), tab == "Status");
        assert_eq!(page.contains("id=\"groups\""), tab == "Metrics");
    }
}

#[test]
fn status_tab_shows_start_time() {
    let app = app(Config::default());
    let response = get(&app, "/status", &[]);
    assert!(text(&response)
        .contains("<tr><th>Started</th><td>2025-04-09 10:02:27.716605811 +0000 UTC</td></tr>"));
}

#[test]
fn group_fragments() {
    let mut app = app(Config::default());
    push(&mut app, &[("job", "j"), ("a", "")], "x 1\n", T0);
    let ok = get(&app, "/?group=job@base64/ag/a@base64/=", &[]);
    assert_eq!(ok.status, 200);
    assert!(text(&ok).starts_with("<details class=\"family\" data-state=\"job@base64/ag/a@base64/= push_failure_time_seconds\">"));
    // Percent-encoded, and on the status route: the same fragment.
    let encoded = get(
        &app,
        "/status?x=1&group=job%40base64%2Fag%2Fa%40base64%2F%3D",
        &[],
    );
    assert_eq!(text(&encoded), text(&ok));
    for (target, status, body) in [
        (
            "/?group=job@base64/ag",
            404,
            "this group does not exist (any more)\n",
        ),
        (
            "/?group=job@base64/ag/a",
            400,
            "odd number of components in label string \"/a\"\n",
        ),
        ("/?group=%zz", 400, "invalid percent escape in group path\n"),
        ("/?group=", 400, "group path must start with job@base64/\n"),
    ] {
        let response = get(&app, target, &[]);
        assert_eq!(
            (response.status, text(&response).as_str()),
            (status, body),
            "{target}"
        );
    }
}

#[test]
fn static_files() {
    let app = app(Config::default());
    let icon = get(&app, "/static/favicon.ico?v=1", &[]);
    assert_eq!(icon.status, 200);
    assert_eq!(header(&icon, "Content-Type"), Some("image/x-icon"));
    assert_eq!(
        header(&icon, "Last-Modified"),
        Some(app.assets_modified.as_str())
    );
    assert!(app.assets_modified.ends_with(" GMT"));
    let etag = header(&icon, "ETag").expect("ETag").to_string();
    let cached = get(
        &app,
        "/static/favicon.ico",
        &[httparse::Header {
            name: "If-None-Match",
            value: etag.as_bytes(),
        }],
    );
    assert_eq!(cached.status, 304);
    assert_eq!(cached.body.known_len(), Some(0));
    for missing in [
        "/static/",
        "/static/nope.js",
        "/static/favicon.ico/x",
        "/static/bootstrap4/css/bootstrap.min.css",
    ] {
        assert_eq!(get(&app, missing, &[]).status, 404, "{missing}");
    }
}

#[test]
fn query_helpers() {
    for (query, want) in [
        ("group=a", Some("a")),
        ("x=1&group=b&group=c", Some("b")),
        ("groups=a", None),
        ("group", None),
        ("", None),
    ] {
        assert_eq!(query_param(query, "group"), want, "{query}");
    }
    assert_eq!(query_escape("1.5.1-2+b5 x/y"), "1.5.1-2%2Bb5%20x%2Fy");
    assert_eq!(query_escape("b119e8a"), "b119e8a");
}

#[test]
fn native_histogram_rows() {
    let mut app = app(Config::default());
    let native = H {
        zero_threshold: 0.001,
        zero_count: 4,
        deltas: [vec![0, 2, -2, 0], vec![1, 0, 2, -3]],
        ..H::default()
    };
    push_protobuf(&mut app, &[("job", "j")], &push_body("nh", &native), T0);
    let fragment = text(&get(&app, "/?group=job@base64/ag", &[]));
    let want = "<tr><th>Native Histogram representation</th><td><pre class=\"native\">\
                [-1.4142135623730951, -1): 2\n\
                [-0.001, 0.001]: 4\n\
                (0.7071067811865476, 1]: 1\n\
                (1, 1.4142135623730951]: 1\n\
                (1.4142135623730951, 2]: 3</pre></td></tr>\
                <tr><th>Total Sample Count</th><td>20</td></tr>";
    assert!(fragment.contains(want), "{fragment}");
}
