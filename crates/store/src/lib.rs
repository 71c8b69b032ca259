//! Switchboard persistence: one `Store` over SQLite (the embedded default)
//! or PostgreSQL (chosen by a `postgres://` URL), embedded migrations for
//! each, and one module per area.
//!
//! Queries are written once, in the SQL both engines accept (`$1`
//! placeholders, `RETURNING`, `ON CONFLICT`), with their values as
//! `args![…]`: reads go through [`read`] on the read pool, writes through
//! [`Store::write`] (see [`tx`]). No call site matches on the engine.
//! Areas are modules of inherent methods on [`Store`] rather than traits:
//! there is one implementation, and the contract tests run it on both
//! engines.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

pub mod agreements;
pub mod alerts;
pub mod audit;
pub mod carrier_ops;
pub mod catalogue;
pub mod connections;
pub mod credentials;
pub mod customers;
pub mod demo;
pub mod idempotency;
pub mod isp;
pub mod jobs;
pub mod migrations;
pub mod numbers;
pub mod orders;
pub mod partners;
pub mod portal;
pub mod read;
pub mod requests;
pub mod settings;
pub mod tasks;
pub mod tokens;
pub mod tx;
pub mod usage;
pub mod webhooks;

/// For `#[derive(DirectRow)]`, which names `::store::rusqlite`.
pub use rusqlite;
pub use store_macros::DirectRow;
pub use tx::{Arg, DirectRow, Tx};
extern crate self as store;

/// The live connection pool.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A storage error: what the caller can act on, and everything else.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Other(#[from] sqlx::Error),
    /// An error of a direct SQLite transaction (see [`tx`]).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Corrupt(String),
    /// A domain rule refused the operation (bad input, a conflict with
    /// stored state, a rule): the API maps it like any domain error.
    #[error(transparent)]
    Rule(#[from] domain::Error),
}

impl StoreError {
    /// Maps a unique-constraint violation to `Conflict(what)`, other errors
    /// through unchanged.
    pub fn unique(err: sqlx::Error, what: impl Into<String>) -> StoreError {
        StoreError::unique_of(StoreError::Other(err), what)
    }

    /// Maps a unique-constraint violation met through a [`Tx`] to
    /// `Conflict(what)`, other errors through unchanged.
    pub fn unique_of(err: StoreError, what: impl Into<String>) -> StoreError {
        if err.is_unique_violation() {
            StoreError::Conflict(what.into())
        } else {
            err
        }
    }

    /// Whether the unique index `index` refused the write, by its name:
    /// PostgreSQL names it. SQLite names only the columns, in its message,
    /// and its message is never read: where a statement could break more
    /// than one unique index, the write checks the others first, under
    /// SQLite's one writer (see `isp::check_static_ip`), so any violation
    /// left is the one [`StoreError::unique_of`] names.
    pub fn violates_unique(&self, index: &str) -> bool {
        match self {
            StoreError::Other(sqlx::Error::Database(db)) => {
                db.is_unique_violation() && db.constraint() == Some(index)
            }
            _ => false,
        }
    }

    /// Whether a unique constraint refused the write, on either engine and
    /// either path.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Other(sqlx::Error::Database(db)) => db.is_unique_violation(),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Whose records a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Platform staff: every partner's records.
    All,
    /// One partner's records only.
    Partner(i64),
}

impl Visibility {
    /// The two bind values of the SQL tenancy clause
    /// `($n OR partner_id = $m)`: see every row, or only this partner's.
    pub fn binds(self) -> (bool, i64) {
        match self {
            Visibility::All => (true, 0),
            Visibility::Partner(p) => (false, p),
        }
    }
}

/// The store: a cheap-to-clone handle on the pools.
///
/// On SQLite, reads go to a pool of connections and every write to the
/// direct writer (see [`tx`]): writers queue in-process on an async lock
/// (fairly, without blocking a thread) instead of racing for SQLite's lock
/// and sleeping in its busy handler; the one-connection sqlx pool beside it
/// only runs the migrations. On PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    writer: Db,
    /// Tariffs recently read, for the order path (see `tariff_cached`).
    tariffs: std::sync::Arc<
        std::sync::Mutex<
            std::collections::HashMap<i64, (catalogue::TariffRow, std::time::Instant)>,
        >,
    >,
    /// Where the times the store writes come from.
    clock: std::sync::Arc<dyn domain::Clock>,
    /// SQLite: the connection write transactions run on (see [`tx`]).
    direct: Option<std::sync::Arc<tx::DirectSlot>>,
}

/// Declares the repositories: one per aggregate, each a view of the store
/// (`store.orders()`, `store.customers()`, …) holding that aggregate's
/// queries and writes. A repository derefs to [`Store`] for what every
/// one shares: `write`, the `read_*` functions, the clock.
macro_rules! repositories {
    ($($(#[$doc:meta])* $accessor:ident => $name:ident,)+) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug)]
            pub struct $name<'a>(&'a Store);

            impl std::ops::Deref for $name<'_> {
                type Target = Store;
                fn deref(&self) -> &Store {
                    self.0
                }
            }
        )+

        impl Store {
            $(
                $(#[$doc])*
                pub fn $accessor(&self) -> $name<'_> {
                    $name(self)
                }
            )+
        }
    };
}

repositories! {
    /// Corporate agreements, their offers, products and orders (see [`agreements`]).
    agreements => Agreements,
    /// Alerts and the bill-limit log (see [`alerts`]).
    alerts => Alerts,
    /// The audit log (see [`audit`]).
    audit => Audit,
    /// What the simulated networks did, by idempotency key (see [`carrier_ops`]).
    carrier_ops => CarrierOps,
    /// Tariffs, bundles and bars (see [`catalogue`]).
    catalogue => Catalogue,
    /// Live connections (see [`connections`]).
    connections => Connections,
    /// API clients and users (see [`credentials`]).
    credentials => Credentials,
    /// Customers (see [`customers`]).
    customers => Customers,
    /// Saved answers to keyed requests (see [`idempotency`]).
    idempotency => Idempotency,
    /// ISP profiles, subscribers and RADIUS sessions (see [`isp`]).
    isp => Isp,
    /// The job queue (see [`jobs`]).
    jobs => Jobs,
    /// The number pools (see [`numbers`]).
    numbers => Numbers,
    /// Orders and their mobiles (see [`orders`]).
    orders => Orders,
    /// Partners (see [`partners`]).
    partners => Partners,
    /// Portal users and sessions (see [`portal`]).
    portal => Portal,
    /// Request objects on live connections (see [`requests`]).
    requests => Requests,
    /// Settings the platform keeps (see [`settings`]).
    settings => Settings,
    /// Tasks and tickets (see [`tasks`]).
    tasks => Tasks,
    /// Usage records and their sums (see [`usage`]).
    usage => Usage,
    /// API tokens (see [`tokens`]).
    tokens => Tokens,
    /// Webhook endpoints and their deliveries (see [`webhooks`]).
    webhooks => Webhooks,
}

/// How every SQLite connection is set up, sqlx's pools and the direct
/// writer alike: WAL, `synchronous=NORMAL`, foreign keys on, a 16 MB page
/// cache, and no automatic checkpoint in a commit (they run beside the
/// writes, see `tx`).
pub(crate) const SQLITE_PRAGMAS: &[(&str, &str)] = &[
    ("journal_mode", "WAL"),
    ("synchronous", "NORMAL"),
    ("foreign_keys", "ON"),
    ("cache_size", "-16000"),
    ("wal_autocheckpoint", "0"),
];

/// How long an SQLite connection waits for another process's lock.
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Default SQLite database when no URL is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://switchboard.db";

impl Store {
    /// Connects to `url` (`sqlite://PATH`, `sqlite:PATH` or `postgres://…`),
    /// creating a SQLite file if it is missing. Does not migrate.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            Store::connect_postgres(opts).await
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?;
            Store::connect_sqlite(opts).await
        } else {
            Err(StoreError::Other(sqlx::Error::Configuration(
                format!("unsupported database URL {url:?}: expected sqlite://PATH or postgres://…")
                    .into(),
            )))
        }
    }

    /// Connects to PostgreSQL with the given options (tests use this to set
    /// a per-test `search_path`).
    pub async fn connect_postgres(opts: PgConnectOptions) -> Result<Store> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Store {
            db: Db::Postgres(pool.clone()),
            writer: Db::Postgres(pool),
            tariffs: Default::default(),
            clock: std::sync::Arc::new(domain::SystemClock),
            direct: None,
        })
    }

    /// Connects to a SQLite file: WAL, `synchronous=NORMAL`, a busy
    /// timeout, foreign keys on.
    pub async fn connect_sqlite(opts: SqliteConnectOptions) -> Result<Store> {
        let path = opts.get_filename().to_path_buf();
        let name = path.to_string_lossy();
        if name.is_empty() || name.contains(":memory:") || name.starts_with("file:") {
            return Err(StoreError::Other(sqlx::Error::Configuration(
                "an in-memory SQLite database keeps nothing: give a file (sqlite://PATH)".into(),
            )));
        }
        let opts = SQLITE_PRAGMAS
            .iter()
            .fold(opts, |o, (k, v)| o.pragma(*k, *v))
            .create_if_missing(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        // A local file does not drop connections: skip the ping sqlx would
        // otherwise make (a round trip to the SQLite thread) on every acquire.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone())
            .await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(opts)
            .await?;
        let direct = std::sync::Arc::new(tx::DirectSlot::new(path));
        tx::DirectSlot::spawn_checkpointer(&direct, Duration::from_millis(100));
        Ok(Store {
            db: Db::Sqlite(readers),
            writer: Db::Sqlite(writer),
            tariffs: Default::default(),
            clock: std::sync::Arc::new(domain::SystemClock),
            direct: Some(direct),
        })
    }

    /// The same store reading time from `clock` (tests pin it).
    pub fn with_clock(mut self, clock: std::sync::Arc<dyn domain::Clock>) -> Store {
        self.clock = clock;
        self
    }

    /// The clock the store writes times from.
    pub fn clock(&self) -> &std::sync::Arc<dyn domain::Clock> {
        &self.clock
    }

    /// Now by the store's clock, truncated to microseconds so it reads back
    /// the same from both engines.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        truncate(self.clock.now())
    }

    /// Runs the embedded migrations of the live engine.
    pub async fn migrate(&self) -> Result<()> {
        match &self.writer {
            Db::Sqlite(p) => {
                // SQLite changes a table's constraints by rebuilding it, and
                // dropping the old table must neither cascade to nor fail on
                // the rows that refer to it: migrate on one connection with
                // foreign keys off (as SQLite's ALTER TABLE procedure says),
                // check them all afterwards, and close that connection.
                let mut conn = p.acquire().await?;
                sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut *conn).await?;
                let ran = match migrations::migrator(migrations::Engine::Sqlite).await {
                    Ok(m) => m.run(&mut *conn).await,
                    Err(e) => Err(e),
                };
                let broken: Vec<(String, Option<i64>, String)> =
                    sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
                        .fetch_all(&mut *conn)
                        .await?;
                drop(conn.detach());
                ran?;
                if let Some((table, row, parent)) = broken.first() {
                    return Err(StoreError::Corrupt(format!(
                        "after migrating, {} rows refer to missing rows (the first: {table} row {row:?}, of {parent})",
                        broken.len()
                    )));
                }
            }
            Db::Postgres(p) => {
                migrations::migrator(migrations::Engine::Postgres).await?.run(p).await?
            }
        }
        Ok(())
    }

    /// The pool reads use (and the benchmarks' floors).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The pool every write and every transaction uses.
    pub fn writer(&self) -> &Db {
        &self.writer
    }

    /// Which engine is live: `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<()> {
        self.read_number("SELECT CAST(1 AS BIGINT)", args![]).await?;
        Ok(())
    }

    /// The connection pools' open and idle connections, by role:
    /// `(role, open, idle)`. PostgreSQL has one pool for both (`all`);
    /// SQLite has its readers and sqlx's writer (`read`, `write`).
    pub fn pool_stats(&self) -> Vec<(&'static str, u32, u32)> {
        match (&self.db, &self.writer) {
            (Db::Postgres(p), _) => vec![("all", p.size(), p.num_idle() as u32)],
            (Db::Sqlite(r), Db::Sqlite(w)) => vec![
                ("read", r.size(), r.num_idle() as u32),
                ("write", w.size(), w.num_idle() as u32),
            ],
            (Db::Sqlite(r), _) => vec![("read", r.size(), r.num_idle() as u32)],
        }
    }

    /// On SQLite, how many writes have committed and in how many commits
    /// (writes queued together commit as one group; see `store::tx`).
    pub fn write_counts(&self) -> Option<(u64, u64)> {
        use std::sync::atomic::Ordering::Relaxed;
        self.direct
            .as_ref()
            .map(|d| (d.counts.writes.load(Relaxed), d.counts.commits.load(Relaxed)))
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        if let Some(direct) = &self.direct {
            direct.close();
        }
        for db in [&self.writer, &self.db] {
            match db {
                Db::Sqlite(p) => p.close().await,
                Db::Postgres(p) => p.close().await,
            }
        }
    }
}

/// `at` truncated to microseconds, so it reads back the same from both
/// engines.
pub fn truncate(at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    at.duration_trunc(TimeDelta::microseconds(1))
        .expect("truncating now to microseconds cannot overflow")
}

/// How many keys one `IN (…)` list binds at most: within SQLite's and
/// PostgreSQL's limits on bound values, with room for a few more.
pub(crate) const IN_CHUNK: usize = 500;

/// A statement over many keys, as statements of at most [`IN_CHUNK`] keys
/// each: `$in` in `sql` becomes the chunk's placeholders, bound after the
/// `fixed` arguments. The caller runs each and gathers the rows (none for
/// no keys).
pub(crate) fn in_chunks<'a, K: Clone + Into<Arg>>(
    sql: &'a str,
    fixed: Vec<Arg>,
    keys: &'a [K],
) -> impl Iterator<Item = (String, Vec<Arg>)> + 'a {
    keys.chunks(IN_CHUNK).map(move |chunk| {
        let sql = sql.replace("$in", &in_list(fixed.len() + 1, chunk.len()));
        let mut args = fixed.to_vec();
        args.extend(chunk.iter().cloned().map(Into::into));
        (sql, args)
    })
}

/// `$from, $from+1, …`: `n` placeholders for an `IN (…)` list.
pub(crate) fn in_list(from: usize, n: usize) -> String {
    (0..n).map(|i| format!("${}", from + i)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_keys_become_statements_of_a_chunk_each_after_the_fixed_arguments() {
        let keys: Vec<i64> = (1..=IN_CHUNK as i64 * 2 + 1).collect();
        let fixed = args![true, 7_i64];
        let out: Vec<_> =
            in_chunks("SELECT x FROM t WHERE a = $1 AND b = $2 AND id IN ($in)", fixed, &keys)
                .collect();
        assert_eq!(out.len(), 3);
        let (sql, args) = &out[2];
        assert_eq!(sql, "SELECT x FROM t WHERE a = $1 AND b = $2 AND id IN ($3)");
        assert_eq!(args, &args![true, 7_i64, IN_CHUNK as i64 * 2 + 1]);
        assert!(out[0].0.contains("IN ($3, $4, $5, "), "{}", out[0].0);
        assert!(out[0].0.ends_with(&format!(", ${})", IN_CHUNK + 2)), "{}", out[0].0);
        assert_eq!(out[0].1.len(), IN_CHUNK + 2);
        assert_eq!(in_chunks::<i64>("SELECT 1 WHERE id IN ($in)", vec![], &[]).count(), 0);
    }
}
