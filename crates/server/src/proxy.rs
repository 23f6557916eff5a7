//! The client's address behind a reverse proxy. SECURITY.md recommends a TLS proxy in front of
//! Lantern; every request then comes from the proxy's address, so sign-in limits keyed on the
//! socket's address would treat all users as one. With `--trusted-proxy`, a request whose
//! socket address is a trusted proxy is keyed on the address that proxy forwards in
//! `X-Forwarded-For`: the right-most entry that is not itself a trusted proxy (the left-most
//! entries are whatever the client chose to send, so they are never believed). Without the
//! setting, or from any other address, the header is ignored.

use std::net::IpAddr;

/// An address or network (`10.0.0.0/8`, `::1`) whose forwarded addresses are believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy {
    network: IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    /// Parse `ADDR` or `ADDR/PREFIX`.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{s}' is not an IP address or network (ADDR or ADDR/PREFIX)"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{s}': the prefix must be 0 to {max}"))?,
        };
        Ok(Self { network, prefix })
    }

    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> Option<u128> {
            match (self.network, ip) {
                (IpAddr::V4(_), IpAddr::V4(a)) => Some(u128::from(u32::from(a)) << 96),
                (IpAddr::V6(_), IpAddr::V6(a)) => Some(u128::from(a)),
                (IpAddr::V6(_), IpAddr::V4(a)) => Some(u128::from(a.to_ipv6_mapped())),
                (IpAddr::V4(_), IpAddr::V6(a)) => {
                    a.to_ipv4_mapped().map(|a| u128::from(u32::from(a)) << 96)
                }
            }
        };
        let (Some(net), Some(ip)) = (bits(self.network), bits(ip)) else {
            return false;
        };
        let prefix = u32::from(self.prefix);
        let mask = if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - prefix)
        };
        net & mask == ip & mask
    }
}

/// The client's address: `peer`, or, when `peer` is a trusted proxy, the right-most address in
/// `forwarded` (the `X-Forwarded-For` values, in order) that is not a trusted proxy.
pub(crate) fn client_address(
    peer: Option<IpAddr>,
    forwarded: &[&str],
    trusted: &[TrustedProxy],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut chain: Vec<IpAddr> = Vec::new();
    for value in forwarded {
        for part in value.split(',') {
            match part.trim().parse::<IpAddr>() {
                Ok(ip) => chain.push(ip),
                // A malformed hop: nothing to its left can be believed.
                Err(_) => chain.clear(),
            }
        }
    }
    Some(
        chain
            .into_iter()
            .rev()
            .find(|ip| !is_trusted(*ip))
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn networks_parse_and_contain() {
        let t = TrustedProxy::parse("10.0.0.0/8").unwrap();
        assert!(t.contains(ip("10.1.2.3")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert!(t.contains(ip("::ffff:10.9.9.9")));
        let one = TrustedProxy::parse("127.0.0.1").unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6 = TrustedProxy::parse("fd00::/8").unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!(
            TrustedProxy::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
        for bad in ["proxy", "10.0.0.0/33", "::1/129", "10.0.0.0/x"] {
            assert!(TrustedProxy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_a_trusted_peer_is_believed_and_only_from_the_right() {
        let trusted = [TrustedProxy::parse("10.0.0.0/8").unwrap()];
        let peer = Some(ip("10.0.0.5"));
        assert_eq!(
            client_address(peer, &["203.0.113.9"], &trusted),
            Some(ip("203.0.113.9"))
        );
        // The client wrote the left part itself: the proxy's own hop is what counts.
        assert_eq!(
            client_address(peer, &["1.2.3.4, 203.0.113.9"], &trusted),
            Some(ip("203.0.113.9"))
        );
        // Chained trusted proxies are skipped.
        assert_eq!(
            client_address(peer, &["203.0.113.9, 10.0.0.7"], &trusted),
            Some(ip("203.0.113.9"))
        );
        // An untrusted peer's header is ignored.
        assert_eq!(
            client_address(Some(ip("198.51.100.1")), &["203.0.113.9"], &trusted),
            Some(ip("198.51.100.1"))
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(client_address(peer, &[], &trusted), peer);
        assert_eq!(client_address(peer, &["not an address"], &trusted), peer);
        assert_eq!(client_address(None, &["203.0.113.9"], &trusted), None);
    }
}
