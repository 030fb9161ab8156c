//! (method, path) → endpoint: the one place URLs are spelled (spec §2.2–§3). It reproduces what
//! upstream's stack does in front of its handlers: Go's ServeMux (path cleaning, the
//! `/api/v1/` subtree) and httprouter (trailing-slash and case-insensitive redirects, 405 with
//! `Allow`, automatic OPTIONS), so redirects and error codes match for every client.

pub mod path;
mod prefix;

pub use prefix::compute_route_prefix;

use crate::http::Method;
use path::{clean, escape, percent_decode, split_target};

/// What a routed request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Metrics,
    Push {
        replace: bool,
        job_base64: bool,
    },
    Delete {
        job_base64: bool,
    },
    Healthy,
    Ready,
    /// `PUT|POST P/-/quit`.
    Quit,
    /// `GET /-/quit`, always unprefixed.
    QuitGet,
    Ui,
    Static,
    ApiStatus,
    ApiMetrics,
    ApiOptions,
    Wipe,
}

impl Endpoint {
    /// The `handler` label of `pushgateway_http_requests_total`, for the counted endpoints.
    pub fn handler_label(self) -> Option<&'static str> {
        Some(match self {
            Endpoint::Push { .. } => "push",
            Endpoint::Delete { .. } => "delete",
            Endpoint::Healthy => "healthy",
            Endpoint::Ready => "ready",
            Endpoint::Ui => "status",
            Endpoint::Static => "static",
            Endpoint::ApiStatus => "api/v1/status",
            Endpoint::ApiMetrics => "api/v1/metrics",
            Endpoint::ApiOptions => "api/v1/options",
            Endpoint::Wipe => "wipe",
            Endpoint::Metrics | Endpoint::Quit | Endpoint::QuitGet => return None,
        })
    }
}

/// The outcome of routing one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Routed {
    /// `params` are the route's `:param` and `*catchall` values, decoded, in pattern order.
    Endpoint {
        endpoint: Endpoint,
        params: Vec<Vec<u8>>,
    },
    Redirect {
        status: u16,
        location: String,
    },
    Options {
        allow: String,
    },
    MethodNotAllowed {
        allow: String,
    },
    NotFound,
    /// The request-target is not a valid URL path (an invalid percent escape).
    BadRequest,
}

struct Route {
    method: Method,
    /// httprouter syntax: `:name` matches one non-empty segment, `*name` (after a `/`) the rest
    /// of the path including that `/`.
    pattern: String,
    /// How many leading bytes of `pattern` are literal whatever they hold: the route prefix and
    /// telemetry path come from flags, and a `:` or `*` in them is no parameter.
    literal: usize,
    endpoint: Endpoint,
}

/// The routes of one httprouter instance.
struct Table {
    routes: Vec<Route>,
}

pub struct Router {
    main: Table,
    api: Table,
    /// `P/api/v1`: requests below it go to the API table with this prefix stripped.
    api_root: Vec<u8>,
}

/// What the route table depends on (spec §2.4, §3).
pub struct RouterOptions<'a> {
    /// The normalised route prefix: empty or `/x` without a trailing slash.
    pub prefix: &'a str,
    pub telemetry_path: &'a str,
    pub enable_admin_api: bool,
}

impl Router {
    pub fn new(opts: &RouterOptions<'_>) -> Router {
        let p = opts.prefix;
        let mut main = Vec::new();
        let mut add_literal = |method, pattern: String, literal, endpoint| {
            main.push(Route {
                method,
                pattern,
                literal,
                endpoint,
            })
        };
        let telemetry = clean(format!("{p}/{}", opts.telemetry_path).as_bytes());
        let telemetry = String::from_utf8_lossy(&telemetry).into_owned();
        add_literal(
            Method::Get,
            telemetry.clone(),
            telemetry.len(),
            Endpoint::Metrics,
        );
        add_literal(Method::Get, "/-/quit".to_string(), 0, Endpoint::QuitGet);
        let mut add = |method, pattern, endpoint| add_literal(method, pattern, p.len(), endpoint);
        add(Method::Get, format!("{p}/-/healthy"), Endpoint::Healthy);
        add(Method::Get, format!("{p}/-/ready"), Endpoint::Ready);
        for (suffix, job_base64) in [("", false), ("@base64", true)] {
            for tail in ["/:job/*labels", "/:job"] {
                let pattern = format!("{p}/metrics/job{suffix}{tail}");
                add(
                    Method::Put,
                    pattern.clone(),
                    Endpoint::Push {
                        replace: true,
                        job_base64,
                    },
                );
                add(
                    Method::Post,
                    pattern.clone(),
                    Endpoint::Push {
                        replace: false,
                        job_base64,
                    },
                );
                add(Method::Delete, pattern, Endpoint::Delete { job_base64 });
            }
        }
        add(
            Method::Get,
            format!("{p}/static/*filepath"),
            Endpoint::Static,
        );
        add(Method::Get, format!("{p}/status"), Endpoint::Ui);
        add(Method::Get, format!("{p}/"), Endpoint::Ui);
        add(Method::Put, format!("{p}/-/quit"), Endpoint::Quit);
        add(Method::Post, format!("{p}/-/quit"), Endpoint::Quit);

        let mut api = vec![
            Route {
                method: Method::Options,
                pattern: "/*path".into(),
                literal: 0,
                endpoint: Endpoint::ApiOptions,
            },
            Route {
                method: Method::Get,
                pattern: "/status".into(),
                literal: 0,
                endpoint: Endpoint::ApiStatus,
            },
            Route {
                method: Method::Get,
                pattern: "/metrics".into(),
                literal: 0,
                endpoint: Endpoint::ApiMetrics,
            },
        ];
        if opts.enable_admin_api {
            api.push(Route {
                method: Method::Put,
                pattern: "/admin/wipe".into(),
                literal: 0,
                endpoint: Endpoint::Wipe,
            });
        }
        Router {
            main: Table { routes: main },
            api: Table { routes: api },
            api_root: format!("{p}/api/v1").into_bytes(),
        }
    }

    /// Routes one request-target (still percent-encoded, possibly with a query).
    pub fn route(&self, method: Method, target: &str) -> Routed {
        let (raw_path, query) = split_target(target);
        let Ok(path) = percent_decode(raw_path) else {
            return Routed::BadRequest;
        };
        let cleaned = clean(&path);
        if cleaned != path {
            return Routed::Redirect {
                status: 301,
                location: with_query(escape(&cleaned), query),
            };
        }
        if path == self.api_root {
            let mut root = path.clone();
            root.push(b'/');
            return Routed::Redirect {
                status: 301,
                location: with_query(escape(&root), query),
            };
        }
        match path.strip_prefix(self.api_root.as_slice()) {
            Some(rest) if rest.starts_with(b"/") => self.api.route(method, rest, query),
            _ => self.main.route(method, &path, query),
        }
    }
}

fn with_query(mut location: String, query: Option<&str>) -> String {
    if let Some(q) = query {
        location.push('?');
        location.push_str(q);
    }
    location
}

impl Table {
    fn has_method(&self, method: Method) -> bool {
        self.routes.iter().any(|r| r.method == method)
    }

    fn lookup(&self, method: Method, path: &[u8]) -> Option<(Endpoint, Vec<Vec<u8>>)> {
        self.routes
            .iter()
            .filter(|r| r.method == method)
            .find_map(|r| match_pattern(r, path, false).map(|(_, params)| (r.endpoint, params)))
    }

    /// httprouter's request handling order: the method's own route, then (for a method that
    /// has routes) a trailing-slash or case/cleaning redirect, then OPTIONS or 405, then 404.
    fn route(&self, method: Method, path: &[u8], query: Option<&str>) -> Routed {
        if let Some((endpoint, params)) = self.lookup(method, path) {
            return Routed::Endpoint { endpoint, params };
        }
        if self.has_method(method) && path != b"/" {
            let status = if method == Method::Get { 301 } else { 307 };
            if let Some(fixed) = self
                .trailing_slash_fix(method, path)
                .or_else(|| self.case_fix(method, path))
            {
                return Routed::Redirect {
                    status,
                    location: with_query(escape(&fixed), query),
                };
            }
        }
        let allow = self.allowed(method, path);
        match (method, allow) {
            (Method::Options, Some(allow)) => Routed::Options { allow },
            (Method::Options, None) => Routed::NotFound,
            (_, Some(allow)) => Routed::MethodNotAllowed { allow },
            (_, None) => Routed::NotFound,
        }
    }

    /// The path with one trailing slash added or removed, if that matches a route of the
    /// method. Like httprouter, a path ending in `/` right before a `:param` segment (e.g.
    /// `/metrics/job/`) is also sent to its slash-less form, even though nothing matches there.
    fn trailing_slash_fix(&self, method: Method, path: &[u8]) -> Option<Vec<u8>> {
        let toggled = match path.strip_suffix(b"/") {
            Some(stripped) => stripped.to_vec(),
            None => [path, b"/"].concat(),
        };
        if self.lookup(method, &toggled).is_some() {
            return Some(toggled);
        }
        let before_param = self.routes.iter().filter(|r| r.method == method).any(|r| {
            path.len() >= r.literal
                && r.pattern
                    .as_bytes()
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with(b":"))
        });
        (path.ends_with(b"/") && before_param).then_some(toggled)
    }

    /// A case-insensitive match of the cleaned path (with a trailing slash toggled if needed),
    /// spelled as the route spells its fixed parts.
    fn case_fix(&self, method: Method, path: &[u8]) -> Option<Vec<u8>> {
        let cleaned = clean(path);
        let toggled = match cleaned.strip_suffix(b"/") {
            Some(stripped) if !stripped.is_empty() => stripped.to_vec(),
            Some(_) => return None,
            None => [&cleaned[..], b"/"].concat(),
        };
        let routes = || self.routes.iter().filter(|r| r.method == method);
        routes()
            .find_map(|r| match_pattern(r, &cleaned, true))
            .or_else(|| routes().find_map(|r| match_pattern(r, &toggled, true)))
            .map(|(fixed, _)| fixed)
    }

    /// The `Allow` header for a path: the other methods with a matching route, plus OPTIONS,
    /// sorted; `None` if no other method matches.
    fn allowed(&self, method: Method, path: &[u8]) -> Option<String> {
        let mut names: Vec<&str> = [
            (Method::Delete, "DELETE"),
            (Method::Get, "GET"),
            (Method::Post, "POST"),
            (Method::Put, "PUT"),
        ]
        .into_iter()
        .filter(|&(m, _)| m != method && self.lookup(m, path).is_some())
        .map(|(_, name)| name)
        .collect();
        if names.is_empty() {
            return None;
        }
        names.push("OPTIONS");
        names.sort_unstable();
        Some(names.join(", "))
    }
}

/// Matches `path` against a route's httprouter pattern. Returns the path as the route spells it
/// (fixed parts from the pattern, parameters as sent) and the parameter values.
fn match_pattern(route: &Route, path: &[u8], ignore_case: bool) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    let pattern = route.pattern.as_bytes();
    let mut fixed = Vec::with_capacity(path.len());
    let mut params = Vec::new();
    let (mut p, mut i) = (0, 0);
    while p < pattern.len() {
        match pattern[p] {
            b':' => {
                let name_end = pattern[p..]
                    .iter()
                    .position(|&b| b == b'/')
                    .map_or(pattern.len(), |n| p + n);
                let value_end = path[i..]
                    .iter()
                    .position(|&b| b == b'/')
                    .map_or(path.len(), |n| i + n);
                if value_end == i {
                    return None;
                }
                fixed.extend_from_slice(&path[i..value_end]);
                params.push(path[i..value_end].to_vec());
                p = name_end;
                i = value_end;
            }
            b'*' => {
                // The catch-all takes the rest of the path, including the `/` the pattern had
                // before it (already matched as a literal, so step back over it).
                let start = i.checked_sub(1).filter(|&s| path.get(s) == Some(&b'/'))?;
                fixed.extend_from_slice(&path[i..]);
                params.push(path[start..].to_vec());
                return Some((fixed, params));
            }
            _ => {
                // The literal run goes at least to the end of the route's literal head.
                let from = p.max(route.literal);
                let lit_end = pattern[from..]
                    .iter()
                    .position(|&b| b == b':' || b == b'*')
                    .map_or(pattern.len(), |n| from + n);
                let literal = &pattern[p..lit_end];
                let candidate = path.get(i..i + literal.len())?;
                let same = if ignore_case {
                    candidate.eq_ignore_ascii_case(literal)
                } else {
                    candidate == literal
                };
                if !same {
                    return None;
                }
                fixed.extend_from_slice(literal);
                p = lit_end;
                i += literal.len();
            }
        }
    }
    (i == path.len()).then_some((fixed, params))
}

#[cfg(test)]
mod tests;
