//! A load generator for a running Lantern: N clients, each signed in with its own session,
//! request the register list (HTML and JSON) and the indicators API in turn (`--mix register`,
//! the default), the dashboard and the districts' area profiles (`--mix pages`), or the public
//! support directory with no sign-in (`--mix support`: searches by postcode district, area, need
//! and age, the JSON API and the printable leaflet), or organisations, training and media
//! (`--mix workforce`: the workforce page, coverage and training figures, the media page) over
//! keep-alive connections for a fixed time, then latency percentiles and errors are printed per
//! endpoint.
//!
//! ```text
//! cargo run --release --example load -- --url http://127.0.0.1:8080 \
//!     --user analyst --clients 50 --seconds 60 [--mix pages] < password.txt
//! ```
//! `scripts/load-test` builds the 1,000,000-presentation demo on SQLite and PostgreSQL and runs
//! this against both. A plain HTTP/1.1 client over `tokio` keeps the dependency tree as it is.
#![allow(
    clippy::unwrap_used,
    reason = "a benchmark tool stops at the first setup error"
)]

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

struct Args {
    host: String,
    user: String,
    password: String,
    clients: usize,
    seconds: u64,
    /// `register` or `pages`.
    mix: String,
}

fn args() -> Args {
    let mut url = "http://127.0.0.1:8080".to_owned();
    let mut user = "analyst".to_owned();
    let mut clients = 50;
    let mut seconds = 60;
    let mut mix = "register".to_owned();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let v = it.next().unwrap_or_default();
        match a.as_str() {
            "--url" => url = v,
            "--user" => user = v,
            "--clients" => clients = v.parse().unwrap(),
            "--seconds" => seconds = v.parse().unwrap(),
            "--mix" => mix = v,
            other => panic!("unknown argument {other}; see the file's header"),
        }
    }
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password).unwrap();
    Args {
        host: url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned(),
        user,
        password: password.trim().to_owned(),
        clients,
        seconds,
        mix,
    }
}

/// One keep-alive connection.
struct Conn {
    host: String,
    stream: BufReader<TcpStream>,
}

struct Response {
    status: u16,
    cookie: Option<String>,
}

impl Conn {
    async fn open(host: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(host).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            host: host.to_owned(),
            stream: BufReader::new(stream),
        })
    }

    async fn request(
        &mut self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        body: Option<&str>,
    ) -> std::io::Result<Response> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if let Some(c) = cookie {
            head.push_str(&format!("Cookie: {c}\r\n"));
        }
        if let Some(b) = body {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(body.unwrap_or(""));
        self.stream.get_mut().write_all(head.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut length = 0usize;
        let mut set_cookie = None;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').unwrap_or((l, ""));
            match k.to_ascii_lowercase().as_str() {
                "content-length" => length = v.trim().parse().unwrap_or(0),
                "set-cookie" => set_cookie = v.trim().split(';').next().map(str::to_owned),
                _ => {}
            }
        }
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body).await?;
        Ok(Response {
            status,
            cookie: set_cookie,
        })
    }
}

fn endpoint(i: u64, mix: &str) -> (&'static str, String) {
    if mix == "support" {
        const NEEDS: [&str; 5] = [
            "crisis",
            "bereavement_by_suicide",
            "mens_groups",
            "debt",
            "",
        ];
        let district = 1 + i % 5;
        let outward = 1 + (i * 7) % 24;
        let need = NEEDS[(i % 5) as usize];
        let age = 12 + (i * 13) % 70;
        return match i % 4 {
            0 => (
                "support search (postcode district)",
                format!("/support?place=AV{outward}&need={need}&age={age}"),
            ),
            1 => (
                "support search (area)",
                format!("/support?area=X0700000{district}&need={need}"),
            ),
            2 => (
                "support API (postcode)",
                format!("/api/v1/support?area=AV{outward}+{}AA&age={age}", i % 10),
            ),
            _ => (
                "support leaflet",
                format!("/support/leaflet?area=X0700000{district}"),
            ),
        };
    }
    if mix == "workforce" {
        // Organisations and training: the page, and coverage and training figures by turns.
        const MEASURES: [&str; 4] = [
            "role:senior_mental_health_lead",
            "role:suicide_prevention_lead",
            "course:orange_button",
            "course:any",
        ];
        let measure = MEASURES[(i % 4) as usize];
        return match i % 4 {
            0 => ("workforce page", "/workforce".to_owned()),
            1 => (
                "coverage API (year, type)",
                format!(
                    "/api/v1/indicators?dataset=coverage&by=year,organisation_type&measure={measure}"
                ),
            ),
            2 => (
                "training API (year, framework)",
                "/api/v1/indicators?dataset=training&by=year,framework".to_owned(),
            ),
            _ => ("media page", "/media".to_owned()),
        };
    }
    if mix == "pages" {
        // The demo's five districts, in turn.
        let district = 1 + i % 5;
        return match i % 2 {
            0 => ("dashboard", "/".to_owned()),
            _ => ("area profile", format!("/areas/X0700000{district}")),
        };
    }
    // Pages 1-20: the first thousand records, where people browse (deep pages cost more: see
    // BENCHMARKS.md).
    let page = 1 + (i * 7919) % 20;
    match i % 3 {
        0 => (
            "register list (HTML)",
            format!("/register/self-harm?page={page}"),
        ),
        1 => (
            "register list (JSON)",
            format!("/api/v1/self-harm?page={page}&per_page=50"),
        ),
        _ => (
            "indicators API",
            "/api/v1/indicators?dataset=self-harm&by=year,sex&audience=statutory".to_owned(),
        ),
    }
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: u64,
}

async fn client(args: &Args, n: usize, until: Instant) -> BTreeMap<&'static str, Tally> {
    let mut conn = Conn::open(&args.host).await.unwrap();
    // The support directory is for the public: its clients do not sign in.
    let cookie = if args.mix == "support" {
        None
    } else {
        let body = format!(
            r#"{{"username":"{}","password":"{}"}}"#,
            args.user, args.password
        );
        let signed = conn
            .request("POST", "/api/v1/session", None, Some(&body))
            .await
            .unwrap();
        assert_eq!(signed.status, 200, "client {n} could not sign in");
        signed.cookie
    };
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut i = n as u64;
    while Instant::now() < until {
        let (name, path) = endpoint(i, &args.mix);
        i += 1;
        let start = Instant::now();
        let result = conn.request("GET", &path, cookie.as_deref(), None).await;
        let t = tallies.entry(name).or_default();
        match result {
            Ok(r) if (200..300).contains(&r.status) => t.latencies.push(start.elapsed()),
            Ok(_) => t.errors += 1,
            Err(_) => {
                t.errors += 1;
                conn = Conn::open(&args.host).await.unwrap();
            }
        }
    }
    tallies
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args = std::sync::Arc::new(args());
    eprintln!(
        "{} clients for {} s against http://{} as {}",
        args.clients, args.seconds, args.host, args.user
    );
    let until = Instant::now() + Duration::from_secs(args.seconds);
    let tasks: Vec<_> = (0..args.clients)
        .map(|n| {
            let args = args.clone();
            tokio::spawn(async move { client(&args, n, until).await })
        })
        .collect();
    let mut all: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for t in tasks {
        for (k, v) in t.await.unwrap() {
            let e = all.entry(k).or_default();
            e.latencies.extend(v.latencies);
            e.errors += v.errors;
        }
    }
    println!("| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | errors |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut total = Tally::default();
    for (name, t) in &mut all {
        t.latencies.sort();
        row(name, t, args.seconds);
        total.latencies.extend(&t.latencies);
        total.errors += t.errors;
    }
    total.latencies.sort();
    row("all", &total, args.seconds);
}

fn row(name: &str, t: &Tally, seconds: u64) {
    println!(
        "| {name} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {} |",
        t.latencies.len(),
        t.latencies.len() as f64 / seconds as f64,
        pct(&t.latencies, 0.50),
        pct(&t.latencies, 0.95),
        pct(&t.latencies, 0.99),
        t.errors
    );
}
