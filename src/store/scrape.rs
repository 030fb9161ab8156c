//! A scrape: every family of every group merged with the server's own families, one header per
//! name (HELP/TYPE lines, or a protobuf `MetricFamily` head), families by name and series in
//! upstream's order (spec §8.2, §8.3, §8.7). Series are never formatted here: the result is a
//! list of byte ranges of the groups' ready fragments, stitched with a little header data.

use super::fragment::{write_escaped_help, Fragment};
use super::index::GroupId;
use super::labels::{series_order, SeriesLabels};
use super::{Rejection, Store, StoredFamily};
use crate::escaping::Escaping;
use crate::http::Chunk;
use crate::model::{Family, MetricType};
use std::cell::OnceCell;
use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap};
use std::rc::Rc;

/// The exposition format of a scrape (spec §8.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Text format 0.0.4.
    Text,
    /// Length-delimited `MetricFamily` messages.
    Protobuf,
}

/// A finished scrape: the exposition as chunks, ready to be written as the socket drains.
#[derive(Debug)]
pub struct Scrape {
    pub chunks: Vec<Chunk>,
}

/// One family's series from one place: a group's stored family, or an own family.
struct Source<'a> {
    series: Series<'a>,
    fragment: Rendered<'a>,
    /// The family name as the header writes it (escaped, spec §8.4).
    header_name: &'a str,
}

/// Where a source's series and their labels are.
#[derive(Clone, Copy)]
enum Series<'a> {
    Own(&'a Family<'static>),
    Stored(&'a StoredFamily),
}

impl<'a> Series<'a> {
    fn len(self) -> usize {
        match self {
            Series::Own(f) => f.metrics.len(),
            Series::Stored(s) => s.series_count(),
        }
    }

    fn labels(self, i: usize) -> SeriesLabels<'a> {
        match self {
            Series::Own(f) => SeriesLabels::Model(&f.metrics[i].labels),
            Series::Stored(s) => s.series_labels(i),
        }
    }

    fn mtype(self) -> MetricType {
        match self {
            Series::Own(f) => f.mtype,
            Series::Stored(s) => s.mtype,
        }
    }

    fn unit(self) -> Option<&'a str> {
        match self {
            Series::Own(f) => f.unit.as_deref(),
            Series::Stored(s) => s.unit.as_deref(),
        }
    }
}

enum Piece {
    /// A range of the scrape's own buffer: headers, and what was encoded for this scrape.
    Own(usize, usize),
    Fragment(Rc<[u8]>, usize, usize),
}

/// Where a scrape finds one source's series bytes.
pub enum Rendered<'a> {
    /// Kept by the store.
    Kept(&'a Fragment),
    /// Encoded for this scrape into its own buffer at `base`; offsets from there.
    Scratch {
        base: usize,
        len: usize,
        offsets: Box<[u32]>,
    },
}

impl Rendered<'_> {
    fn byte_len(&self) -> usize {
        match self {
            Rendered::Kept(f) => f.text.len(),
            Rendered::Scratch { len, .. } => *len,
        }
    }

    /// The byte range of series `i`, from the start of the source's bytes.
    fn series_range(&self, i: usize) -> (usize, usize) {
        match self {
            Rendered::Kept(f) => f.series_range(i),
            Rendered::Scratch { len, offsets, .. } => {
                let end = offsets.get(i + 1).map_or(*len, |&o| o as usize);
                (offsets[i] as usize, end)
            }
        }
    }

    /// The piece for a byte range of the source's bytes.
    fn piece(&self, start: usize, end: usize) -> Piece {
        match self {
            Rendered::Kept(f) => Piece::Fragment(f.text.clone(), start, end),
            Rendered::Scratch { base, .. } => Piece::Own(base + start, base + end),
        }
    }
}

impl Store {
    /// Renders the exposition, own families included. In unchecked mode a store that may have
    /// become inconsistent is fully checked first, and any error fails the scrape (spec §8.5).
    pub fn scrape(&mut self, own: &[Family<'static>]) -> Result<Scrape, Rejection> {
        self.scrape_as(own, Format::Text)
    }

    /// [`Store::scrape`] in the given format.
    pub fn scrape_as(
        &mut self,
        own: &[Family<'static>],
        format: Format,
    ) -> Result<Scrape, Rejection> {
        self.scrape_with(own, format, Escaping::default())
    }

    /// [`Store::scrape`] in the given format, names outside the legacy character set written
    /// per `escaping` (the server's own names are all legacy).
    pub fn scrape_with(
        &mut self,
        own: &[Family<'static>],
        format: Format,
        escaping: Escaping,
    ) -> Result<Scrape, Rejection> {
        if self.maybe_inconsistent {
            let errors = self.full_check();
            if !errors.is_empty() {
                return Err(Rejection(errors));
            }
            self.maybe_inconsistent = false;
        }
        let render = match format {
            Format::Text => Fragment::render,
            Format::Protobuf => super::protobuf::render,
        };
        let own_fragments: Vec<Fragment> = own.iter().map(render).collect();
        let mut own_sorted: Vec<usize> = (0..own.len()).collect();
        own_sorted.sort_by(|&a, &b| own[a].name.cmp(&own[b].name));

        let mut header = Vec::new();
        let mut pieces = Vec::new();
        let mut stored = self.families.iter().peekable();
        let mut own_iter = own_sorted.into_iter().peekable();
        loop {
            let own_name = own_iter.peek().map(|&i| &*own[i].name);
            let stored_name = stored.peek().map(|(n, _)| *n);
            let (name, own_index, entry) = match (own_name, stored_name) {
                (None, None) => break,
                (Some(o), Some(s)) if o == s => {
                    let (_, entry) = stored.next().expect("peeked");
                    (o, own_iter.next(), Some(entry))
                }
                (Some(o), s) if s.is_none_or(|s| o < s) => (o, own_iter.next(), None),
                (_, Some(s)) => {
                    let (_, entry) = stored.next().expect("peeked");
                    (s, None, Some(entry))
                }
                (Some(_), None) => unreachable!("handled by the arm above"),
            };
            let carriers = entry.map(|e| &e.carriers);
            let mut sources = Vec::new();
            if let Some(i) = own_index {
                sources.push(Source {
                    series: Series::Own(&own[i]),
                    fragment: Rendered::Kept(&own_fragments[i]),
                    header_name: name,
                });
            }
            for &g in carriers.into_iter().flatten() {
                let s = &self.group_by_id(g).families[name];
                let (header_name, fragment) = s.rendering(format, escaping, &mut header);
                sources.push(Source {
                    series: Series::Stored(s),
                    fragment,
                    header_name,
                });
            }
            if sources.iter().all(|s| s.series.len() == 0) {
                continue;
            }
            let (help, mtype) = match own_index {
                Some(i) => (own[i].help.as_deref(), own[i].mtype),
                None => (
                    carriers.and_then(|c| self.chosen_help(name, c)),
                    sources[0].series.mtype(),
                ),
            };
            // Every source of a name outside the legacy character set escapes it alike.
            let name = sources[0].header_name;
            let start = header.len();
            match format {
                Format::Text => write_header(&mut header, name, help, mtype),
                Format::Protobuf => {
                    let series_bytes = sources.iter().map(|s| s.fragment.byte_len()).sum();
                    let unit = sources.iter().find_map(|s| s.series.unit());
                    super::protobuf::write_family_header(
                        &mut header,
                        name,
                        help,
                        mtype,
                        unit,
                        series_bytes,
                    );
                }
            }
            pieces.push(Piece::Own(start, header.len()));
            // The stored families' order is kept until one of them is added or removed (the
            // bookkeeping families' until a group comes or goes: their values change in place).
            let kept_order = entry.filter(|_| own_index.is_none());
            merge_series(&sources, kept_order.map(|e| &e.scrape_order), &mut pieces);
        }
        let header: Rc<[u8]> = header.into();
        let chunks = pieces
            .into_iter()
            .map(|p| match p {
                Piece::Own(start, end) => Chunk {
                    buf: header.clone(),
                    start,
                    end,
                },
                Piece::Fragment(buf, start, end) => Chunk { buf, start, end },
            })
            .collect();
        Ok(Scrape { chunks })
    }

    /// Spec §17 R4: the HELP of the group with the smallest grouping key that has a non-empty
    /// one; failing that an empty HELP if any group has one; else none.
    fn chosen_help<'a>(&'a self, name: &str, carriers: &'a BTreeSet<GroupId>) -> Option<&'a str> {
        let help = |g: &GroupId| self.group_by_id(*g).families[name].help.as_deref();
        let mut texts = carriers.iter().filter_map(help).filter(|h| !h.is_empty());
        let Some(first) = texts.next() else {
            return carriers.iter().any(|g| help(g) == Some("")).then_some("");
        };
        // Most often every group has the same text, and keys need no comparing.
        if texts.all(|h| h == first) {
            return Some(first);
        }
        carriers
            .iter()
            .filter_map(|g| Some((&self.group_by_id(*g).key, help(g)?)))
            .filter(|(_, h)| !h.is_empty())
            .min_by(|a, b| a.0.cmp(b.0))
            .map(|(_, h)| h)
    }
}

fn write_header(out: &mut Vec<u8>, name: &str, help: Option<&str>, mtype: MetricType) {
    if let Some(help) = help {
        out.extend_from_slice(b"# HELP ");
        out.extend_from_slice(name.as_bytes());
        out.push(b' ');
        write_escaped_help(out, help);
        out.push(b'\n');
    }
    out.extend_from_slice(b"# TYPE ");
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    out.extend_from_slice(mtype.text_name().as_bytes());
    out.push(b'\n');
}

/// The head of one source in the k-way merge; ordered so the max-heap pops the smallest series.
struct Head<'a> {
    /// The start of the series' order key (`SeriesLabels::order_key`): it decides nearly every
    /// comparison with one `memcmp`, the labels being read again only past it or on a tie.
    key: [u8; KEY_BYTES],
    key_len: u8,
    labels: SeriesLabels<'a>,
    source: usize,
    index: usize,
}

const KEY_BYTES: usize = 48;

impl<'a> Head<'a> {
    fn new(series: Series<'a>, source: usize, index: usize) -> Head<'a> {
        let labels = series.labels(index);
        let mut key = [0; KEY_BYTES];
        let (len, _) = labels.order_key(&mut key);
        Head {
            key,
            key_len: len as u8,
            labels,
            source,
            index,
        }
    }

    fn key(&self) -> &[u8] {
        &self.key[..usize::from(self.key_len)]
    }
}

impl Ord for Head<'_> {
    /// Keys that differ decide (a whole key that is a prefix of a cut one is a shorter value
    /// or fewer of them, which sorts first as well); equal ones leave it to the labels.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .key()
            .cmp(self.key())
            .then_with(|| series_order(other.labels, self.labels))
            .then_with(|| other.source.cmp(&self.source))
    }
}
impl PartialOrd for Head<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Head<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head<'_> {}

/// Appends the series of all sources in series order. Each source is already sorted, so one
/// source is a single range and several are a k-way merge of runs; consecutive series of one
/// source become one range.
fn merge_series(
    sources: &[Source<'_>],
    kept_order: Option<&OnceCell<Option<Box<[u32]>>>>,
    pieces: &mut Vec<Piece>,
) {
    let positions: Vec<usize> = (0..sources.len())
        .filter(|&i| sources[i].series.len() > 0)
        .collect();
    if let [only] = positions[..] {
        let only = &sources[only].fragment;
        pieces.push(only.piece(0, only.byte_len()));
        return;
    }
    let computed;
    let order = match kept_order {
        Some(kept) => kept.get_or_init(|| disjoint_order(sources, &positions)),
        None => {
            computed = disjoint_order(sources, &positions);
            &computed
        }
    };
    if let Some(order) = order {
        for &i in order.iter() {
            let fragment = &sources[i as usize].fragment;
            pieces.push(fragment.piece(0, fragment.byte_len()));
        }
        return;
    }
    let nonempty: Vec<&Source<'_>> = positions.iter().map(|&i| &sources[i]).collect();
    let mut heap: BinaryHeap<Head<'_>> = nonempty
        .iter()
        .enumerate()
        .map(|(source, s)| Head::new(s.series, source, 0))
        .collect();
    let mut open: Option<(usize, usize, usize)> = None; // (source, start, end) not yet pushed
    while let Some(head) = heap.pop() {
        let src = nonempty[head.source];
        let count = src.series.len();
        // The source's further series that still come before every other head leave with
        // this one, found by binary search: groups differ in a grouping label, so their
        // series rarely interleave, and the heap then works once per source, not per series
        // (a family carried by 10,000 groups cost ~1,500 instructions per series otherwise).
        // The common whole-rest case costs one comparison: a large store's series are cache
        // misses, and the merge is bound by how many it touches.
        // Interleaved sources (a label sorting before the grouping labels) cost one comparison
        // a series: the next one is looked at first.
        let rest = head.index + 1..count;
        let run = match heap.peek() {
            Some(top) => {
                let precedes = |i: usize| Head::new(src.series, head.source, i) > *top;
                if rest.is_empty() || !precedes(rest.start) {
                    0
                } else if precedes(count - 1) {
                    rest.len()
                } else {
                    1 + partition_point(rest.start + 1..count - 1, precedes)
                }
            }
            None => rest.len(),
        };
        let last = head.index + run;
        let (start, _) = src.fragment.series_range(head.index);
        let (_, end) = src.fragment.series_range(last);
        open = match open {
            Some((s, open_start, open_end)) if s == head.source && open_end == start => {
                Some((s, open_start, end))
            }
            Some((s, open_start, open_end)) => {
                pieces.push(nonempty[s].fragment.piece(open_start, open_end));
                Some((head.source, start, end))
            }
            None => Some((head.source, start, end)),
        };
        let next = last + 1;
        if next < count {
            heap.push(Head::new(src.series, head.source, next));
        }
    }
    if let Some((s, start, end)) = open {
        pieces.push(nonempty[s].fragment.piece(start, end));
    }
}

/// The order of the sources (at `positions`, those with series) when each one's series all
/// come before the next one's: the common case, as groups differ in a grouping label, which
/// costs a sort of the sources by their first series and a look at each one's last, not a
/// merge. `None` if any two overlap.
fn disjoint_order(sources: &[Source<'_>], positions: &[usize]) -> Option<Box<[u32]>> {
    let mut firsts: Vec<Head<'_>> = positions
        .iter()
        .map(|&i| Head::new(sources[i].series, i, 0))
        .collect();
    // `Head` orders for a max-heap: the smallest series is the greatest head.
    firsts.sort_unstable_by(|a, b| b.cmp(a));
    for pair in firsts.windows(2) {
        let (source, next) = (pair[0].source, &pair[1]);
        let series = sources[source].series;
        // Exactly as the merge would decide, ties between groups included.
        if Head::new(series, source, series.len() - 1) < *next {
            return None;
        }
    }
    Some(firsts.into_iter().map(|h| h.source as u32).collect())
}

/// How many indexes at the start of `range` satisfy `pred`, which holds for a prefix of it.
fn partition_point(range: std::ops::Range<usize>, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (range.start, range.end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo - range.start
}
