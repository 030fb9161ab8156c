use super::*;

/// A valid bcrypt hash (cost 4) for the schema checks; no check runs here.
const HASH: &str = "$2b$04$abcdefghijklmnopqrstuu5Rmn4lQnvQbPzvxbMn1fzn9FCSb6bUq";

fn parse_ok(text: &str) -> WebConfig {
    parse(text, Path::new("/etc/pg")).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn parse_err(text: &str) -> String {
    parse(text, Path::new("/etc/pg"))
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

fn full_file() -> String {
    format!(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: /abs/server.key\n  \
         client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  \
         min_version: TLS13\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]\n  \
         curve_preferences: [X25519, CurveP256]\n  prefer_server_cipher_suites: false\n\
         http_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: sameorigin\n    \
         Strict-Transport-Security: max-age=31536000\n\
         basic_auth_users:\n  alice: {HASH}\n  'bob': \"{HASH}\"\n\
         rate_limit:\n  interval: 1s\n  burst: 20\n\
         tls_extra:\n  cert: |\n    -----BEGIN-----\n    \"x\" 'y' # z\n"
    )
}

#[test]
fn a_full_file_is_read_with_paths_from_its_directory() {
    let text = full_file();
    let text = &text[..text.find("tls_extra").unwrap()];
    let config = parse_ok(text);
    let tls = config.tls.expect("TLS on");
    assert_eq!(tls.cert.pem, Pem::File("/etc/pg/server.crt".into()));
    assert_eq!(
        (tls.key.pem, tls.key.line),
        (Pem::File("/abs/server.key".into()), 3)
    );
    assert_eq!(
        tls.client_ca.unwrap().pem,
        Pem::File("/etc/pg/ca.crt".into())
    );
    assert_eq!(tls.client_auth, ClientAuth::RequireAndVerifyClientCert);
    assert_eq!(
        (tls.min_version, tls.max_version),
        (TlsVersion::Tls13, TlsVersion::Tls13)
    );
    assert_eq!(tls.cipher_suites.len(), 1, "TLS 1.3 names change nothing");
    assert_eq!(tls.curves.len(), 2);
    assert!(!tls.prefer_server_cipher_suites);
    assert_eq!(
        config.headers,
        [
            ("X-Frame-Options", "sameorigin".to_string()),
            ("Strict-Transport-Security", "max-age=31536000".to_string())
        ]
    );
    let users: Vec<&str> = config.users.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(users, ["alice", "bob"]);
    assert_eq!(
        config.rate_limit,
        Some(RateLimit {
            interval: Duration::from_secs(1),
            burst: 20
        })
    );
}

#[test]
fn inline_pem_and_plain_http_configs() {
    let config = parse_ok("tls_server_config:\n  cert: |\n    PEM\n  key: |\n    KEY\n");
    let tls = config.tls.unwrap();
    assert_eq!(tls.cert.pem, Pem::Inline("PEM\n".into()));
    assert_eq!(tls.cert.key, "cert");
    // No TLS key at all, or an empty section: plain HTTP, as upstream.
    for text in [
        "",
        "tls_server_config:\n",
        "basic_auth_users:\n  a: x\n".replace("x", HASH).as_str(),
    ] {
        assert!(parse_ok(text).tls.is_none(), "{text:?}");
    }
}

#[test]
fn every_client_auth_type_upstream_knows() {
    let cases = [
        ("NoClientCert", ClientAuth::NoClientCert, false),
        ("RequestClientCert", ClientAuth::RequestClientCert, false),
        (
            "RequireAnyClientCert",
            ClientAuth::RequireAnyClientCert,
            false,
        ),
        ("RequireClientCert", ClientAuth::RequireAnyClientCert, false),
        (
            "VerifyClientCertIfGiven",
            ClientAuth::VerifyClientCertIfGiven,
            true,
        ),
        (
            "RequireAndVerifyClientCert",
            ClientAuth::RequireAndVerifyClientCert,
            true,
        ),
    ];
    for (name, want, ca) in cases {
        let ca = if ca { "  client_ca_file: ca.crt\n" } else { "" };
        let text = format!(
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: {name}\n{ca}"
        );
        assert_eq!(parse_ok(&text).tls.unwrap().client_auth, want, "{name}");
    }
}

#[test]
fn bad_files_name_the_line_and_the_key() {
    let tls = "tls_server_config:\n  cert_file: c\n  key_file: k\n";
    let cases: Vec<(String, &str)> = vec![
        ("foo: 1\n".into(), "line 1: foo: unknown key (not valid in the file)"),
        (
            format!("{tls}  min_versoin: TLS12\n"),
            "line 4: tls_server_config.min_versoin: unknown key (not valid in tls_server_config)",
        ),
        (
            format!("{tls}  min_version: TLS14\n"),
            "line 4: tls_server_config.min_version: unknown TLS version: TLS14",
        ),
        (
            format!("{tls}  client_auth_type: Sometimes\n"),
            "line 4: tls_server_config.client_auth_type: invalid ClientAuth: Sometimes",
        ),
        (
            format!("{tls}  cipher_suites:\n    - TLS_FOO\n"),
            "line 5: tls_server_config.cipher_suites: unknown cipher: TLS_FOO",
        ),
        (
            format!("{tls}  cipher_suites: [TLS_RSA_WITH_AES_128_CBC_SHA]\n"),
            "line 4: tls_server_config.cipher_suites: cipher suite TLS_RSA_WITH_AES_128_CBC_SHA is not offered by this build (rustls has only ECDHE with AES-GCM or ChaCha20-Poly1305)",
        ),
        (
            format!("{tls}  curve_preferences: [CurveP521]\n"),
            "line 4: tls_server_config.curve_preferences: curve CurveP521 is not offered by this build (ring has no P-521)",
        ),
        (
            format!("{tls}  curve_preferences: [Curve25519]\n"),
            "line 4: tls_server_config.curve_preferences: unknown curve: Curve25519",
        ),
        (
            format!("{tls}  client_ca_file: ca.crt\n"),
            "line 4: tls_server_config.client_ca_file: client CA's have been configured without a Client Auth Policy",
        ),
        (
            format!("{tls}  client_auth_type: RequireAndVerifyClientCert\n"),
            "line 4: tls_server_config.client_auth_type: verifying client certificates needs client_ca_file or client_ca (this build has no system roots)",
        ),
        (
            format!("{tls}  max_version: TLS11\n"),
            "line 1: tls_server_config.max_version: this build offers TLS 1.2 and 1.3 only",
        ),
        (
            format!("{tls}  min_version: TLS13\n  max_version: TLS12\n"),
            "line 1: tls_server_config.min_version: min_version is above max_version",
        ),
        (
            format!("{tls}  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca\n  client_allowed_sans: [a]\n"),
            "line 6: tls_server_config.client_allowed_sans: client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert",
        ),
        (
            "tls_server_config:\n  cert_file: c\n".into(),
            "line 1: tls_server_config: missing one of key or key_file",
        ),
        (
            "tls_server_config:\n  client_auth_type: NoClientCert\n".into(),
            "line 1: tls_server_config: missing one of cert or cert_file",
        ),
        (
            "http_server_config:\n  headers:\n    X-Powered-By: me\n".into(),
            "line 3: http_server_config.headers: HTTP header \"X-Powered-By\" can not be configured",
        ),
        (
            "http_server_config:\n  headers:\n    X-Frame-Options: allow\n".into(),
            "line 3: http_server_config.headers: invalid value for X-Frame-Options. Expected one of: [\"deny\", \"sameorigin\"], but got: \"allow\"",
        ),
        (
            "http_server_config:\n  http2: maybe\n".into(),
            "line 2: http_server_config.http2: expected true or false, found \"maybe\"",
        ),
        (
            "basic_auth_users:\n  alice: plaintext\n".into(),
            "line 2: basic_auth_users: the hash of user \"alice\" is not a bcrypt hash",
        ),
        (
            "rate_limit:\n  interval: soon\n".into(),
            "line 2: rate_limit.interval: invalid duration \"soon\"",
        ),
        (
            "rate_limit:\n  burst: -1\n".into(),
            "line 2: rate_limit.burst: expected a whole number, found \"-1\"",
        ),
        ("basic_auth_users: [a]\n".into(), "line 1: basic_auth_users: expected a mapping"),
        ("a: 1\na: 2\n".into(), "line 2: key \"a\" already set in this mapping"),
    ];
    for (text, want) in cases {
        assert_eq!(parse_err(&text), want, "{text:?}");
    }
}

/// An editor's half-written file: every cut of a full one, and every byte of it damaged, is
/// read or refused, never a panic.
#[test]
fn every_cut_or_damaged_byte_is_an_answer_not_a_panic() {
    let text = full_file();
    for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
        let _ = parse(&text[..end], Path::new("/"));
    }
    let specials = [
        b':', b'-', b'|', b'"', b'\'', b'#', b'[', b' ', b'\n', b'\t', b'{',
    ];
    for i in 0..text.len() {
        for &b in &specials {
            let mut bytes = text.clone().into_bytes();
            bytes[i] = b;
            if let Ok(damaged) = std::str::from_utf8(&bytes) {
                let _ = parse(damaged, Path::new("/"));
            }
        }
    }
}

#[test]
fn load_names_the_file() {
    let err = load(Path::new("/nonexistent/pg-web.yml")).unwrap_err();
    assert!(err.starts_with("/nonexistent/pg-web.yml: "), "{err}");
}
