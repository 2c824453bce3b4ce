//! How requests reach botfleet: over plain HTTP or TLS (`tls`), through one accept loop that
//! enforces timeouts and connection caps (`server`, `limits`, `gate`, `deadline`), directly or through reverse
//! proxies. Handlers that care who is asking (audit rows, rate limits, session cookies) read a
//! [`ClientMeta`]: the client's address, whether its connection is secure and the origin it used,
//! with `X-Forwarded-For`/`X-Forwarded-Proto` believed only from the configured trusted proxies.

pub mod client;
pub mod deadline;
pub mod gate;
pub mod limits;
pub mod server;
pub mod tls;

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use ipnet::IpNet;

pub use client::ClientMeta;
pub use limits::ConnectionLimits;
pub use tls::TlsConnection;

use crate::error::{Error, Result};

/// The network settings every request is read with, built once at start.
#[derive(Clone, Debug, Default)]
pub struct NetConfig {
    /// Peers whose forwarding headers are believed.
    pub trusted_proxies: TrustedProxies,
    /// `https://shop.example`: the origin browsers use, when configured (normalised).
    pub public_origin: Option<String>,
    /// The TLS server settings when the API is served over HTTPS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Timeouts and connection caps.
    pub limits: ConnectionLimits,
}

impl NetConfig {
    /// Loads the TLS settings (a certificate chain and its key, both or neither), the trusted
    /// proxies and the public origin; a problem is a `Config` error naming the setting.
    pub fn new(
        tls: Option<(&Path, &Path)>,
        trusted_proxies: TrustedProxies,
        public_origin: Option<&str>,
        limits: ConnectionLimits,
    ) -> Result<Self> {
        let tls = tls.map(|(cert, key)| tls::server_config(cert, key)).transpose()?;
        let public_origin = public_origin
            .map(|origin| {
                parse_public_origin(origin)
                    .map_err(|e| Error::Config(format!("--public-origin (BOTFLEET_PUBLIC_ORIGIN): {e}")))
            })
            .transpose()?;
        Ok(Self { trusted_proxies, public_origin, tls, limits })
    }

    /// `https` when served over TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }
}

/// Addresses and ranges of the reverse proxies in front of botfleet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// These ranges (a single address is a /32 or /128).
    pub fn new(ranges: Vec<IpNet>) -> Self {
        Self(ranges)
    }

    /// Whether `ip` is one of them (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// `--trusted-proxies`: comma-separated entries for [`parse_trusted_proxy`]; blank entries
    /// (an empty variable, a trailing comma) are skipped.
    pub fn parse(s: &str) -> Result<Self, String> {
        s.split(',').filter(|e| !e.trim().is_empty()).map(parse_trusted_proxy).collect::<Result<_, _>>().map(Self)
    }

    /// The ranges, in the order given.
    pub fn ranges(&self) -> &[IpNet] {
        &self.0
    }

    /// No proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `127.0.0.1/32,10.0.0.0/8`, or `none`.
impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        for (i, range) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{range}")?;
        }
        Ok(())
    }
}

/// One entry of `--trusted-proxies`: an IP address (`10.0.0.1`, `::1`) or a CIDR range
/// (`10.0.0.0/8`, `fd00::/8`).
pub fn parse_trusted_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(IpNet::from(ip.to_canonical()));
    }
    s.parse::<IpNet>().map(|net| net.trunc()).map_err(|_| {
        format!("`{s}` is not an IP address or CIDR range (examples: 10.0.0.1, 10.0.0.0/8, ::1, fd00::/8)")
    })
}

/// `--public-origin`: `http(s)://host[:port]`, no path, query or user; returned normalised
/// (lower case, default port dropped) the way browsers write an `Origin` header.
pub fn parse_public_origin(s: &str) -> Result<String, String> {
    let s = s.trim();
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err(format!("`{s}` is not an origin: write it as https://host or https://host:port"));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!("`{s}` must start with https:// or http://"));
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '#']) {
        return Err(format!("`{s}` has a path: an origin is only scheme, host and port (e.g. https://shop.example)"));
    }
    let authority = normalize_authority(rest, &scheme)
        .ok_or_else(|| format!("`{s}` does not have a valid host and port (e.g. https://shop.example:8443)"))?;
    Ok(format!("{scheme}://{authority}"))
}

/// `host[:port]` from a URL or `Host` header, checked and normalised: lower case, the scheme's
/// default port dropped. `None` when it is not a plain host name, IPv4 address or bracketed IPv6
/// address with an optional port.
pub(crate) fn normalize_authority(s: &str, scheme: &str) -> Option<String> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        v6.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (&s[..v6.len() + 2], port)
    } else {
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        let label_ok = |l: &str| {
            !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        let host_ok = host.len() <= 253 && host.strip_suffix('.').unwrap_or(host).split('.').all(label_ok);
        if !host_ok {
            return None;
        }
        (host, port)
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse::<u16>().ok()?),
        Some(_) => return None,
    };
    let host = host.to_ascii_lowercase();
    Some(match (scheme, port) {
        ("http", Some(80)) | ("https", Some(443)) | (_, None) => host,
        (_, Some(port)) => format!("{host}:{port}"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn proxies_are_addresses_or_ranges() {
        assert_eq!(parse_trusted_proxy(" 10.0.0.1 ").unwrap().to_string(), "10.0.0.1/32");
        assert_eq!(parse_trusted_proxy("::1").unwrap().to_string(), "::1/128");
        assert_eq!(parse_trusted_proxy("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_trusted_proxy("fd00::/8").unwrap().to_string(), "fd00::/8");
        assert_eq!(parse_trusted_proxy("::ffff:10.0.0.1").unwrap().to_string(), "10.0.0.1/32");
        for bad in ["", "10.0.0.0/33", "example.com", "10.0.0", "10.0.0.1/"] {
            let e = parse_trusted_proxy(bad).unwrap_err();
            assert!(e.contains("not an IP address or CIDR range"), "{bad}: {e}");
        }
    }

    #[test]
    fn proxy_lists_skip_blank_entries() {
        assert_eq!(TrustedProxies::parse("").unwrap(), TrustedProxies::default());
        assert_eq!(TrustedProxies::parse(" , ").unwrap().to_string(), "none");
        let list = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8,fd00::/8,").unwrap();
        assert_eq!(list.to_string(), "127.0.0.1/32,10.0.0.0/8,fd00::/8");
        let e = TrustedProxies::parse("127.0.0.1,10.0.0.0/33").unwrap_err();
        assert!(e.contains("`10.0.0.0/33` is not an IP address or CIDR range"), "{e}");
    }

    #[test]
    fn trusted_proxies_match_mapped_addresses() {
        let proxies = TrustedProxies::new(vec![parse_trusted_proxy("10.0.0.0/8").unwrap()]);
        assert!(proxies.contains("10.9.8.7".parse().unwrap()));
        assert!(proxies.contains("::ffff:10.9.8.7".parse().unwrap()));
        assert!(!proxies.contains("11.0.0.1".parse().unwrap()));
        assert!(!TrustedProxies::default().contains("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn public_origin_is_scheme_host_and_port() {
        assert_eq!(parse_public_origin("https://Shop.Example").unwrap(), "https://shop.example");
        assert_eq!(parse_public_origin("https://shop.example/").unwrap(), "https://shop.example");
        assert_eq!(parse_public_origin("https://shop.example:443").unwrap(), "https://shop.example");
        assert_eq!(parse_public_origin("https://shop.example:8443").unwrap(), "https://shop.example:8443");
        assert_eq!(parse_public_origin("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(parse_public_origin("HTTPS://[::1]:8443").unwrap(), "https://[::1]:8443");
        for bad in [
            "shop.example",
            "ftp://shop.example",
            "https://shop.example/admin",
            "https://shop.example?x=1",
            "https://user@shop.example",
            "https://shop.example:99999",
            "https://shop.example:",
            "https://",
            "https://shop example",
            "https://[::1",
        ] {
            assert!(parse_public_origin(bad).is_err(), "{bad} accepted");
        }
    }
}
