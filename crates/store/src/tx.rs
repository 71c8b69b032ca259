//! Transactions as values: a [`Tx`] on whichever engine is live, that plain
//! functions take (`&mut Tx`) to read and write inside one transaction, so
//! a use case can compose several of them (the change, its audit row, its
//! job, the idempotency record) and commit once.
//!
//! SQL is written once, in the dialect both engines accept (`$n`
//! placeholders, `RETURNING`, `ON CONFLICT`); values are bound as [`Arg`]s
//! in one place per engine, and rows are decoded with `sqlx::FromRow`,
//! which derives for both engines from one struct. No macro is needed to
//! write a helper that runs inside a caller's transaction.
//!
//! On SQLite a transaction does not go through sqlx's worker thread one
//! statement at a time. [`crate::Store::write`] takes the writer (an async
//! lock, so no other write of this process runs) and runs every statement
//! of the transaction on the caller's thread through the store's own
//! `rusqlite` connection to the same file, with its prepared statements
//! cached: a statement is a function call, not a round trip between
//! threads. sqlx's own pools only read (and run the migrations). Rows
//! decode through [`DirectRow`], derived beside `sqlx::FromRow` with the
//! same attributes.

use crate::{Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{Arguments, FromRow, Postgres, Transaction};

/// An open transaction on the live engine. Dropped without
/// [`Tx::commit`], it rolls back: a crash at any point leaves nothing.
pub enum Tx {
    Sqlite(Direct),
    Postgres(Transaction<'static, Postgres>),
}

/// A SQLite transaction run on the caller's thread through the store's own
/// `rusqlite` connection to the database file. The connection sits behind
/// an async lock: every write of this process takes it (and waits for it
/// without blocking a thread), so SQLite's own lock is never fought over.
/// Only [`crate::Store::write`] makes one.
pub struct Direct {
    writer: tokio::sync::OwnedMutexGuard<Option<Writer>>,
    /// Whether this transaction's savepoint is open.
    open: bool,
}

/// The direct connection, and for each statement text it has run which
/// value each of its placeholders takes (SQLite looks a placeholder's name
/// up by a linear search, so a statement of a thousand values would pay a
/// million steps to bind if asked every time).
#[derive(Debug)]
pub(crate) struct Writer {
    conn: rusqlite::Connection,
    binds: std::collections::HashMap<String, std::sync::Arc<[usize]>>,
    /// The group of transactions open on the connection, when one is.
    group: Option<Group>,
    counts: std::sync::Arc<WriteCounts>,
}

/// Group commit. Writes that queue for the writer while another runs are
/// not each committed on their own: each runs in a savepoint of one open
/// SQLite transaction, and one `COMMIT` makes the whole group durable, so
/// the pages they share (the tail of a table, an index leaf) are written
/// to the WAL once per group instead of once per write. No write answers
/// before its group has committed; a write that fails rolls back to its
/// savepoint and leaves the others' work alone.
///
/// Who commits: a write that finishes while no other is queued commits
/// at once. One that finishes while others are queued releases the writer
/// to them and queues again; the first member of the group to get the
/// writer back commits it (the lock is first come, first served, so every
/// write queued meanwhile has joined). A group is also committed by the
/// checkpointer and by `close` when they take the writer, and after a
/// member's caller went away, so no group is left open.
#[derive(Debug)]
struct Group {
    id: u64,
    members: usize,
    done: tokio::sync::watch::Sender<Option<Result<(), String>>>,
}

/// The most writes one group commits.
const GROUP_LIMIT: usize = 64;

impl Writer {
    /// Commits group `id` if it is still the open one (a member or the
    /// caller-gone task getting the writer back); answers whether it did.
    fn commit_group_if(&mut self, id: u64) -> Result<bool> {
        if self.group.as_ref().is_none_or(|g| g.id != id) {
            return Ok(false);
        }
        self.commit_group().map(|()| true)
    }

    /// Commits the open group, if any, and tells its members.
    fn commit_group(&mut self) -> Result<()> {
        let Some(group) = self.group.take() else {
            return Ok(());
        };
        let out = self.conn.execute_batch("COMMIT");
        if out.is_ok() {
            use std::sync::atomic::Ordering::Relaxed;
            self.counts.writes.fetch_add(group.members as u64, Relaxed);
            self.counts.commits.fetch_add(1, Relaxed);
        }
        if out.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        group.done.send_replace(Some(out.as_ref().map(|_| ()).map_err(|e| e.to_string())));
        Ok(out?)
    }
}

/// The writer: the direct connection (opened on first use, with its
/// prepared statements) behind the lock every write takes.
#[derive(Debug)]
pub(crate) struct DirectSlot {
    path: std::path::PathBuf,
    conn: std::sync::Arc<tokio::sync::Mutex<Option<Writer>>>,
    closed: std::sync::atomic::AtomicBool,
    /// How many are queued for the writer.
    waiting: std::sync::atomic::AtomicUsize,
    next_group: std::sync::atomic::AtomicU64,
    /// Writes that committed, and the commits that made them durable.
    pub(crate) counts: std::sync::Arc<WriteCounts>,
}

/// How many writes committed, in how many commits (see [`Group`]).
#[derive(Debug, Default)]
pub struct WriteCounts {
    pub writes: std::sync::atomic::AtomicU64,
    pub commits: std::sync::atomic::AtomicU64,
}

/// Counts a wait for the writer, uncounted when it ends however it ends.
struct Queued<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Queued<'a> {
    fn new(n: &'a std::sync::atomic::AtomicUsize) -> Self {
        n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Queued(n)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl DirectSlot {
    pub(crate) fn new(path: std::path::PathBuf) -> DirectSlot {
        DirectSlot {
            path,
            conn: Default::default(),
            closed: std::sync::atomic::AtomicBool::new(false),
            waiting: Default::default(),
            next_group: Default::default(),
            counts: Default::default(),
        }
    }

    /// The writer, once every write before has finished: its connection
    /// opened, set up as the pool's are, if it is not yet.
    async fn take(&self) -> Result<tokio::sync::OwnedMutexGuard<Option<Writer>>> {
        let mut guard = {
            let _queued = Queued::new(&self.waiting);
            self.conn.clone().lock_owned().await
        };
        if guard.is_none() {
            let conn = rusqlite::Connection::open(&self.path)?;
            conn.busy_timeout(crate::SQLITE_BUSY_TIMEOUT)?;
            for (name, value) in crate::SQLITE_PRAGMAS {
                conn.pragma_update(None, name, value)?;
            }
            conn.set_prepared_statement_cache_capacity(256);
            *guard = Some(Writer {
                conn,
                binds: Default::default(),
                group: None,
                counts: self.counts.clone(),
            });
        }
        Ok(guard)
    }

    /// Closes the connection when no write holds it (one still running
    /// keeps it until it ends; the checkpointer stops).
    pub(crate) fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut guard) = self.conn.try_lock() {
            if let Some(w) = guard.as_mut() {
                if let Err(e) = w.commit_group() {
                    tracing::error!(error = %e, "committing the last group of writes");
                }
            }
            drop(guard.take());
        }
    }

    /// Runs SQLite's checkpoints beside the writes rather than inside a
    /// commit (every connection has `wal_autocheckpoint = 0`), so a commit
    /// never waits for one. Every `every` it copies what it can of the WAL
    /// into the database without stopping anyone (`PASSIVE`); when the WAL
    /// has grown past [`WAL_LIMIT_FRAMES`] it takes the writer, as any
    /// write would, and copies the rest, so the next write starts the WAL
    /// over and the file stays bounded under sustained load. It never waits
    /// for readers while holding the writer. It stops once the store is
    /// dropped or closed.
    pub(crate) fn spawn_checkpointer(
        home: &std::sync::Arc<DirectSlot>,
        every: std::time::Duration,
    ) {
        let home = std::sync::Arc::downgrade(home);
        tokio::spawn(async move {
            let mut conn: Option<rusqlite::Connection> = None;
            loop {
                tokio::time::sleep(every).await;
                let (path, writer) = match home.upgrade() {
                    Some(slot) if !slot.closed.load(std::sync::atomic::Ordering::Relaxed) => {
                        (slot.path.clone(), slot.conn.clone())
                    }
                    _ => return,
                };
                let frames = match checkpoint(&mut conn, &path).await {
                    Ok(frames) => frames,
                    Err(e) => {
                        tracing::warn!(error = %e, "SQLite checkpoint");
                        continue;
                    }
                };
                if frames > WAL_LIMIT_FRAMES {
                    // The writer held, so the copy completes and the next
                    // write starts the WAL over.
                    let mut writer = writer.lock().await;
                    if let Some(w) = writer.as_mut() {
                        if let Err(e) = w.commit_group() {
                            tracing::warn!(error = %e, "committing a group before a checkpoint");
                        }
                    }
                    if let Err(e) = checkpoint(&mut conn, &path).await {
                        tracing::warn!(error = %e, "SQLite checkpoint under the writer");
                    }
                }
            }
        });
    }
}

/// How many pages the WAL may hold before the checkpointer empties it
/// (about 16 MiB at SQLite's 4 KiB pages).
pub(crate) const WAL_LIMIT_FRAMES: i64 = 4096;

/// One `PASSIVE` checkpoint on `conn` (opened on `path` when there is
/// none, and dropped after a failure), on a blocking thread; answers the
/// WAL's size in pages.
async fn checkpoint(
    conn: &mut Option<rusqlite::Connection>,
    path: &std::path::Path,
) -> Result<i64> {
    let held = conn.take();
    let path = path.to_path_buf();
    let (back, frames) = tokio::task::spawn_blocking(move || {
        let c = match held {
            Some(c) => c,
            None => {
                let c = rusqlite::Connection::open(&path)?;
                c.busy_timeout(crate::SQLITE_BUSY_TIMEOUT)?;
                c
            }
        };
        let frames = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))?;
        Ok::<_, StoreError>((c, frames))
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("the checkpoint task failed: {e}")))??;
    *conn = Some(back);
    Ok(frames)
}

impl Direct {
    /// Begins a write on the writer's connection: the group's transaction
    /// (opened when there is none), then this write's savepoint.
    async fn begin(home: &DirectSlot) -> Result<Direct> {
        let mut writer = home.take().await?;
        let w = writer.as_mut().expect("the writer's connection is open once taken");
        if w.group.is_none() {
            if !w.conn.is_autocommit() {
                // A transaction left open by a failure we could not roll back.
                w.conn.execute_batch("ROLLBACK")?;
            }
            w.conn.execute_batch("BEGIN IMMEDIATE")?;
            w.group = Some(Group {
                id: home.next_group.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                members: 0,
                done: tokio::sync::watch::Sender::new(None),
            });
        }
        w.conn.execute_batch("SAVEPOINT write")?;
        w.group.as_mut().expect("a group is open").members += 1;
        Ok(Direct { writer, open: true })
    }

    /// Ends this write's savepoint, keeping its work, and answers once its
    /// group has committed (see [`Group`]).
    async fn commit(mut self, home: &std::sync::Arc<DirectSlot>) -> Result<()> {
        self.open = false;
        let w = self.writer_mut();
        w.conn.execute_batch("RELEASE write")?;
        let group = w.group.as_ref().expect("a group is open while a write is");
        let queued = home.waiting.load(std::sync::atomic::Ordering::SeqCst) > 0;
        if !queued || group.members >= GROUP_LIMIT {
            return w.commit_group();
        }
        let (id, mut done) = (group.id, group.done.subscribe());
        drop(self);
        let mut pending = Pending { home: home.clone(), id, settled: false };
        let out = loop {
            tokio::select! {
                biased;
                changed = done.changed() => {
                    break match changed {
                        Ok(()) => done.borrow().clone().unwrap_or(Ok(())),
                        Err(_) => Err("the writer closed before the group committed".into()),
                    };
                }
                writer = home.take() => {
                    let mut writer = writer?;
                    let w = writer.as_mut().expect("the writer's connection is open once taken");
                    if w.commit_group_if(id)? {
                        break Ok(());
                    }
                    // Committed by another member meanwhile: its answer is
                    // already sent.
                }
            }
        };
        pending.settled = true;
        out.map_err(|e| StoreError::Corrupt(format!("the group of writes did not commit: {e}")))
    }

    /// Undoes this write's work (and the group's transaction when it is the
    /// group's only write).
    fn rollback(mut self) -> Result<()> {
        self.open = false;
        self.undo()
    }

    fn undo(&mut self) -> Result<()> {
        let w = self.writer_mut();
        let alone = w.group.as_ref().is_none_or(|g| g.members <= 1);
        if alone {
            w.group = None;
            w.conn.execute_batch("ROLLBACK")?;
        } else {
            w.conn.execute_batch("ROLLBACK TO write; RELEASE write")?;
            w.group.as_mut().expect("a group is open").members -= 1;
        }
        Ok(())
    }

    fn writer_mut(&mut self) -> &mut Writer {
        self.writer.as_mut().expect("the writer's connection is open while a transaction holds it")
    }

    fn conn(&self) -> &rusqlite::Connection {
        &self.writer().conn
    }

    fn writer(&self) -> &Writer {
        self.writer.as_ref().expect("the writer's connection is open while a transaction holds it")
    }

    /// Which value each placeholder of `sql` takes (by index, from 0),
    /// worked out once per statement text.
    fn binds(&mut self, sql: &str) -> Result<std::sync::Arc<[usize]>> {
        if let Some(b) = self.writer().binds.get(sql) {
            return Ok(b.clone());
        }
        let b: std::sync::Arc<[usize]> = {
            let stmt = self.conn().prepare_cached(sql)?;
            (1..=stmt.parameter_count())
                .map(|i| {
                    stmt.parameter_name(i)
                        .and_then(|name| name.strip_prefix('$'))
                        .and_then(|n| n.parse::<usize>().ok())
                        .unwrap_or(i)
                        - 1
                })
                .collect()
        };
        let writer = self
            .writer
            .as_mut()
            .expect("the writer's connection is open while a transaction holds it");
        if writer.binds.len() >= 1024 {
            writer.binds.clear();
        }
        writer.binds.insert(sql.to_owned(), b.clone());
        Ok(b)
    }

    /// Prepares `sql` and binds `args` the way sqlx does: a `$n`
    /// placeholder takes the n-th value wherever it appears.
    fn prepare(&mut self, sql: &str, args: &[Arg]) -> Result<rusqlite::CachedStatement<'_>> {
        let binds = self.binds(sql)?;
        let mut stmt = self.conn().prepare_cached(sql)?;
        for (i, n) in binds.iter().enumerate() {
            let value = args.get(*n).ok_or_else(|| {
                StoreError::Corrupt(format!("no value bound for parameter {} of {sql:?}", n + 1))
            })?;
            stmt.raw_bind_parameter(i + 1, value)?;
        }
        Ok(stmt)
    }

    fn execute(&mut self, sql: &str, args: &[Arg]) -> Result<u64> {
        {
            let mut stmt = self.prepare(sql, args)?;
            let mut rows = stmt.raw_query();
            while rows.next()?.is_some() {}
        }
        Ok(self.conn().changes())
    }

    fn fetch<T: DirectRow>(&mut self, sql: &str, args: &[Arg], limit: usize) -> Result<Vec<T>> {
        let mut stmt = self.prepare(sql, args)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            if out.len() < limit {
                out.push(T::from_direct(row)?);
            }
        }
        Ok(out)
    }
}

impl Drop for Direct {
    /// A write dropped before its end (an error, a cancelled request)
    /// rolls back its savepoint before the writer is released.
    fn drop(&mut self) {
        if self.open {
            self.open = false;
            if let Err(e) = self.undo() {
                // Closed: the next write opens a fresh connection.
                tracing::error!(error = %e, "rolling back an abandoned SQLite write");
                drop(self.writer.take());
            }
        }
    }
}

/// A member waiting for its group to commit. If its caller goes away
/// before then, it makes sure someone commits the group.
struct Pending {
    home: std::sync::Arc<DirectSlot>,
    id: u64,
    settled: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let (home, id) = (self.home.clone(), self.id);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Ok(mut writer) = home.take().await {
                    if let Some(Err(e)) = writer.as_mut().map(|w| w.commit_group_if(id)) {
                        tracing::error!(error = %e, "committing an abandoned group of writes");
                    }
                }
            });
        }
    }
}

impl rusqlite::ToSql for Arg {
    /// The same representation sqlx writes, so rows read back alike
    /// whichever path wrote them.
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value};
        Ok(match self {
            Arg::I64(Some(v)) => ToSqlOutput::Owned(Value::Integer(*v)),
            Arg::Text(Some(v)) => ToSqlOutput::Borrowed(v.as_str().into()),
            Arg::Bool(Some(v)) => ToSqlOutput::Owned(Value::Integer(i64::from(*v))),
            Arg::Time(Some(v)) => ToSqlOutput::Owned(Value::Text(
                v.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
            )),
            Arg::Date(Some(v)) => ToSqlOutput::Owned(Value::Text(v.to_string())),
            Arg::I64(None)
            | Arg::Text(None)
            | Arg::Bool(None)
            | Arg::Time(None)
            | Arg::Date(None) => ToSqlOutput::Owned(Value::Null),
        })
    }
}

/// The index of column `name` in `row`, looked for first at `*next` (a
/// struct's fields usually follow the SELECT's column order, so this is
/// one comparison instead of a scan of every column name); `*next` moves
/// past it.
pub fn column(row: &rusqlite::Row<'_>, next: &mut usize, name: &str) -> rusqlite::Result<usize> {
    let stmt = row.as_ref();
    let at = *next;
    let i = if at < stmt.column_count()
        && stmt.column_name(at).is_ok_and(|n| n.eq_ignore_ascii_case(name))
    {
        at
    } else {
        stmt.column_index(name)?
    };
    *next = i + 1;
    Ok(i)
}

/// A row of a direct SQLite transaction: derive it with
/// `#[derive(store_macros::DirectRow)]` beside `sqlx::FromRow`; tuples of
/// plain values decode by position.
pub trait DirectRow: Sized {
    fn from_direct(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

macro_rules! direct_tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: rusqlite::types::FromSql),+> DirectRow for ($($t,)+) {
            fn from_direct(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)+))
            }
        }
    };
}
direct_tuple!(A 0);
direct_tuple!(A 0, B 1);
direct_tuple!(A 0, B 1, C 2);
direct_tuple!(A 0, B 1, C 2, D 3);
direct_tuple!(A 0, B 1, C 2, D 3, E 4);
direct_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
direct_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
direct_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// A value bound to a placeholder, whichever the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    I64(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
}

macro_rules! arg_from {
    ($t:ty, $variant:ident, $conv:expr) => {
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                Arg::$variant(Some($conv(v)))
            }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Arg {
                Arg::$variant(v.map($conv))
            }
        }
    };
}
arg_from!(i64, I64, |v| v);
arg_from!(i32, I64, i64::from);
arg_from!(bool, Bool, |v| v);
arg_from!(String, Text, |v| v);
arg_from!(&str, Text, str::to_owned);
arg_from!(&String, Text, String::clone);
arg_from!(DateTime<Utc>, Time, |v| v);
arg_from!(NaiveDate, Date, |v| v);
// Statuses bind as the text they are stored as.
arg_from!(domain::order::OrderStatus, Text, |v: domain::order::OrderStatus| v.as_str().to_owned());
arg_from!(domain::status::MobileStatus, Text, |v: domain::status::MobileStatus| v
    .as_str()
    .to_owned());
arg_from!(domain::status::ConnectionStatus, Text, |v: domain::status::ConnectionStatus| v
    .as_str()
    .to_owned());
arg_from!(domain::status::RequestStatus, Text, |v: domain::status::RequestStatus| v
    .as_str()
    .to_owned());
arg_from!(domain::status::JobState, Text, |v: domain::status::JobState| v.as_str().to_owned());
arg_from!(domain::status::PoolStatus, Text, |v: domain::status::PoolStatus| v.as_str().to_owned());
arg_from!(domain::status::SubscriberStatus, Text, |v: domain::status::SubscriberStatus| v
    .as_str()
    .to_owned());

impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Arg {
        Arg::Text(v.clone())
    }
}

/// The values of an `IN (…)` list of ids, to append to a statement's values.
pub fn ids(ids: &[i64]) -> Vec<Arg> {
    ids.iter().map(|id| Arg::from(*id)).collect()
}

/// `args![a, b, c]`: the values of a statement's placeholders, in order.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$($crate::tx::Arg::from($v)),*] };
}

/// Binds `args` in order, on either engine's argument list.
pub(crate) fn bind_all<'q, A>(args: Vec<Arg>) -> Result<A>
where
    A: Arguments<'q>,
    Option<i64>: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
    Option<String>: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
    Option<bool>: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
    Option<DateTime<Utc>>: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
    Option<NaiveDate>: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
{
    let mut out = A::default();
    for a in args {
        match a {
            Arg::I64(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Time(v) => out.add(v),
            Arg::Date(v) => out.add(v),
        }
        .map_err(|e| StoreError::Other(sqlx::Error::Encode(e)))?;
    }
    Ok(out)
}

fn pg_args(args: Vec<Arg>) -> Result<PgArguments> {
    bind_all(args)
}

/// A row type both engines can decode (derive `sqlx::FromRow` and
/// [`DirectRow`]).
pub trait Row: for<'r> FromRow<'r, PgRow> + DirectRow + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, PgRow> + DirectRow + Send + Unpin {}

impl Tx {
    /// On SQLite, runs `work` with the transaction's own connection (a
    /// bulk write prepared once and stepped per row, with each row's
    /// change count); on PostgreSQL, answers `None`.
    pub fn with_sqlite<T>(
        &mut self,
        work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Option<Result<T>> {
        match self {
            Tx::Sqlite(d) => Some(work(d.conn()).map_err(Into::into)),
            Tx::Postgres(_) => None,
        }
    }

    /// On PostgreSQL, the transaction's connection (a bulk write that
    /// binds whole columns as arrays); on SQLite, `None`.
    pub fn postgres(&mut self) -> Option<&mut sqlx::PgConnection> {
        match self {
            Tx::Postgres(tx) => Some(&mut **tx),
            Tx::Sqlite(_) => None,
        }
    }

    /// Which engine this transaction runs on.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_))
    }

    /// Runs a statement; answers the rows it touched.
    pub async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(tx) => tx.execute(sql, &args)?,
            Tx::Postgres(tx) => {
                sqlx::query_with(sql, pg_args(args)?).execute(&mut **tx).await?.rows_affected()
            }
        })
    }

    /// The first row a statement answers, if any.
    pub async fn fetch_optional<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> Result<Option<T>> {
        Ok(match self {
            Tx::Sqlite(tx) => tx.fetch(sql, &args, 1)?.pop(),
            Tx::Postgres(tx) => {
                sqlx::query_as_with::<_, T, _>(sql, pg_args(args)?)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        })
    }

    /// The one row a statement answers (`NotFound` when none).
    pub async fn fetch_one<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> Result<T> {
        self.fetch_optional(sql, args).await?.ok_or(StoreError::NotFound)
    }

    /// Every row a statement answers.
    pub async fn fetch_all<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> Result<Vec<T>> {
        Ok(match self {
            Tx::Sqlite(tx) => tx.fetch(sql, &args, usize::MAX)?,
            Tx::Postgres(tx) => {
                sqlx::query_as_with::<_, T, _>(sql, pg_args(args)?).fetch_all(&mut **tx).await?
            }
        })
    }

    /// Every row of `sql` over many `keys`, a chunk at a time (see
    /// [`in_chunks`](crate::in_chunks)), inside the transaction.
    pub async fn fetch_in<T: Row, K: Clone + Into<Arg>>(
        &mut self,
        sql: &str,
        fixed: Vec<Arg>,
        keys: &[K],
    ) -> Result<Vec<T>> {
        let mut rows = Vec::new();
        for (statement, args) in crate::in_chunks(sql, fixed, keys) {
            rows.append(&mut self.fetch_all(&statement, args).await?);
        }
        Ok(rows)
    }

    /// Makes every write of the transaction durable.
    async fn commit(self, home: Option<&std::sync::Arc<DirectSlot>>) -> Result<()> {
        match (self, home) {
            (Tx::Sqlite(tx), Some(home)) => tx.commit(home).await?,
            (Tx::Sqlite(_), None) => {
                return Err(StoreError::Corrupt(
                    "a SQLite store without its direct connection".into(),
                ))
            }
            (Tx::Postgres(tx), _) => tx.commit().await?,
        }
        Ok(())
    }

    /// Undoes every write of the transaction.
    async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.rollback()?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

impl crate::Store {
    /// Runs `work` in a transaction of its own: committed when it succeeds,
    /// rolled back when it fails (or when the future is dropped midway).
    pub async fn write<T, E>(&self, work: impl AsyncFnOnce(&mut Tx) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        match self.writer() {
            crate::Db::Sqlite(_) => {
                let home = self.direct.as_ref().ok_or_else(|| {
                    StoreError::Corrupt("a SQLite store without its direct connection".into())
                })?;
                let mut tx = Tx::Sqlite(Direct::begin(home).await?);
                let out = work(&mut tx).await;
                finish(tx, out, Some(home)).await
            }
            crate::Db::Postgres(pool) => {
                let mut tx = Tx::Postgres(pool.begin().await.map_err(StoreError::from)?);
                let out = work(&mut tx).await;
                finish(tx, out, None).await
            }
        }
    }
}

impl crate::Store {
    /// One statement in a transaction of its own; answers the rows it
    /// touched.
    pub async fn execute(&self, sql: &str, args: Vec<Arg>) -> Result<u64> {
        self.write(async |tx| tx.execute(sql, args).await).await
    }

    /// One statement in a transaction of its own; answers the row it
    /// returns.
    pub async fn execute_one<T: Row>(&self, sql: &str, args: Vec<Arg>) -> Result<T> {
        self.write(async |tx| tx.fetch_one(sql, args).await).await
    }
}

/// Commits `tx` when the work succeeded, rolls it back when it failed.
async fn finish<T, E: From<StoreError>>(
    tx: Tx,
    out: Result<T, E>,
    home: Option<&std::sync::Arc<DirectSlot>>,
) -> Result<T, E> {
    match out {
        Ok(v) => {
            tx.commit(home).await?;
            Ok(v)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}
