//! TLS with rustls and the `ring` provider: the server configuration built from a web config
//! file's `tls_server_config`, and (in `stream`) the session glue that lets the handshake and
//! the records run inside the mio loop, without threads.
//!
//! Owns: reading the certificate, key and client CA PEM; the mapping of Go's client auth
//! types, versions, cipher suites and curves onto rustls.
//! Must never: block (the files are read at start-up and on reload, never per record).

mod sans;
mod stream;

pub use stream::TlsStream;

use crate::webconfig::{ClientAuth, Pem, Source, TlsSettings, TlsVersion};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{ring, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig};
use rustls::{SignatureScheme, SupportedProtocolVersion};
use std::sync::Arc;

/// Builds the rustls configuration; an error names the key and line it comes from.
pub fn server_config(settings: &TlsSettings) -> Result<Arc<ServerConfig>, String> {
    let mut provider = ring::default_provider();
    if !settings.cipher_suites.is_empty() {
        // TLS 1.3 suites are not configurable (as in Go); the list chooses among TLS 1.2's.
        provider
            .cipher_suites
            .retain(|s| s.version() == &rustls::version::TLS13);
        provider
            .cipher_suites
            .extend(settings.cipher_suites.iter().copied());
    }
    if !settings.curves.is_empty() {
        provider.kx_groups = settings.curves.clone();
    }
    let provider = Arc::new(provider);
    let versions = versions(settings.min_version, settings.max_version);
    let at = |line: usize, key: &str| format!("line {line}: tls_server_config.{key}");
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("{}: {e}", at(settings.line, "cipher_suites")))?;
    let cert = read(&settings.cert)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", at(settings.cert.line, settings.cert.key)))?;
    if certs.is_empty() {
        let key = at(settings.cert.line, settings.cert.key);
        return Err(format!("{key}: no certificate in the PEM"));
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&settings.key)?)
        .map_err(|e| format!("{}: {e}", at(settings.key.line, settings.key.key)))?;
    let builder = match client_verifier(settings, provider)? {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        format!(
            "{}: the certificate and key do not match or cannot be used: {e}",
            at(settings.key.line, settings.key.key)
        )
    })?;
    config.ignore_client_order = settings.prefer_server_cipher_suites;
    // HTTP/1.1 only: a client that offers h2 as well settles on HTTP/1.1.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn versions(min: TlsVersion, max: TlsVersion) -> Vec<&'static SupportedProtocolVersion> {
    // TLS 1.0 and 1.1 are not implemented by rustls: a lower minimum means 1.2.
    [
        (TlsVersion::Tls12, &rustls::version::TLS12),
        (TlsVersion::Tls13, &rustls::version::TLS13),
    ]
    .into_iter()
    .filter(|(v, _)| min <= *v && *v <= max)
    .map(|(_, p)| p)
    .collect()
}

fn read(source: &Source) -> Result<Vec<u8>, String> {
    match &source.pem {
        Pem::Inline(text) => Ok(text.as_bytes().to_vec()),
        Pem::File(path) => std::fs::read(path).map_err(|e| {
            format!(
                "line {}: tls_server_config.{}: cannot read {}: {e}",
                source.line,
                source.key,
                path.display()
            )
        }),
    }
}

fn client_verifier(
    settings: &TlsSettings,
    provider: Arc<CryptoProvider>,
) -> Result<Option<Arc<dyn ClientCertVerifier>>, String> {
    let any = |mandatory| -> Arc<dyn ClientCertVerifier> {
        Arc::new(AnyClientCert {
            mandatory,
            algorithms: provider.signature_verification_algorithms,
        })
    };
    let verified = |optional: bool| -> Result<Arc<dyn ClientCertVerifier>, String> {
        let Some(ca) = &settings.client_ca else {
            unreachable!("webconfig requires a client CA for verification")
        };
        let mut roots = RootCertStore::empty();
        let pem = read(ca)?;
        let where_ = format!("line {}: tls_server_config.{}", ca.line, ca.key);
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| format!("{where_}: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("{where_}: not a usable CA certificate: {e}"))?;
        }
        if roots.is_empty() {
            return Err(format!("{where_}: no certificate in the PEM"));
        }
        let builder = WebPkiClientVerifier::builder_with_provider(roots.into(), provider.clone());
        let builder = if optional {
            builder.allow_unauthenticated()
        } else {
            builder
        };
        builder.build().map_err(|e| format!("{where_}: {e}"))
    };
    let verifier = match settings.client_auth {
        ClientAuth::NoClientCert => return Ok(None),
        ClientAuth::RequestClientCert => any(false),
        ClientAuth::RequireAnyClientCert => any(true),
        ClientAuth::VerifyClientCertIfGiven => verified(true)?,
        ClientAuth::RequireAndVerifyClientCert => verified(false)?,
    };
    Ok(Some(match &settings.client_allowed_sans {
        Some(allowed) => Arc::new(sans::AllowedSans {
            inner: verifier,
            allowed: allowed.clone(),
        }),
        None => verifier,
    }))
}

/// Go's `RequestClientCert` and `RequireAnyClientCert`: any certificate is taken without
/// checking its chain, but the client must still prove it holds the certificate's key.
#[derive(Debug)]
struct AnyClientCert {
    mandatory: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCert {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
