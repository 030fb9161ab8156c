//! The Pushgateway behind the HTTP layer: routes each request to its handler, counts it in
//! `pushgateway_http_requests_total`, and owns the store and the server's own metrics.

mod lifecycle;
mod metrics;
mod push;
pub mod replies;

use crate::config::Config;
use crate::http::{Method, Request, Response, Service};
use crate::log;
use crate::own_metrics::{OwnMetrics, OWN_FAMILIES};
use crate::router::{Endpoint, Routed, Router, RouterOptions};
use crate::store::Store;

pub struct App {
    config: Config,
    router: Router,
    store: Store,
    own: OwnMetrics,
    /// The labels of `pushgateway_build_info`.
    build_labels: Vec<(&'static str, String)>,
    shutdown: bool,
}

impl App {
    /// `route_prefix` is already normalised (see `router::compute_route_prefix`).
    pub fn new(
        config: Config,
        route_prefix: &str,
        build_labels: Vec<(&'static str, String)>,
    ) -> App {
        let router = Router::new(&RouterOptions {
            prefix: route_prefix,
            telemetry_path: &config.telemetry_path,
            enable_admin_api: config.enable_admin_api,
        });
        let store = Store::new(!config.disable_consistency_check, OWN_FAMILIES);
        App {
            config,
            router,
            store,
            own: OwnMetrics::default(),
            build_labels,
            shutdown: false,
        }
    }

    /// The store, read-only: the fuzz harness checks its consistency after every request.
    #[doc(hidden)]
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn dispatch(&mut self, req: &Request<'_>, endpoint: Endpoint, params: &[Vec<u8>]) -> Response {
        match endpoint {
            Endpoint::Metrics => self.metrics(),
            Endpoint::Push {
                replace,
                job_base64,
            } => self.push(req, params, replace, job_base64),
            Endpoint::Delete { job_base64 } => self.delete(params, job_base64),
            Endpoint::Healthy | Endpoint::Ready => lifecycle::healthy(),
            Endpoint::Quit => {
                if self.config.enable_lifecycle {
                    log::warn(
                        "received termination request via web service, exiting gracefully...",
                        &[],
                    );
                    self.shutdown = true;
                }
                lifecycle::quit(self.config.enable_lifecycle)
            }
            Endpoint::QuitGet => lifecycle::quit_get(),
            Endpoint::Wipe => {
                self.store.wipe();
                Response::new(202)
            }
            Endpoint::ApiOptions => with_cors(Response::new(200)),
            Endpoint::Ui | Endpoint::Static | Endpoint::ApiStatus | Endpoint::ApiMetrics => {
                replies::error(501, "the web UI and the JSON API are not implemented yet")
            }
        }
    }
}

/// The CORS headers of the JSON API (spec §9.1).
fn with_cors(response: Response) -> Response {
    response
        .header(
            "Access-Control-Allow-Headers",
            "Accept, Authorization, Content-Type, Origin",
        )
        .header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
        .header("Access-Control-Allow-Origin", "*")
        .header("Access-Control-Expose-Headers", "Date")
        .header("Cache-Control", "no-cache, no-store, must-revalidate")
}

/// The `method` label: lower case, `unknown` for anything unexpected (client_golang's rule).
fn method_label(method: Method) -> &'static str {
    match method {
        Method::Get => "get",
        Method::Head => "head",
        Method::Put => "put",
        Method::Post => "post",
        Method::Delete => "delete",
        Method::Options => "options",
        Method::Other => "unknown",
    }
}

impl Service for App {
    fn handle(&mut self, req: &Request<'_>) -> Response {
        let with_body = matches!(req.method, Method::Get | Method::Head);
        match self.router.route(req.method, req.target) {
            Routed::Endpoint { endpoint, params } => {
                let response = self.dispatch(req, endpoint, &params);
                if let Some(handler) = endpoint.handler_label() {
                    self.own
                        .count_request(response.status, handler, method_label(req.method));
                }
                response
            }
            Routed::Redirect { status, location } => replies::redirect(status, location, with_body),
            Routed::Options { allow } => replies::options(allow),
            Routed::MethodNotAllowed { allow } => replies::method_not_allowed(allow),
            Routed::NotFound => replies::not_found(),
            Routed::BadRequest => replies::bad_request(),
        }
    }

    fn shutdown_requested(&self) -> bool {
        self.shutdown
    }
}
