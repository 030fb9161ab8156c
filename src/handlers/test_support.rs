//! Helpers for the handlers' table tests: an `App` with a fixed start time and groups pushed
//! at fixed times, so rendered documents can be compared with golden strings.

use super::App;
use crate::clock::Timestamp;
use crate::config::Config;
use crate::grouping::GroupingKey;
use crate::model::Family;
use crate::parse::names::NameScheme;
use crate::parse::protobuf;
use crate::parse::text::{self, TextOptions};

/// 2025-04-09T10:02:27.716605811Z
pub const T0: i64 = 1_744_192_947_716_605_811;

pub fn app(config: Config) -> App {
    app_routed(config, "")
}

/// An app whose routes live under `route_prefix` (normalised, e.g. `/pg`).
pub fn app_routed(config: Config, route_prefix: &str) -> App {
    let mut app = App::new(config, route_prefix, Vec::new());
    app.start_time = Timestamp::from_unix_nanos(T0);
    app
}

pub fn key(pairs: &[(&str, &str)]) -> GroupingKey {
    GroupingKey::from_pairs(
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    )
}

/// A PUT of `body` to `key` at `unix_nanos`; panics if the store refuses it.
pub fn push(app: &mut App, pairs: &[(&str, &str)], body: &str, unix_nanos: i64) {
    let opts = TextOptions {
        utf8_names: app.config.enable_utf8_names,
    };
    let families = text::parse(body.as_bytes(), opts).expect("test body parses");
    push_families(app, pairs, families, unix_nanos);
}

/// A PUT of a delimited protobuf `body`; panics if it does not decode or the store refuses it.
pub fn push_protobuf(app: &mut App, pairs: &[(&str, &str)], body: &[u8], unix_nanos: i64) {
    let decoded = protobuf::parse(body, NameScheme { utf8: false }).expect("test body decodes");
    assert!(decoded.problems.is_empty(), "{:?}", decoded.problems);
    push_families(app, pairs, decoded.families, unix_nanos);
}

fn push_families(
    app: &mut App,
    pairs: &[(&str, &str)],
    families: Vec<Family<'_>>,
    unix_nanos: i64,
) {
    app.store
        .push(
            &key(pairs),
            families,
            true,
            Timestamp::from_unix_nanos(unix_nanos),
        )
        .expect("test push is accepted");
}
