//! Routing table tests: every routing case the spec verified on upstream (§2.2, §3, §19 E).

use super::*;

fn router(prefix: &str, admin: bool) -> Router {
    Router::new(&RouterOptions {
        prefix,
        telemetry_path: "/metrics",
        enable_admin_api: admin,
    })
}

fn redirect(status: u16, location: &str) -> Routed {
    Routed::Redirect {
        status,
        location: location.to_string(),
    }
}

fn not_allowed(allow: &str) -> Routed {
    Routed::MethodNotAllowed {
        allow: allow.to_string(),
    }
}

fn endpoint(r: Routed) -> (Endpoint, Vec<String>) {
    match r {
        Routed::Endpoint { endpoint, params } => (
            endpoint,
            params
                .into_iter()
                .map(|p| String::from_utf8(p).unwrap())
                .collect(),
        ),
        other => panic!("not an endpoint: {other:?}"),
    }
}

#[test]
fn push_routes_capture_job_and_label_string() {
    let r = router("", false);
    let push = Endpoint::Push {
        replace: true,
        job_base64: false,
    };
    assert_eq!(
        endpoint(r.route(Method::Put, "/metrics/job/j1")),
        (push, vec!["j1".into()])
    );
    assert_eq!(
        endpoint(r.route(Method::Put, "/metrics/job/j1/a/b")),
        (push, vec!["j1".into(), "/a/b".into()])
    );
    assert_eq!(
        endpoint(r.route(Method::Put, "/metrics/job/j3/")),
        (push, vec!["j3".into(), "/".into()])
    );
    let b64 = Endpoint::Push {
        replace: false,
        job_base64: true,
    };
    assert_eq!(
        endpoint(r.route(Method::Post, "/metrics/job@base64/ajM=")),
        (b64, vec!["ajM=".into()])
    );
    // %2F is decoded before splitting, so it separates segments.
    assert_eq!(
        endpoint(r.route(Method::Delete, "/metrics/job/j%2Fa/b?x=1")),
        (
            Endpoint::Delete { job_base64: false },
            vec!["j".into(), "/a/b".into()]
        )
    );
}

#[test]
fn upstream_redirects() {
    let r = router("", false);
    assert_eq!(r.route(Method::Get, "//metrics"), redirect(301, "/metrics"));
    assert_eq!(
        r.route(Method::Put, "/metrics/job/j/a//b"),
        redirect(301, "/metrics/job/j/a/b")
    );
    assert_eq!(
        r.route(Method::Put, "/metrics/job/"),
        redirect(307, "/metrics/job")
    );
    assert_eq!(r.route(Method::Get, "/METRICS"), redirect(301, "/metrics"));
    assert_eq!(
        r.route(Method::Put, "/Metrics/Job/X"),
        redirect(307, "/metrics/job/X")
    );
    assert_eq!(
        r.route(Method::Get, "/-/Healthy"),
        redirect(301, "/-/healthy")
    );
    assert_eq!(
        r.route(Method::Get, "/metrics/?a=b"),
        redirect(301, "/metrics?a=b")
    );
    assert_eq!(r.route(Method::Get, "/api/v1"), redirect(301, "/api/v1/"));
    // Quirk: inside /api/v1 the redirect target loses the prefix.
    assert_eq!(
        r.route(Method::Get, "/api/v1/status/"),
        redirect(301, "/status")
    );
}

#[test]
fn upstream_errors() {
    let r = router("", false);
    assert_eq!(r.route(Method::Put, "/metrics/job"), Routed::NotFound);
    assert_eq!(
        r.route(Method::Get, "/metrics/job/j1"),
        not_allowed("DELETE, OPTIONS, POST, PUT")
    );
    assert_eq!(
        r.route(Method::Options, "/metrics/job/j1"),
        Routed::Options {
            allow: "DELETE, OPTIONS, POST, PUT".into()
        }
    );
    assert_eq!(
        r.route(Method::Head, "/metrics"),
        not_allowed("GET, OPTIONS")
    );
    assert_eq!(
        r.route(Method::Delete, "/-/quit"),
        not_allowed("GET, OPTIONS, POST, PUT")
    );
    assert_eq!(r.route(Method::Get, "/nope"), Routed::NotFound);
    assert_eq!(r.route(Method::Get, "/%zz"), Routed::BadRequest);
    assert_eq!(r.route(Method::Get, "/debug/pprof/"), Routed::NotFound);
    assert_eq!(r.route(Method::Get, "/api/v1/"), Routed::NotFound);
    assert_eq!(r.route(Method::Put, "/api/v1/admin/wipe"), Routed::NotFound);
    assert_eq!(
        endpoint(r.route(Method::Options, "/api/v1/anything")).0,
        Endpoint::ApiOptions
    );
}

#[test]
fn admin_api_routes_only_when_enabled() {
    let r = router("", true);
    assert_eq!(
        endpoint(r.route(Method::Put, "/api/v1/admin/wipe")).0,
        Endpoint::Wipe
    );
    assert_eq!(
        r.route(Method::Get, "/api/v1/admin/wipe"),
        not_allowed("OPTIONS, PUT")
    );
    assert_eq!(
        r.route(Method::Post, "/api/v1/admin/wipe"),
        not_allowed("OPTIONS, PUT")
    );
}

#[test]
fn prefix_moves_every_route_but_get_quit() {
    let r = router("/pg", false);
    assert_eq!(
        endpoint(r.route(Method::Get, "/pg/-/healthy")).0,
        Endpoint::Healthy
    );
    assert_eq!(r.route(Method::Get, "/-/healthy"), Routed::NotFound);
    assert_eq!(
        endpoint(r.route(Method::Get, "/pg/metrics")).0,
        Endpoint::Metrics
    );
    assert_eq!(endpoint(r.route(Method::Get, "/pg/")).0, Endpoint::Ui);
    assert_eq!(
        endpoint(r.route(Method::Get, "/pg/api/v1/status")).0,
        Endpoint::ApiStatus
    );
    assert_eq!(
        endpoint(r.route(Method::Get, "/-/quit")).0,
        Endpoint::QuitGet
    );
    assert_eq!(
        r.route(Method::Get, "/pg/-/quit"),
        not_allowed("OPTIONS, POST, PUT")
    );
}

#[test]
fn telemetry_path_moves_only_the_exposition() {
    let r = Router::new(&RouterOptions {
        prefix: "",
        telemetry_path: "/foo",
        enable_admin_api: false,
    });
    assert_eq!(endpoint(r.route(Method::Get, "/foo")).0, Endpoint::Metrics);
    assert_eq!(r.route(Method::Get, "/metrics"), Routed::NotFound);
    assert!(matches!(
        r.route(Method::Put, "/metrics/job/x"),
        Routed::Endpoint { .. }
    ));
}

#[test]
fn prefix_and_telemetry_path_are_literal_even_with_colons_and_stars() {
    // Flags are not patterns: a `:` or `*` in them must not capture anything (found by fuzzing:
    // `--web.route-prefix=/:p` once handed the push handler a label string without its `/`).
    let r = Router::new(&RouterOptions {
        prefix: "/:p",
        telemetry_path: "/m*x",
        enable_admin_api: false,
    });
    assert_eq!(r.route(Method::Put, "/p/metrics/job/a"), Routed::NotFound);
    let push = Endpoint::Push {
        replace: true,
        job_base64: false,
    };
    assert_eq!(
        endpoint(r.route(Method::Put, "/:p/metrics/job/a/b/c")),
        (push, vec!["a".into(), "/b/c".into()])
    );
    assert_eq!(
        endpoint(r.route(Method::Get, "/:p/m*x")).0,
        Endpoint::Metrics
    );
    assert_eq!(r.route(Method::Get, "/:p/mAx"), Routed::NotFound);
}
