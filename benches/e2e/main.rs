//! End-to-end benchmark, side by side with upstream and against the machine's ceiling
//! (issue 8). Loopback only; every loop bounded in count and time.
//!
//! The servers run pinned to CPU 0 with `taskset`, one at a time measured while the other
//! idles; the load (our own mio load generator, `load.rs`) and this bench run on CPU 1. Our
//! release binary and, when installed, Debian's `prometheus-pushgateway` are measured
//! alternately in every scenario (ours, upstream, ours, upstream, …) and the medians printed
//! with their ratio. A trivial single-threaded mio server (`trivial.rs`) on CPU 0 gives the
//! ceilings: its small-request rate under the same load, and the time to serve a prebuilt body
//! of a scrape's size.
//!
//! The stores grow in stages: 1,000 small groups ("hot", the target of the small pushes),
//! then 100, 1,000 and 10,000 groups of 100 series on top. Upstream's checked pushes slow down
//! with the store (they re-gather it), so upstream is preloaded with
//! `--push.disable-consistency-check` into its persistence file and restarted checked before
//! it is measured; a scenario stops asking upstream for more rounds once it has spent
//! [`UPSTREAM_BUDGET`] on it, and says so in the table.
//!
//! Run (about 10 minutes): `cargo bench --bench e2e` (Cargo builds our binary for it, with the
//! release settings and symbols kept).
//! `-- --quick` shrinks everything tenfold for trying the bench out in a minute;
//! `-- --ours-only` leaves upstream out (for profiling ours: attach `perf record -p`).
//! The medians also go to `target/bench-e2e/results.tsv` for `scripts/bench-plot`.

mod bodies;
mod client;
mod load;
mod measure;
mod report;
mod servers;
mod trivial;

use measure::Scrape;
use report::{Better, Results, Target, CEILING, OURS, UPSTREAM};
use servers::{Kind, Server};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Series in each group of the stored stages.
const SERIES_PER_GROUP: usize = 100;
/// The small pushes: this many groups of this many series.
const HOT_GROUPS: usize = 1000;
const HOT_SERIES: usize = 5;
/// Time upstream may spend on one scenario of one stage before it is asked for no more rounds.
const UPSTREAM_BUDGET: Duration = Duration::from_secs(90);
/// Tries per round of serving the prebuilt body (see `rounds`).
const CEILING_TRIES: usize = 3;
/// The store column of what is measured on a freshly started server.
const FRESH: &str = "fresh server";

struct Config {
    /// Groups of [`SERIES_PER_GROUP`] stored in each stage, growing.
    stages: Vec<usize>,
    rounds: usize,
    window: Duration,
    big_put_series: usize,
    /// The stage (in groups) at which push latency is measured under scrapes.
    latency_stage: usize,
}

impl Config {
    fn from_args() -> Config {
        if std::env::args().any(|a| a == "--quick") {
            Config {
                stages: vec![10, 100, 1000],
                rounds: 2,
                window: Duration::from_millis(500),
                big_put_series: 10_000,
                latency_stage: 100,
            }
        } else {
            Config {
                stages: vec![100, 1000, 10_000],
                rounds: 3,
                window: Duration::from_secs(2),
                big_put_series: 100_000,
                latency_stage: 1000,
            }
        }
    }
}

/// A server under test across restarts: its persistence file and the process, if running.
struct Node {
    kind: Kind,
    persistence: PathBuf,
    server: Option<Server>,
    /// Time spent on upstream in the current scenario (see [`UPSTREAM_BUDGET`]).
    spent: Duration,
}

impl Node {
    fn who(&self) -> &'static str {
        self.kind.name()
    }

    fn server(&self) -> &Server {
        self.server.as_ref().expect("the node's server runs")
    }

    fn over_budget(&self) -> bool {
        self.kind == Kind::Upstream && self.spent > UPSTREAM_BUDGET
    }

    /// Runs `f` for this node unless it is over budget; counts the time for upstream.
    fn timed<T>(&mut self, f: impl FnOnce(&mut Node) -> T) -> Option<T> {
        if self.over_budget() {
            return None;
        }
        let started = Instant::now();
        let result = f(self);
        self.spent += started.elapsed();
        Some(result)
    }

    fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }

    /// Pushes `requests` into the store. Upstream takes them unchecked and writes them to its
    /// persistence file on the way out, which it reads at its next (checked) start.
    fn preload(&mut self, requests: &[Vec<u8>]) {
        let unchecked = self.kind == Kind::Upstream;
        if unchecked || self.server.is_none() {
            self.stop();
            self.server = Some(servers::start(self.kind, &self.persistence, unchecked).0);
        }
        measure::send_all(self.server().addr, requests);
        if unchecked {
            self.stop();
        }
    }
}

fn main() {
    let config = Config::from_args();
    servers::pin_this_thread(servers::LOAD_CPU);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-e2e");
    let work = dir.join(format!("run-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let mut kinds = vec![Kind::Ours];
    if std::env::args().any(|a| a == "--ours-only") {
        println!("--ours-only: upstream not measured");
    } else if Path::new(servers::UPSTREAM_BIN).exists() {
        kinds.push(Kind::Upstream);
    } else {
        println!(
            "upstream not installed ({}): measuring ours only",
            servers::UPSTREAM_BIN
        );
    }
    let started = Instant::now();
    let mut results = Results::default();
    startup(&config, &kinds, &work, &mut results);
    stages(&config, &kinds, &work, &mut results);
    let _ = std::fs::remove_dir_all(&work);

    println!("\n{}", results.table(config.rounds));
    println!("{}", report::targets_table(&targets(&config, &results)));
    println!(
        "machine: {} CPUs ({}); servers on CPU {}, load on CPU {}; {} rounds; {:.0} s in all",
        // SAFETY: sysconf only reads a system value.
        unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) },
        cpu_model(),
        servers::SERVER_CPU,
        servers::LOAD_CPU,
        config.rounds,
        started.elapsed().as_secs_f64()
    );
    let tsv = dir.join("results.tsv");
    results.write_tsv(&tsv).unwrap();
    println!("medians written to {}", tsv.display());
}

/// Binary size; start to ready, idle memory and one big PUT on a fresh server.
fn startup(config: &Config, kinds: &[Kind], work: &Path, results: &mut Results) {
    let big_put = bodies::request(
        "PUT",
        "/metrics/job/big",
        "",
        &bodies::group_body(0, config.big_put_series),
    );
    let big = big_put_scenario(config);
    let body_mb = big_put.len() as f64 / 1e6;
    for &kind in kinds {
        let size = servers::stripped_size(&kind.binary(), &work.join("stripped"));
        let mb = size as f64 / 1e6;
        results.add_once("binary size (stripped)", "", "MB", kind.name(), mb);
    }
    for _ in 0..config.rounds {
        for &kind in kinds {
            let who = kind.name();
            let (server, ready) = servers::start(kind, Path::new(""), false);
            server.stop();
            let scenario = "start to ready, no persistence file";
            results.add(scenario, FRESH, "ms", Better::Lower, who, ms(ready));
            let persistence = work.join(format!("startup-{}", kind.name()));
            let _ = std::fs::remove_file(&persistence);
            let (server, ready) = servers::start(kind, &persistence, false);
            let scenario = "start to ready, new persistence file";
            results.add(scenario, FRESH, "ms", Better::Lower, who, ms(ready));
            std::thread::sleep(Duration::from_millis(200));
            results.add(
                "idle RSS",
                FRESH,
                "MiB",
                Better::Lower,
                who,
                mib(server.rss_bytes()),
            );
            let answer = client::exchange(server.addr, &big_put);
            assert_eq!(answer.status, 200, "{who}: the big PUT is accepted");
            results.add(&big, FRESH, "ms", Better::Lower, who, ms(answer.elapsed));
            results.add("its body", FRESH, "MB", Better::Neither, who, body_mb);
            let rss = mib(server.rss_bytes());
            results.add("RSS after that PUT", FRESH, "MiB", Better::Lower, who, rss);
            server.stop();
        }
    }
}

fn stages(config: &Config, kinds: &[Kind], work: &Path, results: &mut Results) {
    let trivial = trivial::Trivial::start(servers::SERVER_CPU);
    let mut nodes: Vec<Node> = kinds
        .iter()
        .map(|&kind| Node {
            kind,
            persistence: work.join(format!("store-{}", kind.name())),
            server: None,
            spent: Duration::ZERO,
        })
        .collect();
    let hot = bodies::puts("hot", 0, HOT_GROUPS, HOT_SERIES);
    let idle_rss: Vec<f64> = nodes
        .iter()
        .map(|n| {
            results
                .median("idle RSS", FRESH, n.who())
                .expect("measured at start-up")
        })
        .collect();
    let mut groups = 0;
    for stage in std::iter::once(0).chain(config.stages.iter().copied()) {
        let series = HOT_GROUPS * HOT_SERIES + stage * SERIES_PER_GROUP;
        let store = if stage == 0 {
            hot_store()
        } else {
            format!("{} series", short(stage * SERIES_PER_GROUP))
        };
        println!("stage: {store} ({} series stored)", thousands(series));
        let stage_pushes = if stage == 0 {
            hot.clone()
        } else {
            bodies::puts("bench", groups, stage, SERIES_PER_GROUP)
        };
        groups = stage;
        for node in &mut nodes {
            node.preload(&stage_pushes);
        }
        if stage > 0 {
            restarts(config, &mut nodes, &store, results);
        }
        for node in &mut nodes {
            if node.server.is_none() {
                node.server = Some(servers::start(node.kind, &node.persistence, false).0);
            }
        }
        rounds(
            config,
            &mut nodes,
            &trivial,
            &hot,
            stage == 0,
            &store,
            results,
        );
        if stage == config.latency_stage {
            latency(config, &mut nodes, &hot, &store, results);
        }
        for (node, idle) in nodes.iter().zip(&idle_rss) {
            let rss = node.server().rss_bytes() as f64;
            let who = node.who();
            results.add_once("RSS", &store, "MiB", who, rss / (1 << 20) as f64);
            let per_series = (rss - idle * (1 << 20) as f64) / series as f64;
            results.add_once("RSS per stored series", &store, "B", who, per_series);
        }
    }
    for node in &mut nodes {
        node.stop();
    }
}

/// Restart to ready with the stage's store in the persistence file, alternately.
fn restarts(config: &Config, nodes: &mut [Node], store: &str, results: &mut Results) {
    for node in nodes.iter_mut() {
        node.spent = Duration::ZERO;
        node.stop();
        let bytes = std::fs::metadata(&node.persistence).map_or(0, |m| m.len());
        let file = "persistence file at restart";
        results.add_once(file, store, "MB", node.who(), bytes as f64 / 1e6);
    }
    for _ in 0..config.rounds {
        for node in nodes.iter_mut() {
            let ready = node.timed(|node| {
                node.stop();
                let (server, ready) = servers::start(node.kind, &node.persistence, false);
                node.server = Some(server);
                ready
            });
            if let Some(ready) = ready {
                results.add(
                    "restart to ready",
                    store,
                    "ms",
                    Better::Lower,
                    node.who(),
                    ms(ready),
                );
            }
        }
    }
}

/// Small-push rate and full scrapes, alternately; the ceilings from the trivial server.
fn rounds(
    config: &Config,
    nodes: &mut [Node],
    trivial: &trivial::Trivial,
    hot: &[Vec<u8>],
    with_push_ceiling: bool,
    store: &str,
    results: &mut Results,
) {
    let pushes = format!("small pushes ({} connections)", measure::PUSH_CONNECTIONS);
    for node in nodes.iter_mut() {
        node.spent = Duration::ZERO;
    }
    let mut text_bytes = 0;
    for _ in 0..config.rounds {
        for node in nodes.iter_mut() {
            let who = node.who();
            let measured = node.timed(|node| {
                let addr = node.server().addr;
                let rate = push_rate(node.server().addr, &node.server().schedstat(), hot, config);
                let scrapes = Scrape::ALL.map(|kind| measure::scrape(addr, kind));
                (rate, scrapes)
            });
            let Some(((rate, cpu), scrapes)) = measured else {
                continue;
            };
            results.add(&pushes, store, "/s", Better::Higher, who, rate);
            add_cpu_per_push(results, store, who, cpu);
            for (kind, (secs, bytes)) in Scrape::ALL.into_iter().zip(scrapes) {
                let scenario = format!("{} scrape", kind.name());
                results.add(&scenario, store, "ms", Better::Lower, who, secs * 1e3);
                let size = format!("{} scrape size", kind.name());
                results.add(&size, store, "MB", Better::Neither, who, bytes as f64 / 1e6);
                if node.kind == Kind::Ours && matches!(kind, Scrape::Text) {
                    text_bytes = bytes;
                }
            }
        }
        if with_push_ceiling {
            let (rate, cpu) = push_rate(trivial.addr, &trivial.schedstat, hot, config);
            results.add(&pushes, store, "/s", Better::Higher, CEILING, rate);
            add_cpu_per_push(results, store, CEILING, cpu);
        }
        trivial.set_body(vec![b'x'; text_bytes]);
        // A ceiling is the best case: the fastest of a few tries, so one preemption of the
        // trivial server (a few ms on a shared machine) does not lower the bar.
        let body = bodies::request("GET", "/body", "", b"");
        let best = (0..CEILING_TRIES)
            .map(|_| client::exchange(trivial.addr, &body).elapsed)
            .min()
            .expect("tried");
        results.add("text scrape", store, "ms", Better::Lower, CEILING, ms(best));
    }
    for node in nodes.iter() {
        if node.over_budget() {
            let why = format!("over the {} s budget", UPSTREAM_BUDGET.as_secs());
            results.skip(&pushes, store, "/s", Better::Higher, node.who(), &why);
        }
    }
}

/// The small-push rate, and the server's CPU time per push and share of its core.
fn push_rate(
    addr: std::net::SocketAddr,
    schedstat: &Path,
    hot: &[Vec<u8>],
    config: &Config,
) -> (f64, (f64, f64)) {
    let before = servers::cpu_seconds(schedstat);
    let started = Instant::now();
    let outcome = measure::push_rate(addr, hot, config.window);
    let busy = (servers::cpu_seconds(schedstat) - before) / started.elapsed().as_secs_f64();
    // The probe push counts too.
    let cpu_per_push = (servers::cpu_seconds(schedstat) - before) / (outcome.ok + 1) as f64;
    (outcome.rate(), (cpu_per_push, busy))
}

/// Whether the server's core was the limit, and what one push cost it.
fn add_cpu_per_push(results: &mut Results, store: &str, who: &str, (per_push, busy): (f64, f64)) {
    results.add(
        "server CPU per small push",
        store,
        "µs",
        Better::Lower,
        who,
        per_push * 1e6,
    );
    results.add(
        "server core busy during small pushes",
        store,
        "%",
        Better::Neither,
        who,
        busy * 100.0,
    );
}

/// Push latency while the store is scraped back to back, alternately.
fn latency(
    config: &Config,
    nodes: &mut [Node],
    hot: &[Vec<u8>],
    store: &str,
    results: &mut Results,
) {
    for _ in 0..config.rounds {
        for node in nodes.iter_mut() {
            let addr = node.server().addr;
            let (outcome, scrapes) = measure::push_latency_while_scraping(addr, hot, config.window);
            let who = node.who();
            let p99 = ms(outcome.percentile(99));
            results.add(
                "push p99 while scraping",
                store,
                "ms",
                Better::Lower,
                who,
                p99,
            );
            results.add(
                "pushes in that window",
                store,
                "",
                Better::Neither,
                who,
                outcome.ok as f64,
            );
            results.add(
                "scrapes in that window",
                store,
                "",
                Better::Neither,
                who,
                scrapes as f64,
            );
        }
    }
}

/// Issue 8's targets, from this run's medians.
fn targets(config: &Config, results: &Results) -> Vec<Target> {
    let hot_store = hot_store();
    let pushes = format!("small pushes ({} connections)", measure::PUSH_CONNECTIONS);
    let first = format!("{} series", short(config.stages[0] * SERIES_PER_GROUP));
    let last = format!(
        "{} series",
        short(config.stages[config.stages.len() - 1] * SERIES_PER_GROUP)
    );
    let latency_store = format!("{} series", short(config.latency_stage * SERIES_PER_GROUP));
    let m = |scenario: &str, store: &str, who: &str| results.median(scenario, store, who);
    let big = big_put_scenario(config);
    let mut out = Vec::new();
    let mut target = |goal: String, measured: Option<(f64, String)>, ok: fn(f64) -> bool| {
        out.push(match measured {
            Some((v, text)) => Target {
                goal,
                measured: text,
                met: Some(ok(v)),
            },
            None => Target {
                goal,
                measured: String::new(),
                met: None,
            },
        });
    };
    target(
        "small pushes ≥ 50% of the trivial server's rate".into(),
        m(&pushes, &hot_store, OURS)
            .zip(m(&pushes, &hot_store, CEILING))
            .map(|(o, c)| {
                (
                    o / c,
                    format!("{:.0}% ({:.0}/s of {:.0}/s)", o / c * 100.0, o, c),
                )
            }),
        |r| r >= 0.5,
    );
    target(
        format!("push rate with {last} within 20% of the rate with {first}"),
        m(&pushes, &last, OURS)
            .zip(m(&pushes, &first, OURS))
            .map(|(l, f)| {
                (
                    l / f,
                    format!("{:.0}% ({l:.0}/s vs {f:.0}/s)", l / f * 100.0),
                )
            }),
        |r| r >= 0.8,
    );
    target(
        format!("text scrape of {last} ≤ 2× serving a prebuilt body of its size"),
        m("text scrape", &last, OURS)
            .zip(m("text scrape", &last, CEILING))
            .map(|(o, c)| (o / c, format!("{:.2}× ({o:.1} ms vs {c:.1} ms)", o / c))),
        |r| r <= 2.0,
    );
    target(
        format!("gzip scrape of {last} ≤ 10% of upstream's time"),
        m("gzip text scrape", &last, OURS)
            .zip(m("gzip text scrape", &last, UPSTREAM))
            .map(|(o, u)| {
                (
                    o / u,
                    format!("{:.1}% ({o:.0} ms vs {u:.0} ms)", o / u * 100.0),
                )
            }),
        |r| r <= 0.1,
    );
    target(
        format!("≤ 150 B of RSS per stored series ({last})"),
        m("RSS per stored series", &last, OURS).map(|v| (v, format!("{v:.0} B"))),
        |v| v <= 150.0,
    );
    target(
        format!("{big} in ≤ 50 ms"),
        m(&big, FRESH, OURS).map(|v| (v, format!("{v:.1} ms"))),
        |v| v <= 50.0,
    );
    target(
        format!("push p99 < 5 ms while {latency_store} are scraped back to back"),
        m("push p99 while scraping", &latency_store, OURS).map(|v| (v, format!("{v:.2} ms"))),
        |v| v < 5.0,
    );
    target(
        format!("restart to ready with {last} ≤ 300 ms"),
        m("restart to ready", &last, OURS).map(|v| (v, format!("{v:.0} ms"))),
        |v| v <= 300.0,
    );
    out
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// 10k, 100k, 1M.
fn short(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1000 && n % 1000 == 0 => format!("{}k", n / 1000),
        n => n.to_string(),
    }
}

fn thousands(n: usize) -> String {
    report::thousands(n as f64)
}

/// The store of the first stage, the small pushes' own groups.
fn hot_store() -> String {
    format!(
        "{} small groups ({} series)",
        thousands(HOT_GROUPS),
        short(HOT_GROUPS * HOT_SERIES)
    )
}

fn big_put_scenario(config: &Config) -> String {
    format!("one PUT of {} series", short(config.big_put_series))
}
