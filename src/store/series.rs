//! Label sanitisation of pushed series (spec §6.3).

use super::labels::{series_order, SeriesLabels};
use crate::grouping::GroupingKey;
use crate::model::{Family, Label};
use std::borrow::Cow;

/// Applies the grouping labels to every series (overriding or adding them), adds
/// `instance=""` where missing, and sorts label pairs by name and series by
/// [`series_order`]. Strings stay borrowed from the request and the key: the store copies
/// only what it keeps.
pub fn sanitize<'a>(mut family: Family<'a>, key: &'a GroupingKey) -> Family<'a> {
    for metric in &mut family.metrics {
        sanitize_labels(&mut metric.labels, key);
    }
    family.metrics.sort_by(|a, b| {
        series_order(
            SeriesLabels::Model(&a.labels),
            SeriesLabels::Model(&b.labels),
        )
    });
    family
}

fn sanitize_labels<'a>(labels: &mut Vec<Label<'a>>, key: &'a GroupingKey) {
    labels.reserve(key.labels().len() + 1);
    for (name, value) in key.labels() {
        match labels.iter_mut().find(|l| l.name == name.as_str()) {
            Some(label) => label.value = Cow::Borrowed(value),
            None => labels.push(Label {
                name: Cow::Borrowed(name),
                value: Cow::Borrowed(value),
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
