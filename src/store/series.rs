//! Label sanitisation of pushed series (spec §6.3) and the series order of the exposition
//! (spec §8.3).

use crate::grouping::GroupingKey;
use crate::model::{Family, Label, Metric};
use std::borrow::Cow;
use std::cmp::Ordering;

/// Applies the grouping labels to every series (overriding or adding them), adds
/// `instance=""` where missing, sorts label pairs by name and series by [`series_order`], and
/// copies everything out of the request buffer.
pub fn sanitize(family: Family<'_>, key: &GroupingKey) -> Family<'static> {
    let mut family = family.into_owned();
    for metric in &mut family.metrics {
        sanitize_labels(&mut metric.labels, key);
    }
    family
        .metrics
        .sort_by(|a, b| series_order(&a.labels, &b.labels));
    family
}

fn sanitize_labels(labels: &mut Vec<Label<'static>>, key: &GroupingKey) {
    for (name, value) in key.labels() {
        match labels.iter_mut().find(|l| l.name == name.as_str()) {
            Some(label) => label.value = Cow::Owned(value.clone()),
            None => labels.push(Label {
                name: Cow::Owned(name.clone()),
                value: Cow::Owned(value.clone()),
            }),
        }
    }
    if !labels.iter().any(|l| l.name == "instance") {
        labels.push(Label {
            name: Cow::Borrowed("instance"),
            value: Cow::Borrowed(""),
        });
    }
    labels.sort_by(|a, b| a.name.cmp(&b.name));
}

/// Upstream's series order: fewer label pairs first, then the label values pairwise in
/// label-name order. Upstream leaves ties unspecified; we break them by label names so the
/// order is total and stable.
pub fn series_order(a: &[Label<'_>], b: &[Label<'_>]) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().map(|l| &l.value).cmp(b.iter().map(|l| &l.value)))
        .then_with(|| a.iter().map(|l| &l.name).cmp(b.iter().map(|l| &l.name)))
}

/// True if two series carry exactly the same label pairs (both sorted by name).
pub fn same_labels(a: &Metric<'_>, b: &[Label<'_>]) -> bool {
    a.labels.as_slice() == b
}
