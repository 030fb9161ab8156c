//! `--web.config.file` (spec §14.2): the exporter-toolkit YAML file that turns on TLS, basic
//! auth, extra response headers and a request rate limit. This module reads the file into a
//! checked [`WebConfig`]; `tls` builds the rustls configuration from it, `auth` enforces it,
//! and `watch` reloads it.
//!
//! Owns: the file's schema, upstream's strictness (unknown keys, duplicate keys, unknown
//! enumeration values and malformed hashes are errors), relative paths taken from the file's
//! directory, and errors that name the key and its line.
//! Must never: read the certificate files (that is `tls`), or run a bcrypt.

pub mod watch;
mod yaml;

use crate::duration;
use rustls::crypto::{ring, SupportedKxGroup};
use rustls::SupportedCipherSuite;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use yaml::{Node, Value};

/// The checked contents of a web config file.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// `None`: plain HTTP (no TLS key was set, as upstream decides).
    pub tls: Option<TlsSettings>,
    /// Added to every response the service answers, 401 and 429 included.
    pub headers: Vec<(&'static str, String)>,
    /// User name → bcrypt hash; empty: no authentication.
    pub users: Vec<(String, String)>,
    pub rate_limit: Option<RateLimit>,
}

#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub cert: Source,
    pub key: Source,
    pub client_ca: Option<Source>,
    pub client_auth: ClientAuth,
    pub min_version: TlsVersion,
    pub max_version: TlsVersion,
    /// TLS 1.2 suites in preference order; empty: rustls's default list.
    pub cipher_suites: Vec<SupportedCipherSuite>,
    /// Key exchange groups in preference order; empty: rustls's default list.
    pub curves: Vec<&'static dyn SupportedKxGroup>,
    pub prefer_server_cipher_suites: bool,
    /// A client certificate must carry one of these subject alternative names.
    pub client_allowed_sans: Option<Vec<String>>,
    /// Where `tls_server_config` is, for errors found when the files are read.
    pub line: usize,
}

/// PEM text, either in a file or written inline in the config file.
#[derive(Debug, Clone, PartialEq)]
pub enum Pem {
    File(PathBuf),
    Inline(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub pem: Pem,
    /// The key it came from (`cert_file`, `cert`, …) and its line, for errors.
    pub key: &'static str,
    pub line: usize,
}

/// Go's `tls.ClientAuthType`, by upstream's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    NoClientCert,
    /// Asked for, neither required nor verified.
    RequestClientCert,
    /// Required, not verified.
    RequireAnyClientCert,
    /// Verified against `client_ca` when given.
    VerifyClientCertIfGiven,
    RequireAndVerifyClientCert,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// One request's worth of tokens comes back every `interval`.
    pub interval: Duration,
    pub burst: u32,
}

/// A bad web config file: what is wrong, at which key, on which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub line: usize,
    /// The key's path, such as `tls_server_config.min_version`; empty for the whole file.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.key, self.message)
        }
    }
}

fn bad<T>(line: usize, key: &str, message: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError {
        line,
        key: key.to_string(),
        message: message.into(),
    })
}

/// The headers upstream lets a file set, with the values it allows (none listed: any).
const EXTRA_HEADERS: &[(&str, &[&str])] = &[
    ("Strict-Transport-Security", &[]),
    ("X-Content-Type-Options", &["nosniff"]),
    ("X-Frame-Options", &["deny", "sameorigin"]),
    ("X-XSS-Protection", &[]),
    ("Content-Security-Policy", &[]),
];

/// Go's cipher suite names (those `tls.CipherSuites()` lists) → the rustls suite, or `None`
/// for the suites rustls does not implement (CBC and RSA key exchange). The TLS 1.3 names
/// are accepted and change nothing: as in Go, TLS 1.3 suites are not configurable.
fn cipher_suite(name: &str) -> Option<Option<SupportedCipherSuite>> {
    use ring::cipher_suite as cs;
    Some(Some(match name {
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" => cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" => cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        | "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305" => {
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        }
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" => cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" => cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" | "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305" => {
            cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        }
        "TLS_AES_128_GCM_SHA256" | "TLS_AES_256_GCM_SHA384" | "TLS_CHACHA20_POLY1305_SHA256" => {
            return Some(None)
        }
        "TLS_RSA_WITH_AES_128_CBC_SHA"
        | "TLS_RSA_WITH_AES_256_CBC_SHA"
        | "TLS_RSA_WITH_AES_128_GCM_SHA256"
        | "TLS_RSA_WITH_AES_256_GCM_SHA384"
        | "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"
        | "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"
        | "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"
        | "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" => return None,
        _ => return None,
    }))
}

/// Reads and checks the file at `path`; relative paths in it are taken from its directory.
pub fn load(path: &Path) -> Result<WebConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    parse(&text, dir).map_err(|e| format!("{}: {e}", path.display()))
}

/// Checks a file's text; `dir` resolves relative paths.
pub fn parse(text: &str, dir: &Path) -> Result<WebConfig, ConfigError> {
    let root = yaml::parse(text).map_err(|e| ConfigError {
        line: e.line,
        key: String::new(),
        message: e.message,
    })?;
    let mut config = WebConfig::default();
    let mut tls = None;
    for (key, node) in mapping(&root, "")? {
        match key.as_str() {
            "tls_server_config" => tls = tls_settings(node, dir)?,
            "http_server_config" => config.headers = http_settings(node)?,
            "basic_auth_users" => config.users = users(node)?,
            "rate_limit" => config.rate_limit = rate_limit(node)?,
            _ => return unknown(node, "", key),
        }
    }
    config.tls = tls;
    Ok(config)
}

fn unknown<T>(node: &Node, parent: &str, key: &str) -> Result<T, ConfigError> {
    let within = if parent.is_empty() {
        "the file".to_string()
    } else {
        parent.to_string()
    };
    bad(
        node.line,
        &join(parent, key),
        format!("unknown key (not valid in {within})"),
    )
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// A mapping's entries; null is an empty mapping, as in Go.
fn mapping<'n>(node: &'n Node, key: &str) -> Result<&'n [(String, Node)], ConfigError> {
    match &node.value {
        Value::Map(entries) => Ok(entries),
        Value::Null => Ok(&[]),
        _ => bad(node.line, key, "expected a mapping"),
    }
}

/// A string value; null is the empty string.
fn string(node: &Node, key: &str) -> Result<String, ConfigError> {
    match &node.value {
        Value::Scalar { text, .. } => Ok(text.clone()),
        Value::Null => Ok(String::new()),
        _ => bad(node.line, key, "expected a string"),
    }
}

fn strings(node: &Node, key: &str) -> Result<Vec<(String, usize)>, ConfigError> {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .map(|item| Ok((string(item, key)?, item.line)))
            .collect(),
        Value::Null => Ok(Vec::new()),
        _ => bad(node.line, key, "expected a list"),
    }
}

fn boolean(node: &Node, key: &str) -> Result<bool, ConfigError> {
    match &node.value {
        Value::Scalar {
            text,
            quoted: false,
        } => match text.as_str() {
            "true" | "True" | "TRUE" | "yes" | "on" => Ok(true),
            "false" | "False" | "FALSE" | "no" | "off" => Ok(false),
            _ => bad(
                node.line,
                key,
                format!("expected true or false, found {text:?}"),
            ),
        },
        Value::Null => Ok(false),
        _ => bad(node.line, key, "expected true or false"),
    }
}

fn tls_settings(node: &Node, dir: &Path) -> Result<Option<TlsSettings>, ConfigError> {
    const P: &str = "tls_server_config";
    let mut cert = None;
    let mut key = None;
    let mut client_ca = None;
    let (mut auth_name, mut auth_line) = (String::new(), node.line);
    let mut min_version = TlsVersion::Tls12;
    let mut max_version = TlsVersion::Tls13;
    let mut cipher_suites = Vec::new();
    let mut curves: Vec<&'static dyn SupportedKxGroup> = Vec::new();
    let mut prefer_server_cipher_suites = true;
    let mut client_allowed_sans = None;
    for (name, value) in mapping(node, P)? {
        let k = join(P, name);
        let pem = |file: bool, key: &'static str| -> Result<Option<Source>, ConfigError> {
            let text = string(value, &k)?;
            Ok((!text.is_empty()).then(|| Source {
                pem: if file {
                    Pem::File(dir.join(text))
                } else {
                    Pem::Inline(text)
                },
                key,
                line: value.line,
            }))
        };
        match name.as_str() {
            "cert_file" => cert = pem(true, "cert_file")?.or(cert),
            "cert" => cert = cert.or(pem(false, "cert")?),
            "key_file" => key = pem(true, "key_file")?.or(key),
            "key" => key = key.or(pem(false, "key")?),
            "client_ca_file" => client_ca = pem(true, "client_ca_file")?.or(client_ca),
            "client_ca" => client_ca = client_ca.or(pem(false, "client_ca")?),
            "client_auth_type" => (auth_name, auth_line) = (string(value, &k)?, value.line),
            "min_version" => min_version = version(value, &k)?,
            "max_version" => max_version = version(value, &k)?,
            "cipher_suites" => {
                for (suite, line) in strings(value, &k)? {
                    match cipher_suite(&suite) {
                        Some(Some(s)) => cipher_suites.push(s),
                        Some(None) => {}
                        None if is_go_cipher(&suite) => {
                            return bad(line, &k, format!(
                                "cipher suite {suite} is not offered by this build (rustls has only ECDHE with AES-GCM or ChaCha20-Poly1305)"
                            ))
                        }
                        None => return bad(line, &k, format!("unknown cipher: {suite}")),
                    }
                }
            }
            "curve_preferences" => {
                for (curve, line) in strings(value, &k)? {
                    curves.push(match curve.as_str() {
                        "CurveP256" => ring::kx_group::SECP256R1,
                        "CurveP384" => ring::kx_group::SECP384R1,
                        "X25519" => ring::kx_group::X25519,
                        "CurveP521" => {
                            return bad(
                                line,
                                &k,
                                "curve CurveP521 is not offered by this build (ring has no P-521)",
                            )
                        }
                        _ => return bad(line, &k, format!("unknown curve: {curve}")),
                    });
                }
            }
            "prefer_server_cipher_suites" => prefer_server_cipher_suites = boolean(value, &k)?,
            "client_allowed_sans" => {
                let sans = strings(value, &k)?.into_iter().map(|(s, _)| s).collect();
                client_allowed_sans = Some((sans, value.line));
            }
            _ => return unknown(value, P, name),
        }
    }
    // Upstream's rule: TLS is on once any of these is set, and then cert and key are needed.
    let enabled = cert.is_some() || key.is_some() || client_ca.is_some() || !auth_name.is_empty();
    let client_auth = match auth_name.as_str() {
        "" | "NoClientCert" => ClientAuth::NoClientCert,
        "RequestClientCert" => ClientAuth::RequestClientCert,
        "RequireAnyClientCert" | "RequireClientCert" => ClientAuth::RequireAnyClientCert,
        "VerifyClientCertIfGiven" => ClientAuth::VerifyClientCertIfGiven,
        "RequireAndVerifyClientCert" => ClientAuth::RequireAndVerifyClientCert,
        other => {
            return bad(
                auth_line,
                "tls_server_config.client_auth_type",
                format!("invalid ClientAuth: {other}"),
            )
        }
    };
    if !enabled {
        return Ok(None);
    }
    let Some(cert) = cert else {
        return bad(node.line, P, "missing one of cert or cert_file");
    };
    let Some(key) = key else {
        return bad(node.line, P, "missing one of key or key_file");
    };
    if let Some(ca) = &client_ca {
        if client_auth == ClientAuth::NoClientCert {
            return bad(
                ca.line,
                &join(P, ca.key),
                "client CA's have been configured without a Client Auth Policy",
            );
        }
    }
    let verifies = matches!(
        client_auth,
        ClientAuth::VerifyClientCertIfGiven | ClientAuth::RequireAndVerifyClientCert
    );
    if verifies && client_ca.is_none() {
        return bad(
            auth_line,
            "tls_server_config.client_auth_type",
            "verifying client certificates needs client_ca_file or client_ca (this build has no system roots)",
        );
    }
    let required = matches!(
        client_auth,
        ClientAuth::RequireAnyClientCert | ClientAuth::RequireAndVerifyClientCert
    );
    if let Some((_, line)) = &client_allowed_sans {
        if !required {
            return bad(
                *line,
                "tls_server_config.client_allowed_sans",
                "client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert",
            );
        }
    }
    if max_version < TlsVersion::Tls12 {
        return bad(
            node.line,
            "tls_server_config.max_version",
            "this build offers TLS 1.2 and 1.3 only",
        );
    }
    if min_version > max_version {
        return bad(
            node.line,
            "tls_server_config.min_version",
            "min_version is above max_version",
        );
    }
    Ok(Some(TlsSettings {
        cert,
        key,
        client_ca,
        client_auth,
        min_version,
        max_version,
        cipher_suites,
        curves,
        prefer_server_cipher_suites,
        client_allowed_sans: client_allowed_sans.map(|(sans, _)| sans),
        line: node.line,
    }))
}

fn is_go_cipher(name: &str) -> bool {
    name.starts_with("TLS_RSA_WITH_") || name.contains("_CBC_SHA")
}

fn version(node: &Node, key: &str) -> Result<TlsVersion, ConfigError> {
    match string(node, key)?.as_str() {
        "TLS10" => Ok(TlsVersion::Tls10),
        "TLS11" => Ok(TlsVersion::Tls11),
        "TLS12" => Ok(TlsVersion::Tls12),
        "TLS13" => Ok(TlsVersion::Tls13),
        other => bad(node.line, key, format!("unknown TLS version: {other}")),
    }
}

fn http_settings(node: &Node) -> Result<Vec<(&'static str, String)>, ConfigError> {
    const P: &str = "http_server_config";
    let mut headers = Vec::new();
    for (name, value) in mapping(node, P)? {
        let k = join(P, name);
        match name.as_str() {
            // HTTP/2 is not served: every client falls back to HTTP/1.1 (README).
            "http2" => {
                boolean(value, &k)?;
            }
            "headers" => {
                for (header, v) in mapping(value, &k)? {
                    let Some((static_name, allowed)) =
                        EXTRA_HEADERS.iter().find(|(h, _)| h == header)
                    else {
                        return bad(
                            v.line,
                            &k,
                            format!("HTTP header {header:?} can not be configured"),
                        );
                    };
                    let text = string(v, &k)?;
                    if !allowed.is_empty() && !allowed.contains(&text.as_str()) {
                        return bad(
                            v.line,
                            &k,
                            format!("invalid value for {header}. Expected one of: {allowed:?}, but got: {text:?}"),
                        );
                    }
                    if text.bytes().any(|b| b < b' ' && b != b'\t') {
                        return bad(
                            v.line,
                            &k,
                            format!("control character in the value of {header}"),
                        );
                    }
                    headers.push((*static_name, text));
                }
            }
            _ => return unknown(value, P, name),
        }
    }
    Ok(headers)
}

fn users(node: &Node) -> Result<Vec<(String, String)>, ConfigError> {
    const P: &str = "basic_auth_users";
    let mut users = Vec::new();
    for (user, value) in mapping(node, P)? {
        let hash = string(value, P)?;
        if hash.parse::<bcrypt::HashParts>().is_err() {
            return bad(
                value.line,
                P,
                format!("the hash of user {user:?} is not a bcrypt hash"),
            );
        }
        users.push((user.clone(), hash));
    }
    Ok(users)
}

fn rate_limit(node: &Node) -> Result<Option<RateLimit>, ConfigError> {
    const P: &str = "rate_limit";
    let mut interval = Duration::ZERO;
    let mut burst = 0;
    for (name, value) in mapping(node, P)? {
        let k = join(P, name);
        match name.as_str() {
            "interval" => {
                let text = string(value, &k)?;
                let nanos = duration::parse(text.as_bytes())
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| ConfigError {
                        line: value.line,
                        key: k.clone(),
                        message: format!("invalid duration {text:?}"),
                    })?;
                interval = Duration::from_nanos(nanos as u64);
            }
            "burst" => {
                let text = string(value, &k)?;
                burst = text.parse().or_else(|_| {
                    bad(
                        value.line,
                        &k,
                        format!("expected a whole number, found {text:?}"),
                    )
                })?;
            }
            _ => return unknown(value, P, name),
        }
    }
    // As upstream: a zero interval turns the limiter off.
    Ok((!interval.is_zero()).then_some(RateLimit { interval, burst }))
}

#[cfg(test)]
mod tests;
