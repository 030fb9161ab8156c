//! The binary: command line → [`Action`]. Help and version texts go to stdout (exit 0), a flag
//! error goes to stderr the way upstream prints it (exit 1), and a run hands the configuration
//! to the server. Nothing else lives here.
#![forbid(unsafe_code)]

use pushgateway::config::{self, Action};
use pushgateway::{log, server};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    match config::parse_args(std::env::args_os().skip(1)) {
        Ok(Action::Help(text) | Action::Version(text)) => {
            // A reader that went away (`pushgateway --help | head -1`) is not worth a panic.
            match std::io::stdout().lock().write_all(text.as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            }
        }
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "pushgateway: error: {error}, try --help");
            ExitCode::FAILURE
        }
        Ok(Action::Run(config)) => {
            log::init(config.log_level, config.log_format);
            if config.systemd_socket {
                // Refused loudly: silently listening elsewhere would look like a hung service.
                log::error(
                    "systemd socket activation is not supported; \
                     remove --web.systemd-socket and use --web.listen-address",
                    &[],
                );
                return ExitCode::FAILURE;
            }
            server::run(config)
        }
    }
}
