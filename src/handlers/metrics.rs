//! `GET` on the telemetry path (spec §8): the store's pre-rendered exposition merged with the
//! server's own families, as text or protobuf (spec §8.4). A scrape formats only the own
//! families' numbers.

use super::negotiate::negotiate;
use super::replies::TEXT_PLAIN;
use super::App;
use crate::compress;
use crate::http::{Body, Request, Response};
use crate::log;
use crate::own_metrics::Gathered;

impl App {
    pub(super) fn metrics(&mut self, req: &Request<'_>) -> Response {
        let process = crate::process::read();
        let own = self.own.gather(&Gathered {
            build_labels: &self.build_labels,
            process: &process,
        });
        let negotiated = negotiate(req.header("accept"));
        match self
            .store
            .scrape_with(&own, negotiated.format, negotiated.escaping)
        {
            Ok(scrape) => {
                let response = Response::new(200)
                    .header("Content-Type", negotiated.content_type)
                    .body(Body::Chunks(scrape.chunks));
                // Spec §8.6: only a successful exposition is ever compressed.
                compress::gzip_if_accepted(req, response)
            }
            Err(rejection) => {
                log::error("error gathering metrics", &[("err", &rejection)]);
                let body = format!("An error has occurred while serving metrics:\n\n{rejection}\n");
                Response::new(500)
                    .header("Content-Type", TEXT_PLAIN)
                    .header("X-Content-Type-Options", "nosniff")
                    .body(Body::Bytes(body.into_bytes()))
            }
        }
    }
}
