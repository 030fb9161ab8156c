//! Request-body parsers: pure functions from bytes to borrowed [`crate::model::Family`] values.
//! No I/O; allocations bounded by the input.

// A client's bytes (or a damaged file's) reach this code: it must not be able to panic. An
// exception is allowed in place, with the reason it cannot fire.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod names;
pub mod protobuf;
pub mod text;
