//! The families of one body while it is being parsed: which family a name belongs to, and which
//! series a summary or histogram line adds to.
//!
//! Name resolution (upstream's `setOrCreateCurrentMF`): a name joins the family of that name;
//! otherwise `x_count`/`x_sum` join a summary `x`, and `x_count`/`x_sum`/`x_bucket` join a
//! histogram (or gauge histogram) `x`; otherwise a new family is created. A name's resolution
//! never changes once made (the name's own family then exists, or the base family's type is
//! already fixed), so every answer is remembered, aliases included, and later lines of the same
//! name cost one hash lookup.
//!
//! Summary and histogram lines with equal label sets (`le`/`quantile` excluded, order ignored)
//! are one series; counter, gauge and untyped lines are one series each, duplicates included
//! (the store rejects duplicates, as upstream's consistency check does).

use std::borrow::Cow;
use std::collections::hash_map::{Entry, RandomState};
use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::model::{Histogram, Label, Metric, MetricType, Summary, Value};

/// A family under construction. The name stays bytes until the end: a HELP or TYPE line may name
/// a family with any bytes, and only families that receive samples (whose names are validated)
/// are returned.
pub(super) struct Building<'a> {
    pub name: Cow<'a, [u8]>,
    pub help: Option<Cow<'a, str>>,
    /// `None` until a TYPE line or the first sample (which makes it untyped).
    pub mtype: Option<MetricType>,
    pub metrics: Vec<Metric<'a>>,
}

/// What a sample line's name means: its family, and which part of a summary or histogram it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Resolved {
    pub family: usize,
    pub role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// The family's own name, a `_bucket` of a histogram, or a simple family.
    Plain,
    Count,
    Sum,
}

#[derive(Default)]
pub(super) struct Table<'a> {
    pub families: Vec<Building<'a>>,
    resolved: HashMap<Cow<'a, [u8]>, Resolved>,
    /// (family, label-set hash) → index into the family's metrics, for summaries and histograms.
    series: HashMap<(usize, u64), usize>,
    /// Keys the label-set hash randomly, so that a body cannot be crafted to collide.
    label_hasher: RandomState,
    /// Consecutive lines mostly share a name, and histogram lines a series: comparing with the
    /// last one is cheaper than hashing.
    last_name: Option<(Cow<'a, [u8]>, Resolved)>,
    last_series: Option<(usize, usize)>,
}

impl<'a> Table<'a> {
    /// The family at an index [`Table::resolve`] handed out.
    #[allow(
        clippy::indexing_slicing,
        reason = "indices come from `resolve`, and families are never removed"
    )]
    pub fn building(&mut self, family: usize) -> &mut Building<'a> {
        &mut self.families[family]
    }

    /// The series at indices [`Table::resolve`] and [`Table::series`] handed out, with the
    /// name of its family.
    #[allow(
        clippy::indexing_slicing,
        reason = "indices come from `resolve` and `series`; nothing is ever removed"
    )]
    pub fn metric(&mut self, family: usize, series: usize) -> (&[u8], &mut Metric<'a>) {
        let building = &mut self.families[family];
        (&building.name, &mut building.metrics[series])
    }

    pub fn resolve(&mut self, name: Cow<'a, [u8]>) -> Resolved {
        if let Some((last, resolved)) = &self.last_name {
            if *last == name {
                return *resolved;
            }
        }
        let resolved = match self.resolved.get(name.as_ref()) {
            Some(&resolved) => resolved,
            None => self.resolve_new(name.clone()),
        };
        self.last_name = Some((name, resolved));
        resolved
    }

    fn resolve_new(&mut self, name: Cow<'a, [u8]>) -> Resolved {
        let resolved = self.alias(&name).unwrap_or_else(|| {
            self.families.push(Building {
                name: name.clone(),
                help: None,
                mtype: None,
                metrics: Vec::new(),
            });
            Resolved {
                family: self.families.len() - 1,
                role: Role::Plain,
            }
        });
        self.resolved.insert(name, resolved);
        resolved
    }

    /// The summary or histogram a suffixed name belongs to, if that family exists.
    fn alias(&self, name: &[u8]) -> Option<Resolved> {
        // Upstream tries the summary reading first, then the histogram one.
        let summary =
            strip(name, b"_count", Role::Count).or_else(|| strip(name, b"_sum", Role::Sum));
        if let Some((base, role)) = summary {
            if let Some(family) = self.family_named(base) {
                if self.families.get(family)?.mtype == Some(MetricType::Summary) {
                    return Some(Resolved { family, role });
                }
            }
        }
        let histogram = summary.or_else(|| strip(name, b"_bucket", Role::Plain))?;
        let (base, role) = histogram;
        let family = self.family_named(base)?;
        self.families
            .get(family)?
            .mtype
            .is_some_and(MetricType::is_histogram)
            .then_some(Resolved { family, role })
    }

    /// The family called exactly `name` (an alias of that spelling does not count).
    fn family_named(&self, name: &[u8]) -> Option<usize> {
        let resolved = self.resolved.get(name)?;
        (self.families.get(resolved.family)?.name.as_ref() == name).then_some(resolved.family)
    }

    /// The series of `family` that a line with `labels` adds to, created if new. The labels move
    /// into a new series and are dropped when the line joins an existing one, so `labels` is
    /// empty afterwards either way.
    #[allow(
        clippy::indexing_slicing,
        reason = "`family` comes from `resolve` and series indices from this family's own \
                  bookkeeping; neither families nor series are ever removed"
    )]
    pub fn series(&mut self, family: usize, labels: &mut Vec<Label<'a>>) -> usize {
        let building = &mut self.families[family];
        let value = match building.mtype {
            Some(MetricType::Summary) => Value::Summary(Summary::default()),
            Some(t) if t.is_histogram() => Value::Histogram(Histogram::default()),
            _ => {
                building
                    .metrics
                    .push(new_metric(labels, Value::Simple(0.0)));
                return building.metrics.len() - 1;
            }
        };
        if let Some((last_family, index)) = self.last_series {
            if last_family == family && building.metrics[index].labels == *labels {
                labels.clear();
                return index;
            }
        }
        let key = (family, label_set_hash(&self.label_hasher, labels));
        let existing = match self.series.get(&key) {
            Some(&index) if same_label_set(&building.metrics[index].labels, labels) => Some(index),
            // A hash collision: fall back to a search, which only ever happens by bad luck.
            Some(_) => building
                .metrics
                .iter()
                .position(|m| same_label_set(&m.labels, labels)),
            None => None,
        };
        let index = match existing {
            Some(index) => {
                labels.clear();
                index
            }
            None => {
                building.metrics.push(new_metric(labels, value));
                let index = building.metrics.len() - 1;
                if let Entry::Vacant(slot) = self.series.entry(key) {
                    slot.insert(index);
                }
                index
            }
        };
        self.last_series = Some((family, index));
        index
    }
}

fn strip<'n>(name: &'n [u8], suffix: &[u8], role: Role) -> Option<(&'n [u8], Role)> {
    // Upstream wants something before the suffix: `_count` alone is just a name.
    let base = name.strip_suffix(suffix)?;
    (!base.is_empty()).then_some((base, role))
}

/// Moves the labels into an exactly sized vector; `labels` keeps its capacity for the next line.
/// Room left in a series' labels for those a push adds (grouping labels and `instance`), so
/// that adding them does not reallocate.
const LABELS_ADDED_ROOM: usize = 3;

fn new_metric<'a>(labels: &mut Vec<Label<'a>>, value: Value) -> Metric<'a> {
    let mut moved = Vec::with_capacity(labels.len() + LABELS_ADDED_ROOM);
    moved.append(labels);
    Metric {
        labels: moved,
        value,
        timestamp_ms: None,
        pb_value: None,
    }
}

/// A hash of the label set that ignores order (label names within a line are unique).
fn label_set_hash(state: &RandomState, labels: &[Label<'_>]) -> u64 {
    labels.iter().fold(0u64, |sum, label| {
        sum.wrapping_add(state.hash_one((&label.name, &label.value)))
    })
}

fn same_label_set(a: &[Label<'_>], b: &[Label<'_>]) -> bool {
    a == b || (a.len() == b.len() && a.iter().all(|label| b.contains(label)))
}
