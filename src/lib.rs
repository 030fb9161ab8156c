//! pushgateway-rs: a drop-in replacement for the Prometheus Pushgateway on one single-threaded
//! event loop. `main.rs` only parses flags and calls [`server::run`]; everything else lives here
//! so that tests, benches and fuzz targets link the same code. See ARCHITECTURE.md for the map.
#![deny(unsafe_code)]

#[cfg(feature = "tls")]
pub mod auth;
pub mod base64;
pub mod build_info;
pub mod civil_time;
pub mod clock;
pub mod compress;
pub mod config;
pub mod db;
pub mod duration;
pub mod escaping;
pub mod expiry;
pub mod float_format;
pub mod go_quote;
pub mod grouping;
pub mod handlers;
pub mod http;
pub mod json;
pub mod limits;
pub mod listen;
pub mod log;
pub mod model;
pub mod native_histogram;
pub mod own_metrics;
pub mod parse;
pub mod process;
pub mod reactor;
pub mod router;
pub mod server;
pub mod store;
mod sys;
pub mod time_format;
pub mod time_zone;
#[cfg(feature = "tls")]
pub mod tls;
pub mod wal;
#[cfg(feature = "tls")]
pub mod webconfig;
