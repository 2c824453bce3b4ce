//! Who is asking: the client's address, whether its connection is secure and the origin it
//! addressed, per request. Behind a reverse proxy the TCP peer is the proxy, so its
//! `X-Forwarded-For` and `X-Forwarded-Proto` are read, but only when the peer is one of the
//! configured trusted proxies: anyone else could write them. Malformed headers are ignored.
//!
//! [`middleware`] (on the API router) puts a [`ClientMeta`] into every request's extensions; a
//! handler takes it as an argument (`meta: ClientMeta`), a later middleware reads
//! `request.extensions().get::<ClientMeta>()`.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Extensions, HeaderMap, Uri};
use axum::middleware::Next;
use axum::response::Response;

use super::{normalize_authority, NetConfig, TlsConnection, TrustedProxies};

const X_FORWARDED_FOR: &str = "x-forwarded-for";
const X_FORWARDED_PROTO: &str = "x-forwarded-proto";

/// Where a request comes from, as far as botfleet can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientMeta {
    /// The client's address: the TCP peer, or when that is a trusted proxy, the right-most
    /// `X-Forwarded-For` address that is not itself a trusted proxy. `0.0.0.0` when unknown.
    pub ip: IpAddr,
    /// The client's connection is TLS: ours, or a trusted proxy's (`X-Forwarded-Proto: https`).
    /// Session cookies get `Secure` and the `__Host-` prefix when this is true.
    pub secure: bool,
    /// The origin the request was addressed to (`https://shop.example:8443`, as a browser's
    /// `Origin` header writes it), or `--public-origin` when set. Empty when the request named
    /// no valid host.
    pub origin: String,
}

impl ClientMeta {
    /// Works it out from the connection (`peer`: the TCP peer's address, `None` when unknown;
    /// `tls`: botfleet terminated TLS) and the request's URI and headers.
    pub fn resolve(net: &NetConfig, peer: Option<IpAddr>, tls: bool, uri: &Uri, headers: &HeaderMap) -> Self {
        let peer = peer.map(|ip| ip.to_canonical());
        let via_proxy = peer.is_some_and(|ip| net.trusted_proxies.contains(ip));
        let ip = match peer {
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Some(peer) if via_proxy => forwarded_for(headers, &net.trusted_proxies).unwrap_or(peer),
            Some(peer) => peer,
        };
        let secure = tls || (via_proxy && forwarded_https(headers));
        let origin = match &net.public_origin {
            Some(origin) => origin.clone(),
            None => addressed_origin(if secure { "https" } else { "http" }, uri, headers).unwrap_or_default(),
        };
        Self { ip, secure, origin }
    }

    /// From a request's parts: the peer from `ConnectInfo<SocketAddr>`, TLS from
    /// [`TlsConnection`] (both set by `api::serve`).
    pub fn from_request(net: &NetConfig, extensions: &Extensions, uri: &Uri, headers: &HeaderMap) -> Self {
        let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let tls = extensions.get::<TlsConnection>().is_some();
        Self::resolve(net, peer, tls, uri, headers)
    }
}

/// Middleware (`axum::middleware::from_fn_with_state(net, middleware)`) that puts the request's
/// [`ClientMeta`] into its extensions.
pub async fn middleware(State(net): State<Arc<NetConfig>>, mut request: Request, next: Next) -> Response {
    let meta = ClientMeta::from_request(&net, request.extensions(), request.uri(), request.headers());
    request.extensions_mut().insert(meta);
    next.run(request).await
}

/// The one [`middleware`] computed; on a router without it, worked out from the connection
/// alone (no proxy trusted, no public origin). Never fails.
impl<S: Send + Sync> FromRequestParts<S> for ClientMeta {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(match parts.extensions.get::<ClientMeta>() {
            Some(meta) => meta.clone(),
            None => Self::from_request(&NetConfig::default(), &parts.extensions, &parts.uri, &parts.headers),
        })
    }
}

/// The right-most `X-Forwarded-For` address that is not a trusted proxy. Each proxy appends the
/// address it was connected from, so entries right of the client were written by trusted proxies
/// and everything left of it by the client (who may lie). When every entry is trusted, or the
/// walk meets one that is not an address, the farthest trusted hop reached is the answer; `None`
/// when there is none.
fn forwarded_for(headers: &HeaderMap, proxies: &TrustedProxies) -> Option<IpAddr> {
    let entries: Vec<Option<IpAddr>> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .flat_map(|line| match line.to_str() {
            Ok(line) => line.split(',').map(str::trim).filter(|e| !e.is_empty()).map(parse_hop).collect(),
            Err(_) => vec![None],
        })
        .collect();
    let mut farthest = None;
    for entry in entries.into_iter().rev() {
        match entry {
            Some(ip) if proxies.contains(ip) => farthest = Some(ip),
            Some(ip) => return Some(ip),
            None => break,
        }
    }
    farthest
}

/// `203.0.113.7`, `2001:db8::7`, or either with a port (`203.0.113.7:4711`, `[2001:db8::7]:4711`).
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let ip = entry.parse::<IpAddr>().or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip())).ok()?;
    Some(ip.to_canonical())
}

/// The nearest proxy says the client's connection to it was HTTPS: the right-most value of the
/// last `X-Forwarded-Proto` line is `https`.
fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get_all(X_FORWARDED_PROTO)
        .iter()
        .next_back()
        .and_then(|line| line.to_str().ok())
        .and_then(|line| line.rsplit(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// `{scheme}://{host}` from the request's authority (HTTP/2, absolute-form) or `Host` header.
fn addressed_origin(scheme: &str, uri: &Uri, headers: &HeaderMap) -> Option<String> {
    let authority = match uri.authority() {
        Some(authority) => authority.as_str(),
        None => headers.get(header::HOST)?.to_str().ok()?,
    };
    Some(format!("{scheme}://{}", normalize_authority(authority, scheme)?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::http::HeaderValue;

    use super::*;
    use crate::net::parse_trusted_proxy;

    fn net(proxies: &[&str]) -> NetConfig {
        NetConfig {
            trusted_proxies: TrustedProxies::new(proxies.iter().map(|p| parse_trusted_proxy(p).unwrap()).collect()),
            ..NetConfig::default()
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn resolve(net: &NetConfig, peer: &str, pairs: &[(&str, &str)]) -> ClientMeta {
        ClientMeta::resolve(
            net,
            Some(peer.parse().unwrap()),
            false,
            &Uri::from_static("/api/v1/health"),
            &headers(pairs),
        )
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn direct_client_is_the_peer() {
        let meta = resolve(&net(&[]), "203.0.113.7", &[("host", "shop.example:8080")]);
        assert_eq!(
            meta,
            ClientMeta { ip: ip("203.0.113.7"), secure: false, origin: "http://shop.example:8080".into() }
        );
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let spoofed = [("x-forwarded-for", "1.2.3.4"), ("x-forwarded-proto", "https")];
        for net in [net(&[]), net(&["10.0.0.0/8"])] {
            let meta = resolve(&net, "203.0.113.7", &spoofed);
            assert_eq!(meta.ip, ip("203.0.113.7"));
            assert!(!meta.secure);
        }
    }

    #[test]
    fn trusted_ipv4_proxy_names_the_client() {
        let meta = resolve(
            &net(&["10.0.0.1"]),
            "10.0.0.1",
            &[("x-forwarded-for", "203.0.113.7"), ("x-forwarded-proto", "https"), ("host", "shop.example")],
        );
        assert_eq!(meta, ClientMeta { ip: ip("203.0.113.7"), secure: true, origin: "https://shop.example".into() });
    }

    #[test]
    fn cidr_chain_of_proxies_gives_the_rightmost_untrusted_hop() {
        // The client claims 1.1.1.1; the outer proxy saw it as 198.51.100.2; an inner proxy
        // (10.0.0.2) forwarded to the one we are connected to (10.0.0.1).
        let xff = [("x-forwarded-for", "1.1.1.1, 198.51.100.2, 10.0.0.2")];
        assert_eq!(resolve(&net(&["10.0.0.0/8"]), "10.0.0.1", &xff).ip, ip("198.51.100.2"));
        // Only the nearest proxy trusted: the inner one's entry is the client as far as we know.
        assert_eq!(resolve(&net(&["10.0.0.1/32"]), "10.0.0.1", &xff).ip, ip("10.0.0.2"));
        // The same list over several header lines.
        let lines = [("x-forwarded-for", "1.1.1.1"), ("x-forwarded-for", "198.51.100.2, 10.0.0.2")];
        assert_eq!(resolve(&net(&["10.0.0.0/8"]), "10.0.0.1", &lines).ip, ip("198.51.100.2"));
    }

    #[test]
    fn ipv6_proxies_and_clients() {
        let proxies = net(&["fd00::/8", "::1"]);
        let meta = resolve(&proxies, "fd00::5", &[("x-forwarded-for", "2001:db8::7, fd00::6")]);
        assert_eq!(meta.ip, ip("2001:db8::7"));
        let meta = resolve(&proxies, "::1", &[("x-forwarded-for", "[2001:db8::7]:4711")]);
        assert_eq!(meta.ip, ip("2001:db8::7"));
        let meta = resolve(&proxies, "2001:db8::9", &[("x-forwarded-for", "2001:db8::7")]);
        assert_eq!(meta.ip, ip("2001:db8::9"));
    }

    #[test]
    fn ipv4_mapped_peer_matches_ipv4_ranges() {
        let meta = resolve(&net(&["10.0.0.0/8"]), "::ffff:10.0.0.1", &[("x-forwarded-for", "203.0.113.7:5555")]);
        assert_eq!(meta.ip, ip("203.0.113.7"));
        assert_eq!(resolve(&net(&[]), "::ffff:203.0.113.7", &[]).ip, ip("203.0.113.7"));
    }

    #[test]
    fn all_trusted_or_malformed_entries_stop_at_the_farthest_trusted_hop() {
        let proxies = net(&["10.0.0.0/8"]);
        assert_eq!(resolve(&proxies, "10.0.0.1", &[("x-forwarded-for", "10.0.0.3, 10.0.0.2")]).ip, ip("10.0.0.3"));
        assert_eq!(resolve(&proxies, "10.0.0.1", &[("x-forwarded-for", "1.2.3.4, junk, 10.0.0.2")]).ip, ip("10.0.0.2"));
        assert_eq!(resolve(&proxies, "10.0.0.1", &[("x-forwarded-for", "junk")]).ip, ip("10.0.0.1"));
        assert_eq!(resolve(&proxies, "10.0.0.1", &[("x-forwarded-for", "")]).ip, ip("10.0.0.1"));
        assert_eq!(resolve(&proxies, "10.0.0.1", &[("x-forwarded-for", " , 203.0.113.7,")]).ip, ip("203.0.113.7"));
        let mut binary = HeaderMap::new();
        binary.insert(X_FORWARDED_FOR, HeaderValue::from_bytes(b"203.0.113.7\xff").unwrap());
        binary.insert(X_FORWARDED_PROTO, HeaderValue::from_bytes(b"https\xff").unwrap());
        let meta = ClientMeta::resolve(&proxies, Some(ip("10.0.0.1")), false, &Uri::from_static("/"), &binary);
        assert_eq!((meta.ip, meta.secure), (ip("10.0.0.1"), false));
    }

    #[test]
    fn secure_is_our_tls_or_a_trusted_proxys() {
        let proxies = net(&["10.0.0.1"]);
        let uri = Uri::from_static("/");
        let tls = ClientMeta::resolve(&proxies, Some(ip("203.0.113.7")), true, &uri, &headers(&[]));
        assert!(tls.secure);
        let plain_behind_tls = headers(&[("x-forwarded-proto", "http")]);
        assert!(ClientMeta::resolve(&proxies, Some(ip("10.0.0.1")), true, &uri, &plain_behind_tls).secure);
        assert!(resolve(&proxies, "10.0.0.1", &[("x-forwarded-proto", "HTTPS")]).secure);
        assert!(resolve(&proxies, "10.0.0.1", &[("x-forwarded-proto", "http, https")]).secure);
        assert!(!resolve(&proxies, "10.0.0.1", &[("x-forwarded-proto", "https, http")]).secure);
        assert!(
            !resolve(&proxies, "10.0.0.1", &[("x-forwarded-proto", "https"), ("x-forwarded-proto", "http")]).secure
        );
        assert!(!resolve(&proxies, "10.0.0.1", &[("x-forwarded-proto", "ftp")]).secure);
        assert!(!resolve(&proxies, "10.0.0.1", &[]).secure);
    }

    #[test]
    fn origin_is_the_addressed_host_or_the_public_origin() {
        let plain = net(&[]);
        let uri = Uri::from_static("/");
        let tls =
            |pairs: &[(&str, &str)]| ClientMeta::resolve(&plain, Some(ip("127.0.0.1")), true, &uri, &headers(pairs));
        assert_eq!(tls(&[("host", "Shop.Example:443")]).origin, "https://shop.example");
        assert_eq!(tls(&[("host", "127.0.0.1:8443")]).origin, "https://127.0.0.1:8443");
        assert_eq!(tls(&[("host", "[::1]:8443")]).origin, "https://[::1]:8443");
        assert_eq!(resolve(&plain, "127.0.0.1", &[("host", "localhost:80")]).origin, "http://localhost");
        // No host, or one that is not a host: nothing a browser's Origin could equal.
        for bad in [&[][..], &[("host", "evil.example/path")], &[("host", "a@b")], &[("host", "x:y")]] {
            assert_eq!(tls(bad).origin, "", "{bad:?}");
        }
        // HTTP/2 and absolute-form requests carry the authority in the URI.
        let h2 = Uri::from_static("https://shop.example:8443/api/v1/health");
        let meta = ClientMeta::resolve(&plain, Some(ip("127.0.0.1")), true, &h2, &headers(&[("host", "other")]));
        assert_eq!(meta.origin, "https://shop.example:8443");
        // Behind a proxy the scheme is the proxy's; a configured public origin wins over both.
        let proxied = &[("host", "shop.example"), ("x-forwarded-proto", "https")];
        assert_eq!(resolve(&net(&["10.0.0.1"]), "10.0.0.1", proxied).origin, "https://shop.example");
        let public = NetConfig { public_origin: Some("https://botfleet.example".into()), ..net(&["10.0.0.1"]) };
        assert_eq!(resolve(&public, "10.0.0.1", proxied).origin, "https://botfleet.example");
    }

    #[test]
    fn unknown_peer_trusts_nothing() {
        let meta = ClientMeta::resolve(
            &net(&["0.0.0.0/0"]),
            None,
            false,
            &Uri::from_static("/"),
            &headers(&[("x-forwarded-for", "1.2.3.4"), ("x-forwarded-proto", "https")]),
        );
        assert_eq!((meta.ip, meta.secure), (IpAddr::V4(Ipv4Addr::UNSPECIFIED), false));
    }

    #[tokio::test]
    async fn extractor_falls_back_to_the_connection() {
        let mut request = axum::http::Request::builder()
            .uri("/")
            .header("host", "shop.example")
            .header("x-forwarded-for", "1.2.3.4")
            .body(())
            .unwrap();
        request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 4711))));
        request.extensions_mut().insert(TlsConnection);
        let (mut parts, ()) = request.into_parts();
        let meta = ClientMeta::from_request_parts(&mut parts, &()).await.unwrap();
        assert_eq!(meta, ClientMeta { ip: ip("192.0.2.1"), secure: true, origin: "https://shop.example".into() });
        let set = ClientMeta { ip: ip("203.0.113.7"), secure: false, origin: String::new() };
        parts.extensions.insert(set.clone());
        assert_eq!(ClientMeta::from_request_parts(&mut parts, &()).await.unwrap(), set);
    }
}
