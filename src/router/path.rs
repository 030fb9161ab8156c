//! URL path handling before routing, as Go's net/http does it (spec §2.2): percent-decoding
//! (so `%2F` splits segments and bytes need not be UTF-8), `path.Clean` with the trailing slash
//! kept, and re-escaping a path for a `Location` header.

/// Why a request-target cannot be routed at all.
#[derive(Debug, PartialEq, Eq)]
pub struct BadTarget;

/// Splits a request-target into (path, query) at the first `?`; the query is kept only to be
/// carried over into redirects.
pub fn split_target(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    }
}

/// Percent-decodes a path. `+` stays `+`. An escape that is not `%` and two hex digits is an
/// error, as in Go's URL parser (→ 400 before routing).
pub fn percent_decode(path: &str) -> Result<Vec<u8>, BadTarget> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes
                .get(i + 1)
                .and_then(|&b| hex_value(b))
                .ok_or(BadTarget)?;
            let lo = bytes
                .get(i + 2)
                .and_then(|&b| hex_value(b))
                .ok_or(BadTarget)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Go's ServeMux `cleanPath`: a rooted, lexically cleaned path (`//`, `/./`, `/../` resolved),
/// with a trailing slash kept when the input had one.
pub fn clean(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b"/".to_vec();
    }
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = Vec::with_capacity(path.len() + 1);
    for s in &segments {
        out.push(b'/');
        out.extend_from_slice(s);
    }
    if out.is_empty() || path.ends_with(b"/") {
        out.push(b'/');
    }
    out
}

/// Escapes a decoded path for a `Location` header the way Go's `url.URL.String` does: bytes
/// outside the unreserved set and `$&+,/:;=@` become `%XX`.
pub fn escape(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path {
        let keep = b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[(b >> 4) as usize]));
            out.push(char::from(b"0123456789ABCDEF"[(b & 15) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes_but_not_plus() {
        assert_eq!(percent_decode("/a%2Fb+c").unwrap(), b"/a/b+c");
        assert_eq!(percent_decode("/%FF").unwrap(), b"/\xff");
        assert_eq!(percent_decode("/%zz"), Err(BadTarget));
        assert_eq!(percent_decode("/%4"), Err(BadTarget));
    }

    #[test]
    fn cleans_like_go_servemux() {
        for (input, want) in [
            ("/metrics", "/metrics"),
            ("//metrics", "/metrics"),
            ("/metrics/job/j/a//b", "/metrics/job/j/a/b"),
            ("/a/./b", "/a/b"),
            ("/a/../b", "/b"),
            ("/a/..", "/"),
            ("/a/.", "/a"),
            ("/metrics/job/", "/metrics/job/"),
            ("/../..", "/"),
            ("", "/"),
        ] {
            assert_eq!(
                String::from_utf8(clean(input.as_bytes())).unwrap(),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn escapes_like_go_url_string() {
        assert_eq!(escape(b"/metrics/job/a b"), "/metrics/job/a%20b");
        assert_eq!(escape(b"/x/a=b@c+d"), "/x/a=b@c+d");
        assert_eq!(escape(b"/\xff?"), "/%FF%3F");
    }
}
