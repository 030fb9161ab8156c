//! The consistency check (spec §6.5), answered from the indexes so that a push costs
//! O(pushed series), with the decisions upstream reaches by re-gathering the whole store:
//! type clashes (with other groups and with the server's own families), suffix collisions
//! against summaries and histograms, duplicate series, and per-series validity.
//!
//! `full_check` runs the same rules over the whole store; it serves scrapes in unchecked mode
//! and the tests' invariant that a checked store is always consistent.

use super::describe::{collected_metric, quote_into};
use super::index::{GroupId, SeriesHash, TypeCounts};
use super::labels::{same_labels, series_order, SeriesLabels};
use super::{base_labels, is_bookkeeping, Prepared, Store, PUSH_FAILURE_TIME, PUSH_TIME};
use crate::grouping::GroupingKey;
use crate::model::{Family, Metric, MetricType, Value};
use std::collections::BTreeMap;

const SUFFIXES: [&str; 3] = ["_count", "_sum", "_bucket"];

impl Store {
    /// Every reason the push of `families` (already sanitised) to group `id`/`key` would leave
    /// the store inconsistent; empty if it may be applied.
    pub(super) fn check_push(
        &self,
        id: Option<GroupId>,
        key: &GroupingKey,
        families: &[Prepared<'_>],
        replace: bool,
    ) -> Vec<String> {
        let view = AfterPush {
            store: self,
            id,
            pushed: families
                .iter()
                .map(|p| (&*p.family.name, &p.family))
                .collect(),
            replace,
        };
        let hashes: BTreeMap<&str, &[SeriesHash]> = families
            .iter()
            .map(|p| (&*p.family.name, &*p.hashes))
            .collect();
        let mut errors = Vec::new();
        let mut pushed_series: Vec<(SeriesHash, &str, &Metric<'_>)> = Vec::new();
        for family in view.pushed.values() {
            let name = &*family.name;
            if let Some(own) = self.own_family(name) {
                if own.mtype != family.mtype {
                    errors.push(format!(
                        "gathered metric family {name} has type {} but should have {}",
                        family.mtype.upper_name(),
                        own.mtype.upper_name()
                    ));
                    continue;
                }
            }
            if let (Some(first), Some(other)) = (family.metrics.first(), view.other_type(family)) {
                errors.push(format!(
                    "{} is not a {}",
                    collected_metric(name, family.mtype, first),
                    other.upper_name()
                ));
                continue;
            }
            if let Some(e) = view.suffix_collision(family) {
                errors.push(e);
                continue;
            }
            for (metric, &hash) in family.metrics.iter().zip(hashes[name]) {
                if let Some(e) = series_problem(name, family.mtype, metric) {
                    errors.push(e);
                    continue;
                }
                pushed_series.push((hash, name, metric));
            }
        }
        // Duplicates within the push: equal series sort next to each other, also among
        // different series whose hashes collide.
        pushed_series.sort_by(|a, b| {
            (a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
                .then_with(|| series_order(labels_of(a.2), labels_of(b.2)))
        });
        for pair in pushed_series.windows(2) {
            let ((h1, n1, m1), (h2, n2, m2)) = (pair[0], pair[1]);
            if h1 == h2 && n1 == n2 && same_labels(labels_of(m1), labels_of(m2)) {
                errors.push(duplicate(n2, view.pushed[n2].mtype, m2));
            }
        }
        for &(hash, name, metric) in &pushed_series {
            if view.stored_duplicate(hash, name, labels_of(metric)) {
                errors.push(duplicate(name, view.pushed[name].mtype, metric));
            }
        }
        if id.is_none() {
            if let Some(e) = self.new_group_would_duplicate(key) {
                errors.push(e);
            }
        }
        errors
    }

    /// A new group's bookkeeping series would duplicate another group's (spec §17 R2: e.g.
    /// `{job="j",instance=""}` beside `{job="j"}`).
    pub(super) fn new_group_would_duplicate(&self, key: &GroupingKey) -> Option<String> {
        let labels = base_labels(key);
        [PUSH_TIME, PUSH_FAILURE_TIME].into_iter().find_map(|name| {
            let hash = self.identity_hash(name, &labels, &mut Vec::new());
            let found = self
                .series
                .holders(hash)
                .iter()
                .any(|&g| self.holds(g, name, SeriesLabels::Model(&labels)));
            let metric = Metric {
                labels: labels.clone(),
                value: Value::Simple(0.0),
                timestamp_ms: None,
                pb_value: None,
            };
            found.then(|| duplicate(name, MetricType::Gauge, &metric))
        })
    }

    /// Every inconsistency in the whole store (spec §6.5 over everything; §8.5), sorted: the
    /// families and series are visited in hash order, which differs between two stores with
    /// the same content (a restarted server), and a scrape error should not.
    pub fn full_check(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for (name, entry) in self.families.iter() {
            let mut types = entry.types.types();
            let first = types.next().expect("indexed family has a type");
            if let Some(own) = self.own_family(name) {
                if let Some(t) = entry.types.types().find(|&t| t != own.mtype) {
                    errors.push(format!(
                        "gathered metric family {name} has type {} but should have {}",
                        t.upper_name(),
                        own.mtype.upper_name()
                    ));
                }
            } else if let Some(other) = types.next() {
                let series = entry.carriers.iter().find_map(|&g| {
                    let stored = &self.group_by_id(g).families[name];
                    let model = (stored.mtype == other).then(|| stored.model())?;
                    let metric = model.metrics.first()?;
                    Some(collected_metric(name, other, metric))
                });
                if let Some(series) = series {
                    errors.push(format!("{series} is not a {}", first.upper_name()));
                }
            }
            // Both sides of a collision are stored, so the suffixed side reports it alone.
            let stored = |n: &str| self.families.types(n);
            let nothing = |_: &str| TypeCounts::default();
            if let Some(e) = suffix_collision(name, first, &stored, &nothing, self) {
                errors.push(e);
            }
        }
        let models: Vec<Family<'_>> = self
            .groups
            .iter()
            .flatten()
            .flat_map(|group| group.families.values().map(|stored| stored.model()))
            .collect();
        let mut all: Vec<(SeriesHash, &str, MetricType, &Metric<'_>)> = Vec::new();
        let mut scratch = Vec::new();
        for f in &models {
            {
                for metric in &f.metrics {
                    match series_problem(&f.name, f.mtype, metric) {
                        Some(e) => errors.push(e),
                        None => all.push((
                            self.identity_hash(&f.name, &metric.labels, &mut scratch),
                            &f.name,
                            f.mtype,
                            metric,
                        )),
                    }
                }
            }
        }
        all.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.cmp(b.1))
                .then_with(|| series_order(labels_of(a.3), labels_of(b.3)))
        });
        for pair in all.windows(2) {
            let ((h1, n1, _, m1), (h2, n2, t2, m2)) = (pair[0], pair[1]);
            if h1 == h2 && n1 == n2 && same_labels(labels_of(m1), labels_of(m2)) {
                errors.push(duplicate(n2, t2, m2));
            }
        }
        errors.sort_unstable();
        errors
    }

    fn own_family(&self, name: &str) -> Option<&super::OwnFamily> {
        self.own.iter().find(|o| o.name == name)
    }

    /// Whether group `g` stores a series `name` with exactly these labels.
    fn holds(&self, g: GroupId, name: &str, labels: SeriesLabels<'_>) -> bool {
        self.group_by_id(g)
            .families
            .get(name)
            .is_some_and(|s| (0..s.series_count()).any(|i| same_labels(s.series_labels(i), labels)))
    }
}

/// The store as it would be after the push: index counts minus what the push removes from its
/// group, plus what it adds.
struct AfterPush<'a> {
    store: &'a Store,
    id: Option<GroupId>,
    pushed: BTreeMap<&'a str, &'a Family<'a>>,
    replace: bool,
}

impl AfterPush<'_> {
    /// The type of the family `name` that the push removes from its own group, if any.
    fn removed(&self, name: &str) -> Option<MetricType> {
        let group = self.store.group_by_id(self.id?);
        let stored = group.families.get(name)?;
        let goes = !is_bookkeeping(name) && (self.replace || self.pushed.contains_key(name));
        goes.then_some(stored.mtype)
    }

    /// Types carried by groups under `name` after the push (own families not included).
    fn types(&self, name: &str) -> TypeCounts {
        let mut types = self.store.families.types(name);
        if let Some(t) = self.removed(name) {
            types.remove(t);
        }
        if let Some(f) = self.pushed.get(name) {
            types.add(f.mtype);
        }
        types
    }

    /// A type other than the pushed family's that another group keeps under the same name.
    fn other_type(&self, family: &Family<'_>) -> Option<MetricType> {
        let mut types = self.types(&family.name);
        types.remove(family.mtype);
        types.types().find(|&t| t != family.mtype)
    }

    /// Suffix collisions of a pushed family. The reverse direction (a pushed summary `x`
    /// against `x_count`) only looks outside the push, so that a pushed `x_count` beside a pushed
    /// summary `x` is reported once, by `x_count`.
    fn suffix_collision(&self, family: &Family<'_>) -> Option<String> {
        let after = |n: &str| self.types(n);
        let unpushed = |n: &str| self.types_unpushed(n);
        suffix_collision(&family.name, family.mtype, &after, &unpushed, self.store)
    }

    /// Like `types`, but without the pushed families.
    fn types_unpushed(&self, name: &str) -> TypeCounts {
        let mut types = self.store.families.types(name);
        if let Some(t) = self.removed(name) {
            types.remove(t);
        }
        types
    }

    /// Whether a series `name{labels}` stays in the store after the push, outside the push.
    fn stored_duplicate(&self, hash: SeriesHash, name: &str, labels: SeriesLabels<'_>) -> bool {
        self.store.series.holders(hash).iter().any(|&g| {
            let replaced = Some(g) == self.id && self.removed(name).is_some();
            !replaced && self.store.holds(g, name, labels)
        })
    }
}

/// Spec §6.5(4), as client_golang's `checkSuffixCollisions`: `X_count`/`X_sum` beside a summary
/// or histogram `X`, `X_bucket` beside a histogram `X`, in either order; own families count.
/// `bases` gives the types under a base name, `suffixed` those under a suffixed name.
fn suffix_collision(
    name: &str,
    mtype: MetricType,
    bases: &dyn Fn(&str) -> TypeCounts,
    suffixed: &dyn Fn(&str) -> TypeCounts,
    store: &Store,
) -> Option<String> {
    let has = |n: &str, t: MetricType| {
        bases(n).contains(t) || store.own_family(n).is_some_and(|o| o.mtype == t)
    };
    let exists = |n: &str| !suffixed(n).is_empty() || store.own_family(n).is_some();
    for suffix in SUFFIXES {
        let Some(base) = name.strip_suffix(suffix) else {
            continue;
        };
        if suffix != "_bucket" && has(base, MetricType::Summary) {
            return Some(collides(name, "summary", base));
        }
        if has(base, MetricType::Histogram) {
            return Some(collides(name, "histogram", base));
        }
    }
    let suffixes: &[&str] = match mtype {
        MetricType::Histogram => &SUFFIXES,
        MetricType::Summary => &SUFFIXES[..2],
        _ => &[],
    };
    {
        for suffix in suffixes {
            let other = format!("{name}{suffix}");
            if exists(&other) {
                let mut msg = String::from("collected histogram or summary named ");
                quote_into(&mut msg, name);
                msg.push_str(" collides with previously collected metric named ");
                quote_into(&mut msg, &other);
                return Some(msg);
            }
        }
    }
    None
}

fn labels_of<'a>(metric: &'a Metric<'_>) -> SeriesLabels<'a> {
    SeriesLabels::Model(&metric.labels)
}

fn collides(name: &str, kind: &str, base: &str) -> String {
    let mut msg = String::from("collected metric named ");
    quote_into(&mut msg, name);
    msg.push_str(" collides with previously collected ");
    msg.push_str(kind);
    msg.push_str(" named ");
    quote_into(&mut msg, base);
    msg
}

fn duplicate(name: &str, mtype: MetricType, metric: &Metric<'_>) -> String {
    format!(
        "{} was collected before with the same name and label values",
        collected_metric(name, mtype, metric)
    )
}

/// Per-series validity (spec §6.5(5)): label names (sorted) unique and not reserved, and no
/// `quantile`/`le` label on a summary/histogram series (only protobuf can carry one).
fn series_problem(name: &str, mtype: MetricType, metric: &Metric<'_>) -> Option<String> {
    let mut previous: Option<&str> = None;
    for label in &metric.labels {
        let label_name = &*label.name;
        let problem = if previous == Some(label_name) {
            Some(format!(
                "has two or more labels with the same name: {label_name}"
            ))
        } else if label_name.starts_with("__") || label_name.is_empty() {
            Some(format!("has a label with an invalid name: {label_name}"))
        } else if mtype == MetricType::Summary && label_name == "quantile" {
            Some("must not have an explicit \"quantile\" label".to_string())
        } else if mtype.is_histogram() && label_name == "le" {
            Some("must not have an explicit \"le\" label".to_string())
        } else {
            None
        };
        if let Some(p) = problem {
            return Some(format!("{} {p}", collected_metric(name, mtype, metric)));
        }
        previous = Some(label_name);
    }
    None
}
