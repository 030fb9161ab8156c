//! A read position inside one line, and the token readers that move it.
//!
//! Upstream parses a byte stream with a "current byte"; [`Cursor::cur`] is that byte. A line here
//! excludes its `\n`: at the end of the line `cur` yields `\n` if the body had one there, and
//! [`Eof`] if the body simply stopped — the only way upstream ever reports a missing newline,
//! and always at the first byte it could not read. Every reader therefore looks at bytes in the
//! same order upstream does, so the first problem found is upstream's first problem.
//!
//! Invariant: `pos <= line.len()`, and nothing moves past the end of the line.
//! Readers borrow from the body and allocate only when an escape had to be undone.

use std::borrow::Cow;

use memchr::{memchr, memchr2};

use super::problem::{Eof, Problem};
use crate::parse::names::{is_label_name_byte, is_metric_name_byte};

pub(super) struct Cursor<'a> {
    line: &'a [u8],
    pos: usize,
    /// Whether the body has a `\n` after this line.
    terminated: bool,
}

/// Which name grammar a name token follows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum NameKind {
    Metric,
    Label,
}

impl NameKind {
    /// Upstream lets a name token start with a quote, and (a quirk kept here) also switch into
    /// quoted mode in the middle: `ab"c d"` reads as the name `abc d`.
    fn starts(self, b: u8) -> bool {
        b.is_ascii_alphabetic() || b == b'_' || b == b'"' || (self == NameKind::Metric && b == b':')
    }

    fn continues_unquoted(self, b: u8) -> bool {
        match self {
            NameKind::Metric => is_metric_name_byte(b),
            NameKind::Label => is_label_name_byte(b),
        }
    }

    fn newline_problem(self, token: Vec<u8>) -> Problem {
        match self {
            NameKind::Metric => Problem::MetricNameNewline(token),
            NameKind::Label => Problem::LabelNameNewline(token),
        }
    }
}

pub(super) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl<'a> Cursor<'a> {
    pub fn new(line: &'a [u8], terminated: bool) -> Self {
        Cursor {
            line,
            pos: 0,
            terminated,
        }
    }

    /// The current byte: `\n` at the end of a terminated line.
    pub fn cur(&self) -> Result<u8, Eof> {
        match self.line.get(self.pos) {
            Some(&b) => Ok(b),
            None if self.terminated => Ok(b'\n'),
            None => Err(Eof),
        }
    }

    /// Moves past the current byte, which must not be the end of the line.
    pub fn bump(&mut self) -> Result<u8, Eof> {
        assert!(
            self.pos < self.line.len(),
            "text parser stepped past the end of a line"
        );
        self.pos += 1;
        self.cur()
    }

    /// Skips blanks from the current byte on (upstream's `skipBlankTabIfCurrentBlankTab`).
    pub fn skip_blanks(&mut self) -> Result<u8, Eof> {
        while self.line.get(self.pos).is_some_and(|&b| is_blank(b)) {
            self.pos += 1;
        }
        self.cur()
    }

    /// Moves past the current byte, then skips blanks (upstream's `skipBlankTab`).
    pub fn next_non_blank(&mut self) -> Result<u8, Eof> {
        self.bump()?;
        self.skip_blanks()
    }

    /// The bytes from the current one to the end of the line.
    pub fn rest_of_line(&mut self) -> Result<&'a [u8], Eof> {
        let rest = self.line.get(self.pos..).unwrap_or_default();
        self.pos = self.line.len();
        self.cur().map(|_| rest)
    }

    /// The rest of the line the way upstream reads a TYPE word or what follows a timestamp:
    /// escapes are not recognised there, yet every backslash is dropped (so `count\er` is a
    /// valid TYPE, and error messages show the text without backslashes).
    pub fn rest_of_line_without_backslashes(&mut self) -> Result<Cow<'a, [u8]>, Eof> {
        let rest = self.rest_of_line()?;
        Ok(match memchr(b'\\', rest) {
            None => Cow::Borrowed(rest),
            Some(_) => Cow::Owned(rest.iter().copied().filter(|&b| b != b'\\').collect()),
        })
    }

    /// The bytes from the current one up to a blank or the end of the line.
    pub fn until_blank(&mut self) -> Result<&'a [u8], Eof> {
        let start = self.pos;
        let len = self
            .line
            .get(start..)
            .unwrap_or_default()
            .iter()
            .position(|&b| is_blank(b));
        self.pos = len.map_or(self.line.len(), |len| start + len);
        self.cur()
            .map(|_| self.line.get(start..self.pos).unwrap_or_default())
    }

    /// A metric or label name starting at the current byte; empty if that byte cannot start one.
    /// Afterwards the current byte is the first one after the name (after the closing quote).
    pub fn name(&mut self, kind: NameKind) -> Result<Cow<'a, [u8]>, Problem> {
        let start = self.pos;
        let first = self.cur()?;
        if !kind.starts(first) {
            return Ok(Cow::Borrowed(&[]));
        }
        if first != b'"' {
            let len = self
                .line
                .get(start..)
                .unwrap_or_default()
                .iter()
                .position(|&b| !kind.continues_unquoted(b));
            let end = len.map_or(self.line.len(), |len| start + len);
            if self.line.get(end) != Some(&b'"') {
                self.pos = end;
                self.cur()?;
                return Ok(Cow::Borrowed(self.line.get(start..end).unwrap_or_default()));
            }
        } else {
            let inner = self.line.get(start + 1..).unwrap_or_default();
            if let Some(len) =
                memchr2(b'"', b'\\', inner).filter(|&len| inner.get(len) == Some(&b'"'))
            {
                self.pos = start + 1 + len;
                self.bump()?;
                return Ok(Cow::Borrowed(inner.get(..len).unwrap_or_default()));
            }
        }
        self.name_slow(kind)
    }

    /// The general case of [`Cursor::name`]: quotes toggling mid-token, escapes (`\\`, `\n`,
    /// `\"`) inside quotes, and a quoted name running into the end of the line.
    fn name_slow(&mut self, kind: NameKind) -> Result<Cow<'a, [u8]>, Problem> {
        let mut token = Vec::new();
        let mut quoted = false;
        let mut b = self.cur()?;
        loop {
            match b {
                b'"' => {
                    quoted = !quoted;
                    if !quoted {
                        self.bump()?;
                        return Ok(Cow::Owned(token));
                    }
                }
                // Only reachable inside quotes: unquoted, neither byte continues a name.
                b'\n' => return Err(kind.newline_problem(token)),
                b'\\' => token.push(unescape(self.bump()?)?),
                _ => token.push(b),
            }
            b = self.bump()?;
            if !(quoted || kind.starts(b) || kind.continues_unquoted(b)) {
                return Ok(Cow::Owned(token));
            }
        }
    }

    /// A label value; the current byte is its opening quote, and afterwards its closing quote.
    /// Escapes: `\\`, `\"`, `\n`.
    pub fn label_value(&mut self) -> Result<Cow<'a, [u8]>, Problem> {
        let mut from = self.pos + 1;
        let mut owned: Option<Vec<u8>> = None;
        loop {
            let rest = self.line.get(from..).unwrap_or_default();
            let Some(len) = memchr2(b'"', b'\\', rest) else {
                self.pos = self.line.len();
                self.cur()?;
                let mut token = owned.unwrap_or_default();
                token.extend_from_slice(rest);
                return Err(Problem::LabelValueNewline(token));
            };
            let at = from + len;
            if self.line.get(at) == Some(&b'"') {
                self.pos = at;
                return Ok(match owned {
                    None => Cow::Borrowed(rest.get(..len).unwrap_or_default()),
                    Some(mut token) => {
                        token.extend_from_slice(rest.get(..len).unwrap_or_default());
                        Cow::Owned(token)
                    }
                });
            }
            self.pos = at;
            let escaped = unescape(self.bump()?)?;
            let token = owned.get_or_insert_with(Vec::new);
            token.extend_from_slice(rest.get(..len).unwrap_or_default());
            token.push(escaped);
            from = at + 2;
        }
    }

    /// HELP text: the rest of the line, with escapes `\\`, `\n` and (since upstream 1.10) `\"`.
    pub fn help(&mut self) -> Result<Cow<'a, [u8]>, Problem> {
        let mut from = self.pos;
        let mut owned: Option<Vec<u8>> = None;
        loop {
            let rest = self.line.get(from..).unwrap_or_default();
            let Some(len) = memchr(b'\\', rest) else {
                self.pos = self.line.len();
                self.cur()?;
                return Ok(match owned {
                    None => Cow::Borrowed(rest),
                    Some(mut token) => {
                        token.extend_from_slice(rest);
                        Cow::Owned(token)
                    }
                });
            };
            let at = from + len;
            self.pos = at;
            let escaped = unescape(self.bump()?)?;
            let token = owned.get_or_insert_with(Vec::new);
            token.extend_from_slice(rest.get(..len).unwrap_or_default());
            token.push(escaped);
            from = at + 2;
        }
    }
}

/// The byte the escape sequence `\b` stands for. Names, label values and (since upstream 1.10)
/// HELP text all know the same three.
fn unescape(b: u8) -> Result<u8, Problem> {
    match b {
        b'\\' => Ok(b'\\'),
        b'n' => Ok(b'\n'),
        b'"' => Ok(b'"'),
        other => Err(Problem::InvalidEscape(other)),
    }
}
