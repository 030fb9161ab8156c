//! Micro benchmarks of the hot paths (issue 8), one plain `harness = false` binary:
//! `cargo bench --bench micro` (about a minute; `-- --quick` for a few seconds, and a word
//! filters, e.g. `-- log`). Each measurement repeats for a bounded time and prints the median
//! run. Nothing here touches a socket; `benches/e2e` measures the server as a whole.

mod body;
mod exposition;
mod float;
mod grouping;
mod log;
mod parse;
mod timing;

pub fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let benches: [(&str, fn()); 6] = [
        ("parse", parse::run),
        ("grouping", grouping::run),
        ("exposition", exposition::run),
        ("log", log::run),
        ("protobuf", parse::run_protobuf),
        ("float", float::run),
    ];
    for (name, run) in benches {
        if filter.as_deref().is_none_or(|f| name.contains(f)) {
            run();
        }
    }
}
