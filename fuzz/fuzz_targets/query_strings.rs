//! Any text as the query strings, form bodies and cookies the server parses: never a panic,
//! and an accepted list query stays inside its paging limits.
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
    let _ = parsers::form_field(data, "csrf");
    let _ = parsers::cookie(&text, "lantern_session");
});
