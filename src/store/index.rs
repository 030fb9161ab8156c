//! The incrementally kept indexes that let a push be checked in O(its own size) (spec §17 R8):
//! which groups carry each family name and with which type, and which group holds each series.
//!
//! **Invariant:** the indexes describe exactly the families stored in the group table; the
//! store updates both in the same call (`Store::insert_family` / `Store::remove_family`).

use crate::model::{Family, Label, MetricType};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// Index of a group in the group table.
pub type GroupId = u32;

const TYPE_COUNT: usize = 6;

/// Counts are kept per type, in the order of the protobuf enum numbers.
fn type_slot(t: MetricType) -> usize {
    usize::from(t.protobuf_number())
}

/// How many groups carry a family name, per type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TypeCounts([u32; TYPE_COUNT]);

impl TypeCounts {
    pub fn add(&mut self, t: MetricType) {
        self.0[type_slot(t)] += 1;
    }

    pub fn remove(&mut self, t: MetricType) {
        let slot = &mut self.0[type_slot(t)];
        assert!(*slot > 0, "type count underflow");
        *slot -= 1;
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&n| n == 0)
    }

    pub fn contains(&self, t: MetricType) -> bool {
        self.0[type_slot(t)] > 0
    }

    /// The types present, in a fixed order.
    pub fn types(self) -> impl Iterator<Item = MetricType> {
        (0..TYPE_COUNT as u64)
            .filter_map(MetricType::from_protobuf_number)
            .filter(move |&t| self.contains(t))
    }
}

#[derive(Debug, Default)]
pub struct FamilyEntry {
    pub types: TypeCounts,
    /// The groups that store a family of this name.
    pub carriers: BTreeSet<GroupId>,
}

/// Family name → the groups carrying it, ordered by name so a scrape walks it in output order.
#[derive(Debug, Default)]
pub struct FamilyIndex {
    entries: BTreeMap<Box<str>, FamilyEntry>,
}

impl FamilyIndex {
    pub fn add(&mut self, name: &str, t: MetricType, group: GroupId) {
        let entry = match self.entries.get_mut(name) {
            Some(e) => e,
            None => self.entries.entry(name.into()).or_default(),
        };
        entry.types.add(t);
        let fresh = entry.carriers.insert(group);
        assert!(fresh, "a group carries a family name once");
    }

    pub fn remove(&mut self, name: &str, t: MetricType, group: GroupId) {
        let entry = self
            .entries
            .get_mut(name)
            .expect("removed family is indexed");
        entry.types.remove(t);
        let present = entry.carriers.remove(&group);
        assert!(present, "removed family was carried by the group");
        if entry.carriers.is_empty() {
            self.entries.remove(name);
        }
    }

    pub fn types(&self, name: &str) -> TypeCounts {
        self.entries.get(name).map(|e| e.types).unwrap_or_default()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &FamilyEntry)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }
}

/// Hashes are already random-keyed SipHash values; hashing them again would be wasted work.
#[derive(Default)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys are hashed")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A hasher fed through a buffer.
struct Buffered<H> {
    hasher: H,
    buf: [u8; 128],
    len: usize,
}

impl<H: Hasher> Buffered<H> {
    fn put(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > self.buf.len() {
            self.hasher.write(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() > self.buf.len() {
                self.hasher.write(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn finish(mut self) -> u64 {
        self.hasher.write(&self.buf[..self.len]);
        self.hasher.finish()
    }
}

/// The groups holding a series with a given identity hash: nearly always exactly one.
#[derive(Debug, Clone)]
enum Holders {
    One(GroupId),
    Many(Vec<GroupId>),
}

/// Series identity (family name and sorted label pairs) → groups holding such a series. A hit
/// is only a candidate: the caller compares the labels, so a hash collision never rejects a
/// push. Keys are hashed with a per-process random key, so clients cannot aim collisions.
#[derive(Debug, Default)]
pub struct SeriesIndex {
    hasher: RandomState,
    holders: HashMap<u64, Holders, BuildHasherDefault<PassThroughHasher>>,
}

impl SeriesIndex {
    /// The identity hash of series `name{labels}`.
    pub fn hash(&self, name: &str, labels: &[Label<'_>]) -> u64 {
        // SipHash pays per `write` call, so the pieces go through a buffer: hashing in pieces
        // is hashing their concatenation.
        let mut h = Buffered {
            hasher: self.hasher.build_hasher(),
            buf: [0; 128],
            len: 0,
        };
        h.put(name.as_bytes());
        h.put(&[0xff]);
        for label in labels {
            h.put(label.name.as_bytes());
            h.put(&[0xff]);
            h.put(label.value.as_bytes());
            h.put(&[0xff]);
        }
        h.finish()
    }

    /// The identity hashes of a family's series, in order.
    pub fn hash_family(&self, family: &Family<'_>) -> Box<[u64]> {
        let name = &family.name;
        family
            .metrics
            .iter()
            .map(|m| self.hash(name, &m.labels))
            .collect()
    }

    pub fn add(&mut self, hash: u64, group: GroupId) {
        match self.holders.get_mut(&hash) {
            None => {
                self.holders.insert(hash, Holders::One(group));
            }
            Some(Holders::One(g)) => {
                let first = *g;
                self.holders.insert(hash, Holders::Many(vec![first, group]));
            }
            Some(Holders::Many(v)) => v.push(group),
        }
    }

    pub fn remove(&mut self, hash: u64, group: GroupId) {
        let Some(holders) = self.holders.get_mut(&hash) else {
            panic!("removed series is indexed");
        };
        match holders {
            Holders::One(g) => {
                assert_eq!(*g, group, "removed series is held by the group");
                self.holders.remove(&hash);
            }
            Holders::Many(v) => {
                let pos = v
                    .iter()
                    .position(|&g| g == group)
                    .expect("series held by group");
                v.swap_remove(pos);
                if v.len() == 1 {
                    let last = v[0];
                    *holders = Holders::One(last);
                }
            }
        }
    }

    /// The groups that may hold a series with this hash (possibly with repeats).
    pub fn holders(&self, hash: u64) -> &[GroupId] {
        match self.holders.get(&hash) {
            None => &[],
            Some(Holders::One(g)) => std::slice::from_ref(g),
            Some(Holders::Many(v)) => v,
        }
    }
}
