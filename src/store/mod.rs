//! The flat group table: every stored group, its families with their pre-rendered fragments,
//! and the indexes that answer a push's consistency check in O(its own size) (spec §6, §17 R8).
//! No I/O and no clock: callers pass the time of each change.
//!
//! **Invariants** (checked by `debug_assert_consistent` in tests):
//! - every group carries `push_time_seconds` and `push_failure_time_seconds`;
//! - the family and series indexes describe exactly what the group table stores;
//! - in checked mode the store is always consistent: `full_check` finds nothing. A rejected push
//!   changes at most the failure timestamp of its group, and creates a group only when that
//!   cannot introduce a duplicate series (spec §17 R1).

mod check;
pub mod describe;
mod escaped;
pub mod fragment;
mod index;
mod labels;
mod protobuf;
mod restore;
mod scrape;
mod series;

pub use index::GroupId;
use index::SeriesHash;
pub use restore::Restored;
use scrape::Rendered;
pub use scrape::{Format, Scrape};

use crate::clock::Timestamp;
use crate::escaping::Escaping;
use crate::grouping::GroupingKey;
use crate::model::{Family, Label, Metric, MetricType, Value};
use escaped::Escaped;
use fragment::Fragment;
use index::{FamilyIndex, SeriesIndex};
use labels::SeriesLabels;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};

pub const PUSH_TIME: &str = "push_time_seconds";
pub const PUSH_FAILURE_TIME: &str = "push_failure_time_seconds";
const PUSH_TIME_HELP: &str =
    "Last Unix time when changing this group in the Pushgateway succeeded.";
const PUSH_FAILURE_TIME_HELP: &str =
    "Last Unix time when changing this group in the Pushgateway failed.";

/// The bookkeeping families every group carries; pushed families of these names are ignored
/// (spec §17 R5).
pub fn is_bookkeeping(name: &str) -> bool {
    name == PUSH_TIME || name == PUSH_FAILURE_TIME
}

/// A family of the server's own metrics, which pushed families of the same name must match in
/// type and whose HELP they take (spec §6.5(2)).
#[derive(Debug, Clone, Copy)]
pub struct OwnFamily {
    pub name: &'static str,
    pub mtype: MetricType,
    pub help: &'static str,
}

/// One stored family: its header data, the time of the write that stored it, and its series
/// already rendered as text.
///
/// A counter, gauge or untyped family whose series carry nothing but labels and a value (every
/// such family pushed as text, and as protobuf without exemplars or created timestamps) keeps
/// no model: its text fragment says everything, and [`StoredFamily::model`] reads it back on the
/// rare paths that want one (API, UI, a protobuf scrape, an error message). That is what keeps
/// a stored series to its line, its offset and its identity hash. Other families keep their
/// model beside the fragment.
#[derive(Debug)]
pub struct StoredFamily {
    pub name: Box<str>,
    pub help: Option<Box<str>>,
    pub mtype: MetricType,
    /// Only from protobuf; a family with one keeps its model.
    pub unit: Option<Box<str>>,
    pub stamp: Timestamp,
    pub fragment: Fragment,
    /// `None` for a compact family.
    model: Option<Box<Family<'static>>>,
    /// The number of label pairs of every series, if they all have as many (the scrape merge
    /// orders by it first).
    label_count: Option<u16>,
    /// The protobuf encoding of a family that keeps its model, made on the first protobuf
    /// scrape. A compact family encodes its lines anew for each: text is the common case, and
    /// a kept encoding would cost as much memory as the lines.
    protobuf: OnceCell<Fragment>,
    /// Only for a family with a name outside the legacy character set (which keeps its model):
    /// its renderings with names escaped (spec §8.4).
    escaped: Option<Box<Escaped>>,
}

/// A sanitised family rendered and hashed: what the check and then the table take.
struct Prepared<'a> {
    family: Family<'a>,
    fragment: Fragment,
    escaped: Option<Box<Escaped>>,
    compact: bool,
    /// The identity hash of each series.
    hashes: Box<[SeriesHash]>,
}

impl StoredFamily {
    fn new(prepared: Prepared<'_>, stamp: Timestamp) -> StoredFamily {
        let Prepared {
            family,
            fragment,
            escaped,
            compact,
            hashes: _,
        } = prepared;
        let owned = |s: &str| Box::<str>::from(s);
        StoredFamily {
            name: owned(&family.name),
            help: family.help.as_deref().map(owned),
            mtype: family.mtype,
            unit: family.unit.as_deref().map(owned),
            stamp,
            fragment,
            label_count: uniform_label_count(&family),
            model: (!compact).then(|| Box::new(family.into_owned())),
            protobuf: OnceCell::new(),
            escaped,
        }
    }

    pub fn series_count(&self) -> usize {
        self.fragment.series_count()
    }

    /// The family as the model describes it: borrowed from the one kept, or read back from
    /// the fragment of a compact family (an exact copy: the text format writes each value so
    /// that it reads back to the same `f64`). Lines restored from a log that passed
    /// `restore.rs`'s checks but still do not read back give a family without series rather
    /// than a panic.
    pub fn model(&self) -> Family<'_> {
        if let Some(model) = &self.model {
            return model.borrowed_with(|name, _| Cow::Borrowed(name));
        }
        let options = crate::parse::text::TextOptions { utf8_names: false };
        let metrics = match crate::parse::text::parse(&self.fragment.text, options) {
            Ok(mut families) => families.pop().map(|f| f.metrics).unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        Family {
            name: Cow::Borrowed(&self.name),
            help: self.help.as_deref().map(Cow::Borrowed),
            mtype: self.mtype,
            unit: self.unit.as_deref().map(Cow::Borrowed),
            metrics,
        }
    }

    /// The label pairs of series `i`.
    fn series_labels(&self, i: usize) -> SeriesLabels<'_> {
        match &self.model {
            Some(model) => SeriesLabels::Model(&model.metrics[i].labels),
            None => match self.label_count {
                Some(count) => {
                    SeriesLabels::CountedLine(self.fragment.from_series(i), usize::from(count))
                }
                None => SeriesLabels::Line(self.fragment.from_series(i)),
            },
        }
    }

    fn protobuf_fragment(&self) -> Cow<'_, Fragment> {
        match &self.model {
            Some(model) => Cow::Borrowed(self.protobuf.get_or_init(|| protobuf::render(model))),
            None => Cow::Owned(protobuf::render_lines(&self.fragment, self.mtype)),
        }
    }

    /// The name its header writes and the series, in a scrape's format and escaping. A
    /// compact family's protobuf encoding is made into `scratch`, the scrape's own buffer: one
    /// large allocation, given back whole when the scrape is written, where one allocation a
    /// family would leave the heap fragmented.
    fn rendering(
        &self,
        format: Format,
        escaping: Escaping,
        scratch: &mut Vec<u8>,
    ) -> (&str, Rendered<'_>) {
        if let (Some(escaped), Some(model)) = (&self.escaped, &self.model) {
            if let Some(r) = escaped.rendering(model, format, escaping) {
                return (&r.name, Rendered::Kept(&r.fragment));
            }
        }
        let rendered = match (format, &self.model) {
            (Format::Text, _) => Rendered::Kept(&self.fragment),
            (Format::Protobuf, Some(model)) => {
                Rendered::Kept(self.protobuf.get_or_init(|| protobuf::render(model)))
            }
            (Format::Protobuf, None) => {
                let base = scratch.len();
                let offsets = protobuf::render_lines_into(&self.fragment, self.mtype, scratch);
                Rendered::Scratch {
                    base,
                    len: scratch.len() - base,
                    offsets,
                }
            }
        };
        (&self.name, rendered)
    }

    /// The family as one length-delimited protobuf `MetricFamily`: a push body that decodes
    /// back to it exactly (what compaction writes to the log).
    pub fn write_protobuf(&self, out: &mut Vec<u8>) {
        let series = self.protobuf_fragment();
        let (help, unit) = (self.help.as_deref(), self.unit.as_deref());
        protobuf::write_family_header(out, &self.name, help, self.mtype, unit, series.text.len());
        out.extend_from_slice(&series.text);
    }
}

fn uniform_label_count(family: &Family<'_>) -> Option<u16> {
    let count = family.metrics.first()?.labels.len();
    let uniform = family.metrics.iter().all(|m| m.labels.len() == count);
    uniform.then(|| u16::try_from(count).ok()).flatten()
}

/// Whether a family can be kept as its text fragment alone (see [`StoredFamily`]).
fn is_compact(family: &Family<'_>) -> bool {
    let mut scratch = Vec::new();
    matches!(
        family.mtype,
        MetricType::Counter | MetricType::Gauge | MetricType::Untyped
    ) && family.unit.is_none()
        && family.metrics.iter().all(|m| {
            matches!(m.value, Value::Simple(v) if text_reads_back(v))
                && protobuf::value_is_modelled(family.mtype, m, &mut scratch)
        })
}

/// Whether the text format writes `v` so that it reads back to the same bits: all but `-0`
/// (written `0`, as expfmt does) and a NaN other than the parser's (a protobuf push may carry
/// one, such as Prometheus' stale marker).
fn text_reads_back(v: f64) -> bool {
    if v.is_nan() {
        v.to_bits() == f64::NAN.to_bits()
    } else {
        v != 0.0 || v.is_sign_positive()
    }
}

#[derive(Debug)]
pub struct Group {
    pub key: GroupingKey,
    /// Every family, the two bookkeeping ones included, by name.
    pub families: BTreeMap<Box<str>, StoredFamily>,
    /// The values of the two bookkeeping families.
    push_time: f64,
    failure_time: f64,
}

impl Group {
    /// `push_time_seconds`, 0 if the group never had a successful push.
    pub fn push_time(&self) -> f64 {
        self.push_time
    }

    /// `push_failure_time_seconds`, 0 if no push to the group ever failed.
    pub fn failure_time(&self) -> f64 {
        self.failure_time
    }

    /// The last successful push, or the group's creation if it never had one: the stamp of
    /// `push_time_seconds`, which only a successful push sets (what group expiry counts from).
    pub fn refreshed_at(&self) -> Timestamp {
        self.families[PUSH_TIME].stamp
    }

    /// Spec §6.7: false iff the last failure is strictly later than the last success.
    pub fn last_push_successful(&self) -> bool {
        self.failure_time() <= self.push_time()
    }
}

/// Why a push was rejected: one message per problem, in the order found.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection(pub Vec<String>);

impl std::fmt::Display for Rejection {
    /// Upstream's multi-error format: one message alone, else `N error(s) occurred:` and one
    /// `* message` line each.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_slice() {
            [one] => f.write_str(one),
            many => {
                write!(f, "{} error(s) occurred:", many.len())?;
                for m in many {
                    write!(f, "\n* {m}")?;
                }
                Ok(())
            }
        }
    }
}

#[derive(Debug)]
pub struct Store {
    groups: Vec<Option<Group>>,
    free: Vec<GroupId>,
    by_key: HashMap<GroupingKey, GroupId>,
    families: FamilyIndex,
    series: SeriesIndex,
    checked: bool,
    own: &'static [OwnFamily],
    /// Set when an unchecked push stored something the check would have refused; a scrape then
    /// runs the full check until it passes again (spec §6.6b).
    maybe_inconsistent: bool,
}

impl Store {
    /// `checked` is false with `--push.disable-consistency-check`.
    pub fn new(checked: bool, own: &'static [OwnFamily]) -> Store {
        Store {
            groups: Vec::new(),
            free: Vec::new(),
            by_key: HashMap::new(),
            families: FamilyIndex::default(),
            series: SeriesIndex::default(),
            checked,
            own,
            maybe_inconsistent: false,
        }
    }

    pub fn group_count(&self) -> usize {
        self.by_key.len()
    }

    pub fn group(&self, key: &GroupingKey) -> Option<&Group> {
        self.by_key.get(key).map(|&id| self.group_by_id(id))
    }

    /// All groups, in grouping-key order (the UI's order).
    pub fn groups_sorted(&self) -> Vec<&Group> {
        let mut groups: Vec<&Group> = self.groups.iter().flatten().collect();
        groups.sort_by(|a, b| a.key.cmp(&b.key));
        groups
    }

    fn group_by_id(&self, id: GroupId) -> &Group {
        self.groups[id as usize]
            .as_ref()
            .expect("indexed group exists")
    }

    /// PUT (`replace`) or POST of `families` to `key` at `time` (spec §6). On rejection the
    /// group's failure timestamp is recorded (§6.6) unless that itself would be inconsistent.
    pub fn push<'a>(
        &mut self,
        key: &'a GroupingKey,
        families: Vec<Family<'a>>,
        replace: bool,
        time: Timestamp,
    ) -> Result<(), Rejection> {
        let has_timestamp = families.iter().any(Family::has_timestamps);
        if has_timestamp {
            self.record_failure(key, time);
            return Err(Rejection(vec![
                "pushed metrics must not have timestamps".to_string()
            ]));
        }
        let families: Vec<Family<'a>> = families
            .into_iter()
            .filter(|f| !is_bookkeeping(&f.name))
            .map(|f| series::sanitize(f, key))
            .collect();
        let mut scratch = Vec::new();
        let families: Vec<Prepared<'a>> = families
            .into_iter()
            .map(|f| self.prepare(f, &mut scratch))
            .collect();
        let id = self.by_key.get(key).copied();
        let errors = self.check_push(id, key, &families, replace);
        if !errors.is_empty() {
            if self.checked {
                self.record_failure(key, time);
                return Err(Rejection(errors));
            }
            self.maybe_inconsistent = true;
        }
        self.apply_push(id, key, families, replace, time);
        Ok(())
    }

    /// Rejects a push for problems found before the store saw it (what upstream's check reports
    /// about protobuf series: a value of the wrong type, a label value that is not UTF-8), with
    /// the failure bookkeeping of any rejection (spec §6.6, §17 R1).
    pub fn reject(&mut self, key: &GroupingKey, errors: Vec<String>, time: Timestamp) -> Rejection {
        self.record_failure(key, time);
        Rejection(errors)
    }

    /// Removes the group with exactly this key; returns whether it existed (spec §7).
    pub fn delete(&mut self, key: &GroupingKey) -> bool {
        let Some(id) = self.by_key.remove(key) else {
            return false;
        };
        let group = self.groups[id as usize]
            .take()
            .expect("indexed group exists");
        for stored in group.families.values() {
            self.unindex_family(id, stored);
        }
        self.free.push(id);
        true
    }

    /// Deletes every group (the admin API's wipe).
    pub fn wipe(&mut self) {
        let keys: Vec<GroupingKey> = self.by_key.keys().cloned().collect();
        for key in keys {
            self.delete(&key);
        }
    }

    fn apply_push(
        &mut self,
        id: Option<GroupId>,
        key: &GroupingKey,
        families: Vec<Prepared<'_>>,
        replace: bool,
        time: Timestamp,
    ) {
        let id = id.unwrap_or_else(|| self.create_group(key, time));
        let group = self.groups[id as usize].as_mut().expect("group exists");
        // PUT replaces every pushed family; POST only those it pushes again: looked up by
        // name, so a POST costs its own size, not the group's.
        let doomed: Vec<Box<str>> = if replace {
            group
                .families
                .keys()
                .filter(|name| !is_bookkeeping(name))
                .cloned()
                .collect()
        } else {
            families
                .iter()
                .filter_map(|f| {
                    group
                        .families
                        .get_key_value(&*f.family.name)
                        .map(|(name, _)| name.clone())
                })
                .collect()
        };
        for name in doomed {
            self.remove_family(id, &name);
        }
        for prepared in families {
            self.insert_family(id, prepared, time);
        }
        self.set_bookkeeping(id, PUSH_TIME, time.as_seconds_f64(), time);
    }

    /// Records a rejected push's failure time (spec §6.6): the failure path of [`Store::push`],
    /// callable on its own so that log replay can repeat it. Creates the group unless that
    /// would duplicate another group's bookkeeping series (spec §17 R1).
    pub fn record_failure(&mut self, key: &GroupingKey, time: Timestamp) {
        let id = match self.by_key.get(key) {
            Some(&id) => id,
            None if self.new_group_would_duplicate(key).is_some() => return,
            None => self.create_group(key, time),
        };
        self.set_bookkeeping(id, PUSH_FAILURE_TIME, time.as_seconds_f64(), time);
    }

    /// A new group with both bookkeeping families at 0.
    fn create_group(&mut self, key: &GroupingKey, time: Timestamp) -> GroupId {
        let group = Group {
            key: key.clone(),
            families: BTreeMap::new(),
            push_time: 0.0,
            failure_time: 0.0,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.groups[id as usize] = Some(group);
                id
            }
            None => {
                self.groups.push(Some(group));
                assert!(self.groups.len() <= index::GROUPS_MAX, "too many groups");
                (self.groups.len() - 1) as GroupId
            }
        };
        self.by_key.insert(key.clone(), id);
        for name in [PUSH_TIME, PUSH_FAILURE_TIME] {
            let family = bookkeeping_family(name, base_labels(key), 0.0);
            let prepared = self.prepare(family, &mut Vec::new());
            self.insert_family(id, prepared, time);
        }
        id
    }

    /// Sets a bookkeeping gauge. Its one series keeps its labels and so its identity hash:
    /// no index changes.
    fn set_bookkeeping(&mut self, id: GroupId, name: &'static str, value: f64, time: Timestamp) {
        let key = &self.group_by_id(id).key;
        let family = bookkeeping_family(name, base_labels(key), value);
        let stored = StoredFamily::new(self.prepare(family, &mut Vec::new()), time);
        let group = self.groups[id as usize].as_mut().expect("group exists");
        *group.families.get_mut(name).expect("bookkeeping family") = stored;
        if name == PUSH_TIME {
            group.push_time = value;
        } else {
            group.failure_time = value;
        }
    }

    /// Renders a sanitised family and hashes its series' identities: a compact family's are
    /// the starts of its lines, others' are written out.
    fn prepare<'a>(&self, family: Family<'a>, scratch: &mut Vec<u8>) -> Prepared<'a> {
        let fragment = Fragment::render(&family);
        let escaped = Escaped::of(&family);
        let compact = escaped.is_none() && is_compact(&family);
        let hashes = if compact {
            (0..fragment.series_count())
                .map(|i| self.series.hash(fragment.identity(i)))
                .collect()
        } else {
            let name = &family.name;
            family
                .metrics
                .iter()
                .map(|m| self.identity_hash(name, &m.labels, scratch))
                .collect()
        };
        Prepared {
            family,
            fragment,
            escaped,
            compact,
            hashes,
        }
    }

    /// The identity hash of series `name{labels}`.
    fn identity_hash(&self, name: &str, labels: &[Label<'_>], scratch: &mut Vec<u8>) -> SeriesHash {
        scratch.clear();
        fragment::write_identity(scratch, name, labels);
        self.series.hash(scratch)
    }

    /// Adds a family with its series' identity hashes.
    fn insert_family(&mut self, id: GroupId, prepared: Prepared<'_>, time: Timestamp) {
        self.families
            .add(&prepared.family.name, prepared.family.mtype, id);
        for &hash in &prepared.hashes {
            self.series.add(hash, id);
        }
        let stored = StoredFamily::new(prepared, time);
        let group = self.groups[id as usize].as_mut().expect("group exists");
        let previous = group.families.insert(stored.name.clone(), stored);
        assert!(
            previous.is_none(),
            "a family is removed before it is replaced"
        );
    }

    fn remove_family(&mut self, id: GroupId, name: &str) {
        let group = self.groups[id as usize].as_mut().expect("group exists");
        let stored = group.families.remove(name).expect("removed family exists");
        self.unindex_family(id, &stored);
    }

    /// Takes a family out of the indexes; its series' identities are hashed again rather than
    /// kept (8 bytes a series).
    fn unindex_family(&mut self, id: GroupId, stored: &StoredFamily) {
        self.families.remove(&stored.name, stored.mtype, id);
        let mut scratch = Vec::new();
        for i in 0..stored.series_count() {
            let hash = match &stored.model {
                None => self.series.hash(stored.fragment.identity(i)),
                Some(model) => {
                    self.identity_hash(&stored.name, &model.metrics[i].labels, &mut scratch)
                }
            };
            self.series.remove(hash, id);
        }
    }
}

/// The grouping labels plus `instance=""` when the key has none, sorted by name: the labels
/// of the bookkeeping series (spec §6.7).
pub fn base_labels(key: &GroupingKey) -> Vec<Label<'_>> {
    let mut labels = Vec::with_capacity(key.labels().len() + 1);
    labels.extend(key.labels().iter().map(|(n, v)| Label {
        name: Cow::Borrowed(n.as_str()),
        value: Cow::Borrowed(v.as_str()),
    }));
    if key.get("instance").is_none() {
        labels.push(Label {
            name: Cow::Borrowed("instance"),
            value: Cow::Borrowed(""),
        });
        labels.sort_by(|a, b| a.name.cmp(&b.name));
    }
    labels
}

fn bookkeeping_family<'a>(name: &'static str, labels: Vec<Label<'a>>, value: f64) -> Family<'a> {
    let help = if name == PUSH_TIME {
        PUSH_TIME_HELP
    } else {
        PUSH_FAILURE_TIME_HELP
    };
    Family {
        name: Cow::Borrowed(name),
        help: Some(Cow::Borrowed(help)),
        mtype: MetricType::Gauge,
        unit: None,
        metrics: vec![Metric {
            labels,
            value: Value::Simple(value),
            timestamp_ms: None,
            pb_value: None,
        }],
    }
}
#[cfg(test)]
pub(crate) mod tests;
