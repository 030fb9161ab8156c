//! `client_allowed_sans`: a client certificate passes when one of its subject alternative
//! names is in the list, compared as text the way Go lists them (DNS names, e-mail addresses,
//! IP addresses in Go's notation, URIs).
//!
//! Owns: a small DER walk from the certificate to its subjectAltName extension (RFC 5280
//! §4.1, §4.2.1.6) and the verifier that applies the list after the configured one.
//! Must never: panic or read past its input, whatever the certificate bytes (with
//! `RequireAnyClientCert` nothing else has parsed them).

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

const SEQUENCE: u8 = 0x30;
const OID: u8 = 0x06;
const OCTET_STRING: u8 = 0x04;
/// `[3] EXPLICIT Extensions` in a TBSCertificate.
const EXTENSIONS: u8 = 0xa3;
/// id-ce-subjectAltName, 2.5.29.17.
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
/// GeneralName choices Go reads (context-specific, primitive).
const RFC822_NAME: u8 = 0x81;
const DNS_NAME: u8 = 0x82;
const URI: u8 = 0x86;
const IP_ADDRESS: u8 = 0x87;

/// One DER element: its tag and contents, and the rest of the input after it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |n, &b| (n << 8) | usize::from(b));
        (len, &rest[count..])
    };
    (len <= rest.len()).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The elements of a constructed value, in order; stops at the first malformed one.
fn elements(mut input: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (tag, contents, rest) = element(input)?;
        input = rest;
        Some((tag, contents))
    })
}

/// The certificate's subject alternative names as text; `None` if it has no readable
/// subjectAltName extension.
pub fn subject_alt_names(cert: &[u8]) -> Option<Vec<String>> {
    let (SEQUENCE, certificate, _) = element(cert)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = element(certificate)? else {
        return None;
    };
    let (_, extensions) = elements(tbs).find(|(tag, _)| *tag == EXTENSIONS)?;
    let (SEQUENCE, extensions, _) = element(extensions)? else {
        return None;
    };
    let value = elements(extensions).find_map(|(tag, extension)| {
        let mut fields = elements(extension);
        let is_san = tag == SEQUENCE && fields.next() == Some((OID, SUBJECT_ALT_NAME));
        // After the OID: an optional `critical` BOOLEAN, then the OCTET STRING.
        is_san.then(|| fields.find(|(t, _)| *t == OCTET_STRING).map(|(_, v)| v))?
    })?;
    let (SEQUENCE, names, _) = element(value)? else {
        return None;
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    Some(
        elements(names)
            .filter_map(|(tag, name)| match tag {
                RFC822_NAME | DNS_NAME | URI => Some(text(name)),
                IP_ADDRESS => match name.len() {
                    4 => Some(Ipv4Addr::from(<[u8; 4]>::try_from(name).ok()?).to_string()),
                    16 => {
                        let ip = Ipv6Addr::from(<[u8; 16]>::try_from(name).ok()?);
                        // Go prints an IPv4-mapped address as IPv4.
                        Some(
                            ip.to_ipv4_mapped()
                                .map_or(ip.to_string(), |v4| v4.to_string()),
                        )
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect(),
    )
}

/// The configured verifier, then the SAN list.
#[derive(Debug)]
pub struct AllowedSans {
    pub inner: Arc<dyn ClientCertVerifier>,
    pub allowed: Vec<String>,
}

impl ClientCertVerifier for AllowedSans {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verified = self
            .inner
            .verify_client_cert(end_entity, intermediates, now)?;
        let names = subject_alt_names(end_entity).unwrap_or_default();
        if names.iter().any(|name| self.allowed.contains(name)) {
            return Ok(verified);
        }
        Err(rustls::Error::General(format!(
            "could not find allowed SANs in client cert, found: {names:?}"
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;

    /// Made with `openssl req -x509 -newkey ec … -addext subjectAltName=DNS:client.example,
    /// email:ops@example.com,IP:10.1.2.3,IP:2001:db8::1,URI:spiffe://example/job`.
    const CERT: &str = include_str!("sans_test_cert.pem");

    fn der() -> Vec<u8> {
        CertificateDer::from_pem_slice(CERT.as_bytes())
            .unwrap()
            .to_vec()
    }

    #[test]
    fn every_san_kind_go_lists_is_read() {
        assert_eq!(
            subject_alt_names(&der()).unwrap(),
            [
                "client.example",
                "ops@example.com",
                "10.1.2.3",
                "2001:db8::1",
                "spiffe://example/job"
            ]
        );
    }

    #[test]
    fn any_cut_or_damage_is_none_or_fewer_names_never_a_panic() {
        let der = der();
        for end in 0..der.len() {
            let _ = subject_alt_names(&der[..end]);
        }
        for i in 0..der.len() {
            let mut damaged = der.clone();
            damaged[i] ^= 0xff;
            let _ = subject_alt_names(&damaged);
        }
        assert_eq!(subject_alt_names(b"\x30\x84\xff\xff\xff\xff"), None);
    }
}
