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
use super::{is_bookkeeping, GroupId, Store, StoredFamily};
use crate::clock::Timestamp;
use crate::grouping::GroupingKey;
use crate::model::MetricType;
use crate::parse::names::{is_legacy_label_name, is_legacy_metric_name};
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

/// One line's label pairs: name and (escaped) value ranges within the line.
type Pairs = Vec<(Range<usize>, Range<usize>)>;

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
        let (offsets, hashes) = self.read_lines(key, family)?;
        if let Some(problem) = self.conflict(id, family, &offsets, &hashes) {
            if self.checked {
                return Err(problem);
            }
            self.maybe_inconsistent = true;
        }
        if self.group_by_id(id).families.contains_key(name) {
            self.remove_family(id, name);
        }
        self.families.add(name, family.mtype, id);
        for hash in hashes {
            self.series.add(hash, id);
        }
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
            protobuf: OnceCell::new(),
            escaped: None,
        };
        let group = self.groups[id as usize].as_mut().expect("group exists");
        group.families.insert(stored.name.clone(), stored);
        Ok(())
    }

    /// Validates the lines; returns where each starts and its identity hash.
    fn read_lines(
        &self,
        key: &GroupingKey,
        family: Restored<'_>,
    ) -> Result<(Vec<u32>, Vec<u64>), String> {
        let text = family.lines;
        if u32::try_from(text.len()).is_err() {
            return Err("the lines are over 4 GiB".into());
        }
        // The group's labels, values escaped as a line writes them, sorted by name.
        let group_labels: Vec<(&str, Vec<u8>)> = key
            .labels()
            .iter()
            .map(|(name, value)| {
                let mut escaped = Vec::new();
                super::fragment::write_escaped_label_value(&mut escaped, value);
                (name.as_str(), escaped)
            })
            .collect();
        let series = memchr::memchr_iter(b'\n', text).count();
        let mut offsets = Vec::with_capacity(series);
        let mut hashes = Vec::with_capacity(series);
        let (mut previous, mut pairs): (Pairs, Pairs) = (Vec::new(), Vec::new());
        let mut start = 0;
        while start < text.len() {
            let end = start
                + memchr::memchr(b'\n', &text[start..]).ok_or("the last line has no newline")?;
            let line = &text[start..end];
            let identity = read_line(line, family.name, &group_labels, &mut pairs)
                .map_err(|e| format!("line {}: {e}", offsets.len() + 1))?;
            if let Some(&before) = offsets.last() {
                let before = &text[before as usize..start];
                if line_order(before, &previous, line, &pairs) != Ordering::Less {
                    return Err(format!(
                        "line {} is not after the line before it in the series order",
                        offsets.len() + 1
                    ));
                }
            }
            offsets.push(start as u32);
            hashes.push(self.series.hash(&line[..identity]));
            std::mem::swap(&mut previous, &mut pairs);
            start = end + 1;
        }
        Ok((offsets, hashes))
    }

    /// What the consistency check would say about storing the family in group `id`: a clash
    /// with the own families' or other groups' types, a suffix collision with a summary or
    /// histogram, or a series another group holds.
    fn conflict(
        &self,
        id: GroupId,
        family: Restored<'_>,
        offsets: &[u32],
        hashes: &[u64],
    ) -> Option<String> {
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
        for (i, (&offset, &hash)) in offsets.iter().zip(hashes).enumerate() {
            let labels = SeriesLabels::Line(&family.lines[offset as usize..]);
            let held = self.series.holders(hash).iter().any(|&g| {
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
            if held {
                return Some(format!(
                    "series {} of {name} is held by another group",
                    i + 1
                ));
            }
        }
        None
    }
}

/// Checks one line (without its newline) of family `name`; returns the length of its identity
/// (the line up to the space before the value) and leaves its label pairs in `pairs`.
fn read_line(
    line: &[u8],
    name: &str,
    group: &[(&str, Vec<u8>)],
    pairs: &mut Pairs,
) -> Result<usize, &'static str> {
    pairs.clear();
    let rest = line
        .strip_prefix(name.as_bytes())
        .ok_or("not the family's name")?;
    let mut at = name.len();
    match rest.first() {
        Some(b'{') => at = read_labels(line, at + 1, pairs)?,
        Some(b' ') => {}
        _ => return Err("not the family's name"),
    }
    let identity = at;
    if line.get(at) != Some(&b' ') {
        return Err("no space before the value");
    }
    let value = std::str::from_utf8(&line[at + 1..]).map_err(|_| "the value is not UTF-8")?;
    if crate::parse::text::parse_float(value).is_none() {
        return Err("the value is not a number");
    }
    // The group's labels, with the group's values, and an `instance` label (a sanitised
    // series carries them all).
    let mut group = group.iter().peekable();
    let mut instance = false;
    for (n, v) in pairs.iter() {
        instance |= &line[n.clone()] == b"instance";
        if let Some((want, value)) = group.peek() {
            if want.as_bytes() == &line[n.clone()] {
                if value[..] != line[v.clone()] {
                    return Err("a grouping label has another value");
                }
                group.next();
            }
        }
    }
    if group.next().is_some() || !instance {
        return Err("a grouping label is missing");
    }
    Ok(identity)
}

/// Reads `a="x",b="y"}` from `at`; returns where the block ends (after the brace).
fn read_labels(line: &[u8], mut at: usize, pairs: &mut Pairs) -> Result<usize, &'static str> {
    loop {
        let eq = at + memchr::memchr(b'=', &line[at..]).ok_or("a label has no value")?;
        let label = &line[at..eq];
        if !is_legacy_label_name(label) || label.starts_with(b"__") {
            return Err("a label name is not valid");
        }
        if let Some((previous, _)) = pairs.last() {
            if line[previous.clone()] >= *label {
                return Err("label names are not sorted without repeats");
            }
        }
        if line.get(eq + 1) != Some(&b'"') {
            return Err("a label value is not quoted");
        }
        let from = eq + 2;
        let mut i = from;
        let to = loop {
            match line.get(i) {
                Some(b'"') => break i,
                Some(b'\\') => match line.get(i + 1) {
                    Some(b'\\' | b'"' | b'n') => i += 2,
                    _ => return Err("a label value has an invalid escape"),
                },
                Some(_) => i += 1,
                None => return Err("a label value is not closed"),
            }
        };
        if std::str::from_utf8(&line[from..to]).is_err() {
            return Err("a label value is not UTF-8");
        }
        pairs.push((at..eq, from..to));
        match line.get(to + 1) {
            Some(b',') => at = to + 2,
            Some(b'}') => return Ok(to + 2),
            _ => return Err("a label value is not followed by a comma or brace"),
        }
    }
}

/// The series order ([`series_order`]) of two validated lines, from their label pairs: the
/// common case (values without escapes) compares bytes, the rest defers to the full order.
fn line_order(a: &[u8], a_pairs: &Pairs, b: &[u8], b_pairs: &Pairs) -> Ordering {
    let escaped = |line: &[u8], pairs: &Pairs| {
        pairs
            .iter()
            .any(|(_, v)| memchr::memchr(b'\\', &line[v.clone()]).is_some())
    };
    if escaped(a, a_pairs) || escaped(b, b_pairs) {
        return series_order(SeriesLabels::Line(a), SeriesLabels::Line(b));
    }
    a_pairs
        .len()
        .cmp(&b_pairs.len())
        .then_with(|| {
            let x = a_pairs.iter().map(|(_, v)| &a[v.clone()]);
            x.cmp(b_pairs.iter().map(|(_, v)| &b[v.clone()]))
        })
        .then_with(|| {
            let x = a_pairs.iter().map(|(n, _)| &a[n.clone()]);
            x.cmp(b_pairs.iter().map(|(n, _)| &b[n.clone()]))
        })
}

#[cfg(test)]
mod tests;
