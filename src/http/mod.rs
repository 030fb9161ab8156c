//! HTTP/1.1 over mio: connection state, request-head decoding with httparse, body framing
//! (Content-Length and chunked), `Expect: 100-continue`, pipelining, keep-alive, limits and
//! timeouts, and response serialisation. It knows nothing of Prometheus: it hands complete
//! requests to a [`Service`] and writes back what it returns.

pub mod chunked;
pub mod conn;
pub mod date;
pub mod error;
pub mod head;
pub mod message;
pub mod output;
pub mod response;
pub mod transport;

pub use message::{Body, BodySource, Chunk, HeaderValue, Method, Request, Response, Service};
