//! End-to-end comparison with the upstream Pushgateway over loopback (issue 8 grows this).
//!
//! Starts our release binary and, when installed, Debian's `prometheus-pushgateway`, each pinned
//! to CPU 0 with `taskset`, preloads the same store into both, then measures alternately (A B A B)
//! the rate of small checked PUTs and the time of a full text scrape, and prints medians and the
//! ratio. Every loop is bounded in count and time.
//!
//! Run: `cargo build --release && cargo bench --bench e2e` (add `-- --groups 10000` to change
//! the store size).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const UPSTREAM: &str = "/usr/bin/prometheus-pushgateway";
const SERIES_PER_GROUP: usize = 100;
const ROUNDS: usize = 3;
const PUSH_BUDGET: Duration = Duration::from_secs(3);
const PUSHES_MAX: usize = 20_000;

struct Server {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(name: &'static str, bin: &str) -> Server {
    let port = free_port();
    let child = Command::new("taskset")
        .args([
            "-c",
            "0",
            bin,
            &format!("--web.listen-address=127.0.0.1:{port}"),
            "--persistence.file=",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("taskset and the server binary run");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "{name} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server { name, child, addr }
}

/// One HTTP/1.1 request on a keep-alive connection; returns (status, body length).
fn request(conn: &mut BufReader<TcpStream>, method: &str, path: &str, body: &[u8]) -> (u16, usize) {
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: b\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let stream = conn.get_mut();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
    let (mut length, mut chunked) = (0usize, false);
    loop {
        line.clear();
        conn.read_line(&mut line).unwrap();
        let l = line.trim_end().to_ascii_lowercase();
        if l.is_empty() {
            break;
        }
        if let Some(v) = l.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
        chunked |= l == "transfer-encoding: chunked";
    }
    if chunked {
        let mut total = 0;
        loop {
            line.clear();
            conn.read_line(&mut line).unwrap();
            let size = usize::from_str_radix(line.trim(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            conn.read_exact(&mut chunk).unwrap();
            total += size;
            if size == 0 {
                return (status, total);
            }
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).unwrap();
    (status, length)
}

fn group_body(group: usize, series: usize) -> Vec<u8> {
    let mut body = String::from("# TYPE bench_value gauge\n");
    for s in 0..series {
        body.push_str(&format!(
            "bench_value{{series=\"{s}\",shard=\"{}\"}} {}\n",
            group % 7,
            s as f64 * 1.5
        ));
    }
    body.into_bytes()
}

fn connect(server: &Server) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(server.addr).unwrap();
    stream.set_nodelay(true).unwrap();
    BufReader::new(stream)
}

fn preload(server: &Server, groups: usize) {
    let mut conn = connect(server);
    for g in 0..groups {
        let (status, _) = request(
            &mut conn,
            "PUT",
            &format!("/metrics/job/bench/g/{g}"),
            &group_body(g, SERIES_PER_GROUP),
        );
        assert_eq!(status, 200, "{}: preload push refused", server.name);
    }
}

/// Small checked PUTs (10 series) on one keep-alive connection, round-robin over 100 groups of
/// their own job, so the preloaded store keeps its size.
fn push_rate(server: &Server) -> f64 {
    let mut conn = connect(server);
    let started = Instant::now();
    let mut done = 0;
    while done < PUSHES_MAX && started.elapsed() < PUSH_BUDGET {
        let g = done % 100;
        let (status, _) = request(
            &mut conn,
            "PUT",
            &format!("/metrics/job/hot/g/{g}"),
            &group_body(g, 10),
        );
        assert_eq!(status, 200);
        done += 1;
    }
    done as f64 / started.elapsed().as_secs_f64()
}

fn scrape_seconds(server: &Server) -> (f64, usize) {
    let mut conn = connect(server);
    let started = Instant::now();
    let (status, bytes) = request(&mut conn, "GET", "/metrics", b"");
    assert_eq!(status, 200);
    (started.elapsed().as_secs_f64(), bytes)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut groups = 1000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--groups" {
            groups = args
                .next()
                .and_then(|v| v.parse().ok())
                .expect("--groups N");
        }
    }
    let ours_bin = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/pushgateway");
    let mut servers = vec![start("ours", ours_bin)];
    if std::path::Path::new(UPSTREAM).exists() {
        servers.push(start("upstream", UPSTREAM));
    } else {
        println!("upstream not installed ({UPSTREAM}): measuring ours only");
    }
    for s in &servers {
        preload(s, groups);
    }
    let mut rates = vec![Vec::new(); servers.len()];
    let mut scrapes = vec![Vec::new(); servers.len()];
    let mut sizes = vec![0; servers.len()];
    for _ in 0..ROUNDS {
        for (i, s) in servers.iter().enumerate() {
            rates[i].push(push_rate(s));
            let (secs, bytes) = scrape_seconds(s);
            scrapes[i].push(secs);
            sizes[i] = bytes;
        }
    }
    println!("store: {groups} groups x {SERIES_PER_GROUP} series; server pinned to CPU 0; {ROUNDS} rounds, medians");
    for (i, s) in servers.iter().enumerate() {
        println!(
            "{:9} push {:9.0}/s   scrape {:8.1} ms ({} bytes)",
            s.name,
            median(rates[i].clone()),
            median(scrapes[i].clone()) * 1e3,
            sizes[i]
        );
    }
    if servers.len() == 2 {
        println!(
            "ratio     push x{:.1}    scrape x{:.1} faster",
            median(rates[0].clone()) / median(rates[1].clone()),
            median(scrapes[1].clone()) / median(scrapes[0].clone())
        );
    }
}
