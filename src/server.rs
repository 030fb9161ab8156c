//! Start-up and shutdown (spec §13): what the binary does with a parsed `Config`.

use crate::config::Config;
use crate::handlers::App;
use crate::limits::Limits;
use crate::reactor::Server;
use crate::router::compute_route_prefix;
use crate::time_zone::Zone;
use crate::{build_info, log};
use std::process::ExitCode;

/// Runs the server until a graceful shutdown (exit 0), or fails to start (exit 1, spec §17 R9).
pub fn run(config: Config) -> ExitCode {
    log::info("starting pushgateway", &[("version", &build_info::info())]);
    log::info(
        "build context",
        &[("build_context", &build_info::build_context())],
    );
    if let Err(reason) = unsupported(&config) {
        log::error("cannot start", &[("err", &reason)]);
        return ExitCode::FAILURE;
    }
    let prefix = compute_route_prefix(&config.route_prefix, &config.external_url_path);
    log::debug("path prefix for internal routing", &[("path", &prefix)]);
    let listen_addresses = config.listen_addresses.clone();
    let persistence = !config.persistence_file.is_empty();
    let mut app = App::new(config, &prefix, build_labels());
    app.set_zone(Zone::local());
    // Before listening: a log that is locked by another process or of an unknown version
    // stops the start-up. The loop then replays it while `/-/ready` says 503.
    if persistence {
        if let Err(e) = app.open_log() {
            log::error("cannot open the persistence file", &[("err", &e)]);
            return ExitCode::FAILURE;
        }
    }
    let server = match Server::bind(&listen_addresses, Limits::default()) {
        Ok(server) => server,
        Err(e) => {
            log::error("HTTP server stopped", &[("err", &e)]);
            return ExitCode::FAILURE;
        }
    };
    log::info("TLS is disabled.", &[("http2", &false)]);
    let served = server.run(&mut app);
    // Even after a failed turn: the log then reports its error again and nothing is written.
    let closed = app.close_log();
    match (served, closed) {
        (Ok(()), Ok(())) => {
            log::info("HTTP server stopped", &[]);
            ExitCode::SUCCESS
        }
        (Err(e), _) => {
            log::error("HTTP server stopped", &[("err", &e)]);
            ExitCode::FAILURE
        }
        (Ok(()), Err(e)) => {
            log::error(
                "cannot write the persistence log at shutdown",
                &[("err", &e)],
            );
            ExitCode::FAILURE
        }
    }
}

/// Flags that upstream honours and this build does not yet: refusing to start is better than
/// silently running without the TLS or authentication the user asked for.
fn unsupported(config: &Config) -> Result<(), String> {
    if !config.web_config_file.is_empty() {
        return Err("--web.config.file (TLS and basic auth) is not supported yet".into());
    }
    Ok(())
}

/// The labels of `pushgateway_build_info`, with the Rust compiler standing in for Go's
/// version (spec §17 R10).
fn build_labels() -> Vec<(&'static str, String)> {
    vec![
        ("branch", build_info::BRANCH.to_string()),
        ("goarch", build_info::GOARCH.to_string()),
        ("goos", build_info::GOOS.to_string()),
        ("goversion", build_info::COMPILER_VERSION.to_string()),
        ("revision", build_info::REVISION.to_string()),
        ("tags", build_info::TAGS.to_string()),
        ("version", build_info::VERSION.to_string()),
    ]
}
