//! What this binary is and how it was built, as upstream's `prometheus/common/version` reports
//! it: the `--version` text (spec §14), the start-up log fields, and the values behind the
//! `pushgateway_build_info` metric and `/api/v1/status`. The values are stamped by `build.rs`;
//! this module only names and formats them. The compiler version stands where Go reports its
//! own (`goVersion`, the `goversion` label), see spec §17 R10.

/// The release version, from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git commit built from, or `unknown`.
pub const REVISION: &str = env!("PUSHGATEWAY_STAMP_REVISION");
/// The git branch built from (`HEAD` when detached), or `unknown`.
pub const BRANCH: &str = env!("PUSHGATEWAY_STAMP_BRANCH");
/// `user@host` of the build, or `unknown`.
pub const BUILD_USER: &str = env!("PUSHGATEWAY_STAMP_USER");
/// `YYYYMMDD-HH:MM:SS` (UTC), honouring `SOURCE_DATE_EPOCH`.
pub const BUILD_DATE: &str = env!("PUSHGATEWAY_STAMP_DATE");
/// `rustc --version` of the compiler that built this binary.
pub const COMPILER_VERSION: &str = env!("PUSHGATEWAY_STAMP_COMPILER");
/// The target OS in Go's spelling (`linux`, `darwin`).
pub const GOOS: &str = env!("PUSHGATEWAY_STAMP_GOOS");
/// The target architecture in Go's spelling (`amd64`, `arm64`).
pub const GOARCH: &str = env!("PUSHGATEWAY_STAMP_GOARCH");
/// Go build tags have no counterpart here; upstream reports `unknown` when none are set.
pub const TAGS: &str = "unknown";

const PROGRAM: &str = "pushgateway";

/// The `--version` text, ending in a newline.
pub fn version_text() -> String {
    format!(
        "{PROGRAM}, version {VERSION} (branch: {BRANCH}, revision: {REVISION})\n\
         \x20 build user:       {BUILD_USER}\n\
         \x20 build date:       {BUILD_DATE}\n\
         \x20 go version:       {COMPILER_VERSION}\n\
         \x20 platform:         {GOOS}/{GOARCH}\n\
         \x20 tags:             {TAGS}\n"
    )
}

/// Upstream's `version.Info()`, logged as `version` at start-up.
pub fn info() -> String {
    format!("(version={VERSION}, branch={BRANCH}, revision={REVISION})")
}

/// Upstream's `version.BuildContext()`, logged as `build_context` at start-up.
pub fn build_context() -> String {
    format!(
        "(go={COMPILER_VERSION}, platform={GOOS}/{GOARCH}, user={BUILD_USER}, \
         date={BUILD_DATE}, tags={TAGS})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_text_has_upstream_layout() {
        let text = version_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                format!("pushgateway, version {VERSION} (branch: {BRANCH}, revision: {REVISION})"),
                format!("  build user:       {BUILD_USER}"),
                format!("  build date:       {BUILD_DATE}"),
                format!("  go version:       {COMPILER_VERSION}"),
                format!("  platform:         {GOOS}/{GOARCH}"),
                "  tags:             unknown".to_string(),
            ]
        );
        assert!(text.ends_with("unknown\n"));
    }

    #[test]
    fn stamped_values_are_well_formed() {
        assert!(!REVISION.is_empty() && !BRANCH.is_empty() && !BUILD_USER.is_empty());
        assert!(COMPILER_VERSION.starts_with("rustc ") || COMPILER_VERSION == "unknown");
        // YYYYMMDD-HH:MM:SS
        let date = BUILD_DATE.as_bytes();
        assert_eq!(date.len(), 17, "{BUILD_DATE}");
        assert!(date.iter().enumerate().all(|(i, b)| match i {
            8 => *b == b'-',
            11 | 14 => *b == b':',
            _ => b.is_ascii_digit(),
        }));
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            assert_eq!((GOOS, GOARCH), ("linux", "amd64"));
        }
        if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
            assert_eq!((GOOS, GOARCH), ("linux", "arm64"));
        }
    }

    #[test]
    fn info_and_build_context_match_upstream_shape() {
        assert_eq!(
            info(),
            format!("(version={VERSION}, branch={BRANCH}, revision={REVISION})")
        );
        assert!(build_context().starts_with(&format!("(go={COMPILER_VERSION}, platform=")));
        assert!(build_context().ends_with(", tags=unknown)"));
    }
}
