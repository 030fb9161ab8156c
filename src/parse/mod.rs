//! Request-body parsers: pure functions from bytes to borrowed [`crate::model::Family`] values.
//! No I/O; allocations bounded by the input.

pub mod names;
pub mod protobuf;
pub mod text;
