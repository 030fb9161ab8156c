//! Go's `%q` quoting of a byte string (`strconv.Quote`), which upstream uses in many error
//! messages that clients see verbatim (`improper label name "a-b"`, parser errors, …).
//!
//! Owns: the exact escaping rules. Must never: allocate per byte beyond the output, or panic.
//!
//! The rules, in Go's order, for each UTF-8 sequence of the input:
//! - a byte that does not start a valid sequence → `\xNN` (one per byte, lower-case hex);
//! - `"` and `\` → backslash-escaped;
//! - a printable character (Go's `strconv.IsPrint`) → itself;
//! - `\a \b \f \n \r \t \v` → those escapes;
//! - other characters below U+0020 and U+007F → `\xNN`; others below U+10000 → `\uNNNN`;
//!   the rest → `\UNNNNNNNN`.

use std::fmt::Write;

/// `s` quoted the way Go's `fmt.Sprintf("%q", s)` prints it, quotes included.
pub fn go_quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_go_quoted(&mut out, s);
    out
}

/// Appends `s` quoted the way Go's `%q` prints it, quotes included.
pub fn write_go_quoted(out: &mut String, s: &[u8]) {
    out.push('"');
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(out, c);
        }
        // Go decodes an invalid sequence one byte at a time, so every byte gets its own escape.
        for &b in chunk.invalid() {
            push_hex_escape(out, 'x', u32::from(b), 2);
        }
    }
    out.push('"');
}

fn push_char(out: &mut String, c: char) {
    match c {
        '"' | '\\' => {
            out.push('\\');
            out.push(c);
        }
        _ if is_print(c) => out.push(c),
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        _ if c < ' ' || c == '\x7f' => push_hex_escape(out, 'x', u32::from(c), 2),
        _ if u32::from(c) < 0x10000 => push_hex_escape(out, 'u', u32::from(c), 4),
        _ => push_hex_escape(out, 'U', u32::from(c), 8),
    }
}

fn push_hex_escape(out: &mut String, kind: char, value: u32, width: usize) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\{kind}{value:0width$x}");
}

/// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
///
/// Rust's `Debug` escaping leaves a character alone exactly when core's printable table says so,
/// and that table is generated with the same definition (everything except Zs other than the
/// space, Zl, Zp, Cc, Cf, Cs, Co and unassigned code points). Only the first character of a
/// string is also escaped for being a grapheme extender, so the character is checked in second
/// position. The two sides can differ only for code points assigned in a Unicode version one of
/// them does not know yet.
fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let mut buf = [b'a'; 5];
    let len = 1 + c.encode_utf8(&mut buf[1..]).len();
    std::str::from_utf8(&buf[..len]).is_ok_and(|s| s.escape_debug().nth(1) != Some('\\'))
}

#[cfg(test)]
mod tests {
    use super::go_quote;

    #[test]
    fn quotes_like_go() {
        // Expected outputs were produced by the upstream binary (Go's %q) for these bytes.
        let cases: &[(&[u8], &str)] = &[
            (b"", r#""""#),
            (b"a-b", r#""a-b""#),
            (b"/instance", r#""/instance""#),
            (
                b"/\"a\\\n\t\x01\x7f\xc2\xa0\xff\xe2\x82/x/y",
                r#""/\"a\\\n\t\x01\x7f\u00a0\xff\xe2\x82/x/y""#,
            ),
            (
                "\u{301}\u{feff}\u{1f600}\u{e000}\x07\x08\x0c\r\x0b\0".as_bytes(),
                "\"\u{301}\\ufeff\u{1f600}\\ue000\\a\\b\\f\\r\\v\\x00\"",
            ),
            (b"a\xe2\x80\xa8b", r#""a\u2028b""#),
            (b"\xed\xa0\x80", r#""\xed\xa0\x80""#),
            (b"\xf4\x90\x80\x80", r#""\xf4\x90\x80\x80""#),
            (b"\xf0\x90\x80/", r#""\xf0\x90\x80/""#),
            (
                b"\xef\xbf\xbd\xc0\x80\xf3\xa0\x80\x81\xf3\xb0\x80\x80\xf4\x8f\xbf\xbf\xe1\x9a\x80\xc2\xad\xcd\xb8",
                "\"\u{fffd}\\xc0\\x80\\U000e0001\\U000f0000\\U0010ffff\\u1680\\u00ad\\u0378\"",
            ),
            (b"abc\xff\xef\xfe", r#""abc\xff\xef\xfe""#),
            ("日本 ü".as_bytes(), "\"日本 ü\""),
        ];
        for (input, want) in cases {
            assert_eq!(go_quote(input), *want, "input {input:?}");
        }
    }
}
