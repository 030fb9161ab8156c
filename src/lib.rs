//! pushgateway-rs: a drop-in replacement for the Prometheus Pushgateway on one single-threaded
//! event loop. `main.rs` only parses flags and calls [`server::run`]; everything else lives here
//! so that tests, benches and fuzz targets link the same code. See ARCHITECTURE.md for the map.

pub mod base64;
pub mod config;
pub mod float_format;
pub mod goquote;
pub mod grouping;
pub mod http;
pub mod limits;
pub mod log;
pub mod model;
pub mod parse;
pub mod process;
pub mod reactor;
