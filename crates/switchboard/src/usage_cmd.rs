//! `switchboard usage import` and `switchboard usage generate`: usage
//! files as networks deliver them (the columns: `app::usage_format`).

use anyhow::Context;
use app::usage::Lines;
use app::usage_format::Columns;
use clap::Subcommand;
use domain::Network;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum UsageCmd {
    /// Import usage records from a CSV file (gzip too), streamed: a file of
    /// any size uses little memory. Bad rows go to a reject file with their
    /// line number and reason; the good rows are imported whatever the bad
    /// ones. A record already stored (same network and record id) is
    /// counted as a duplicate and changes nothing, so a file may be
    /// imported again.
    Import {
        /// The file (`-` for standard input); gzip is recognised by content.
        file: PathBuf,
        /// The network of every row, for files without a `network` column.
        #[arg(long)]
        network: Option<String>,
        /// Where refused rows go (default: FILE.rejects.csv, or
        /// rejects.csv for standard input).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Records per transaction: more is faster (each commit rewrites the
        /// pages of the sums it touched) and holds more in memory.
        #[arg(long, default_value_t = 50_000)]
        batch: usize,
    },
    /// Write N realistic usage records for the connections in the database
    /// as CSV (gzip when OUT ends in .gz): this billing month's data,
    /// calls and messages, mostly in the UK.
    Generate {
        /// How many records.
        n: u64,
        /// The file to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seeds the choices, and prefixes the record ids: another seed,
        /// other records.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

pub async fn run(store: store::Store, cmd: UsageCmd) -> anyhow::Result<()> {
    let app = app::App::new(store);
    match cmd {
        UsageCmd::Import { file, network, rejects, batch } => {
            let network = network
                .map(|n| {
                    n.parse::<Network>().map_err(|_| {
                        anyhow::anyhow!("--network: {n:?} is not one of Vodafone, O2 or EE")
                    })
                })
                .transpose()?;
            let rejects = rejects.unwrap_or_else(|| {
                if file.as_os_str() == "-" {
                    PathBuf::from("rejects.csv")
                } else {
                    PathBuf::from(format!("{}.rejects.csv", file.display()))
                }
            });
            let summary = import(&app, &file, network, &rejects, batch.max(1)).await?;
            println!("{summary}");
            Ok(())
        }
        UsageCmd::Generate { n, out, seed } => generate(&app, n, out.as_deref(), seed).await,
    }
}

/// A batch of rows read: the records placed, ready to store, and how many
/// rows were read and refused.
struct Batch {
    placed: Vec<store::usage::NewUsage>,
    read: u64,
    rejected: u64,
}

impl Batch {
    fn with_capacity(n: usize) -> Batch {
        Batch { placed: Vec::with_capacity(n), read: 0, rejected: 0 }
    }
}

/// The reject file: made at the first refused row, each row as it came
/// with its line number and the reason.
struct Rejects {
    path: PathBuf,
    header: csv::StringRecord,
    out: Option<csv::Writer<std::fs::File>>,
}

impl Rejects {
    fn new(path: PathBuf, header: &csv::StringRecord) -> Rejects {
        Rejects { path, header: header.clone(), out: None }
    }

    fn write(&mut self, line: u64, reason: &str, row: &csv::StringRecord) -> anyhow::Result<()> {
        if self.out.is_none() {
            // Flexible: a ragged row is written as it came.
            let mut w = csv::WriterBuilder::new()
                .flexible(true)
                .from_path(&self.path)
                .with_context(|| format!("creating {}", self.path.display()))?;
            let mut head = vec!["line".to_owned(), "reason".to_owned()];
            head.extend(self.header.iter().map(str::to_owned));
            w.write_record(&head)?;
            self.out = Some(w);
        }
        let w = self.out.as_mut().expect("just made");
        let mut out = vec![line.to_string(), reason.to_owned()];
        out.extend(row.iter().map(str::to_owned));
        w.write_record(&out)?;
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        if let Some(w) = self.out.as_mut() {
            w.flush()?;
        }
        Ok(())
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Summary {
    pub read: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub rejects: PathBuf,
    pub seconds: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "read {}, stored {}, duplicates {}, rejected {} in {:.1} s ({:.0} records/s)",
            self.read,
            self.stored,
            self.duplicates,
            self.rejected,
            self.seconds,
            self.read as f64 / self.seconds.max(1e-9)
        )?;
        if self.rejected > 0 {
            write!(f, "; refused rows are in {}", self.rejects.display())?;
        }
        Ok(())
    }
}

/// Counts the bytes read through it (the progress bar's position).
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The file's rows, gunzipped when it is gzip.
fn open(file: &Path, read: Arc<AtomicU64>) -> anyhow::Result<(Box<dyn Read + Send>, Option<u64>)> {
    let (raw, size): (Box<dyn Read + Send>, Option<u64>) = if file.as_os_str() == "-" {
        (Box::new(std::io::stdin()), None)
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(f), size)
    };
    let mut buffered = BufReader::with_capacity(1 << 16, Counting { inner: raw, read });
    let gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let rows: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    Ok((rows, size))
}

/// Streams `file` into the database in batches of `batch` records.
pub async fn import(
    app: &app::App,
    file: &Path,
    network: Option<Network>,
    rejects_path: &Path,
    batch: usize,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let bytes = Arc::new(AtomicU64::new(0));
    let (rows, size) = open(file, bytes.clone())?;
    let mut csv =
        csv::ReaderBuilder::new().flexible(true).buffer_capacity(1 << 16).from_reader(rows);
    let header =
        csv.headers().with_context(|| format!("reading the header of {}", file.display()))?.clone();
    let columns = Columns::from_header(&header, network)
        .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was imported", file.display()))?;
    let lines: Lines = app.usage_lines().await?;
    let now = app.store.now();
    let progress = Progress::new(size);
    let mut summary = Summary { rejects: rejects_path.to_owned(), ..Summary::default() };
    // Reading, gunzipping, checking and placing rows (and writing refused
    // ones to the reject file) run on a thread of their own, a batch ahead
    // of the writes: two cores, one parsing while the other writes. Only
    // placed records cross over.
    let (batches, incoming) = std::sync::mpsc::sync_channel::<Batch>(1);
    let rejects_path = rejects_path.to_owned();
    let reader = std::thread::spawn(move || -> anyhow::Result<Option<String>> {
        let mut rejects = Rejects::new(rejects_path, &header);
        let mut row = csv::StringRecord::new();
        let mut pending = Batch::with_capacity(batch);
        let mut line_no = 1u64;
        loop {
            let more = match csv.read_record(&mut row) {
                Ok(more) => more,
                Err(e) => {
                    // Unreadable from here on (a truncated gzip, bytes that
                    // are not UTF-8 …): what came before is imported, the
                    // rest not.
                    let line = e.position().map(|p| p.line()).unwrap_or(line_no + 1);
                    rejects.finish()?;
                    let _ = batches.send(pending);
                    return Ok(Some(format!("the file cannot be read from line {line} on: {e}")));
                }
            };
            if more {
                line_no = row.position().map(|p| p.line()).unwrap_or(line_no + 1);
                pending.read += 1;
                match columns.record(&row, now).and_then(|r| lines.place(r, now)) {
                    Ok(placed) => pending.placed.push(placed),
                    Err(why) => {
                        pending.rejected += 1;
                        rejects.write(line_no, &why.to_string(), &row)?;
                    }
                }
            }
            if pending.placed.len() >= batch || !more {
                let full = std::mem::replace(&mut pending, Batch::with_capacity(batch));
                if batches.send(full).is_err() || !more {
                    rejects.finish()?;
                    return Ok(None);
                }
            }
        }
    });
    for got in incoming {
        summary.read += got.read;
        summary.rejected += got.rejected;
        for new in app.store_usage(&got.placed).await? {
            if new {
                summary.stored += 1;
            } else {
                summary.duplicates += 1;
            }
        }
        progress.show(&summary, bytes.load(Ordering::Relaxed), started);
    }
    let ended_early = reader.join().map_err(|_| anyhow::anyhow!("the file's reader failed"))??;
    progress.finish();
    summary.seconds = started.elapsed().as_secs_f64();
    if let Some(why) = ended_early {
        anyhow::bail!("{summary}; stopped early: {why}");
    }
    Ok(summary)
}

/// A progress bar (rate, ETA) on a terminal; a plain line every few seconds
/// otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    last_line: std::cell::Cell<Instant>,
}

impl Progress {
    fn new(size: Option<u64>) -> Progress {
        let bar = (std::io::stderr().is_terminal()).then(|| {
            let bar = match size {
                Some(n) => indicatif::ProgressBar::new(n),
                None => indicatif::ProgressBar::new_spinner(),
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress { bar, last_line: std::cell::Cell::new(Instant::now()) }
    }

    fn show(&self, s: &Summary, bytes: u64, started: Instant) {
        let rate = s.read as f64 / started.elapsed().as_secs_f64().max(1e-9);
        match &self.bar {
            Some(bar) => {
                bar.set_position(bytes);
                bar.set_message(format!(
                    "{} records, {:.0}/s, {} rejected",
                    s.read, rate, s.rejected
                ));
            }
            None if self.last_line.get().elapsed() >= Duration::from_secs(5) => {
                self.last_line.set(Instant::now());
                eprintln!(
                    "usage import: {} records read ({} stored, {} duplicates, {} rejected), {:.0} records/s",
                    s.read, s.stored, s.duplicates, s.rejected, rate
                );
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Writes `n` records for the database's connections.
async fn generate(app: &app::App, n: u64, out: Option<&Path>, seed: u64) -> anyhow::Result<()> {
    let lines = app.store.usage().lines(store::Visibility::All).await?;
    let live: Vec<_> = lines.iter().filter(|l| l.ended_at.is_none()).collect();
    anyhow::ensure!(
        !live.is_empty(),
        "no live connections to write usage for: run `switchboard demo` first"
    );
    let sink: Box<dyn Write> = match out {
        None => Box::new(std::io::stdout().lock()),
        Some(p) => {
            let f =
                std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?;
            if p.extension().is_some_and(|e| e == "gz") {
                Box::new(flate2::write::GzEncoder::new(f, flate2::Compression::fast()))
            } else {
                Box::new(f)
            }
        }
    };
    let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 16, sink));
    w.write_record([
        "network",
        "record_id",
        "cli",
        "kind",
        "direction",
        "destination",
        "event_time",
        "quantity",
    ])?;
    let now = app.store.now();
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for i in 0..n {
        let line = live[(next() % live.len() as u64) as usize];
        let period = domain::usage::period_of(line.start_date, now.date_naive());
        // The first period may begin before the contract did.
        let from =
            period.start.max(line.start_date).and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        let span = (now - from).num_seconds().max(1) as u64;
        let at = from + chrono::Duration::seconds((next() % span) as i64);
        let roll = next() % 100;
        let (kind, direction, quantity) = match roll {
            0..=49 => ("Data", "Outgoing", 10_000 + next() % 50_000_000),
            50..=69 => ("Voice", "Outgoing", 5 + next() % 1200),
            70..=79 => ("Voice", "Incoming", 5 + next() % 1200),
            80..=94 => ("SMS", if roll < 90 { "Outgoing" } else { "Incoming" }, 1),
            _ => ("MMS", "Outgoing", 1),
        };
        let place = next() % 100;
        let destination = if kind == "Data" {
            match place {
                0..=84 => "UK",
                85..=95 => "ROAMING-1",
                _ => "ROAMING-2",
            }
        } else {
            match place {
                0..=84 => "UK",
                85..=91 => "INTERNATIONAL-1",
                92..=94 => "ROAMING-1",
                95..=97 => "INTERNATIONAL-2",
                _ => "PREMIUM",
            }
        };
        w.write_record([
            line.network.as_str(),
            &format!("g{seed}-{i:012}"),
            &line.cli,
            kind,
            direction,
            destination,
            &at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            &quantity.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
