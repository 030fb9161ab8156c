//! A compact family put back as compaction logged it (`wal::record`, FAMILY): its rendered
//! lines become the fragment as they are, without the parse, sanitisation, rendering and
//! check a push runs. That is what makes a restart cost about a hash and an index entry per
//! series.
//!
//! The lines come from a file, so they are validated first, cheaply, for everything later code
//! relies on and the push path would have guaranteed: every line is
//! `name{a="x",b="y"} value\n` with the family's (legacy) name, legacy label names sorted
//! without repeats or reserved ones, values escaped as the renderer escapes them and valid
//! UTF-8, the group's labels with the group's values, a value the text parser reads, and the
//! series in the store's order. Against the rest of the store, a checked store refuses what
//! the consistency check would (a type clash, a suffix collision, a duplicate series); an
//! unchecked one takes it and runs the full check at the next scrape, as after an unchecked
//! push. A record that fails is refused whole and changes nothing.

use super::fragment::Fragment;
use super::labels::{same_labels, series_order, SeriesLabels};
use super::{is_bookkeeping, GroupId, SeriesHash, Store, StoredFamily};
use crate::clock::Timestamp;
use crate::grouping::GroupingKey;
use crate::model::MetricType;
use crate::parse::names::is_legacy_metric_name;
use std::cell::OnceCell;
use std::cmp::Ordering;
use std::ops::Range;

/// A compact family as a log record carries it.
#[derive(Clone, Copy, Debug)]
pub struct Restored<'a> {
    pub name: &'a str,
    pub help: Option<&'a str>,
    pub mtype: MetricType,
    /// The time of the write that stored it.
    pub stamp: Timestamp,
    /// Its series, one rendered line each.
    pub lines: &'a [u8],
}

impl StoredFamily {
    /// The rendered lines of a compact family (one that keeps no model): what a FAMILY log
    /// record carries.
    pub fn compact_lines(&self) -> Option<&[u8]> {
        self.model.is_none().then_some(&*self.fragment.text)
    }
}

impl Store {
    /// Puts `family` into the existing group `key`, replacing a family of that name. Refuses
    /// it (with the reason, nothing changed) if it is not what the store would have stored.
    pub fn restore_family(
        &mut self,
        key: &GroupingKey,
        family: Restored<'_>,
    ) -> Result<(), String> {
        let id = *self.by_key.get(key).ok_or("its group does not exist")?;
        let name = family.name;
        if is_bookkeeping(name) || !is_legacy_metric_name(name.as_bytes()) {
            return Err(format!("{name:?} is not a name a compact family has"));
        }
        if !matches!(
            family.mtype,
            MetricType::Counter | MetricType::Gauge | MetricType::Untyped
        ) {
            return Err(format!("a compact family cannot be a {:?}", family.mtype));
        }
        let ReadLines {
            offsets,
            hashes,
            label_count,
        } = self.read_lines(key, family)?;
        let mut problem = self.type_conflict(id, family);
        // Added before the check for duplicates, so that each hash is looked up once; taken
        // out again if the family is refused.
        let held: Vec<usize> = (0..hashes.len())
            .filter(|&i| self.series.add(hashes[i], id))
            .collect();
        problem = problem.or_else(|| self.duplicate(id, family, &offsets, &hashes, &held));
        if let Some(problem) = problem {
            if self.checked {
                for &hash in &hashes {
                    self.series.remove(hash, id);
                }
                return Err(problem);
            }
            self.maybe_inconsistent = true;
        }
        if self.group_by_id(id).families.contains_key(name) {
            self.remove_family(id, name);
        }
        self.families.add(name, family.mtype, id);
        let stored = StoredFamily {
            name: name.into(),
            help: family.help.map(Into::into),
            mtype: family.mtype,
            unit: None,
            stamp: family.stamp,
            fragment: Fragment {
                text: family.lines.into(),
                offsets: offsets.into(),
            },
            model: None,
            label_count,
            protobuf: OnceCell::new(),
            escaped: None,
        };
        let group = self.groups[id as usize].as_mut().expect("group exists");
        group.families.insert(stored.name.clone(), stored);
        Ok(())
    }

    /// Validates the lines.
    fn read_lines(&self, key: &GroupingKey, family: Restored<'_>) -> Result<ReadLines, String> {
        let text = family.lines;
        if u32::try_from(text.len()).is_err() {
            return Err("the lines are over 4 GiB".into());
        }
        // The group's labels, values escaped as a line writes them, sorted by name.
        let group: Vec<(&[u8], Vec<u8>)> = key
            .labels()
            .iter()
            .map(|(name, value)| {
                let mut escaped = Vec::new();
                super::fragment::write_escaped_label_value(&mut escaped, value);
                (name.as_bytes(), escaped)
            })
            .collect();
        let series = memchr::memchr_iter(b'\n', text).count();
        let mut offsets = Vec::with_capacity(series);
        let mut hashes = Vec::with_capacity(series);
        let mut label_count = None;
        let (mut previous, mut line) = (Line::default(), Line::default());
        let mut start = 0;
        while start < text.len() {
            let numbered = |e| format!("line {}: {e}", offsets.len() + 1);
            let line_text = &text[start..];
            let before = offsets
                .last()
                .map(|&o| (&text[o as usize..start], &previous));
            line.read(line_text, family.name.as_bytes(), before)
                .map_err(numbered)?;
            line.check_group(line_text, &group).map_err(numbered)?;
            if let Some((before, _)) = before {
                if Line::order(before, &previous, line_text, &line) != Ordering::Less {
                    return Err(numbered("not after the line before it in the series order"));
                }
            }
            let count = u16::try_from(line.pairs.len()).ok();
            label_count = if offsets.is_empty() || label_count == count {
                count
            } else {
                None
            };
            offsets.push(start as u32);
            hashes.push(self.series.hash(&line_text[..line.identity]));
            start += line.len;
            std::mem::swap(&mut previous, &mut line);
        }
        Ok(ReadLines {
            offsets,
            hashes,
            label_count,
        })
    }

    /// A clash the consistency check would find between the family's type and the own
    /// families' or other groups' types, or a suffix collision with a summary or histogram.
    fn type_conflict(&self, id: GroupId, family: Restored<'_>) -> Option<String> {
        let name = family.name;
        let own_type = |n: &str| self.own.iter().find(|o| o.name == n).map(|o| o.mtype);
        if own_type(name).is_some_and(|t| t != family.mtype) {
            return Some(format!("{name} has another type among the own families"));
        }
        let mut types = self.families.types(name);
        if let Some(replaced) = self.group_by_id(id).families.get(name) {
            types.remove(replaced.mtype);
        }
        if types.types().any(|t| t != family.mtype) {
            return Some(format!("{name} has another type in another group"));
        }
        for suffix in ["_count", "_sum", "_bucket"] {
            let Some(base) = name.strip_suffix(suffix) else {
                continue;
            };
            let summary = suffix != "_bucket";
            let collides =
                |t: MetricType| t.is_histogram() || (summary && t == MetricType::Summary);
            if self.families.types(base).types().any(collides)
                || own_type(base).is_some_and(collides)
            {
                return Some(format!(
                    "{name} collides with a summary or histogram {base}"
                ));
            }
        }
        None
    }

    /// A series of the family that another group holds, among those whose hash was held
    /// already (`held`, indexes into `offsets` and `hashes`).
    fn duplicate(
        &self,
        id: GroupId,
        family: Restored<'_>,
        offsets: &[u32],
        hashes: &[SeriesHash],
        held: &[usize],
    ) -> Option<String> {
        let name = family.name;
        held.iter().find_map(|&i| {
            let labels = SeriesLabels::Line(&family.lines[offsets[i] as usize..]);
            let found = self.series.holders(hashes[i]).iter().any(|&g| {
                g != id
                    && self
                        .group_by_id(g)
                        .families
                        .get(name)
                        .is_some_and(|stored| {
                            (0..stored.series_count())
                                .any(|j| same_labels(stored.series_labels(j), labels))
                        })
            });
            found.then(|| format!("series {} of {name} is held by another group", i + 1))
        })
    }
}

/// What reading a family's lines found: where each starts, its identity hash, and the number
/// of label pairs if every line has as many.
struct ReadLines {
    offsets: Vec<u32>,
    hashes: Vec<SeriesHash>,
    label_count: Option<u16>,
}

/// What reading one line found: its label pairs (name and escaped value, as ranges of the
/// line), where its identity ends (the space before the value), its length with the newline,
/// and whether a value holds an escape.
#[derive(Default)]
struct Line {
    pairs: Vec<(Range<usize>, Range<usize>)>,
    identity: usize,
    len: usize,
    escaped: bool,
    /// Whether the label values are all ASCII.
    ascii: bool,
}

impl Line {
    /// Reads the line at the start of `text`: `name`, an optional label block, a space, a
    /// value and a newline. One pass over the bytes, from where it differs from the line
    /// before (`before`: that line's text and reading) when it can: lines are short, and a
    /// call per field (memchr, memcmp) would cost more than the field.
    fn read(
        &mut self,
        text: &[u8],
        name: &[u8],
        before: Option<(&[u8], &Line)>,
    ) -> Result<(), &'static str> {
        self.pairs.clear();
        self.escaped = false;
        let mut ascii = true;
        let resume = before.and_then(|(own, line)| Some((line, line.resume_point(own, text)?)));
        let mut i = match resume {
            Some((line, (k, at))) => {
                self.pairs.extend_from_slice(&line.pairs[..k]);
                let (label, value) = &line.pairs[k];
                self.read_labels(text, at, &mut ascii, Some((label.clone(), value.start)))?
            }
            None if !text.starts_with(name) => return Err("not the family's name"),
            None => name.len(),
        };
        if resume.is_none() {
            match text.get(i) {
                Some(b'{') => i = self.read_labels(text, i + 1, &mut ascii, None)?,
                Some(b' ') => {}
                _ => return Err("not the family's name"),
            }
        }
        self.identity = i;
        if text.get(i) != Some(&b' ') {
            return Err("no space before the value");
        }
        let from = i + 1;
        let newline = from
            + text[from..]
                .iter()
                .position(|&b| b == b'\n')
                .ok_or("the last line has no newline")?;
        let value = &text[from..newline];
        if !is_plain_decimal(value) {
            let value = std::str::from_utf8(value).map_err(|_| "the value is not UTF-8")?;
            if crate::parse::text::parse_float(value).is_none() {
                return Err("the value is not a number");
            }
        }
        if !ascii && std::str::from_utf8(&text[..newline]).is_err() {
            return Err("a label value is not UTF-8");
        }
        self.ascii = ascii;
        self.len = newline + 1;
        Ok(())
    }

    /// Reads `a="x",b="y"}` from `i`; returns where the block ends (after the brace). With
    /// `inside` (a label's name and where its value starts), `i` is inside that value.
    fn read_labels(
        &mut self,
        text: &[u8],
        mut i: usize,
        ascii: &mut bool,
        mut inside: Option<(Range<usize>, usize)>,
    ) -> Result<usize, &'static str> {
        loop {
            let (label, value) = match inside.take() {
                Some(inside) => inside,
                None => {
                    let from = i;
                    while text.get(i).is_some_and(|&b| BYTES[b as usize] & NAME != 0) {
                        i += 1;
                    }
                    self.check_name(&text[from..i], text)?;
                    if text.get(i) != Some(&b'=') {
                        return Err("a label has no value");
                    }
                    if text.get(i + 1) != Some(&b'"') {
                        return Err("a label value is not quoted");
                    }
                    let name = from..i;
                    i += 2;
                    (name, i)
                }
            };
            loop {
                // Most value bytes are plain: one lookup each.
                while text.get(i).is_some_and(|&b| BYTES[b as usize] & PLAIN != 0) {
                    i += 1;
                }
                match text.get(i) {
                    Some(b'"') => break,
                    Some(b'\\') => match text.get(i + 1) {
                        Some(b'\\' | b'"' | b'n') => {
                            self.escaped = true;
                            i += 2;
                        }
                        _ => return Err("a label value has an invalid escape"),
                    },
                    None | Some(b'\n') => return Err("a label value is not closed"),
                    Some(&b) => {
                        *ascii &= b.is_ascii();
                        i += 1;
                    }
                }
            }
            self.pairs.push((label, value..i));
            match text.get(i + 1) {
                Some(b',') => i += 2,
                Some(b'}') => return Ok(i + 2),
                _ => return Err("a label value is not followed by a comma or brace"),
            }
        }
    }

    /// A legacy label name, not reserved, after the one before it.
    fn check_name(&self, label: &[u8], text: &[u8]) -> Result<(), &'static str> {
        if label.first().is_none_or(u8::is_ascii_digit) || label.starts_with(b"__") {
            return Err("a label name is not valid");
        }
        match self.pairs.last() {
            Some((previous, _)) if cmp_bytes(&text[previous.clone()], label) != Ordering::Less => {
                Err("label names are not sorted without repeats")
            }
            _ => Ok(()),
        }
    }

    /// Where reading `text` may start, given that this line (`own`, its text) was read: a
    /// line shares its start with the one before, and the bytes they share are checked
    /// already. Only inside a value (label `k`, byte `at`), and only after a line without
    /// escapes or bytes outside ASCII, whose shared part then carries neither.
    fn resume_point(&self, own: &[u8], text: &[u8]) -> Option<(usize, usize)> {
        if self.escaped || !self.ascii {
            return None;
        }
        let at = common_prefix(&own[..self.identity], text);
        let k = self
            .pairs
            .iter()
            .position(|(_, v)| v.start <= at && at <= v.end)?;
        Some((k, at))
    }

    /// The group's labels are there with the group's values (a sanitised series carries them
    /// all), and an `instance` label.
    fn check_group(&self, text: &[u8], group: &[(&[u8], Vec<u8>)]) -> Result<(), &'static str> {
        let mut group = group.iter().peekable();
        let mut instance = false;
        for (name, value) in &self.pairs {
            let name = &text[name.clone()];
            instance |= eq_bytes(name, b"instance");
            if let Some((want, want_value)) = group.peek() {
                if eq_bytes(want, name) {
                    if !eq_bytes(want_value, &text[value.clone()]) {
                        return Err("a grouping label has another value");
                    }
                    group.next();
                }
            }
        }
        if group.next().is_some() || !instance {
            return Err("a grouping label is missing");
        }
        Ok(())
    }

    /// The series order ([`series_order`]) of two lines read. Consecutive lines of a family
    /// mostly differ first inside a value, with the same label names before it: then the
    /// first differing byte decides (a value's closing quote sorts before any byte of a longer
    /// value). Lines with escapes, other label counts, or a first difference elsewhere take
    /// the full comparison.
    fn order(a_text: &[u8], a: &Line, b_text: &[u8], b: &Line) -> Ordering {
        if a.pairs.len() != b.pairs.len() {
            return a.pairs.len().cmp(&b.pairs.len());
        }
        if !a.escaped && !b.escaped {
            let (x, y) = (&a_text[..a.identity], &b_text[..b.identity]);
            let at = common_prefix(x, y);
            let in_value = b.pairs.iter().any(|(_, v)| v.start <= at && at <= v.end);
            match (x.get(at), y.get(at)) {
                (None, None) => return Ordering::Equal,
                (Some(b'"'), Some(_)) if in_value => return Ordering::Less,
                (Some(_), Some(b'"')) if in_value => return Ordering::Greater,
                (Some(p), Some(q)) if in_value => return p.cmp(q),
                _ => {}
            }
        }
        series_order(SeriesLabels::Line(a_text), SeriesLabels::Line(b_text))
    }
}

/// The length of the common prefix of two byte strings, eight bytes at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let word = |w: &[u8]| w.try_into().map_or(0, u64::from_le_bytes);
    let mut i = 0;
    while let (Some(x), Some(y)) = (a.get(i..i + 8), b.get(i..i + 8)) {
        let diff = word(x) ^ word(y);
        if diff != 0 {
            // Little-endian: the first differing byte holds the lowest set bit.
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while a.get(i).is_some_and(|x| b.get(i) == Some(x)) {
        i += 1;
    }
    i
}

/// Classes of bytes, for the loops over a line.
const NAME: u8 = 1;
const PLAIN: u8 = 2;
/// [`NAME`]: may be in a legacy label name; [`PLAIN`]: may stand for itself in a label value
/// (ASCII other than `"`, `\\` and newline).
static BYTES: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'_' {
            table[b] |= NAME;
        }
        if c != b'"' && c != b'\\' && c != b'\n' {
            table[b] |= PLAIN;
        }
        b += 1;
    }
    table
};

/// A value `parse_float` accepts, known without converting it: `[-]digits[.digits]`, too
/// short to overflow. What most rendered values are; the rest go to the parser.
fn is_plain_decimal(value: &[u8]) -> bool {
    let digits = value.strip_prefix(b"-").unwrap_or(value);
    let (mut whole, mut dots) = (0, 0);
    for &b in digits {
        match b {
            b'0'..=b'9' if dots == 0 => whole += 1,
            b'0'..=b'9' => {}
            b'.' => dots += 1,
            _ => return false,
        }
    }
    whole > 0 && dots <= 1 && value.len() <= 300
}

/// Byte strings compared for equality in a loop (see [`cmp_bytes`]).
fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && cmp_bytes(a, b) == Ordering::Equal
}

/// Byte strings compared as `Ord` does, in a loop: for the few bytes of a label, a call to
/// `memcmp` costs more than the comparison.
fn cmp_bytes(a: &[u8], b: &[u8]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests;
