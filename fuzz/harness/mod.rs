//! The fuzz harnesses: one module per entry point a client's bytes reach, each a `run` function
//! that must return normally for every input. A panic, in the code under test or in one of the
//! harness's own `assert!`s about what must hold, is a finding.
//!
//! The same functions serve two masters: the cargo-fuzz binaries in `fuzz_targets/` (this
//! directory is their crate's library), and `tests/fuzz_corpus.rs`, which includes this module by
//! path and replays every file of `corpus/<target>/` under `cargo test`. They use only the
//! library's public API, so they see what the server sees.
//!
//! Adding a target: a module here with `pub fn run(data: &[u8])`, its line in [`TARGETS`], a
//! two-line `fuzz_targets/<name>.rs` with its `[[bin]]` in `Cargo.toml`, and seeds in
//! `corpus/<name>/`. The corpus test refuses a corpus or target file that `TARGETS` lacks.

pub mod app;
pub mod chunked;
pub mod compressed;
pub mod grouping_key;
pub mod http_head;
pub mod log_replay;
pub mod protobuf;
mod splits;
pub mod text;

/// A harness: returns for every input, or panics with a finding.
pub type Harness = fn(&[u8]);

/// Every target by name: the name of its `fuzz_targets/` file and of its `corpus/` directory.
pub const TARGETS: &[(&str, Harness)] = &[
    ("app", app::run),
    ("chunked", chunked::run),
    ("compressed", compressed::run),
    ("grouping_key", grouping_key::run),
    ("http_head", http_head::run),
    ("log_replay", log_replay::run),
    ("protobuf", protobuf::run),
    ("text", text::run),
];
