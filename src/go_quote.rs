//! Go's `%q` and `%c` formatting, for messages and log values that must read exactly like
//! upstream's. It owns the escaping rules only; callers decide whether a value needs quoting.
//!
//! Upstream quotes the offending token with `%q` (a Go string: invalid UTF-8 bytes as `\xff`,
//! non-printable characters as `\u00a0`) and single bytes with `%q`/`%c`, which treat the byte as
//! the code point U+0000..U+00FF (so byte 0xff prints as `'ÿ'`; `%c` is then just
//! `char::from`). Only messages use this.

use std::fmt::Write;

/// `%q` of a Go string (`strconv.Quote`).
pub fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut out, c, '"');
        }
        for b in chunk.invalid() {
            // Go decodes an invalid sequence one byte at a time, escaping each.
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    out
}

/// `%q` of a Go byte (`strconv.QuoteRune` of the byte's code point).
pub fn quote_byte(b: u8) -> String {
    let mut out = String::with_capacity(8);
    out.push('\'');
    push_escaped(&mut out, char::from(b), '\'');
    out.push('\'');
    out
}

fn push_escaped(out: &mut String, c: char, quote: char) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_print(c) {
        out.push(c);
        return;
    }
    let _ = match c {
        '\x07' => out.write_str("\\a"),
        '\x08' => out.write_str("\\b"),
        '\x0c' => out.write_str("\\f"),
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        '\x0b' => out.write_str("\\v"),
        c if c < ' ' || c == '\x7f' => write!(out, "\\x{:02x}", c as u32),
        c if (c as u32) < 0x10000 => write!(out, "\\u{:04x}", c as u32),
        c => write!(out, "\\U{:08x}", c as u32),
    };
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
///
/// Rust's `Debug` escaping leaves a character alone exactly when core's printable table says so,
/// and that table is generated with the same definition (everything except Zs other than the
/// space, Zl, Zp, Cc, Cf, Cs, Co and unassigned code points). Only the first character of a
/// string is also escaped for being a grapheme extender, so the character is checked in second
/// position. The two sides can differ only for code points assigned in a Unicode version one of
/// them does not know yet.
pub fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let mut buf = [b'a'; 5];
    let len = 1 + c.encode_utf8(&mut buf[1..]).len();
    std::str::from_utf8(&buf[..len]).is_ok_and(|s| s.escape_debug().nth(1) != Some('\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_quote_like_go() {
        let table: &[(&[u8], &str)] = &[
            (b"", r#""""#),
            (b"plain", r#""plain""#),
            (b"a\"b\\c", r#""a\"b\\c""#),
            (b"1\r", r#""1\r""#),
            (b"\t\n\x07\x08\x0c\x0b", r#""\t\n\a\b\f\v""#),
            (b"\x00\x01\x7f", r#""\x00\x01\x7f""#),
            (b"\xff", r#""\xff""#),
            (b"a\xe2\x82b", r#""a\xe2\x82b""#),
            ("é'".as_bytes(), "\"é'\""),
            ("\u{a0}\u{ad}\u{200b}".as_bytes(), r#""\u00a0\u00ad\u200b""#),
            ("\u{301}".as_bytes(), "\"\u{301}\""),
            ("\u{e0001}".as_bytes(), r#""\U000e0001""#),
        ];
        for &(input, want) in table {
            assert_eq!(quote(input), want, "{input:?}");
        }
    }

    #[test]
    fn bytes_quote_like_go() {
        // The last three are verified against upstream 1.5.1 error messages.
        let table: &[(u8, &str)] = &[
            (b'x', "'x'"),
            (b'\'', r"'\''"),
            (b'"', "'\"'"),
            (b'\\', r"'\\'"),
            (b'\n', r"'\n'"),
            (0x01, r"'\x01'"),
            (0x80, r"'\u0080'"),
            (0xff, "'ÿ'"),
        ];
        for &(input, want) in table {
            assert_eq!(quote_byte(input), want, "{input:#x}");
        }
    }
}

#[cfg(test)]
mod strconv_quote_tests {
    use super::*;

    #[test]
    fn quotes_like_go_strconv_quote() {
        let cases: &[(&[u8], &str)] = &[
            (b"", r#""""#),
            (b"abc", r#""abc""#),
            (b":bad", r#"":bad""#),
            (b"a\"b\\c", r#""a\"b\\c""#),
            (b"tab\tnl\ncr\r", r#""tab\tnl\ncr\r""#),
            (b"\x07\x08\x0b\x0c", r#""\a\b\v\f""#),
            (b"\x00\x1f\x7f", r#""\x00\x1f\x7f""#),
            ("µs é 日本".as_bytes(), "\"µs é 日本\""),
            ("nbsp\u{a0}".as_bytes(), r#""nbsp\u00a0""#),
            ("bom\u{feff}".as_bytes(), r#""bom\ufeff""#),
            ("c1\u{85}".as_bytes(), r#""c1\u0085""#),
            ("private\u{10fffd}".as_bytes(), r#""private\U0010fffd""#),
            (b"bad\xff\xfe", r#""bad\xff\xfe""#),
            (b"cut\xe6\x97", r#""cut\xe6\x97""#),
        ];
        for (input, want) in cases {
            assert_eq!(quote(input), *want, "input {input:?}");
        }
    }
}
