//! Compact JSON written the way Go's `encoding/json` writes it, for the JSON API (spec §9.1):
//! no spaces, no trailing newline, map keys sorted by bytes (a repeated key keeps its last
//! value, as a Go map assignment does), and Go's string escaping:
//! - `"` and `\` with a backslash; `\n`, `\r`, `\t`, `\b`, `\f` short (Go ≥ 1.22, as 1.11.3
//!   is built; 1.5.1's Go wrote `\u0008` and `\u000c`, which parse to the same text);
//! - other bytes below 0x20, and `<`, `>`, `&` (Go's HTML-safe default), as `\u00XX` in lower
//!   case hex; U+2028 and U+2029 as `\u2028`, `\u2029`;
//! - everything else as it is. Go replaces invalid UTF-8 with `\ufffd`; a `&str` has none.
//!
//! Owns: the syntax and escaping. Must never: decide what a document contains (the handlers
//! do), or reorder what the caller writes apart from the keys of a map given as a whole.

use crate::float_format::write_go_float;

/// A JSON document under construction. The caller writes values in document order; the writer
/// places the commas and colons.
#[derive(Debug, Default)]
pub struct JsonWriter {
    out: Vec<u8>,
    /// A value was just completed, so whatever comes next at this level needs a comma.
    after_value: bool,
}

impl JsonWriter {
    pub fn new() -> JsonWriter {
        JsonWriter::default()
    }

    pub fn finish(self) -> Vec<u8> {
        self.out
    }

    pub fn begin_object(&mut self) {
        self.separate();
        self.out.push(b'{');
        self.after_value = false;
    }

    pub fn end_object(&mut self) {
        self.out.push(b'}');
        self.after_value = true;
    }

    pub fn begin_array(&mut self) {
        self.separate();
        self.out.push(b'[');
        self.after_value = false;
    }

    pub fn end_array(&mut self) {
        self.out.push(b']');
        self.after_value = true;
    }

    /// An object key; the next call writes its value.
    pub fn key(&mut self, key: &str) {
        self.separate();
        write_string(&mut self.out, key);
        self.out.push(b':');
        self.after_value = false;
    }

    pub fn string(&mut self, s: &str) {
        self.separate();
        write_string(&mut self.out, s);
        self.after_value = true;
    }

    pub fn bool(&mut self, b: bool) {
        self.separate();
        self.out
            .extend_from_slice(if b { &b"true"[..] } else { &b"false"[..] });
        self.after_value = true;
    }

    /// A float as a string, as Go's `fmt.Sprint` formats it (spec §18.1; `-0` stays `-0`).
    pub fn float_string(&mut self, v: f64) {
        self.separate();
        self.out.push(b'"');
        write_go_float(&mut self.out, v);
        self.out.push(b'"');
        self.after_value = true;
    }

    /// An unsigned integer as a JSON number.
    pub fn uint(&mut self, n: u64) {
        self.separate();
        self.out.extend_from_slice(n.to_string().as_bytes());
        self.after_value = true;
    }

    /// An unsigned integer as a decimal string (`"10000000"`, never exponent form).
    pub fn uint_string(&mut self, n: u64) {
        self.string(&n.to_string());
    }

    /// A Go `map[string]string`: keys sorted, the last of equal keys winning.
    pub fn string_map<K: AsRef<str>, V: AsRef<str>>(&mut self, entries: Vec<(K, V)>) {
        self.begin_object();
        for (key, value) in sorted_map(entries) {
            self.key(key.as_ref());
            self.string(value.as_ref());
        }
        self.end_object();
    }

    fn separate(&mut self) {
        if self.after_value {
            self.out.push(b',');
        }
    }
}

/// The entries of a Go map as `encoding/json` writes them: sorted by key bytes, and of several
/// entries with one key only the last one given (Go's map assignment overwrites).
pub fn sorted_map<K: AsRef<str>, V>(mut entries: Vec<(K, V)>) -> Vec<(K, V)> {
    // A stable sort keeps equal keys in the order given, so the last of a run is the winner.
    entries.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    let mut out: Vec<(K, V)> = Vec::with_capacity(entries.len());
    for entry in entries {
        match out.last_mut() {
            Some(last) if last.0.as_ref() == entry.0.as_ref() => *last = entry,
            _ => out.push(entry),
        }
    }
    out
}

/// A JSON string literal with Go's escaping (module doc).
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    // The start of the run of bytes not yet copied.
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            '\u{8}' => Some(b"\\b"),
            '\u{c}' => Some(b"\\f"),
            '\u{2028}' => Some(b"\\u2028"),
            '\u{2029}' => Some(b"\\u2029"),
            '\0'..='\u{1f}' | '<' | '>' | '&' => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        start = i + c.len_utf8();
        match escape {
            Some(escape) => out.extend_from_slice(escape),
            None => {
                let b = c as u8;
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &str) -> String {
        let mut out = Vec::new();
        write_string(&mut out, s);
        String::from_utf8(out).expect("escaped JSON is UTF-8")
    }

    #[test]
    fn strings_escaped_as_go_does() {
        // Expected outputs are what Go 1.22+ `json.Marshal` returns for the input.
        let cases = [
            ("", r#""""#),
            ("plain text", r#""plain text""#),
            ("<script>", r#""\u003cscript\u003e""#),
            ("a&b", r#""a\u0026b""#),
            ("q\"b\\s/", r#""q\"b\\s/""#),
            ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
            ("\0\u{1}\u{1f}", r#""\u0000\u0001\u001f""#),
            ("\u{7f}", "\"\u{7f}\""),
            ("é€😀", "\"é€😀\""),
            ("\u{2028}x\u{2029}", r#""\u2028x\u2029""#),
            ("\u{2027}\u{202a}", "\"\u{2027}\u{202a}\""),
        ];
        for (input, want) in cases {
            assert_eq!(string(input), want, "{input:?}");
        }
    }

    #[test]
    fn writer_places_commas_and_colons() {
        let mut w = JsonWriter::new();
        w.begin_object();
        w.key("status");
        w.string("success");
        w.key("data");
        w.begin_array();
        w.begin_object();
        w.key("ok");
        w.bool(true);
        w.key("no");
        w.bool(false);
        w.end_object();
        w.begin_array();
        w.end_array();
        w.float_string(1e6);
        w.float_string(-0.0);
        w.float_string(f64::NAN);
        w.uint_string(10_000_000);
        w.end_array();
        w.key("empty");
        w.begin_object();
        w.end_object();
        w.end_object();
        assert_eq!(
            String::from_utf8(w.finish()).unwrap(),
            r#"{"status":"success","data":[{"ok":true,"no":false},[],"1e+06","-0","NaN","10000000"],"empty":{}}"#
        );
    }

    #[test]
    fn maps_sorted_by_bytes_last_value_wins() {
        let mut w = JsonWriter::new();
        w.string_map(vec![
            ("job", "j"),
            ("Z", "upper before lower"),
            ("instance", "first"),
            ("a_b", "x"),
            ("instance", "second"),
            ("é", "after ASCII"),
        ]);
        assert_eq!(
            String::from_utf8(w.finish()).unwrap(),
            r#"{"Z":"upper before lower","a_b":"x","instance":"second","job":"j","é":"after ASCII"}"#
        );
        let mut w = JsonWriter::new();
        w.string_map(Vec::<(&str, &str)>::new());
        assert_eq!(w.finish(), b"{}");
    }
}
