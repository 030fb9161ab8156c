//! PUT, POST and DELETE on `/metrics/job/…` (spec §4, §6, §7): grouping key, body parsing,
//! and the store's verdict mapped to upstream's status codes and texts.

use super::replies::error;
use super::App;
use crate::clock::Timestamp;
use crate::compress;
use crate::db::{self, PushedBody};
use crate::grouping::GroupingKey;
use crate::http::{Request, Response};
use crate::limits::DECODED_BODY_BYTES_MAX;
use crate::wal::BodyFormat;
use crate::{log, model::Family};
use std::time::Instant;

const REJECTED: &str = "pushed metrics are invalid or inconsistent with existing metrics";

impl App {
    pub(super) fn push(
        &mut self,
        req: &Request<'_>,
        params: &[Vec<u8>],
        replace: bool,
        job_base64: bool,
    ) -> Response {
        let started = Instant::now();
        let response = self.push_inner(req, params, replace, job_base64);
        let method = if replace { "put" } else { "post" };
        self.own.observe_push(
            method,
            started.elapsed().as_secs_f64(),
            approximate_size(req) as f64,
        );
        response
    }

    fn push_inner(
        &mut self,
        req: &Request<'_>,
        params: &[Vec<u8>],
        replace: bool,
        job_base64: bool,
    ) -> Response {
        let key = match self.grouping_key(params, job_base64) {
            Ok(key) => key,
            Err(response) => return response,
        };
        // Holds a decompressed body while the families borrow from it.
        let mut decoded = Vec::new();
        let (format, bytes) = match self.decode_body(req, &mut decoded) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let parsed = match db::parse_body(format, bytes, self.config.enable_utf8_names) {
            Ok(parsed) => parsed,
            Err(e) => {
                log::debug("failed to parse push body", &[("err", &e)]);
                return error(400, &e);
            }
        };
        let body = PushedBody {
            format,
            bytes,
            utf8_names: self.config.enable_utf8_names,
        };
        let now = Timestamp::now();
        // Timestamps are reported before anything else (spec §6.4), so only the store's own
        // first check can name them.
        let result =
            if parsed.problems.is_empty() || parsed.families.iter().any(Family::has_timestamps) {
                self.db
                    .push(&mut self.store, &key, parsed.families, body, replace, now)
            } else {
                Err(self.db.reject(&mut self.store, &key, parsed.problems, now))
            };
        if let Err(rejection) = &result {
            log::error(
                REJECTED,
                &[
                    ("method", &req.method_token),
                    ("source", &req.peer),
                    ("err", rejection),
                ],
            );
        }
        match result {
            // Unchecked mode answers before knowing the verdict, as upstream does (spec §6.6b).
            _ if self.config.disable_consistency_check => Response::new(202),
            Ok(()) => Response::new(200),
            Err(rejection) => error(400, &format!("{REJECTED}: {rejection}")),
        }
    }

    pub(super) fn delete(&mut self, params: &[Vec<u8>], job_base64: bool) -> Response {
        match self.grouping_key(params, job_base64) {
            Ok(key) => {
                self.db.delete(&mut self.store, &key);
                Response::new(202)
            }
            Err(response) => response,
        }
    }

    fn grouping_key(&self, params: &[Vec<u8>], job_base64: bool) -> Result<GroupingKey, Response> {
        let (job, labels) = match params {
            [job] => (job.as_slice(), &b""[..]),
            [job, labels] => (job.as_slice(), labels.as_slice()),
            _ => unreachable!("push routes have one or two parameters"),
        };
        GroupingKey::parse(job, job_base64, labels, self.config.enable_utf8_names).map_err(|e| {
            log::debug("failed to parse URL", &[("err", &e)]);
            error(400, &e.to_string())
        })
    }

    /// The body after undoing any `Content-Encoding`, and the format to parse it with.
    fn decode_body<'r>(
        &self,
        req: &'r Request<'_>,
        decoded: &'r mut Vec<u8>,
    ) -> Result<(BodyFormat, &'r [u8]), Response> {
        let content_encoding = req.header("content-encoding");
        let body =
            compress::decoded_body(content_encoding, req.body, decoded, DECODED_BODY_BYTES_MAX)
                .map_err(|e| {
                    log::debug("failed to decode body", &[("err", &e)]);
                    error(e.status(), &e.to_string())
                })?;
        let format = match req.header("content-type").is_some_and(is_protobuf) {
            true => BodyFormat::Protobuf,
            false => BodyFormat::Text,
        };
        Ok((format, body))
    }
}

/// Spec §5.2: the delimited protobuf media type, parameters in any order and case.
fn is_protobuf(content_type: &[u8]) -> bool {
    let Ok(ct) = std::str::from_utf8(content_type) else {
        return false;
    };
    let mut parts = ct.split(';');
    let media = parts.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/vnd.google.protobuf") {
        return false;
    }
    let (mut proto, mut delimited) = (false, false);
    for param in parts {
        if let Some((k, v)) = param.split_once('=') {
            let (k, v) = (k.trim(), v.trim());
            proto |= k.eq_ignore_ascii_case("proto") && v == "io.prometheus.client.MetricFamily";
            delimited |= k.eq_ignore_ascii_case("encoding") && v == "delimited";
        }
    }
    proto && delimited
}

/// Upstream's `pushgateway_http_push_size_bytes` observation: URL, method, protocol, header
/// names and values (Host apart), Host, and the declared Content-Length (spec §8.8).
fn approximate_size(req: &Request<'_>) -> usize {
    let mut size = req.target.len() + req.method_token.len() + "HTTP/1.1".len();
    for h in req.headers {
        if !h.name.eq_ignore_ascii_case("host") {
            size += h.name.len() + h.value.len();
        }
    }
    size += req.header("host").map_or(0, <[u8]>::len);
    let declared = req
        .header("content-length")
        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<usize>().ok());
    size + declared.unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::is_protobuf;

    #[test]
    fn protobuf_content_type_needs_both_parameters() {
        let yes = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
        assert!(is_protobuf(yes.as_bytes()));
        let reordered = "Application/Vnd.Google.Protobuf;encoding=delimited ; PROTO=io.prometheus.client.MetricFamily; escaping=values";
        assert!(is_protobuf(reordered.as_bytes()));
        assert!(!is_protobuf(
            b"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily"
        ));
        assert!(!is_protobuf(b"text/plain; version=0.0.4"));
    }
}
