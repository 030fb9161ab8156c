//! Start-up and shutdown (spec §13): what the binary does with a parsed `Config`.

use crate::config::Config;
use crate::handlers::App;
use crate::limits::Limits;
use crate::reactor::Server;
use crate::router::compute_route_prefix;
use crate::time_zone::Zone;
use crate::{build_info, log};
use std::process::ExitCode;
#[cfg(feature = "tls")]
use {crate::webconfig::watch::Watch, std::path::Path, std::rc::Rc};

/// Runs the server until a graceful shutdown (exit 0), or fails to start (exit 1, spec §17 R9).
pub fn run(config: Config) -> ExitCode {
    log::info("starting pushgateway", &[("version", &build_info::info())]);
    log::info(
        "build context",
        &[("build_context", &build_info::build_context())],
    );
    let web = match web_config(&config.web_config_file) {
        Ok(web) => web,
        Err(reason) => {
            log::error("cannot start: invalid web config file", &[("err", &reason)]);
            return ExitCode::FAILURE;
        }
    };
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
    let served = match web {
        #[cfg(feature = "tls")]
        Some(watch) => {
            let tls = if watch.tls_enabled() {
                "enabled"
            } else {
                "disabled"
            };
            log::info(&format!("TLS is {tls}."), &[("http2", &false)]);
            let server = server.with_acceptor(Box::new(watch.clone()));
            server.run(&mut crate::auth::Guarded::new(&mut app, watch))
        }
        _ => {
            log::info("TLS is disabled.", &[("http2", &false)]);
            server.run(&mut app)
        }
    };
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

/// The web config file, checked with its certificates before anything listens.
#[cfg(feature = "tls")]
fn web_config(path: &str) -> Result<Option<Rc<Watch>>, String> {
    if path.is_empty() {
        return Ok(None);
    }
    Watch::open(Path::new(path)).map(|watch| Some(Rc::new(watch)))
}

/// A build without the `tls` feature refuses the file rather than run without the TLS or
/// authentication the user asked for.
#[cfg(not(feature = "tls"))]
fn web_config(path: &str) -> Result<Option<std::convert::Infallible>, String> {
    if path.is_empty() {
        return Ok(None);
    }
    Err("--web.config.file: this build has no TLS and basic auth (cargo feature `tls`)".into())
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
