//! Opt-in group expiry (`--push.group-ttl`, README "Group expiry"): each group's deadline, and
//! the timers that find the groups whose deadline has passed without looking at the others.
//!
//! A group's deadline is the TTL after its last successful push, or, for a group that a
//! rejected push created and that never had a successful push, the TTL after its creation
//! ([`Group::refreshed_at`]). Only a successful push (PUT or POST) moves it; a failed one does
//! not.
//!
//! The timers are a min-heap of (deadline, key) with lazy updates. Every tracked key has
//! exactly one entry, whose deadline is never later than its group's: a push, which can only
//! move a deadline later, leaves the heap alone. When an entry comes due, the group is looked
//! up: gone, the entry is dropped; refreshed since, the entry goes back in at the new deadline;
//! otherwise the group is due. So a tick costs O(log n) for each entry that comes due and
//! nothing for the others, and a group pushed more often than its TTL comes due about once per
//! TTL. (A wall clock stepped back can make a deadline earlier than its entry; the group then
//! expires late by the step, never early.)
//!
//! Must never: change the store. `db` deletes and logs what [`Timers::due`] returns.

use crate::clock::Timestamp;
use crate::grouping::GroupingKey;
use crate::store::{Group, Store};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::time::Duration;

/// When `group` expires under `ttl`.
pub fn deadline(group: &Group, ttl: Duration) -> Timestamp {
    let ttl_nanos = i64::try_from(ttl.as_nanos()).unwrap_or(i64::MAX);
    Timestamp::from_unix_nanos(group.refreshed_at().unix_nanos.saturating_add(ttl_nanos))
}

/// The deadlines of the groups, soonest first.
#[derive(Debug)]
pub struct Timers {
    ttl: Duration,
    /// One entry per key in `tracked`, at or before its group's deadline.
    heap: BinaryHeap<Reverse<(Timestamp, GroupingKey)>>,
    /// The keys with an entry in `heap`: the live groups, and deleted ones whose entry has not
    /// come due yet (a group created again under such a key reuses the entry).
    tracked: HashSet<GroupingKey>,
}

impl Timers {
    pub fn new(ttl: Duration) -> Timers {
        assert!(!ttl.is_zero(), "a zero TTL means expiry is off");
        Timers {
            ttl,
            heap: BinaryHeap::new(),
            tracked: HashSet::new(),
        }
    }

    /// After any change that may have created `group`: gives it a timer unless it has one.
    pub fn track(&mut self, group: &Group) {
        if !self.tracked.contains(&group.key) {
            self.tracked.insert(group.key.clone());
            let entry = (deadline(group, self.ttl), group.key.clone());
            self.heap.push(Reverse(entry));
        }
    }

    /// Drops every timer (the store was wiped).
    pub fn clear(&mut self) {
        self.heap.clear();
        self.tracked.clear();
    }

    /// Up to `max` groups whose deadline is at or before `now`, soonest first. They stop being
    /// tracked: the caller deletes them.
    pub fn due(&mut self, store: &Store, now: Timestamp, max: usize) -> Vec<GroupingKey> {
        let mut due = Vec::new();
        while due.len() < max {
            match self.heap.peek() {
                Some(Reverse((at, _))) if *at <= now => {}
                _ => break,
            }
            let Reverse((_, key)) = self.heap.pop().expect("peeked");
            match store.group(&key).map(|group| deadline(group, self.ttl)) {
                Some(later) if later > now => self.heap.push(Reverse((later, key))),
                found => {
                    self.tracked.remove(&key);
                    if found.is_some() {
                        due.push(key);
                    }
                }
            }
        }
        due
    }

    /// Entries in the heap: the live groups, plus deleted ones whose entry is not due yet.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}
