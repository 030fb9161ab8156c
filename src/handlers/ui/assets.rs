//! The files under `P/static/` (spec §11.3), embedded in the binary: our own stylesheet and
//! script under the names upstream's page used (`prometheus.css`, `functions.js`) and the
//! favicon. Upstream's Bootstrap and jQuery files are not shipped; the page needs none.
//!
//! Caching: every response carries a strong `ETag` (a hash of the bytes, fixed at build time)
//! and `Cache-Control: no-cache`, so a browser keeps its copy but revalidates it, and an
//! unchanged file costs a `304`. `Last-Modified` is the process start time: the files cannot
//! have changed since then, and an `If-Modified-Since` that repeats it exactly is answered 304
//! (when no `If-None-Match` was sent, as RFC 9110 §13.2.2 orders the two).

use crate::http::{Body, Response};

pub struct Asset {
    /// The path below `static/`.
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
    /// FNV-1a of `bytes`.
    pub hash: u64,
}

const fn asset(name: &'static str, content_type: &'static str, bytes: &'static [u8]) -> Asset {
    Asset {
        name,
        content_type,
        bytes,
        hash: fnv1a(bytes),
    }
}

pub const ASSETS: [Asset; 3] = [
    asset("favicon.ico", "image/x-icon", include_bytes!("favicon.ico")),
    asset(
        "functions.js",
        "application/javascript; charset=utf-8",
        include_bytes!("functions.js"),
    ),
    asset(
        "prometheus.css",
        "text/css; charset=utf-8",
        include_bytes!("prometheus.css"),
    ),
];

/// 64-bit FNV-1a: a change detector for our own files, not a defence against anyone.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

pub fn find(name: &[u8]) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name.as_bytes() == name)
}

/// The validators a request sent.
pub struct Conditions<'a> {
    pub if_none_match: Option<&'a [u8]>,
    pub if_modified_since: Option<&'a [u8]>,
}

/// The answer for `asset`: 200 with the bytes, or 304 when the client's copy is current.
pub fn serve(asset: &'static Asset, last_modified: &str, conditions: &Conditions<'_>) -> Response {
    let etag = format!("\"{:016x}\"", asset.hash);
    let not_modified = match conditions.if_none_match {
        Some(tags) => matches_etag(tags, &etag),
        None => conditions.if_modified_since == Some(last_modified.as_bytes()),
    };
    let response = Response::new(if not_modified { 304 } else { 200 })
        .header("Cache-Control", "no-cache")
        .header("ETag", etag)
        .header("Last-Modified", last_modified.to_string());
    if not_modified {
        return response;
    }
    response
        .header("Content-Type", asset.content_type)
        .header("X-Content-Type-Options", "nosniff")
        .body(Body::Static(asset.bytes))
}

/// `If-None-Match`: `*`, or a comma-separated list of entity tags compared weakly (a `W/`
/// prefix is ignored, RFC 9110 §13.1.2).
fn matches_etag(header: &[u8], etag: &str) -> bool {
    header.split(|&b| b == b',').any(|tag| {
        let tag = tag.trim_ascii();
        tag == b"*" || tag.strip_prefix(b"W/").unwrap_or(tag) == etag.as_bytes()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Fri, 27 Nov 2026 19:34:38 GMT";

    fn status(if_none_match: Option<&str>, if_modified_since: Option<&str>) -> u16 {
        let asset = find(b"prometheus.css").expect("stylesheet is embedded");
        let conditions = Conditions {
            if_none_match: if_none_match.map(str::as_bytes),
            if_modified_since: if_modified_since.map(str::as_bytes),
        };
        serve(asset, DATE, &conditions).status
    }

    #[test]
    fn conditional_requests() {
        let asset = find(b"prometheus.css").expect("stylesheet is embedded");
        let etag = format!("\"{:016x}\"", asset.hash);
        let weak = format!("W/{etag}");
        let listed = format!("\"other\", {etag}");
        let cases = [
            (None, None, 200),
            (Some(etag.as_str()), None, 304),
            (Some(weak.as_str()), None, 304),
            (Some(listed.as_str()), None, 304),
            (Some("*"), None, 304),
            (Some("\"other\""), None, 200),
            (None, Some(DATE), 304),
            (None, Some("Fri, 27 Nov 2026 19:34:37 GMT"), 200),
            // If-None-Match decides when both are sent.
            (Some("\"other\""), Some(DATE), 200),
        ];
        for (inm, ims, want) in cases {
            assert_eq!(status(inm, ims), want, "{inm:?} {ims:?}");
        }
    }

    #[test]
    fn full_response_headers() {
        let asset = find(b"functions.js").expect("script is embedded");
        let response = serve(
            asset,
            DATE,
            &Conditions {
                if_none_match: None,
                if_modified_since: None,
            },
        );
        let headers: Vec<(&str, &str)> = response
            .headers
            .iter()
            .map(|(n, v)| (*n, v.as_ref()))
            .collect();
        let etag = format!("\"{:016x}\"", asset.hash);
        assert_eq!(
            headers,
            [
                ("Cache-Control", "no-cache"),
                ("ETag", etag.as_str()),
                ("Last-Modified", DATE),
                ("Content-Type", "application/javascript; charset=utf-8"),
                ("X-Content-Type-Options", "nosniff"),
            ]
        );
        assert_eq!(response.body.known_len(), Some(asset.bytes.len()));
    }

    #[test]
    fn assets_are_distinct_and_text_is_ascii() {
        assert!(find(b"nope.css").is_none());
        assert!(find(b"").is_none());
        for (i, a) in ASSETS.iter().enumerate() {
            assert!(ASSETS[..i]
                .iter()
                .all(|b| b.hash != a.hash && b.name != a.name));
            if a.content_type.contains("charset") {
                assert!(a.bytes.is_ascii(), "{} must stay ASCII", a.name);
            }
        }
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
