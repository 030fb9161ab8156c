//! The Pushgateway behind the HTTP layer: routes each request to its handler, counts it in
//! `pushgateway_http_requests_total`, and owns the store and the server's own metrics.

mod api;
mod lifecycle;
mod metrics;
mod negotiate;
mod push;
pub mod replies;
#[cfg(test)]
mod test_support;
mod ui;

use crate::clock::Timestamp;
use crate::config::Config;
use crate::db::{Db, Status};
use crate::http::{date, Method, Request, Response, Service};
use crate::limits::EXPIRED_GROUPS_PER_TICK_MAX;
use crate::log;
use crate::own_metrics::{own_families, OwnMetrics};
use crate::router::{compute_route_prefix, Endpoint, Routed, Router, RouterOptions};
use crate::store::Store;
use crate::time_zone::Zone;
use crate::wal::{Disk, WalOptions};
use std::io;
use std::path::Path;
use std::time::Instant;

pub struct App {
    config: Config,
    router: Router,
    store: Store,
    /// Every change to `store` goes through here, and into the log if there is one.
    db: Db,
    own: OwnMetrics,
    /// The labels of `pushgateway_build_info`.
    build_labels: Vec<(&'static str, String)>,
    /// When the server started: `start_time` of `/api/v1/status` and the UI's status page.
    start_time: Timestamp,
    /// The external path prefix (spec §2.4): where the UI's links point, which may differ from
    /// where the routes live when a proxy rewrites paths.
    ext_prefix: String,
    /// The zone of every time the API and the UI print: UTC until `set_zone` (upstream prints
    /// its local zone).
    zone: Zone,
    /// `Last-Modified` of the embedded files: the start time as an HTTP date.
    assets_modified: String,
    shutdown: bool,
    /// The log could not be read: the loop stops with this error.
    fatal: Option<io::Error>,
    /// This loop turn's commit failed: the changes answered in it get this 503 instead.
    commit_failure: Option<String>,
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
        let expiry = !config.group_ttl.is_zero();
        let store = Store::new(!config.disable_consistency_check, own_families(expiry));
        let start_time = Timestamp::now();
        let start_secs = u64::try_from(start_time.unix_nanos / 1_000_000_000).unwrap_or(0);
        let mut app = App {
            ext_prefix: compute_route_prefix("", &config.external_url_path),
            config,
            router,
            store,
            db: Db::in_memory(),
            own: OwnMetrics::new(expiry),
            build_labels,
            start_time,
            zone: Zone::utc(),
            assets_modified: String::from_utf8_lossy(&date::format(start_secs)).into_owned(),
            shutdown: false,
            fatal: None,
            commit_failure: None,
        };
        app.start_expiry();
        app
    }

    /// The zone the API and the UI print times in (`Zone::local()` in the server).
    pub fn set_zone(&mut self, zone: Zone) {
        self.zone = zone;
    }

    /// Opens `--persistence.file` (refusing a log that is locked or of an unknown version);
    /// the loop then replays it into the (still empty) store, and every change goes to it.
    pub fn open_log(&mut self) -> io::Result<()> {
        let options = WalOptions::new(
            self.config.persistence_fsync,
            self.config.persistence_interval,
        );
        let path = Path::new(&self.config.persistence_file);
        // Expiry starts again once the log is replayed (`background`).
        self.db = Db::open(Box::<Disk>::default(), path, options)?;
        Ok(())
    }

    /// With `--push.group-ttl`: timers for the groups in the store, and the groups already past
    /// their deadline (left over from before a restart) deleted at once, before serving: in
    /// the loop turn whose replay step finished the log.
    fn start_expiry(&mut self) {
        if self.config.group_ttl.is_zero() {
            return;
        }
        self.db.enable_expiry(self.config.group_ttl, &self.store);
        let expired = self
            .db
            .expire(&mut self.store, Timestamp::now(), usize::MAX);
        self.own.count_expired(expired);
    }

    /// At a clean shutdown: the log's last commit and sync.
    pub fn close_log(&mut self) -> io::Result<()> {
        self.db.close(&self.store, Instant::now())
    }

    /// Why the request must wait, if it must: nothing but health, quitting and the embedded
    /// files is served while the log replays (no client sees a partial store), and no change
    /// is taken while the log cannot be written (scrapes go on).
    fn unavailable(&self, endpoint: Endpoint) -> Option<Response> {
        let changes = matches!(
            endpoint,
            Endpoint::Push { .. } | Endpoint::Delete { .. } | Endpoint::Wipe
        );
        let always = matches!(
            endpoint,
            Endpoint::Healthy | Endpoint::Quit | Endpoint::QuitGet | Endpoint::Static
        );
        match self.db.status() {
            Status::Ready => None,
            Status::Replaying { .. } if always => None,
            Status::Replaying {
                read_bytes,
                total_bytes,
            } => Some(lifecycle::replaying(read_bytes, total_bytes)),
            Status::Broken(reason) if changes || endpoint == Endpoint::Ready => {
                Some(lifecycle::broken(reason))
            }
            Status::Broken(_) => None,
        }
    }

    /// The store, read-only: the fuzz harness checks its consistency after every request.
    #[doc(hidden)]
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn dispatch(&mut self, req: &Request<'_>, endpoint: Endpoint, params: &[Vec<u8>]) -> Response {
        if let Some(response) = self.unavailable(endpoint) {
            return response;
        }
        match endpoint {
            Endpoint::Metrics => self.metrics(req),
            Endpoint::Push {
                replace,
                job_base64,
            } => self.push(req, params, replace, job_base64),
            Endpoint::Delete { job_base64 } => self.delete(params, job_base64),
            Endpoint::Healthy => lifecycle::healthy(self.db.status()),
            Endpoint::Ready => lifecycle::ready(),
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
                self.db.wipe(&mut self.store);
                Response::new(202)
            }
            Endpoint::ApiOptions => with_cors(Response::new(200)),
            Endpoint::ApiStatus => with_cors(self.api_status()),
            Endpoint::ApiMetrics => with_cors(self.api_metrics()),
            Endpoint::Ui => self.ui(req),
            Endpoint::Static => self.static_file(req, params),
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
                let appended = self.db.appended();
                let mut response = self.dispatch(req, endpoint, &params);
                response.awaits_commit = self.db.appended() != appended;
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

    fn before_flush(&mut self) -> io::Result<()> {
        if let Some(e) = self.fatal.take() {
            log::error("cannot replay the persistence file", &[("err", &e)]);
            return Err(e);
        }
        self.commit_failure = self.db.commit(Instant::now()).err().map(|e| e.to_string());
        Ok(())
    }

    fn commit_failed(&mut self) -> Option<Response> {
        let reason = self.commit_failure.as_ref()?;
        Some(lifecycle::broken(reason))
    }

    fn background(&mut self) -> bool {
        if self.fatal.is_some() {
            return false;
        }
        let replaying = matches!(self.db.status(), Status::Replaying { .. });
        match self.db.background(&mut self.store) {
            Ok(more) => {
                if replaying && !matches!(self.db.status(), Status::Replaying { .. }) {
                    self.start_expiry();
                }
                more
            }
            Err(e) => {
                self.fatal = Some(e);
                false
            }
        }
    }

    fn tick(&mut self) {
        let expired = self.db.expire(
            &mut self.store,
            Timestamp::now(),
            EXPIRED_GROUPS_PER_TICK_MAX,
        );
        self.own.count_expired(expired);
        self.db.tick(&self.store, Instant::now());
    }

    fn shutdown_requested(&self) -> bool {
        self.shutdown
    }
}
