//! Any text as the query strings, form bodies, cookies and proxy headers the server parses, and
//! as a report's period: never a panic, an accepted list query stays inside its paging limits,
//! a client address is the peer's or one the forwarded header names, and an accepted period
//! reads back from its label.
#![no_main]

use lantern_server::parsers;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(q) = parsers::list_query(&text) {
        assert!((1..=500).contains(&q.limit()));
        assert!(q.page >= 1);
        assert!(q.scope_area.is_none() && q.scope_source.is_none(), "a request never sets the scope");
    }
    let _ = parsers::indicator_query(&text);
    if let Ok(p) = lantern_core::reports::ReportPeriod::parse(&text) {
        assert!(p.start() <= p.end());
        assert_eq!(lantern_core::reports::ReportPeriod::parse(&p.label()), Ok(p));
    }
    if let Ok((a, b)) = lantern_core::reports::parse_ages(&text) {
        assert!(a <= b && b <= 120);
    }
    let _ = lantern_core::reports::Kind::parse(&text);
    let _ = lantern_core::reports::schedule::Cadence::parse(&text);
    let _ = parsers::form_field(data, "csrf");
    let _ = parsers::cookie(&text, "lantern_session");
    // Lines: the peer, the X-Forwarded-For value, the trusted proxies. The address found is
    // the peer or one the header names, never anything else.
    let mut lines = text.splitn(3, '\n');
    let (peer, forwarded, trusted) = (
        lines.next().unwrap_or(""),
        lines.next().unwrap_or(""),
        lines.next().unwrap_or(""),
    );
    if let Some(client) = parsers::forwarded_client(peer, forwarded, trusted) {
        let peer_ip: std::net::IpAddr = peer.trim().parse().expect("a found client has a peer");
        assert!(client == peer_ip.to_string() || forwarded.split(',').any(|h| h.trim().parse::<std::net::IpAddr>().is_ok_and(|ip| ip.to_string() == client)));
    }
});
