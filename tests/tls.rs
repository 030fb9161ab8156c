//! `--web.config.file` as a user sees it, with the built binary and real clients: curl over
//! HTTPS (server and client certificates made by `openssl` in the test), basic auth, a stalled
//! handshake beside a working client, plain HTTP on the TLS port, a broken file at start-up and
//! a broken edit while serving. Every wait is bounded (curl's `--max-time`, socket timeouts);
//! every process is stopped by its PID.
#![cfg(feature = "tls")]

mod gateway_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// A fresh directory with a CA, a server certificate for 127.0.0.1 signed by it, a client CA
/// with one client certificate, and an unrelated CA.
fn pki(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let openssl = |args: &[&str]| openssl(&dir, args);
    for ca in ["ca", "client-ca", "other-ca"] {
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.crt"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={ca}"),
        ]);
    }
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("client.ext"),
        "extendedKeyUsage=clientAuth\nsubjectAltName=DNS:client.example\n",
    )
    .unwrap();
    for (leaf, ca) in [("server", "ca"), ("client", "client-ca")] {
        openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{leaf}.key"),
            "-out",
            &format!("{leaf}.csr"),
            "-subj",
            &format!("/CN={leaf}"),
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{leaf}.csr"),
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-out",
            &format!("{leaf}.crt"),
            "-days",
            "2",
            "-extfile",
            &format!("{leaf}.ext"),
        ]);
    }
    dir
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

/// A server with `web.yml` in `dir`; curl runs in `dir`, where the certificates are.
struct Gateway {
    /// Stopped (by its PID) when the test drops it.
    _server: gateway_support::Gateway,
    port: u16,
    dir: PathBuf,
}

/// Writes `web.yml` into `dir` and starts the binary with it on a free loopback port.
fn start(dir: &Path, web_yml: &str) -> Gateway {
    start_with(dir, web_yml, "--persistence.file=")
}

fn start_with(dir: &Path, web_yml: &str, persistence: &str) -> Gateway {
    std::fs::write(dir.join("web.yml"), web_yml).unwrap();
    let web_config = format!("--web.config.file={}", dir.join("web.yml").display());
    // Returns once the server logs its address: before the TLS layer has answered anything.
    let server = gateway_support::spawn(&[persistence.to_string(), web_config]);
    Gateway {
        port: server.port,
        _server: server,
        dir: dir.to_path_buf(),
    }
}

impl Gateway {
    /// Runs curl against `path` with `args`; the status code, or `None` if curl failed
    /// (no TLS session, for instance).
    fn curl(&self, path: &str, args: &[&str]) -> (Option<u16>, String) {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}"])
            .args(args)
            .arg(format!("https://127.0.0.1:{}{path}", self.port))
            .current_dir(&self.dir)
            .output()
            .expect("run curl");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "000"));
        let status = out.status.success().then(|| code.parse().unwrap());
        (status, body.to_string())
    }
}

/// curl's arguments for a client that trusts our CA and presents the client certificate.
const WITH_CLIENT_CERT: [&str; 6] = [
    "--cacert",
    "ca.crt",
    "--cert",
    "client.crt",
    "--key",
    "client.key",
];

const SERVER_TLS: &str = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";

#[test]
fn push_and_scrape_over_https_and_a_wrong_ca_is_refused() {
    let dir = pki("basic");
    let gw = start(&dir, SERVER_TLS);
    let push = ["--cacert", "ca.crt", "--data-binary", "tls_pushed 1\n"];
    assert_eq!(gw.curl("/metrics/job/j", &push).0, Some(200));
    let (status, body) = gw.curl("/metrics", &["--cacert", "ca.crt"]);
    assert_eq!(status, Some(200));
    assert!(
        body.contains("tls_pushed{instance=\"\",job=\"j\"} 1"),
        "{body}"
    );
    assert_eq!(gw.curl("/metrics", &["--cacert", "other-ca.crt"]).0, None);
    assert_eq!(
        gw.curl("/metrics", &[]).0,
        None,
        "no CA: the system roots do not know ours"
    );
}

#[test]
fn mutual_tls_required_refuses_a_client_without_a_certificate() {
    let dir = pki("mtls");
    let config = format!(
        "{SERVER_TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: client-ca.crt\n"
    );
    let gw = start(&dir, &config);
    let with_cert = WITH_CLIENT_CERT;
    assert_eq!(gw.curl("/-/healthy", &with_cert).0, Some(200));
    assert_eq!(gw.curl("/-/healthy", &["--cacert", "ca.crt"]).0, None);
    // A certificate from another CA is not verified.
    let wrong = ["--cacert", "ca.crt", "--cert", "ca.crt", "--key", "ca.key"];
    assert_eq!(gw.curl("/-/healthy", &wrong).0, None);
}

#[test]
fn the_other_client_auth_types_ask_require_or_verify_as_go_does() {
    let dir = pki("client-auth");
    let none: &[&str] = &["--cacert", "ca.crt"];
    let good: &[&str] = &[
        "--cacert",
        "ca.crt",
        "--cert",
        "client.crt",
        "--key",
        "client.key",
    ];
    // A certificate no configured CA signed (the server's own CA made it).
    let foreign: &[&str] = &["--cacert", "ca.crt", "--cert", "ca.crt", "--key", "ca.key"];
    let ca = "  client_ca_file: client-ca.crt\n";
    // (type, CA line, answer without a certificate, with a good one, with a foreign one)
    let cases = [
        ("RequestClientCert", "", Some(200), Some(200), Some(200)),
        ("RequireAnyClientCert", "", None, Some(200), Some(200)),
        ("VerifyClientCertIfGiven", ca, Some(200), Some(200), None),
    ];
    for (kind, ca_line, without, with_good, with_foreign) in cases {
        let gw = start(
            &dir,
            &format!("{SERVER_TLS}  client_auth_type: {kind}\n{ca_line}"),
        );
        assert_eq!(gw.curl("/-/ready", none).0, without, "{kind} without");
        assert_eq!(gw.curl("/-/ready", good).0, with_good, "{kind} good");
        assert_eq!(
            gw.curl("/-/ready", foreign).0,
            with_foreign,
            "{kind} foreign"
        );
    }
}

#[test]
fn client_allowed_sans_admits_only_the_listed_names() {
    let dir = pki("sans");
    let with_cert = WITH_CLIENT_CERT;
    for (allowed, admitted) in [
        ("[other.example, client.example]", true),
        ("[other.example]", false),
    ] {
        let config = format!(
            "{SERVER_TLS}  client_auth_type: RequireAndVerifyClientCert\n  \
             client_ca_file: client-ca.crt\n  client_allowed_sans: {allowed}\n"
        );
        let gw = start(&dir, &config);
        let want = admitted.then_some(200);
        assert_eq!(gw.curl("/-/healthy", &with_cert).0, want, "{allowed}");
    }
}

#[test]
fn cipher_suites_and_curves_are_honoured() {
    let dir = pki("suites");
    let config = format!(
        "{SERVER_TLS}  max_version: TLS12\n  \
         cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n  curve_preferences: [CurveP384]\n"
    );
    let gw = start(&dir, &config);
    let with = |ciphers: &str, curves: &str| {
        let args = [
            "--cacert",
            "ca.crt",
            "--ciphers",
            ciphers,
            "--curves",
            curves,
        ];
        gw.curl("/-/ready", &args).0
    };
    // P-256 stays in every client list: in TLS 1.2, OpenSSL also checks the server
    // certificate's curve against it. The key exchange can only use what the server allows.
    assert_eq!(
        with("ECDHE-ECDSA-AES256-GCM-SHA384", "P-384:P-256"),
        Some(200)
    );
    assert_eq!(with("ECDHE-ECDSA-AES128-GCM-SHA256", "P-384:P-256"), None);
    assert_eq!(with("ECDHE-ECDSA-AES256-GCM-SHA384", "X25519:P-256"), None);
}

#[test]
fn tls_version_limits_are_kept() {
    let dir = pki("versions");
    let gw12 = start(&dir, &format!("{SERVER_TLS}  max_version: TLS12\n"));
    let ca = ["--cacert", "ca.crt"];
    assert_eq!(
        gw12.curl("/-/ready", &[&ca[..], &["--tls-max", "1.2"]].concat())
            .0,
        Some(200)
    );
    assert_eq!(
        gw12.curl("/-/ready", &[&ca[..], &["--tlsv1.3"]].concat()).0,
        None
    );
    drop(gw12);
    let gw13 = start(&dir, &format!("{SERVER_TLS}  min_version: TLS13\n"));
    assert_eq!(
        gw13.curl("/-/ready", &[&ca[..], &["--tlsv1.3"]].concat()).0,
        Some(200)
    );
    assert_eq!(
        gw13.curl("/-/ready", &[&ca[..], &["--tls-max", "1.2"]].concat())
            .0,
        None
    );
}

/// bcrypt of "secret" at cost 4, made with the crate the server checks with.
fn alice() -> String {
    format!(
        "basic_auth_users:\n  alice: {}\n",
        bcrypt::hash("secret", 4).unwrap()
    )
}

#[test]
fn wrong_missing_or_malformed_credentials_get_401_and_store_nothing() {
    let dir = pki("auth");
    let config = format!(
        "{SERVER_TLS}{}http_server_config:\n  headers:\n    X-Frame-Options: deny\n",
        alice()
    );
    let gw = start(&dir, &config);
    let body = [
        "--cacert",
        "ca.crt",
        "--data-binary",
        "tls_denied 1\n",
        "-i",
    ];
    let cases: [&[&str]; 4] = [
        &["-u", "alice:wrong"],
        &["-u", "mallory:secret"],
        &[],
        &["-H", "Authorization: Basic not-base64!"],
    ];
    for extra in cases {
        let (status, reply) = gw.curl("/metrics/job/j", &[&body[..], extra].concat());
        assert_eq!(status, Some(401), "{extra:?}");
        assert!(reply.contains("WWW-Authenticate: Basic\r\n"), "{reply}");
        assert!(reply.contains("X-Frame-Options: deny\r\n"), "{reply}");
        assert!(reply.ends_with("\r\n\r\nUnauthorized\n"), "{reply}");
    }
    let (status, scrape) = gw.curl("/metrics", &["--cacert", "ca.crt", "-u", "alice:secret"]);
    assert_eq!(status, Some(200));
    assert!(!scrape.contains("tls_denied"), "{scrape}");
    let ok = [&body[..4], &["-u", "alice:secret"]].concat();
    assert_eq!(gw.curl("/metrics/job/j", &ok).0, Some(200));
}

#[test]
fn the_log_replays_and_commits_behind_tls_and_auth() {
    let dir = pki("persisted");
    let config = format!("{SERVER_TLS}{}", alice());
    let log = format!("--persistence.file={}", dir.join("log").display());
    let auth = ["--cacert", "ca.crt", "-u", "alice:secret"];
    let push = [&auth[..], &["--data-binary", "tls_kept 7\n"]].concat();
    {
        let gw = start_with(&dir, &config, &log);
        assert_eq!(gw.curl("/metrics/job/j", &push).0, Some(200));
    } // killed (SIGKILL) here
    let gw = start_with(&dir, &config, &log);
    // Replay runs in the loop behind the TLS and auth layer: ready comes, and the push is back.
    let ready = (0..500).any(|_| {
        let ok = gw.curl("/-/ready", &auth).0 == Some(200);
        if !ok {
            thread::sleep(Duration::from_millis(20));
        }
        ok
    });
    assert!(ready, "never ready");
    let (status, scrape) = gw.curl("/metrics", &auth);
    assert_eq!(status, Some(200));
    assert!(
        scrape.contains("tls_kept{instance=\"\",job=\"j\"} 7"),
        "{scrape}"
    );
}

#[test]
fn a_stalled_handshake_or_garbage_does_not_delay_others() {
    let dir = pki("stall");
    let gw = start(&dir, SERVER_TLS);
    // A client that sends half a ClientHello record header and then nothing.
    let mut stalled = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    stalled.write_all(&[0x16, 0x03, 0x01]).unwrap();
    // One that sends garbage: it gets an alert (or nothing) and its connection closes.
    let mut garbage = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    garbage.set_read_timeout(Some(WAIT)).unwrap();
    garbage
        .write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 0, 0, 0, 0])
        .unwrap();
    let mut rest = Vec::new();
    garbage
        .read_to_end(&mut rest)
        .expect("the server closes the connection");
    assert!(rest.len() < 16, "at most an alert: {rest:?}");
    for _ in 0..3 {
        assert_eq!(gw.curl("/-/healthy", &["--cacert", "ca.crt"]).0, Some(200));
    }
    drop(stalled);
}

#[test]
fn plain_http_on_the_tls_port_gets_go_s_400() {
    let dir = pki("plain");
    let gw = start(&dir, SERVER_TLS);
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert_eq!(
        reply,
        "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
    );
}

fn run_with(dir: &Path, web_yml: &str) -> Output {
    std::fs::write(dir.join("web.yml"), web_yml).unwrap();
    Command::new(env!("CARGO_BIN_EXE_pushgateway"))
        .arg("--web.listen-address=127.0.0.1:0")
        .arg(format!(
            "--web.config.file={}",
            dir.join("web.yml").display()
        ))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn an_invalid_file_stops_the_start_naming_key_and_line() {
    let dir = pki("invalid");
    let cases = [
        (
            format!("{SERVER_TLS}  min_version: TLS9\n"),
            "line 4: tls_server_config.min_version: unknown TLS version: TLS9",
        ),
        (
            "tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n".to_string(),
            "line 2: tls_server_config.cert_file: cannot read ",
        ),
        (
            "tls_server_config:\n  cert_file: server.crt\n  key_file: ca.key\n".to_string(),
            "line 3: tls_server_config.key_file: the certificate and key do not match",
        ),
        (
            "basic_auth_user:\n  a: b\n".to_string(),
            "line 1: basic_auth_user: unknown key",
        ),
    ];
    for (config, want) in cases {
        let out = run_with(&dir, &config);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{config}: {stderr}");
        assert!(stderr.contains(want), "{config}: {stderr}");
        assert!(!stderr.contains("Listening on"), "{stderr}");
    }
}

#[test]
fn an_edit_applies_to_new_connections_and_a_broken_one_keeps_the_old() {
    let dir = pki("reload");
    let gw = start(&dir, &format!("{SERVER_TLS}{}", alice()));
    let as_alice = ["--cacert", "ca.crt", "-u", "alice:secret"];
    assert_eq!(gw.curl("/-/healthy", &as_alice).0, Some(200));
    // Broken: the config in force stays.
    std::fs::write(dir.join("web.yml"), format!("{SERVER_TLS}  bogus: 1\n")).unwrap();
    assert_eq!(gw.curl("/-/healthy", &as_alice).0, Some(200));
    assert_eq!(gw.curl("/-/healthy", &["--cacert", "ca.crt"]).0, Some(401));
    // Good: no users any more. (A distinct size, so the change shows even within one tick of
    // the file system's clock.)
    std::fs::write(dir.join("web.yml"), format!("{SERVER_TLS}\n\n")).unwrap();
    assert_eq!(gw.curl("/-/healthy", &["--cacert", "ca.crt"]).0, Some(200));
}

#[test]
fn password_guessing_is_answered_429_once_its_bcrypt_time_is_spent() {
    let dir = pki("guessing");
    // exporter-toolkit's stand-in hash of "fakepassword", cost 10: tens of ms a check.
    let hash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
    let gw = start(
        &dir,
        &format!("{SERVER_TLS}basic_auth_users:\n  alice: {hash}\n"),
    );
    let good = ["--cacert", "ca.crt", "-u", "alice:fakepassword"];
    assert_eq!(gw.curl("/-/healthy", &good).0, Some(200));
    // 100 guesses on one connection: far more bcrypt time than the 1 s burst allows.
    let url = format!("https://127.0.0.1:{}/-/healthy", gw.port);
    let mut args = vec![
        "-sS",
        "--max-time",
        "60",
        "--cacert",
        "ca.crt",
        "-u",
        "alice:guess",
    ];
    args.extend(["-w", "%{http_code}\n"]);
    for _ in 0..100 {
        args.extend([url.as_str(), "-o", "/dev/null"]);
    }
    let out = Command::new("curl")
        .args(&args)
        .current_dir(&dir)
        .output()
        .unwrap();
    let codes = String::from_utf8_lossy(&out.stdout).into_owned();
    let count = |code: &str| codes.lines().filter(|l| *l == code).count();
    assert_eq!(count("401") + count("429"), 100, "{codes}");
    assert!(count("429") > 0, "bcrypt ran for every guess: {codes}");
    // Remembered credentials are not held up.
    assert_eq!(gw.curl("/-/healthy", &good).0, Some(200));
}

#[test]
fn a_rotated_certificate_serves_new_connections_without_a_restart() {
    let dir = pki("rotate");
    let gw = start(&dir, SERVER_TLS);
    assert_eq!(gw.curl("/-/ready", &["--cacert", "ca.crt"]).0, Some(200));
    // The new pair, signed by the other CA, written over the old files.
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "other-ca.crt",
            "-CAkey",
            "other-ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt.new",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
    std::fs::rename(dir.join("server.crt.new"), dir.join("server.crt")).unwrap();
    assert_eq!(
        gw.curl("/-/ready", &["--cacert", "other-ca.crt"]).0,
        Some(200)
    );
    assert_eq!(gw.curl("/-/ready", &["--cacert", "ca.crt"]).0, None);
}
