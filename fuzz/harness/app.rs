//! The whole request handler (`handlers::App` through `Service::handle`), driven by a sequence
//! of requests, with the checks a client could make after each one.
//!
//! Input, close to HTTP so that seeds can be written by hand:
//!
//! ```text
//! input   = [ "#" *( SP option ) LF ] request *( NUL request )
//! option  = "utf8" | "unchecked" | "admin" | "lifecycle" | "prefix=" path   ; others ignored
//! request = method SP target LF *( name ":" value LF ) LF body
//! ```
//!
//! The options are the flags `--push.enable-utf8-names`, `--push.disable-consistency-check`,
//! `--web.enable-admin-api`, `--web.enable-lifecycle` and `--web.route-prefix`. A body runs to
//! the next NUL, or, after a `Content-Length` header, is exactly that long (so that binary
//! bodies can hold NUL). Anything malformed is read leniently; every input is some sequence.
//!
//! Checked after every request: the handler returned a status code; the store is consistent
//! (`Store::full_check` finds nothing) in checked mode, and in unchecked mode exactly when a
//! scrape succeeds; a scrape of the telemetry path answers 200 in checked mode, and a
//! successful scrape is text our own parser accepts, families in name order.
//!
//! With `utf8`, names outside the legacy character set are escaped by the default scrape
//! (`escaping=underscores`, spec §8.4), so it is text our parser accepts *without* UTF-8 names,
//! and a scrape asking for `escaping=allow-utf-8` is text it accepts with them. Families then
//! keep the order of their stored names, not of the escaped ones, so order is not checked. Two
//! names that escape alike (`a.b` and `a_b`, or `a.b` histogram and `a_b_count`) make upstream
//! write two families of one name, or one series with two labels of one name, which no parser
//! accepts whole: then each line must still parse on its own, and only such a label clash may
//! fail it.
//!
//! One exception, where the exposition is not parsed: a gauge histogram `x` stored beside a
//! family `x_count`, `x_sum` or `x_bucket`: upstream's consistency check does not look at gauge
//! histograms (spec §6.5), so neither does ours, and text written from both is ambiguous:
//! `x_count` lines read as the histogram's.

use pushgateway::config::Config;
use pushgateway::escaping::{self, Escaping, NameKind};
use pushgateway::handlers::App;
use pushgateway::http::{Body, Method, Request, Response, Service};
use pushgateway::model::MetricType;
use pushgateway::parse::text::{self, TextOptions};
use pushgateway::router::compute_route_prefix;
use pushgateway::router::path::{clean, escape};
use pushgateway::store::Store;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};

/// Requests per input: enough for interplay between groups, few enough for a fast loop.
const REQUESTS_MAX: usize = 32;
const TELEMETRY_PATH: &str = "/metrics";

pub fn run(data: &[u8]) {
    let (config, mut rest) = options(data);
    let utf8_names = config.enable_utf8_names;
    let checked = !config.disable_consistency_check;
    let prefix = compute_route_prefix(&config.route_prefix, "");
    // As a client spells it: the route prefix is a path, the request-target its escaped form.
    let scrape_target = escape(&clean(format!("{prefix}/{TELEMETRY_PATH}").as_bytes()));
    let mut app = App::new(config, &prefix, vec![("version", "fuzz".to_string())]);
    let mut seen = Vec::new();
    for _ in 0..REQUESTS_MAX {
        let Some((request, after)) = next_request(rest) else {
            break;
        };
        rest = after;
        let head = request.head();
        let response = app.handle(&request.as_request(&head));
        assert!(
            (100..=599).contains(&response.status),
            "status {}",
            response.status
        );
        seen.push(format!(
            "{} {} → {}",
            request.method, request.target, response.status
        ));

        let errors = app.store().full_check();
        if checked {
            assert!(errors.is_empty(), "after {seen:#?}:\n{errors:#?}");
        }
        let scrape = handle_get(&mut app, &scrape_target, None);
        assert_eq!(
            scrape.status == 200,
            errors.is_empty(),
            "scrape {} with a store that has {errors:?} after {seen:#?}",
            scrape.status
        );
        if scrape.status != 200 || gauge_histogram_beside_suffix(app.store()) {
            continue;
        }
        let exposition = body_bytes(&scrape.body);
        if !utf8_names {
            let families = parse_whole(&exposition, TextOptions::default(), &seen);
            assert!(
                families.windows(2).all(|w| w[0] < w[1]),
                "families out of order after {seen:#?}"
            );
            continue;
        }
        if names_escape_alike(app.store()) {
            check_each_line(&exposition, &seen);
        } else {
            parse_whole(&exposition, TextOptions::default(), &seen);
        }
        let accept = "text/plain;version=0.0.4;escaping=allow-utf-8";
        let quoted = handle_get(&mut app, &scrape_target, Some(accept));
        assert_eq!(quoted.status, 200, "after {seen:#?}");
        let utf8 = TextOptions { utf8_names: true };
        parse_whole(&body_bytes(&quoted.body), utf8, &seen);
    }
}

fn parse_whole(exposition: &[u8], options: TextOptions, seen: &[String]) -> Vec<String> {
    match text::parse(exposition, options) {
        Ok(families) => families.into_iter().map(|f| f.name.into_owned()).collect(),
        Err(e) => panic!(
            "{e} after {seen:#?} in\n{}",
            String::from_utf8_lossy(exposition)
        ),
    }
}

/// Every line of an escaped exposition is legacy text on its own, but for a label clash
/// (see the module doc).
fn check_each_line(exposition: &[u8], seen: &[String]) {
    for line in exposition.split_inclusive(|&b| b == b'\n') {
        if let Err(e) = text::parse(line, TextOptions::default()) {
            assert!(
                e.msg.starts_with("duplicate label names") || e.msg.ends_with("is reserved"),
                "{e} after {seen:#?} in {:?}",
                String::from_utf8_lossy(line)
            );
        }
    }
}

/// Whether the default scheme writes two stored family names alike (also after appending a
/// suffix to one), or two label names of one series alike or as `__name__`.
fn names_escape_alike(store: &Store) -> bool {
    let esc = |name: &str, kind| escaping::escape(name, kind, Escaping::Underscores).into_owned();
    let groups = store.groups_sorted();
    let families = || groups.iter().flat_map(|g| g.families.iter());
    let mut raw_of: BTreeMap<String, &str> = BTreeMap::new();
    for (name, _) in families() {
        let name: &str = name;
        if *raw_of.entry(esc(name, NameKind::Metric)).or_insert(name) != name {
            return true;
        }
    }
    let suffixed = raw_of.iter().any(|(escaped, raw)| {
        ["_count", "_sum", "_bucket"].iter().any(|suffix| {
            raw_of
                .get(&format!("{escaped}{suffix}"))
                .is_some_and(|other| *other != format!("{raw}{suffix}"))
        })
    });
    suffixed
        || families()
            .flat_map(|(_, stored)| stored.model().metrics)
            .any(|metric| {
                let names: BTreeSet<String> = metric
                    .labels
                    .iter()
                    .map(|l| esc(&l.name, NameKind::Label))
                    .collect();
                names.len() < metric.labels.len() || names.contains("__name__")
            })
}

/// Whether a stored gauge histogram `x` has a family `x_count`, `x_sum` or `x_bucket` beside it
/// (see the module doc).
fn gauge_histogram_beside_suffix(store: &Store) -> bool {
    let groups = store.groups_sorted();
    let names: BTreeSet<&str> = groups
        .iter()
        .flat_map(|g| g.families.keys().map(|name| &**name))
        .collect();
    groups
        .iter()
        .flat_map(|g| g.families.values())
        .any(|stored| {
            stored.mtype == MetricType::GaugeHistogram
                && ["_count", "_sum", "_bucket"]
                    .iter()
                    .any(|suffix| names.contains(format!("{}{suffix}", stored.name).as_str()))
        })
}

/// The configuration the options line asks for, and the rest of the input.
fn options(data: &[u8]) -> (Config, &[u8]) {
    let mut config = Config::default();
    let Some(line) = data.strip_prefix(b"#") else {
        return (config, data);
    };
    let (line, rest) = split_line(line);
    for word in String::from_utf8_lossy(line).split(' ') {
        match word {
            "utf8" => config.enable_utf8_names = true,
            "unchecked" => config.disable_consistency_check = true,
            "admin" => config.enable_admin_api = true,
            "lifecycle" => config.enable_lifecycle = true,
            _ => {
                if let Some(prefix) = word.strip_prefix("prefix=") {
                    config.route_prefix = prefix.to_string();
                }
            }
        }
    }
    (config, rest)
}

/// One decoded request, owning what the `Request` it stands for borrows.
struct Owned<'a> {
    method: String,
    target: String,
    headers: Vec<(String, &'a [u8])>,
    body: &'a [u8],
}

impl<'a> Owned<'a> {
    fn head(&self) -> Vec<httparse::Header<'_>> {
        self.headers
            .iter()
            .map(|(name, value)| httparse::Header { name, value })
            .collect()
    }

    fn as_request<'r>(&'r self, headers: &'r [httparse::Header<'r>]) -> Request<'r> {
        Request {
            method: Method::from_token(&self.method),
            method_token: &self.method,
            target: &self.target,
            version_minor: 1,
            headers,
            body: self.body,
            peer: SocketAddr::from((Ipv4Addr::LOCALHOST, 40000)),
        }
    }
}

/// The request at the front of `input` and what follows it; `None` when nothing is left.
fn next_request(input: &[u8]) -> Option<(Owned<'_>, &[u8])> {
    if input.is_empty() {
        return None;
    }
    let (line, mut rest, mut cut) = head_line(input);
    let line = String::from_utf8_lossy(line);
    let (method, target) = line.split_once(' ').unwrap_or((&line, "/"));
    let mut headers = Vec::new();
    let mut length = None;
    while !cut {
        let field;
        (field, rest, cut) = head_line(rest);
        if field.is_empty() {
            break;
        }
        let colon = field.iter().position(|&b| b == b':').unwrap_or(field.len());
        let name = String::from_utf8_lossy(&field[..colon]).into_owned();
        let value = field[colon..]
            .strip_prefix(b":")
            .unwrap_or_default()
            .trim_ascii();
        if name.eq_ignore_ascii_case("content-length") {
            length = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
        }
        headers.push((name, value));
    }
    let (body, rest) = match (cut, length) {
        (true, _) => (&rest[..0], rest),
        (false, Some(n)) => {
            let (body, rest) = rest.split_at(usize::min(n, rest.len()));
            (body, rest.strip_prefix(b"\0").unwrap_or(rest))
        }
        (false, None) => {
            let nul = rest.iter().position(|&b| b == 0);
            let end = nul.unwrap_or(rest.len());
            (&rest[..end], &rest[nul.map_or(end, |n| n + 1)..])
        }
    };
    let request = Owned {
        method: method.to_string(),
        target: target.trim_end_matches('\r').to_string(),
        headers,
        body,
    };
    Some((request, rest))
}

/// The head line at the front of `input` (without its LF), what follows it, and whether a
/// NUL (or the end of the input) cut the request short there.
fn head_line(input: &[u8]) -> (&[u8], &[u8], bool) {
    match input.iter().position(|&b| b == b'\n' || b == 0) {
        Some(end) => (&input[..end], &input[end + 1..], input[end] == 0),
        None => (input, &input[input.len()..], true),
    }
}

/// The line at the front of `input` (without its LF) and what follows it.
fn split_line(input: &[u8]) -> (&[u8], &[u8]) {
    match input.iter().position(|&b| b == b'\n') {
        Some(lf) => (&input[..lf], &input[lf + 1..]),
        None => (input, &input[input.len()..]),
    }
}

fn handle_get(app: &mut App, target: &str, accept: Option<&'static str>) -> Response {
    let request = Owned {
        method: "GET".to_string(),
        target: target.to_string(),
        headers: accept
            .map(|a| ("Accept".to_string(), a.as_bytes()))
            .into_iter()
            .collect(),
        body: &[],
    };
    app.handle(&request.as_request(&request.head()))
}

fn body_bytes(body: &Body) -> Vec<u8> {
    match body {
        Body::Empty => Vec::new(),
        Body::Static(bytes) => bytes.to_vec(),
        Body::Bytes(bytes) => bytes.clone(),
        Body::Chunks(chunks) => chunks.iter().flat_map(|c| c.as_slice()).copied().collect(),
        // Only a gzip scrape streams, and the harness's scrape sends no Accept-Encoding.
        Body::Stream(_) => unreachable!("an uncompressed scrape is never streamed"),
    }
}
