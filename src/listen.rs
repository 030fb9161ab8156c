//! Listen addresses in Go's `host:port` form (`--web.listen-address`, spec §2.1) and the
//! listening sockets bound to them. It never resolves a name: no DNS, no `/etc/hosts`, no
//! `/etc/services`, so that a `FROM scratch` image behaves like any other host.
//!
//! Grammar (a subset of Go's `net.Listen("tcp", …)`):
//!
//! ```text
//! address = host ":" port
//! host    = ""                 ; every interface: [::] dual-stack, else 0.0.0.0
//!         / "localhost"        ; 127.0.0.1
//!         / IPv4address        ; dotted decimal, no leading zeros
//!         / "[" IPv6address "]"
//! port    = *5DIGIT            ; 0..=65535; empty means 0 (any free port), as in Go
//! ```

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};

/// Where to listen, as parsed from one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListenAddress {
    /// Every interface (`:port`).
    Any(u16),
    /// One address.
    Ip(SocketAddr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    MissingPort,
    TooManyColons,
    BadPort,
    BadHost,
}

/// An address that does not follow the grammar above; names the address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenAddressError {
    pub address: String,
    pub reason: Reason,
}

impl fmt::Display for ListenAddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self.reason {
            Reason::MissingPort => "missing port in address",
            Reason::TooManyColons => "too many colons in address (write IPv6 as [::1]:9091)",
            Reason::BadPort => "port must be a number from 0 to 65535",
            Reason::BadHost => {
                "host must be empty, localhost or an IP address (names are not resolved)"
            }
        };
        write!(f, "invalid listen address {:?}: {reason}", self.address)
    }
}

impl std::error::Error for ListenAddressError {}

pub fn parse(address: &str) -> Result<ListenAddress, ListenAddressError> {
    let error = |reason| ListenAddressError {
        address: address.to_string(),
        reason,
    };
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (host, port) = rest.split_once("]:").ok_or_else(|| {
            error(if rest.contains(']') {
                Reason::MissingPort
            } else {
                Reason::BadHost
            })
        })?;
        let ip: Ipv6Addr = host.parse().map_err(|_| error(Reason::BadHost))?;
        (Some(IpAddr::V6(ip)), port)
    } else {
        let (host, port) = address
            .rsplit_once(':')
            .ok_or_else(|| error(Reason::MissingPort))?;
        if host.contains(':') {
            return Err(error(Reason::TooManyColons));
        }
        let ip = match host {
            "" => None,
            "localhost" => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            _ => Some(IpAddr::V4(
                host.parse().map_err(|_| error(Reason::BadHost))?,
            )),
        };
        (ip, port)
    };
    let port = parse_port(port).ok_or_else(|| error(Reason::BadPort))?;
    Ok(match host {
        None => ListenAddress::Any(port),
        Some(ip) => ListenAddress::Ip(SocketAddr::new(ip, port)),
    })
}

fn parse_port(port: &str) -> Option<u16> {
    if port.is_empty() {
        return Some(0);
    }
    if port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    port.parse().ok()
}

/// Binds the listening sockets for one address: usually one, two for `:port` where the
/// system keeps IPv6 sockets IPv6-only (then 0.0.0.0 is bound beside [::] on the same port).
/// `:port` falls back to 0.0.0.0 alone where IPv6 is unavailable.
/// Errors name the address the way Go does: `listen tcp :9091: Address already in use …`.
pub fn bind(address: &str) -> io::Result<Vec<TcpListener>> {
    let parsed = parse(address).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let named = |e: io::Error| io::Error::new(e.kind(), format!("listen tcp {address}: {e}"));
    match parsed {
        ListenAddress::Ip(addr) => Ok(vec![TcpListener::bind(addr).map_err(named)?]),
        ListenAddress::Any(port) => {
            let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
            match TcpListener::bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port)) {
                Ok(v6) => {
                    // A dual-stack socket already holds the IPv4 port, so this bind fails
                    // (address in use); where IPv6 sockets are IPv6-only it succeeds and is
                    // what lets IPv4 clients in. Without IPv4 at all, [::] alone is right.
                    let port = v6.local_addr().map_err(named)?.port();
                    match TcpListener::bind(SocketAddr::new(v4.ip(), port)) {
                        Ok(v4) => Ok(vec![v6, v4]),
                        Err(_) => Ok(vec![v6]),
                    }
                }
                Err(e) if ipv6_unavailable(&e) => Ok(vec![TcpListener::bind(v4).map_err(named)?]),
                Err(e) => Err(named(e)),
            }
        }
    }
}

/// The errors a kernel without IPv6 (or with it disabled) gives for binding `[::]`.
fn ipv6_unavailable(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EAFNOSUPPORT) | Some(libc::EADDRNOTAVAIL) | Some(libc::EPROTONOSUPPORT)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_listen_addresses() {
        let ip = |s: &str| ListenAddress::Ip(s.parse().unwrap());
        let cases: &[(&str, ListenAddress)] = &[
            (":9091", ListenAddress::Any(9091)),
            (":0", ListenAddress::Any(0)),
            (":", ListenAddress::Any(0)),
            ("127.0.0.1:9091", ip("127.0.0.1:9091")),
            ("0.0.0.0:80", ip("0.0.0.0:80")),
            ("localhost:9091", ip("127.0.0.1:9091")),
            ("[::1]:9091", ip("[::1]:9091")),
            ("[::]:65535", ip("[::]:65535")),
            ("127.0.0.1:", ip("127.0.0.1:0")),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input).as_ref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn rejects_anything_else_naming_the_address() {
        let cases: &[(&str, &str)] = &[
            (
                "9091",
                r#"invalid listen address "9091": missing port in address"#,
            ),
            ("", r#"invalid listen address "": missing port in address"#),
            (
                "::1:9091",
                r#"invalid listen address "::1:9091": too many colons in address (write IPv6 as [::1]:9091)"#,
            ),
            (
                ":http",
                r#"invalid listen address ":http": port must be a number from 0 to 65535"#,
            ),
            (
                ":65536",
                r#"invalid listen address ":65536": port must be a number from 0 to 65535"#,
            ),
            (
                ":+80",
                r#"invalid listen address ":+80": port must be a number from 0 to 65535"#,
            ),
            (
                ":000080",
                r#"invalid listen address ":000080": port must be a number from 0 to 65535"#,
            ),
            (
                "example.com:80",
                r#"invalid listen address "example.com:80": host must be empty, localhost or an IP address (names are not resolved)"#,
            ),
            (
                "127.000.0.1:80",
                r#"invalid listen address "127.000.0.1:80": host must be empty, localhost or an IP address (names are not resolved)"#,
            ),
            (
                "[::1]",
                r#"invalid listen address "[::1]": missing port in address"#,
            ),
            (
                "[::1:80",
                r#"invalid listen address "[::1:80": host must be empty, localhost or an IP address (names are not resolved)"#,
            ),
            (
                "[fe80::1%eth0]:80",
                r#"invalid listen address "[fe80::1%eth0]:80": host must be empty, localhost or an IP address (names are not resolved)"#,
            ),
            (
                "[127.0.0.1]:80",
                r#"invalid listen address "[127.0.0.1]:80": host must be empty, localhost or an IP address (names are not resolved)"#,
            ),
            (
                "vsock://1:2",
                r#"invalid listen address "vsock://1:2": too many colons in address (write IPv6 as [::1]:9091)"#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input).unwrap_err().to_string(), *want, "{input}");
        }
    }

    #[test]
    fn binds_every_interface_and_one_address() {
        let any = bind(":0").expect("bind :0");
        let port = any[0].local_addr().unwrap().port();
        assert_ne!(port, 0);
        assert!(any.iter().all(|l| l.local_addr().unwrap().port() == port));
        // Whatever the family of the wildcard socket, IPv4 clients reach it.
        std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect over IPv4");

        let one = bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        assert_eq!(one.len(), 1);
        assert!(one[0].local_addr().unwrap().ip().is_loopback());
    }

    #[test]
    fn bind_errors_name_the_address() {
        let taken = bind("127.0.0.1:0").unwrap();
        let address = format!("127.0.0.1:{}", taken[0].local_addr().unwrap().port());
        let err = bind(&address).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        assert!(
            err.to_string()
                .starts_with(&format!("listen tcp {address}: ")),
            "{err}"
        );

        let err = bind("nowhere:1").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(r#""nowhere:1""#), "{err}");
    }
}
