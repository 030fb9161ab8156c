//! `--web.external-url` as Go's `net/url.Parse` reads it: the same inputs are refused with the
//! same messages (`parse ":bad": missing protocol scheme`), and the path it yields is the one
//! upstream derives the route prefix from (spec §2.4). It validates and extracts; it never
//! normalises the URL itself.
//!
//! Grammar (RFC 3986 as Go relaxes it): `[scheme ":"] ["//" [userinfo "@"] host [":" port]]
//! path ["?" query] ["#" fragment]`; a scheme-less reference may not have a `:` in its first
//! path segment; a scheme followed by anything but `/` is opaque (no path).

use crate::go_quote::quote;
use std::fmt;

/// Why Go's `url.Parse` refuses an input; `Display` is Go's `*url.Error` text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct UrlError {
    /// The text Go names in the message (the URL without its fragment, unless the fragment
    /// itself is at fault).
    url: String,
    reason: String,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "parse {}: {}", quote(self.url.as_bytes()), self.reason)
    }
}

/// Where percent-escapes are being decoded: hosts and zones are stricter than paths.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Path,
    Host,
    Zone,
    UserInfo,
    Fragment,
}

/// Checks `raw` as Go's `url.Parse` does and returns the decoded path (`URL.Path`).
pub(super) fn parse_path(raw: &str) -> Result<String, UrlError> {
    let (before_fragment, fragment) = match raw.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (raw, None),
    };
    let path = parse_without_fragment(before_fragment).map_err(|reason| UrlError {
        url: before_fragment.to_string(),
        reason,
    })?;
    if let Some(fragment) = fragment {
        unescape(fragment, Part::Fragment).map_err(|reason| UrlError {
            url: raw.to_string(),
            reason,
        })?;
    }
    Ok(path)
}

fn parse_without_fragment(raw: &str) -> Result<String, String> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".to_string());
    }
    if raw == "*" {
        return Ok("*".to_string());
    }
    let (scheme, rest) = split_scheme(raw)?;
    let rest = match rest.strip_suffix('?') {
        // A lone trailing `?` is an empty query (Go's ForceQuery).
        Some(stripped) if !stripped.contains('?') => stripped,
        _ => rest.split_once('?').map_or(rest, |(before, _query)| before),
    };
    if !rest.starts_with('/') {
        if !scheme.is_empty() {
            // Rootless after a scheme (`mailto:x`): opaque, no path.
            return Ok(String::new());
        }
        let first_segment = rest.split('/').next().unwrap_or("");
        if first_segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".to_string());
        }
    }
    let mut path = rest;
    if (!scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let after_slashes = &rest[2..];
        let (authority, remainder) = match after_slashes.find('/') {
            Some(i) => after_slashes.split_at(i),
            None => (after_slashes, ""),
        };
        parse_authority(authority)?;
        path = remainder;
    }
    unescape(path, Part::Path)
}

/// Go's `getScheme`: letters then letters, digits, `+`, `-` or `.` up to a `:`; anything else
/// means there is no scheme.
fn split_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, b) in raw.bytes().enumerate() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".to_string()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn parse_authority(authority: &str) -> Result<(), String> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    parse_host(host)?;
    if let Some(userinfo) = userinfo {
        if !userinfo.chars().all(valid_userinfo_char) {
            return Err("net/url: invalid userinfo".to_string());
        }
        for part in userinfo.splitn(2, ':') {
            unescape(part, Part::UserInfo)?;
        }
    }
    Ok(())
}

fn valid_userinfo_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c)
}

fn parse_host(host: &str) -> Result<(), String> {
    if host.starts_with('[') {
        let Some(close) = host.rfind(']') else {
            return Err("missing ']' in host".to_string());
        };
        check_port(&host[close + 1..])?;
        // RFC 6874: `%25` starts a zone, which may escape more freely than the address.
        if let Some(zone) = host[..close].find("%25") {
            unescape(&host[..zone], Part::Host)?;
            unescape(&host[zone..close], Part::Zone)?;
            unescape(&host[close..], Part::Host)?;
            return Ok(());
        }
    } else if let Some(colon) = host.rfind(':') {
        check_port(&host[colon..])?;
    }
    unescape(host, Part::Host).map(drop)
}

/// `""` or `:` followed by digits only.
fn check_port(colon_port: &str) -> Result<(), String> {
    let valid = colon_port.is_empty()
        || colon_port
            .strip_prefix(':')
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid port {} after host",
            quote(colon_port.as_bytes())
        ))
    }
}

/// Decodes `%XX` escapes, refusing what Go refuses for that part of the URL.
fn unescape(text: &str, part: Part) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|&h| hex_value(h)),
                bytes.get(i + 2).and_then(|&l| hex_value(l)),
            ) else {
                let end = (i + 3).min(bytes.len());
                return Err(escape_error(&bytes[i..end]));
            };
            let escaped = &bytes[i..i + 3];
            let value = hi << 4 | lo;
            // Hosts may escape only non-ASCII bytes, except `%25` (RFC 6874 zones).
            if part == Part::Host && hi < 8 && escaped != b"%25" {
                return Err(escape_error(escaped));
            }
            // Zones may escape only what could be written plainly (Windows puts spaces here).
            if part == Part::Zone && escaped != b"%25" && value != b' ' && !host_byte_allowed(value)
            {
                return Err(escape_error(escaped));
            }
            out.push(value);
            i += 3;
            continue;
        }
        if matches!(part, Part::Host | Part::Zone) && b < 0x80 && !host_byte_allowed(b) {
            return Err(format!(
                "invalid character {} in host name",
                quote(&bytes[i..=i])
            ));
        }
        out.push(b);
        i += 1;
    }
    // Escapes may decode to invalid UTF-8 (`%FF`); Go keeps those bytes, a Rust string cannot.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn escape_error(escape: &[u8]) -> String {
    format!("invalid URL escape {}", quote(escape))
}

/// ASCII bytes Go's `shouldEscape` lets through unescaped in a host: unreserved characters,
/// sub-delims, and `:`, `[`, `]`, `<`, `>`, `"`.
fn host_byte_allowed(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&b)
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_extracts_the_path() {
        let cases = [
            ("", ""),
            ("http://example.com/pg/", "/pg/"),
            (
                "https://user:pa%20ss@example.com:8443/a%20b?x=1#frag",
                "/a b",
            ),
            ("http://example.com", ""),
            ("http://[::1]:9091/x", "/x"),
            ("http://[fe80::1%25en0]/z", "/z"),
            ("/just/a/path", "/just/a/path"),
            ("relative/path", "relative/path"),
            ("mailto:someone@example.com", ""),
            ("http:/path-only", "/path-only"),
            ("//host/p", "/p"),
            ("///triple", "///triple"),
            ("*", "*"),
            ("/q?", "/q"),
            ("/p%2Fq", "/p/q"),
            ("HTTP://EXAMPLE.COM/Up", "/Up"),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_path(raw).as_deref(), Ok(want), "url {raw:?}");
        }
    }

    #[test]
    fn refuses_with_go_messages() {
        let cases = [
            (":bad", r#"parse ":bad": missing protocol scheme"#),
            (
                "1a:b",
                r#"parse "1a:b": first path segment in URL cannot contain colon"#,
            ),
            (
                "http://a:b/",
                r#"parse "http://a:b/": invalid port ":b" after host"#,
            ),
            (
                "http://[::1/",
                r#"parse "http://[::1/": missing ']' in host"#,
            ),
            (
                "http://[::1]x/",
                r#"parse "http://[::1]x/": invalid port "x" after host"#,
            ),
            (
                "http://exa{mple.com/",
                r#"parse "http://exa{mple.com/": invalid character "{" in host name"#,
            ),
            (
                "http://ex ample.com/",
                r#"parse "http://ex ample.com/": invalid character " " in host name"#,
            ),
            (
                "http://host/%zz",
                r#"parse "http://host/%zz": invalid URL escape "%zz""#,
            ),
            (
                "http://host/%4",
                r#"parse "http://host/%4": invalid URL escape "%4""#,
            ),
            (
                "http://%41host/",
                r#"parse "http://%41host/": invalid URL escape "%41""#,
            ),
            (
                "http://us er@host/",
                r#"parse "http://us er@host/": net/url: invalid userinfo"#,
            ),
            (
                "http://host/a\nb",
                "parse \"http://host/a\\nb\": net/url: invalid control character in URL",
            ),
            (
                "http://host/#%zz",
                r#"parse "http://host/#%zz": invalid URL escape "%zz""#,
            ),
            (
                "http://[fe80::1%25%00]/",
                r#"parse "http://[fe80::1%25%00]/": invalid URL escape "%00""#,
            ),
        ];
        for (raw, want) in cases {
            let got = parse_path(raw).expect_err("must fail").to_string();
            assert_eq!(got, want, "url {raw:?}");
        }
    }
}
