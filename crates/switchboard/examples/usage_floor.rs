//! The usage import's floor: the same rows inserted into the same table of
//! the same SQLite database in one transaction, with a prepared statement
//! and nothing else (no parsing, checks, duplicates or sums in the timed
//! part). `bench/run-usage.sh` runs it beside `switchboard usage import`.
//!
//! Usage: usage_floor DB_PATH CSV_PATH

use std::collections::HashMap;
use std::io::Read;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let db = args.next().expect("DB_PATH");
    let file = args.next().expect("CSV_PATH");
    let conn = rusqlite::Connection::open(&db).expect("open");
    for (name, value) in [
        ("journal_mode", "WAL"),
        ("synchronous", "NORMAL"),
        ("foreign_keys", "ON"),
        ("cache_size", "-16000"),
    ] {
        conn.pragma_update(None, name, value).expect("pragma");
    }
    let mut lines: HashMap<(String, String), (i64, chrono::NaiveDate)> = HashMap::new();
    {
        let mut q = conn
            .prepare("SELECT network, cli, id, start_date FROM connections WHERE ended_at IS NULL")
            .expect("prepare");
        let rows = q
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))
            .expect("query");
        for row in rows {
            let (k, v) = row.expect("row");
            lines.insert(k, v);
        }
    }
    let mut raw = Vec::new();
    let mut f = std::fs::File::open(&file).expect("open csv");
    let mut head = [0u8; 2];
    f.read_exact(&mut head).expect("read");
    let f = std::fs::File::open(&file).expect("open csv");
    if head == [0x1f, 0x8b] {
        flate2::read::MultiGzDecoder::new(f).read_to_end(&mut raw).expect("gunzip");
    } else {
        std::io::BufReader::new(f).read_to_end(&mut raw).expect("read");
    }
    let mut csv = csv::Reader::from_reader(raw.as_slice());
    let now = chrono::Utc::now();
    type Row = (
        String,
        String,
        i64,
        String,
        String,
        String,
        chrono::DateTime<chrono::Utc>,
        i64,
        chrono::NaiveDate,
    );
    let mut rows: Vec<Row> = Vec::new();
    for r in csv.records() {
        let r = r.expect("row");
        let key = (r[0].to_owned(), r[2].to_owned());
        let Some((id, start)) = lines.get(&key) else {
            continue;
        };
        let at: chrono::DateTime<chrono::Utc> = r[6].parse().expect("time");
        let period = domain::usage::period_of(*start, at.date_naive());
        rows.push((
            r[0].to_owned(),
            r[1].to_owned(),
            *id,
            r[3].to_owned(),
            r[4].to_owned(),
            r[5].to_owned(),
            at,
            r[7].parse().expect("quantity"),
            period.start,
        ));
    }
    let started = Instant::now();
    let tx = conn.unchecked_transaction().expect("begin");
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO usage_records (network, record_id, connection_id, kind, direction, destination, event_at, quantity, period_start, late, imported_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .expect("prepare");
        for r in &rows {
            insert
                .execute(rusqlite::params![r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, false, now])
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "FLOOR rows={} seconds={secs:.2} rows_per_s={:.0}",
        rows.len(),
        rows.len() as f64 / secs
    );
}
