//! A live group re-encoded, for compaction, as the records that rebuild it exactly when
//! replayed into an empty store: its families with their stamps, `push_time_seconds` (value and
//! stamp) and `push_failure_time_seconds` (value and stamp).
//!
//! What the bookkeeping families tell (spec §6.2, §6.6): a push at `t` stamps its families and
//! `push_time_seconds` with `t`; a failure at `t` sets `push_failure_time_seconds` to `t`; a
//! group is created by its first push or failure, whose time stamps both bookkeeping families.
//! So `push_time_seconds`' stamp is the last push (or, if there never was one, the creation),
//! and while no push failed, `push_failure_time_seconds`' stamp is the creation.
//!
//! The records: an empty PUT at the creation (or, after a failure, at the last push), then one
//! record per family at its stamp, those stamped with the last push last; an empty POST at the
//! last push unless the last family POST was at that time; finally the failure, if any. A
//! group that never had a successful push is its failure(s) alone. One family per record: it
//! keeps every record within one push's size, and no body holds two families whose names the
//! text parser could confuse (`x` and `x_count`, stored apart in unchecked mode).
//!
//! A compact family (counter, gauge or untyped with nothing but labels and values, see
//! `StoredFamily`) is a FAMILY record: its stamp, header and rendered lines, which replay puts
//! back as they are (`Store::restore_family`); it does not touch `push_time_seconds`, so only
//! family POSTs count as the last push above. Other families are POSTs of delimited protobuf
//! bodies, the store's own protobuf encoding: they decode back to the same model, including
//! what text cannot carry (native histograms, exemplars, float counts, an empty HELP, the
//! unit). The labels the push's sanitisation puts back are kept; sanitising them again changes
//! nothing.

use crate::store::{Group, StoredFamily, PUSH_FAILURE_TIME, PUSH_TIME};
use crate::wal::{BodyFormat, Pairs, Record};
use std::borrow::Cow;

/// Hands `emit` the records that rebuild `group`, in order.
pub fn group_records(group: &Group, emit: &mut dyn FnMut(&Record<'_>)) {
    let key = Cow::Borrowed(group.key.labels());
    let stamp = |name: &str| group.families[name].stamp.unix_nanos;
    let (pushed_at, failed_at) = (stamp(PUSH_TIME), stamp(PUSH_FAILURE_TIME));
    let failure = |time_nanos| Record::Failure {
        time_nanos,
        key: key.clone(),
    };
    let mut families: Vec<&StoredFamily> = group
        .families
        .iter()
        .filter(|(name, _)| !crate::store::is_bookkeeping(name))
        .map(|(_, stored)| stored)
        .collect();

    if group.push_time() == 0.0 && families.is_empty() {
        emit(&failure(pushed_at));
        if failed_at != pushed_at {
            emit(&failure(failed_at));
        }
        return;
    }
    let never_failed = group.failure_time() == 0.0;
    let first = if never_failed { failed_at } else { pushed_at };
    emit(&push_record(&key, first, true, b""));
    // Stable: families of one stamp stay in name order.
    families.sort_by_key(|f| (f.stamp.unix_nanos == pushed_at, f.stamp));
    let mut last = first;
    let mut body = Vec::new();
    for stored in families {
        if let Some(lines) = stored.compact_lines() {
            emit(&Record::Family {
                time_nanos: stored.stamp.unix_nanos,
                key: key.clone(),
                mtype: stored.mtype.protobuf_number(),
                help: stored.help.as_deref(),
                name: &stored.name,
                lines,
            });
            continue;
        }
        body.clear();
        stored.write_protobuf(&mut body);
        last = stored.stamp.unix_nanos;
        emit(&push_record(&key, last, false, &body));
    }
    if last != pushed_at {
        emit(&push_record(&key, pushed_at, false, b""));
    }
    if !never_failed {
        emit(&failure(failed_at));
    }
}

fn push_record<'a>(key: &Pairs<'a>, time_nanos: i64, replace: bool, body: &'a [u8]) -> Record<'a> {
    Record::Push {
        time_nanos,
        key: key.clone(),
        replace,
        format: BodyFormat::Protobuf,
        // A name stored under --push.enable-utf8-names must decode; legacy names decode either way.
        utf8_names: true,
        body,
    }
}
