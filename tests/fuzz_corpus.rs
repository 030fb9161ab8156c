//! Replays every file of every fuzz corpus (`fuzz/corpus/<target>/`: the seeds, and any input a
//! fuzzer found and someone kept) through the very harness the fuzz binary runs
//! (`fuzz/harness/`), so `cargo test` catches a regression on them without libFuzzer.

#[path = "../fuzz/harness/mod.rs"]
mod harness;

use std::collections::BTreeSet;
use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The visible entries of a directory, sorted; hidden ones are libFuzzer's scratch files.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_corpus_file_passes_its_harness() {
    let mut failed = Vec::new();
    for &(name, run) in harness::TARGETS {
        let files = entries(&fuzz_dir().join("corpus").join(name));
        assert!(!files.is_empty(), "no seeds for {name}");
        for file in files {
            let data = fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            if panic::catch_unwind(|| run(&data)).is_err() {
                failed.push(file.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "failing corpus files: {failed:#?}");
}

/// A corpus nobody replays, or a fuzz binary whose harness nobody replays, would rot unseen.
#[test]
fn every_target_has_a_harness_and_a_corpus() {
    let stems = |dir: &str| -> BTreeSet<String> {
        entries(&fuzz_dir().join(dir))
            .iter()
            .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    let harnessed: BTreeSet<String> = harness::TARGETS
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(stems("fuzz_targets"), harnessed);
    assert_eq!(stems("corpus"), harnessed);
}
