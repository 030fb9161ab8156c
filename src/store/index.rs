//! The incrementally kept indexes that let a push be checked in O(its own size) (spec §17 R8):
//! which groups carry each family name and with which type, and which group holds each series.
//!
//! **Invariant:** the indexes describe exactly the families stored in the group table; the
//! store updates both in the same call (`Store::insert_family` / `Store::remove_family`).

use crate::model::MetricType;
use std::cell::OnceCell;
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
    /// Set by a scrape: whether the carriers' series follow each other, and in which order
    /// (positions among the carriers). Any family of this name added or removed clears it.
    pub scrape_order: OnceCell<Option<Box<[u32]>>>,
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
        entry.scrape_order = OnceCell::new();
        let fresh = entry.carriers.insert(group);
        assert!(fresh, "a group carries a family name once");
    }

    pub fn remove(&mut self, name: &str, t: MetricType, group: GroupId) {
        let entry = self
            .entries
            .get_mut(name)
            .expect("removed family is indexed");
        entry.types.remove(t);
        entry.scrape_order = OnceCell::new();
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

/// An identity hash: the low 32 bits of a random-keyed SipHash. A hit is only a candidate (the
/// labels are compared), so a collision costs a comparison, never a wrong answer; and 32 bits
/// keep an index entry to 8 bytes.
pub type SeriesHash = u32;

/// Hashes are already random-keyed SipHash values; hashing them again would be wasted work.
/// The table takes its bucket from the low bits and a tag from the top 7 of the 64 it gets, so
/// the 32 bits are given in both halves.
#[derive(Default)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u32 keys are hashed")
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n) << 32 | u64::from(n);
    }
}

/// Marks a holder entry that is not a group but an index into `SeriesIndex::shared`.
const SHARED: u32 = 1 << 31;

/// The most groups a store holds: the index keeps a group number in 31 bits.
pub const GROUPS_MAX: usize = SHARED as usize;

/// Series identity (family name and sorted label pairs) → groups holding such a series. A hit
/// is only a candidate: the caller compares the labels, so a hash collision never rejects a
/// push. Keys are hashed with a per-process random key, so clients cannot aim collisions.
///
/// An entry is 8 bytes, one per stored series: nearly always the one group holding it; only a
/// hash held by several groups (a collision, or duplicates in unchecked mode) points into
/// `shared`.
#[derive(Debug, Default)]
pub struct SeriesIndex {
    hasher: RandomState,
    holders: HashMap<SeriesHash, u32, BuildHasherDefault<PassThroughHasher>>,
    shared: Vec<Vec<GroupId>>,
    /// Slots of `shared` free for reuse.
    free: Vec<u32>,
}

impl SeriesIndex {
    /// The hash of a series identity ([`write_identity`](super::fragment::write_identity)).
    pub fn hash(&self, identity: &[u8]) -> SeriesHash {
        self.hasher.hash_one(identity) as SeriesHash
    }

    /// Adds a holder of `hash`; returns whether the hash had one already.
    pub fn add(&mut self, hash: SeriesHash, group: GroupId) -> bool {
        assert!(group < SHARED, "a group number fits in 31 bits");
        let Some(entry) = self.holders.get_mut(&hash) else {
            self.holders.insert(hash, group);
            return false;
        };
        if *entry & SHARED != 0 {
            self.shared[(*entry & !SHARED) as usize].push(group);
            return true;
        }
        let groups = vec![*entry, group];
        let slot = match self.free.pop() {
            Some(slot) => {
                self.shared[slot as usize] = groups;
                slot
            }
            None => {
                self.shared.push(groups);
                u32::try_from(self.shared.len() - 1).expect("fewer shared entries than series")
            }
        };
        *entry = SHARED | slot;
        true
    }

    pub fn remove(&mut self, hash: SeriesHash, group: GroupId) {
        let Some(entry) = self.holders.get_mut(&hash) else {
            panic!("removed series is indexed");
        };
        if *entry & SHARED == 0 {
            assert_eq!(*entry, group, "removed series is held by the group");
            self.holders.remove(&hash);
            return;
        }
        let slot = *entry & !SHARED;
        let groups = &mut self.shared[slot as usize];
        let pos = groups
            .iter()
            .position(|&g| g == group)
            .expect("series held by group");
        groups.swap_remove(pos);
        if let [last] = groups[..] {
            *entry = last;
            self.shared[slot as usize] = Vec::new();
            self.free.push(slot);
        }
    }

    /// The groups that may hold a series with this hash (possibly with repeats).
    pub fn holders(&self, hash: SeriesHash) -> &[GroupId] {
        match self.holders.get(&hash) {
            None => &[],
            Some(entry) if entry & SHARED != 0 => &self.shared[(entry & !SHARED) as usize],
            Some(group) => std::slice::from_ref(group),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SeriesIndex;

    fn sorted(index: &SeriesIndex, hash: u32) -> Vec<u32> {
        let mut groups = index.holders(hash).to_vec();
        groups.sort_unstable();
        groups
    }

    #[test]
    fn a_hash_held_by_several_groups_shares_a_slot_until_one_is_left() {
        let mut index = SeriesIndex::default();
        index.add(7, 1);
        index.add(8, 1);
        assert_eq!(sorted(&index, 7), [1]);
        index.add(7, 2);
        index.add(7, 3);
        assert_eq!(sorted(&index, 7), [1, 2, 3]);
        index.remove(7, 1);
        assert_eq!(sorted(&index, 7), [2, 3]);
        index.remove(7, 3);
        assert_eq!(sorted(&index, 7), [2]);
        // The freed slot is reused by the next shared hash.
        index.add(8, 4);
        assert_eq!((sorted(&index, 8), index.shared.len()), (vec![1, 4], 1));
        index.remove(7, 2);
        index.remove(8, 1);
        index.remove(8, 4);
        assert!(index.holders(7).is_empty() && index.holders(8).is_empty());
        assert!(index.holders.is_empty());
    }
}
