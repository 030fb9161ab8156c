//! The subset of YAML that web config files use, parsed into a tree whose every node knows
//! its line, so that a bad file is reported by key and line.
//!
//! Owns: block mappings and block sequences nested by indentation; flow sequences of scalars
//! on one line (`[a, "b"]`) and the empty flow mapping `{}`; plain, single-quoted and
//! double-quoted scalars; literal block scalars (`|`, `|-`, `|+`) for inline PEM; comments;
//! a leading `---`. Anything else YAML allows (anchors, aliases, tags, folded scalars, flow
//! mappings, multi-line flow or quoted scalars, several documents) is an error naming its
//! line rather than a silent misreading. Duplicate keys are an error, as in Go's strict
//! decoder.
//! Must never: panic on any input, or read a file (it parses text it is given).

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (`key:` with nothing under it, `~`, `null`).
    Null,
    /// A scalar as written; `quoted` scalars are never null or a number.
    Scalar {
        text: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    /// Keys in file order, each with the line it is on.
    Map(Vec<(String, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// One-based line of the node (of its key, for a mapping value).
    pub line: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn error<T>(line: usize, message: impl Into<String>) -> Result<T, Error> {
    Err(Error {
        line,
        message: message.into(),
    })
}

/// One line of the file: its indentation and its content without a trailing comment.
struct Line<'a> {
    number: usize,
    indent: usize,
    /// The whole line after the indentation, comment included (for block scalars).
    raw: &'a str,
    content: &'a str,
}

/// Parses a whole document; an empty document is `Null`.
pub fn parse(text: &str) -> Result<Node, Error> {
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let rest = &raw[indent..];
        if rest.starts_with('\t') {
            return error(number, "tab in indentation");
        }
        lines.push(Line {
            number,
            indent,
            raw: rest,
            content: strip_comment(rest).trim_end(),
        });
    }
    let mut parser = Parser { lines, pos: 0 };
    parser.skip_blank();
    if parser
        .peek()
        .is_some_and(|l| l.content == "---" && l.indent == 0)
    {
        parser.pos += 1;
        parser.skip_blank();
    }
    let Some(first) = parser.peek() else {
        return Ok(Node {
            line: 1,
            value: Value::Null,
        });
    };
    let (indent, line) = (first.indent, first.number);
    let node = parser.block(indent)?;
    parser.skip_blank();
    if let Some(l) = parser.peek() {
        if l.content != "..." {
            return error(l.number, "unexpected content (indentation does not match)");
        }
    }
    Ok(Node { line, ..node })
}

/// The content before a comment: `#` at the start or after a blank, outside quotes.
fn strip_comment(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'#' && (i == 0 || bytes[i - 1] == b' ') => return &s[..i],
            // A quote opens a quoted scalar only where a scalar can start.
            None if (b == b'"' || b == b'\'')
                && (i == 0 || matches!(bytes[i - 1], b' ' | b'[' | b',')) =>
            {
                quote = Some(b)
            }
            None => {}
        }
    }
    s
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Line<'a>> {
        self.lines.get(self.pos)
    }

    fn skip_blank(&mut self) {
        while self.peek().is_some_and(|l| l.content.is_empty()) {
            self.pos += 1;
        }
    }

    /// A block (mapping or sequence) whose lines are indented exactly `indent`.
    fn block(&mut self, indent: usize) -> Result<Node, Error> {
        self.skip_blank();
        let Some(first) = self.peek() else {
            return error(self.lines.len(), "missing block");
        };
        let line = first.number;
        if is_item(first.content) {
            self.sequence(indent).map(|value| Node { line, value })
        } else {
            self.mapping(indent).map(|value| Node { line, value })
        }
    }

    fn sequence(&mut self, indent: usize) -> Result<Value, Error> {
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            let Some(l) = self.peek() else { break };
            if l.indent < indent || (l.indent == indent && !is_item(l.content)) {
                break;
            }
            if l.indent > indent {
                return error(l.number, "unexpected indentation");
            }
            let (number, rest) = (l.number, l.content[1..].trim_start());
            self.pos += 1;
            if rest.is_empty() {
                items.push(self.nested(number, indent, true)?);
            } else if split_key(rest)?.is_some() {
                return error(number, "mappings inside a sequence are not supported here");
            } else {
                items.push(self.inline(number, rest, indent)?);
            }
        }
        Ok(Value::Seq(items))
    }

    fn mapping(&mut self, indent: usize) -> Result<Value, Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        loop {
            self.skip_blank();
            let Some(l) = self.peek() else { break };
            if l.indent < indent || (l.indent == indent && is_item(l.content)) {
                break;
            }
            if l.indent > indent {
                return error(l.number, "unexpected indentation");
            }
            let number = l.number;
            let Some((key, rest)) = split_key(l.content)? else {
                return error(
                    number,
                    format!("expected `key: value`, found {:?}", l.content),
                );
            };
            if key.is_empty() {
                return error(number, "a key is missing before `:`");
            }
            let key = scalar_text(number, key)?;
            if entries.iter().any(|(k, _)| *k == key) {
                return error(number, format!("key {key:?} already set in this mapping"));
            }
            self.pos += 1;
            let node = if rest.is_empty() {
                self.nested(number, indent, false)?
            } else {
                self.inline(number, rest, indent)?
            };
            entries.push((key, node));
        }
        Ok(Value::Map(entries))
    }

    /// The value under a key or item with nothing after it on its line: the deeper block that
    /// follows, or null. A sequence may sit at its key's own indentation.
    fn nested(&mut self, number: usize, indent: usize, in_item: bool) -> Result<Node, Error> {
        self.skip_blank();
        let null = Node {
            line: number,
            value: Value::Null,
        };
        let Some(next) = self.peek() else {
            return Ok(null);
        };
        let deeper = next.indent > indent;
        let same_level_seq = !in_item && next.indent == indent && is_item(next.content);
        if !deeper && !same_level_seq {
            return Ok(null);
        }
        let node = self.block(next.indent)?;
        Ok(Node {
            line: number,
            ..node
        })
    }

    /// A value written on the same line as its key or `- `.
    fn inline(&mut self, number: usize, text: &str, indent: usize) -> Result<Node, Error> {
        let value = match text.as_bytes()[0] {
            b'|' => self.literal(number, text, indent)?,
            b'>' => return error(number, "folded block scalars (`>`) are not supported"),
            b'&' | b'*' | b'!' => {
                return error(number, "anchors, aliases and tags are not supported")
            }
            b'[' => flow_sequence(number, text)?,
            b'{' if text == "{}" => Value::Map(Vec::new()),
            b'{' => return error(number, "flow mappings (`{...}`) are not supported"),
            _ => scalar(number, text)?,
        };
        Ok(Node {
            line: number,
            value,
        })
    }

    /// A literal block scalar: the following lines indented deeper than `indent`, kept as
    /// written (comments too), with the chomping indicator's treatment of trailing newlines.
    fn literal(&mut self, number: usize, header: &str, indent: usize) -> Result<Value, Error> {
        let chomp = match header {
            "|" => Chomp::Clip,
            "|-" => Chomp::Strip,
            "|+" => Chomp::Keep,
            _ => {
                return error(
                    number,
                    format!("unsupported block scalar header {header:?}"),
                )
            }
        };
        let start = self.pos;
        let mut block_indent = None;
        while let Some(l) = self.peek() {
            if l.raw.trim().is_empty() {
                self.pos += 1;
                continue;
            }
            if l.indent <= indent {
                break;
            }
            let want = *block_indent.get_or_insert(l.indent);
            if l.indent < want {
                return error(l.number, "less indented than the block scalar's first line");
            }
            self.pos += 1;
        }
        // Trailing blank lines belong to the block only for chomping; the next node starts
        // at the first non-blank line.
        let mut end = self.pos;
        while end > start && self.lines[end - 1].raw.trim().is_empty() {
            end -= 1;
        }
        let want = block_indent.unwrap_or(indent + 1);
        let mut text = String::new();
        for l in &self.lines[start..end] {
            let line = if l.raw.trim().is_empty() { "" } else { l.raw };
            if !line.is_empty() {
                // Lines are at least `want` deep; keep any extra indentation.
                text.extend(std::iter::repeat_n(' ', l.indent - want));
            }
            text.push_str(line);
            text.push('\n');
        }
        match chomp {
            Chomp::Strip => text.truncate(text.trim_end_matches('\n').len()),
            Chomp::Clip if text.is_empty() => {}
            Chomp::Clip => {
                text.truncate(text.trim_end_matches('\n').len());
                text.push('\n');
            }
            Chomp::Keep => text.extend(std::iter::repeat_n('\n', self.pos - end)),
        }
        Ok(Value::Scalar { text, quoted: true })
    }
}

enum Chomp {
    Clip,
    Strip,
    Keep,
}

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// Splits `key: rest` at the first `:` followed by a blank or the end, outside quotes.
fn split_key(content: &str) -> Result<Option<(&str, &str)>, Error> {
    let bytes = content.as_bytes();
    if matches!(bytes.first(), Some(b'[' | b'{' | b'|' | b'>')) {
        return Ok(None);
    }
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if (b == b'"' || b == b'\'') && i == 0 => quote = Some(b),
            None if b == b':' && bytes.get(i + 1).is_none_or(|&n| n == b' ') => {
                return Ok(Some((
                    content[..i].trim_end(),
                    content[i + 1..].trim_start(),
                )));
            }
            None => {}
        }
    }
    Ok(None)
}

/// A scalar's text as a string (a key, or a value where only text is meant).
fn scalar_text(number: usize, text: &str) -> Result<String, Error> {
    match scalar(number, text)? {
        Value::Scalar { text, .. } => Ok(text),
        _ => Ok(String::new()),
    }
}

fn scalar(number: usize, text: &str) -> Result<Value, Error> {
    let quoted = |text: String| Ok(Value::Scalar { text, quoted: true });
    let Some(&first) = text.as_bytes().first() else {
        return Ok(Value::Null);
    };
    match first {
        b'"' => quoted(double_quoted(number, text)?),
        b'\'' => {
            let inner = text
                .strip_prefix('\'')
                .and_then(|t| t.strip_suffix('\''))
                .filter(|_| text.len() >= 2)
                .ok_or_else(|| Error {
                    line: number,
                    message: "unterminated single-quoted scalar".into(),
                })?;
            if inner.replace("''", "").contains('\'') {
                return error(number, "unescaped `'` inside a single-quoted scalar");
            }
            quoted(inner.replace("''", "'"))
        }
        b'&' | b'*' | b'!' => error(number, "anchors, aliases and tags are not supported"),
        b'@' | b'`' | b'%' => error(number, format!("a plain scalar cannot start with {text:?}")),
        _ if text == "~" || text == "null" || text == "Null" || text == "NULL" => Ok(Value::Null),
        _ => Ok(Value::Scalar {
            text: text.to_string(),
            quoted: false,
        }),
    }
}

fn double_quoted(number: usize, text: &str) -> Result<String, Error> {
    let bad = |message: &str| Error {
        line: number,
        message: message.into(),
    };
    let mut chars = text[1..].chars();
    let mut out = String::new();
    loop {
        match chars.next() {
            None => return Err(bad("unterminated double-quoted scalar")),
            Some('"') => break,
            Some('\\') => {
                let c = match chars.next() {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('0') => '\0',
                    Some(c @ ('"' | '\\' | '/' | ' ')) => c,
                    Some(kind @ ('x' | 'u' | 'U')) => {
                        let digits = match kind {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = chars.by_ref().take(digits).collect();
                        u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == digits)
                            .and_then(char::from_u32)
                            .ok_or_else(|| bad("bad escape in a double-quoted scalar"))?
                    }
                    _ => return Err(bad("bad escape in a double-quoted scalar")),
                };
                out.push(c);
            }
            Some(c) => out.push(c),
        }
    }
    if !chars.as_str().trim().is_empty() {
        return Err(bad("content after a double-quoted scalar"));
    }
    Ok(out)
}

/// `[a, "b", c]` on one line: a sequence of scalars.
fn flow_sequence(number: usize, text: &str) -> Result<Value, Error> {
    let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
        return error(number, "a flow sequence must open and close on one line");
    };
    let mut items = Vec::new();
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let end = match rest.as_bytes()[0] {
            q @ (b'"' | b'\'') => {
                rest[1..]
                    .find(q as char)
                    .map(|i| i + 2)
                    .ok_or_else(|| Error {
                        line: number,
                        message: "unterminated quoted scalar in a flow sequence".into(),
                    })?
            }
            b'[' | b'{' => return error(number, "nested flow collections are not supported"),
            _ => rest.find(',').unwrap_or(rest.len()),
        };
        let item = rest[..end].trim();
        if item.is_empty() {
            return error(number, "empty entry in a flow sequence");
        }
        items.push(Node {
            line: number,
            value: scalar(number, item)?,
        });
        rest = rest[end..].trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start();
        } else if !rest.is_empty() {
            return error(number, "expected `,` in a flow sequence");
        }
    }
    Ok(Value::Seq(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Value {
        Value::Scalar {
            text: text.into(),
            quoted: false,
        }
    }

    fn at(line: usize, value: Value) -> Node {
        Node { line, value }
    }

    #[test]
    fn nested_mappings_sequences_and_scalars_keep_their_lines() {
        let doc = "---\n# comment\ntls_server_config:\n  cert_file: a.crt # trailing\n  \
                   cipher_suites: [X, \"Y\"]\n  curves:\n  - P256\n  - 'P#384'\nusers: {}\n";
        let tree = parse(doc).unwrap();
        let quoted = |t: &str| Value::Scalar {
            text: t.into(),
            quoted: true,
        };
        let want = at(
            3,
            Value::Map(vec![
                (
                    "tls_server_config".into(),
                    at(
                        3,
                        Value::Map(vec![
                            ("cert_file".into(), at(4, plain("a.crt"))),
                            (
                                "cipher_suites".into(),
                                at(5, Value::Seq(vec![at(5, plain("X")), at(5, quoted("Y"))])),
                            ),
                            (
                                "curves".into(),
                                at(
                                    6,
                                    Value::Seq(vec![at(7, plain("P256")), at(8, quoted("P#384"))]),
                                ),
                            ),
                        ]),
                    ),
                ),
                ("users".into(), at(9, Value::Map(vec![]))),
            ]),
        );
        assert_eq!(tree, want);
    }

    #[test]
    fn literal_block_scalars_keep_pem_lines() {
        let doc =
            "cert: |\n  -----BEGIN X-----\n  abc\n\n  -----END X-----\nkey: |-\n  k\nnext: ~\n";
        let Value::Map(entries) = parse(doc).unwrap().value else {
            panic!("not a map")
        };
        let texts: Vec<_> = entries.iter().map(|(_, n)| n.value.clone()).collect();
        let quoted = |t: &str| Value::Scalar {
            text: t.into(),
            quoted: true,
        };
        assert_eq!(
            texts,
            [
                quoted("-----BEGIN X-----\nabc\n\n-----END X-----\n"),
                quoted("k"),
                Value::Null
            ]
        );
        assert_eq!(entries[2].1.line, 8);
    }

    #[test]
    fn unsupported_or_broken_yaml_names_its_line() {
        let cases: &[(&str, usize, &str)] = &[
            ("a: 1\na: 2\n", 2, "key \"a\" already set in this mapping"),
            ("a:\n  b: 1\n   c: 2\n", 3, "unexpected indentation"),
            (
                "a: &x 1\n",
                1,
                "anchors, aliases and tags are not supported",
            ),
            (
                "a: >\n  x\n",
                1,
                "folded block scalars (`>`) are not supported",
            ),
            (
                "a: [x,\n  y]\n",
                1,
                "a flow sequence must open and close on one line",
            ),
            ("a: \"x\n", 1, "unterminated double-quoted scalar"),
            ("a:\n\tb: 1\n", 2, "tab in indentation"),
            (
                "just text\n",
                1,
                "expected `key: value`, found \"just text\"",
            ),
            (
                "a: {b: 1}\n",
                1,
                "flow mappings (`{...}`) are not supported",
            ),
            (
                "a:\n  - x: 1\n",
                2,
                "mappings inside a sequence are not supported here",
            ),
            ("a:\n  : 1\n", 2, "a key is missing before `:`"),
        ];
        for (doc, line, message) in cases {
            let err = parse(doc).unwrap_err();
            assert_eq!(
                (err.line, err.message.as_str()),
                (*line, *message),
                "{doc:?}"
            );
        }
    }

    #[test]
    fn empty_documents_and_empty_values_are_null() {
        assert_eq!(parse("").unwrap().value, Value::Null);
        assert_eq!(parse("# only a comment\n").unwrap().value, Value::Null);
        let tree = parse("a:\nb: \"\"\n").unwrap();
        let Value::Map(entries) = tree.value else {
            panic!()
        };
        assert_eq!(entries[0].1.value, Value::Null);
        assert_eq!(
            entries[1].1.value,
            Value::Scalar {
                text: String::new(),
                quoted: true
            }
        );
    }
}
