//! A connection storm: CONNS keep-alive connections each sending
//! GetConnectionByCLI for random CLIs as fast as answers come, for SECS
//! seconds; the latency of admitted answers (2xx) and shed ones (503)
//! reported apart, which wrk cannot do. `bench/run-storm.sh` runs it.
//!
//! With `polite`, a client told 503 waits the `Retry-After` it was given
//! before asking again, as HTTP asks; without, it asks again at once.
//!
//! Usage: storm ADDR TOKEN COUNT CONNS SECS [polite]

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Default)]
struct Tally {
    ok: Vec<u32>,
    shed: Vec<u32>,
    /// Shed answers to requests sent after the first second: past the
    /// wave of every connection opening and asking at once.
    shed_later: Vec<u32>,
    other: u64,
    errors: u64,
}

/// One answer off `s`: its status (the head read up to its blank line,
/// then Content-Length bytes of body).
async fn answer(s: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> std::io::Result<(u16, u64)> {
    buf.clear();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head.get(9..12).and_then(|x| x.parse().ok()).unwrap_or(0);
    let field = |name: &str| {
        head.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse::<u64>().ok())
    };
    let len = field("content-length:").unwrap_or(0) as usize;
    let retry_after = field("retry-after:").unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok((status, retry_after))
}

async fn client(
    addr: String,
    token: String,
    count: u64,
    began: Instant,
    until: Instant,
    seed: u64,
    polite: bool,
) -> Tally {
    let mut t = Tally::default();
    let mut rng = seed;
    let mut buf = Vec::with_capacity(16 * 1024);
    'connect: while Instant::now() < until {
        let Ok(mut s) = tokio::net::TcpStream::connect(&addr).await else {
            t.errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = s.set_nodelay(true);
        while Instant::now() < until {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let req = format!(
                "GET /api/Connections/GetConnectionByCLI?cli=074{:08} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\r\n",
                rng % count
            );
            let started = Instant::now();
            if s.write_all(req.as_bytes()).await.is_err() {
                t.errors += 1;
                continue 'connect;
            }
            match answer(&mut s, &mut buf).await {
                Ok((status, retry_after)) => {
                    let us = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
                    match status {
                        200..=299 => t.ok.push(us),
                        503 => {
                            t.shed.push(us);
                            if started >= began + Duration::from_secs(1) {
                                t.shed_later.push(us);
                            }
                            if polite {
                                tokio::time::sleep(Duration::from_secs(retry_after)).await;
                            }
                        }
                        _ => t.other += 1,
                    }
                }
                Err(_) => {
                    t.errors += 1;
                    continue 'connect;
                }
            }
        }
    }
    t
}

fn pct(v: &mut [u32], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    f64::from(v[i]) / 1000.0
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (addr, token) = (a[0].clone(), a[1].clone());
    let count: u64 = a[2].parse().unwrap();
    let conns: usize = a[3].parse().unwrap();
    let secs: u64 = a[4].parse().unwrap();
    let polite = a.get(5).is_some_and(|p| p == "polite");
    let began = Instant::now();
    let until = began + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..conns)
        .map(|i| {
            tokio::spawn(client(
                addr.clone(),
                token.clone(),
                count,
                began,
                until,
                0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1),
                polite,
            ))
        })
        .collect();
    let mut all = Tally::default();
    for t in tasks {
        let t = t.await.unwrap();
        all.ok.extend(t.ok);
        all.shed.extend(t.shed);
        all.shed_later.extend(t.shed_later);
        all.other += t.other;
        all.errors += t.errors;
    }
    let (ok, shed) = (all.ok.len(), all.shed.len());
    println!(
        "STORM conns={conns} seconds={secs} polite={polite} admitted={ok} admitted_per_s={} admitted_p50_ms={:.2} admitted_p99_ms={:.2} admitted_max_ms={:.2} shed={shed} shed_p50_ms={:.2} shed_p99_ms={:.2} shed_max_ms={:.2} shed_later_p50_ms={:.2} shed_later_p99_ms={:.2} other={} errors={}",
        ok as u64 / secs,
        pct(&mut all.ok, 0.5),
        pct(&mut all.ok, 0.99),
        pct(&mut all.ok, 1.0),
        pct(&mut all.shed, 0.5),
        pct(&mut all.shed, 0.99),
        pct(&mut all.shed, 1.0),
        pct(&mut all.shed_later, 0.5),
        pct(&mut all.shed_later, 0.99),
        all.other,
        all.errors
    );
}
