//! Go's `strconv.Quote` (the `%q` verb) for messages that must read exactly like upstream's,
//! e.g. `parse ":bad": missing protocol scheme` or a log value with a space in it. It owns the
//! escaping rules only; it never decides *whether* a value needs quoting (callers do).
//!
//! Input is bytes because Go strings may hold invalid UTF-8: each invalid byte becomes `\xHH`.

use std::fmt::Write;

/// `strconv.Quote(s)`: `"` + escaped text + `"`.
pub fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '"' | '\\' => {
            out.push('\\');
            out.push(c);
        }
        _ if is_print(c) => out.push(c),
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        _ if (c as u32) < 0x20 || c == '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        _ if (c as u32) < 0x10000 => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        _ => {
            let _ = write!(out, "\\U{:08x}", c as u32);
        }
    }
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
///
/// Exact for ASCII. Beyond ASCII the standard library has no general-category tables, so this
/// rejects what Go rejects in practice — controls (Cc), every space but U+0020 (Zs, Zl, Zp),
/// the format characters (Cf) and private-use code points — and accepts the rest, including
/// unassigned code points Go would escape. Only the look of a quoted message depends on it.
pub fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !(c.is_control() || c.is_whitespace() || is_format(c) || is_private_use(c))
}

/// The Unicode `Cf` (format) code points.
fn is_format(c: char) -> bool {
    matches!(c as u32,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF
        | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

fn is_private_use(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD)
}

#[cfg(test)]
mod tests {
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
