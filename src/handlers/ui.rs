//! The web UI (spec §11): `GET P/` (Metrics), `GET P/status` (Status), the group fragment
//! `GET P/?group=<group path>` the Metrics tab fetches when a group is opened, and the
//! embedded files under `P/static/`.
//!
//! The pages are rendered here, whole, on every request, with our own minimal stylesheet and a
//! small script (`ui/functions.js`); nothing is loaded from elsewhere. Links and asset URLs
//! start with the external path prefix (spec §2.4), `.` when there is none, as upstream's do;
//! requests the script sends (delete, wipe, fragments) are relative to the page, so they work
//! behind a proxy that rewrites the prefix.
//!
//! Owns: the HTML. Must never: change the store, or write a client's bytes unescaped.

mod assets;
mod group_path;
mod html;
mod metrics_page;
mod status_page;

use super::replies;
use super::App;
use crate::build_info;
use crate::http::{Body, Request, Response};
use crate::router::path::{percent_decode, split_target};
use crate::time_format::go_default;
use html::Html;
use metrics_page::MetricsOptions;
use status_page::StatusInfo;
use std::fmt::Write;

const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// Upstream's Help link.
const HELP_URL: &str = "https://github.com/prometheus/pushgateway/blob/master/README.md";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Metrics,
    Status,
}

impl App {
    /// `GET P/` or `GET P/status`, or a group fragment when the query names a group.
    pub(super) fn ui(&self, req: &Request<'_>) -> Response {
        let (path, query) = split_target(req.target);
        if let Some(group) = query.and_then(|q| query_param(q, "group")) {
            return self.group_fragment(group);
        }
        // The router matched `P/status` or `P/`; only the first ends in `status`.
        let decoded = percent_decode(path).unwrap_or_default();
        let tab = if decoded.ends_with(b"/status") {
            Tab::Status
        } else {
            Tab::Metrics
        };
        let mut h = Html::new();
        self.write_page_head(&mut h, tab);
        match tab {
            Tab::Metrics => {
                let opts = MetricsOptions {
                    admin_api: self.config.enable_admin_api,
                    utf8_names: self.config.enable_utf8_names,
                    zone: &self.zone,
                    group_ttl: Some(self.config.group_ttl).filter(|ttl| !ttl.is_zero()),
                };
                metrics_page::write_metrics_tab(&mut h, &self.store.groups_sorted(), &opts);
            }
            Tab::Status => {
                let started = go_default(self.start_time, &self.zone);
                let build = super::api::build_information();
                let flags = self.config.flag_map();
                let info = StatusInfo {
                    started: &started,
                    build: &build,
                    flags: &flags,
                };
                status_page::write_status_tab(&mut h, &info);
            }
        }
        h.raw("</main>\n</body>\n</html>\n");
        html_response(200, h.finish())
    }

    fn group_fragment(&self, raw: &str) -> Response {
        let Ok(path) = percent_decode(raw) else {
            return replies::error(400, "invalid percent escape in group path");
        };
        let utf8_names = self.config.enable_utf8_names;
        match group_path::parse_group_path(&path, utf8_names) {
            Ok(key) => match self.store.group(&key) {
                Some(group) => {
                    html_response(200, metrics_page::group_body(group, utf8_names, &self.zone))
                }
                None => replies::error(404, "this group does not exist (any more)"),
            },
            Err(e) => replies::error(400, &e.to_string()),
        }
    }

    /// Everything up to and including `<main>`: head, asset links, navigation.
    fn write_page_head(&self, h: &mut Html, tab: Tab) {
        let base = if self.ext_prefix.is_empty() {
            "."
        } else {
            self.ext_prefix.as_str()
        };
        let version = query_escape(build_info::REVISION);
        let asset = |name: &str| format!("{base}/static/{name}?v={version}");
        h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .raw("<meta name=\"robots\" content=\"noindex,nofollow\">\n")
            .raw("<title>Prometheus Pushgateway</title>\n<link rel=\"icon\"")
            .attr("href", &asset("favicon.ico"))
            .raw(">\n<link rel=\"stylesheet\"")
            .attr("href", &asset("prometheus.css"))
            .raw(">\n<script defer")
            .attr("src", &asset("functions.js"))
            .raw("></script>\n</head>\n<body>\n<header><a class=\"brand\"")
            .attr("href", &format!("{base}/"))
            .raw(">Pushgateway</a>\n<nav><a")
            .attr("href", &format!("{base}/"))
            .raw(if tab == Tab::Metrics {
                " class=\"active\" aria-current=\"page\""
            } else {
                ""
            })
            .raw(">Metrics</a><a")
            .attr("href", &format!("{base}/status"))
            .raw(if tab == Tab::Status {
                " class=\"active\" aria-current=\"page\""
            } else {
                ""
            })
            .raw(">Status</a><a")
            .attr("href", HELP_URL)
            .raw(
                " target=\"_blank\" rel=\"noopener noreferrer\">Help</a></nav></header>\n<main>\n",
            );
    }

    /// `GET P/static/<file>`: `params[0]` is the catch-all, `/` included.
    pub(super) fn static_file(&self, req: &Request<'_>, params: &[Vec<u8>]) -> Response {
        let name = params
            .first()
            .and_then(|p| p.strip_prefix(b"/"))
            .unwrap_or_default();
        let Some(asset) = assets::find(name) else {
            return replies::not_found();
        };
        let conditions = assets::Conditions {
            if_none_match: req.header("if-none-match"),
            if_modified_since: req.header("if-modified-since"),
        };
        assets::serve(asset, &self.assets_modified, &conditions)
    }
}

fn html_response(status: u16, body: String) -> Response {
    Response::new(status)
        .header("Content-Type", HTML_CONTENT_TYPE)
        .body(Body::Bytes(body.into_bytes()))
}

/// The raw value of the first `name=` parameter of a query string.
fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// Percent-encodes everything but RFC 3986's unreserved characters (Go's `url.QueryEscape`
/// apart from spaces, which a revision does not have).
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests;
