//! The web config in force, and its reloading: on each new connection the file and the
//! certificate files it names are looked at (`stat` only); when any of them changed, the file
//! is read and checked again. A good edit applies to the connections that come after it; a
//! broken one is logged once and the config in force stays, so an edit never takes the server
//! down. Certificate rotation needs no restart and no signal, as upstream.
//!
//! Whether the server speaks TLS is decided at start-up, as upstream does: an edit that would
//! turn TLS on or off is refused like a broken one.

use super::{load, Pem, WebConfig};
use crate::http::transport::{Acceptor, Transport};
use crate::log;
use mio::net::TcpStream;
use rustls::{ServerConfig, ServerConnection};
use std::cell::RefCell;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

/// What identifies a version of a file without reading it; `None`: missing.
type Stamp = Option<(i64, i64, u64, u64)>;

pub struct Watch {
    path: PathBuf,
    state: RefCell<State>,
}

struct State {
    config: Rc<WebConfig>,
    tls: Option<Arc<ServerConfig>>,
    /// The stamps last looked at, good or broken: a broken version is reported once.
    stamps: Vec<Stamp>,
}

impl Watch {
    /// Reads the file for start-up: any error is fatal to the caller.
    pub fn open(path: &Path) -> Result<Watch, String> {
        let (config, tls) = build(path)?;
        let stamps = stamps(path, &config);
        Ok(Watch {
            path: path.to_path_buf(),
            state: RefCell::new(State {
                config: Rc::new(config),
                tls,
                stamps,
            }),
        })
    }

    pub fn config(&self) -> Rc<WebConfig> {
        self.state.borrow().config.clone()
    }

    pub fn tls_enabled(&self) -> bool {
        self.state.borrow().tls.is_some()
    }

    /// Reloads the file if it or a file it names changed since it was last looked at.
    pub fn refresh(&self) {
        let mut state = self.state.borrow_mut();
        let now = stamps(&self.path, &state.config);
        if now == state.stamps {
            return;
        }
        state.stamps = now;
        match build(&self.path) {
            Ok((_, tls)) if tls.is_some() != state.tls.is_some() => log::error(
                "web config file not reloaded: turning TLS on or off needs a restart",
                &[("file", &self.path.display())],
            ),
            Ok((config, tls)) => {
                // The stamps of the files the new version names.
                state.stamps = stamps(&self.path, &config);
                state.config = Rc::new(config);
                state.tls = tls;
                log::info(
                    "web config file reloaded",
                    &[("file", &self.path.display())],
                );
            }
            Err(e) => log::error(
                "web config file not reloaded; keeping the one in force",
                &[("err", &e)],
            ),
        }
    }
}

impl Acceptor for Rc<Watch> {
    fn accept(&mut self, socket: TcpStream) -> io::Result<Transport> {
        self.refresh();
        let Some(tls) = self.state.borrow().tls.clone() else {
            return Ok(Transport::Plain(socket));
        };
        let session = ServerConnection::new(tls).map_err(io::Error::other)?;
        Ok(Transport::Tls(Box::new(crate::tls::TlsStream::new(
            socket, session,
        ))))
    }
}

fn build(path: &Path) -> Result<(WebConfig, Option<Arc<ServerConfig>>), String> {
    let config = load(path)?;
    let tls = match &config.tls {
        Some(settings) => Some(
            crate::tls::server_config(settings).map_err(|e| format!("{}: {e}", path.display()))?,
        ),
        None => None,
    };
    Ok((config, tls))
}

fn stamps(path: &Path, config: &WebConfig) -> Vec<Stamp> {
    let stamp = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.mtime(), m.mtime_nsec(), m.ino(), m.len()))
    };
    let mut stamps = vec![stamp(path)];
    if let Some(tls) = &config.tls {
        let sources = [Some(&tls.cert), Some(&tls.key), tls.client_ca.as_ref()];
        for source in sources.into_iter().flatten() {
            if let Pem::File(file) = &source.pem {
                stamps.push(stamp(file));
            }
        }
    }
    stamps
}
