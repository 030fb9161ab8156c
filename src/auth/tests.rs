use super::*;
use crate::http::Method;
use std::net::SocketAddr;

/// An `Authorization` value and the user and password read from it.
type CredentialsCase = (&'static [u8], Option<(&'static [u8], &'static [u8])>);

#[test]
fn basic_credentials_as_go_reads_them() {
    let cases: &[CredentialsCase] = &[
        (b"Basic YWxpY2U6c2VjcmV0", Some((b"alice", b"secret"))),
        (b"basic YWxpY2U6c2VjcmV0", Some((b"alice", b"secret"))),
        // The password runs to the end, colons included; the user may be empty.
        (b"Basic YTpiOmM=", Some((b"a", b"b:c"))),
        (b"Basic OnB3", Some((b"", b"pw"))),
        // `+` and `/` are the standard alphabet's.
        (b"Basic Pz8/Oj4+Pg==", Some((b"???", b">>>"))),
        (b"Basic YWxpY2U=", None),          // no colon
        (b"Basic YWxpY2U6c2VjcmV0=", None), // bad padding
        (b"Basic YWxp Y2U6", None),
        (b"Basic Pz8_Oj4-Pg==", None), // URL-safe alphabet
        (b"Bearer YWxpY2U6c2VjcmV0", None),
        (b"Basic", None),
        (b"", None),
    ];
    for (value, want) in cases {
        let got = basic_credentials(value);
        let got = got.as_ref().map(|(u, p)| (u.as_slice(), p.as_slice()));
        assert_eq!(got, *want, "{:?}", String::from_utf8_lossy(value));
    }
}

#[test]
fn the_failure_budget_refuses_once_spent_and_recovers_with_time() {
    let start = Instant::now();
    let mut budget = FailureBudget {
        debt: Duration::ZERO,
        at: start,
    };
    assert!(budget.allows(start));
    budget.charge(limits::AUTH_FAILURE_BURST * 2);
    assert!(!budget.allows(start));
    // Paid back at the configured share of the time that passes: a burst's worth takes this.
    let payback = limits::AUTH_FAILURE_BURST * 100 / limits::AUTH_FAILURE_CPU_PERCENT;
    assert!(!budget.allows(start + payback / 2));
    assert!(!budget.allows(start + payback));
    assert!(budget.allows(start + payback * 2));
}

#[test]
fn the_rate_limiter_allows_a_burst_then_one_per_interval() {
    let start = Instant::now();
    let limit = RateLimit {
        interval: Duration::from_secs(1),
        burst: 2,
    };
    let mut limiter = Limiter {
        limit: None,
        tokens: 0.0,
        at: start,
    };
    let allowed: Vec<bool> = (0..3).map(|_| limiter.allow(limit, start)).collect();
    assert_eq!(allowed, [true, true, false]);
    assert!(limiter.allow(limit, start + Duration::from_secs(1)));
    assert!(!limiter.allow(limit, start + Duration::from_secs(1)));
}

/// Counts the requests that reach it.
#[derive(Default)]
struct Counting {
    handled: usize,
}

impl Service for Counting {
    fn handle(&mut self, _req: &Request<'_>) -> Response {
        self.handled += 1;
        Response::new(200).header("X-Frame-Options", "sameorigin")
    }
}

fn request<'a>(headers: &'a [httparse::Header<'a>]) -> Request<'a> {
    Request {
        method: Method::Get,
        method_token: "GET",
        target: "/metrics",
        version_minor: 1,
        headers,
        body: b"",
        peer: SocketAddr::from(([127, 0, 0, 1], 1)),
    }
}

/// A web config in force from `text`; `name` keeps parallel tests' files apart.
fn watch(name: &str, text: &str) -> Rc<Watch> {
    let path = std::env::temp_dir().join(format!("tls-auth-{}-{name}.yml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let watch = Watch::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    Rc::new(watch)
}

#[test]
fn only_the_right_password_reaches_the_service_and_headers_go_on_every_answer() {
    let hash = bcrypt::hash("secret", 4).unwrap();
    let config = format!(
        "basic_auth_users:\n  alice: {hash}\nhttp_server_config:\n  headers:\n    \
         X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n"
    );
    let mut inner = Counting::default();
    let mut guarded = Guarded::new(&mut inner, watch("right", &config));
    let auth = |value: &'static str| {
        [httparse::Header {
            name: "Authorization",
            value: value.as_bytes(),
        }]
    };
    let good = auth("Basic YWxpY2U6c2VjcmV0");
    let wrong = auth("Basic YWxpY2U6d3Jvbmc=");
    let unknown_user = auth("Basic Ym9iOnNlY3JldA==");
    let malformed = auth("Basic !!!");
    for headers in [&wrong[..], &unknown_user[..], &malformed[..], &[]] {
        let response = guarded.handle(&request(headers));
        assert_eq!(response.status, 401);
        let names: Vec<&str> = response.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "Content-Type",
                "X-Content-Type-Options",
                "WWW-Authenticate",
                "X-Frame-Options"
            ]
        );
    }
    for _ in 0..3 {
        let response = guarded.handle(&request(&good));
        assert_eq!(response.status, 200);
        // The service's own header wins over the configured one.
        assert_eq!(
            response.headers,
            [
                ("X-Frame-Options", "sameorigin".into()),
                ("X-Content-Type-Options", "nosniff".into())
            ]
        );
    }
    assert_eq!(
        guarded.passed.keys.len(),
        1,
        "one bcrypt for three requests"
    );
    drop(guarded);
    assert_eq!(inner.handled, 3);
}

#[test]
fn spent_failures_answer_429_without_a_check_and_remembered_users_still_pass() {
    let hash = bcrypt::hash("secret", 4).unwrap();
    let mut inner = Counting::default();
    let mut guarded = Guarded::new(
        &mut inner,
        watch("spent", &format!("basic_auth_users:\n  alice: {hash}\n")),
    );
    let good = [httparse::Header {
        name: "Authorization",
        value: b"Basic YWxpY2U6c2VjcmV0",
    }];
    assert_eq!(guarded.handle(&request(&good)).status, 200);
    // More than a burst, so that the time the checks above took does not pay it back.
    guarded.failures.charge(limits::AUTH_FAILURE_BURST * 2);
    let wrong = [httparse::Header {
        name: "Authorization",
        value: b"Basic YWxpY2U6d3Jvbmc=",
    }];
    let response = guarded.handle(&request(&wrong));
    assert_eq!(response.status, 429);
    assert!(response.headers.contains(&("Retry-After", "1".into())));
    assert_eq!(guarded.handle(&request(&good)).status, 200);
}

#[test]
fn the_rate_limit_comes_before_auth() {
    let mut inner = Counting::default();
    let config = "rate_limit:\n  interval: 1h\n  burst: 1\n";
    let mut guarded = Guarded::new(&mut inner, watch("rate", config));
    assert_eq!(guarded.handle(&request(&[])).status, 200);
    let response = guarded.handle(&request(&[]));
    assert_eq!(response.status, 429);
    assert!(
        matches!(response.body, crate::http::Body::Bytes(ref b) if b == b"Too Many Requests\n")
    );
}
