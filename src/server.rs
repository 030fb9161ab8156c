//! Temporary stand-in so this branch compiles on its own; replaced on merge by the real server.
pub fn run(_config: crate::config::Config) -> std::process::ExitCode {
    std::process::ExitCode::FAILURE
}
