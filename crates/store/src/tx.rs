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

use crate::{Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, FromRow, Postgres, Sqlite, Transaction};

/// An open transaction on the live engine. Dropped without
/// [`Tx::commit`], it rolls back: a crash at any point leaves nothing.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

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

impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Arg {
        Arg::Text(v.clone())
    }
}

/// `args![a, b, c]`: the values of a statement's placeholders, in order.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$($crate::tx::Arg::from($v)),*] };
}

/// Binds `args` in order, on either engine's argument list.
fn bind_all<'q, A>(args: Vec<Arg>) -> Result<A>
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

fn sqlite_args(args: Vec<Arg>) -> Result<SqliteArguments<'static>> {
    bind_all(args)
}

fn pg_args(args: Vec<Arg>) -> Result<PgArguments> {
    bind_all(args)
}

/// A row type both engines can decode (derive `sqlx::FromRow`).
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

impl Tx {
    /// Which engine this transaction runs on.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_))
    }

    /// Runs a statement; answers the rows it touched.
    pub async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(tx) => sqlx::query_with(sql, sqlite_args(args)?)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            Tx::Postgres(tx) => sqlx::query_with(sql, pg_args(args)?)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    /// The first row a statement answers, if any.
    pub async fn fetch_optional<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> Result<Option<T>> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                sqlx::query_as_with::<_, T, _>(sql, sqlite_args(args)?)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_as_with::<_, T, _>(sql, pg_args(args)?)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        })
    }

    /// The one row a statement answers (`NotFound` when none).
    pub async fn fetch_one<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> Result<T> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Every row a statement answers.
    pub async fn fetch_all<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> Result<Vec<T>> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                sqlx::query_as_with::<_, T, _>(sql, sqlite_args(args)?)
                    .fetch_all(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_as_with::<_, T, _>(sql, pg_args(args)?)
                    .fetch_all(&mut **tx)
                    .await?
            }
        })
    }

    /// Makes every write of the transaction durable.
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Undoes every write of the transaction.
    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

impl crate::Store {
    /// Runs `work` in a transaction of its own: committed when it succeeds,
    /// rolled back when it fails.
    pub async fn write<T>(&self, work: impl AsyncFnOnce(&mut Tx) -> Result<T>) -> Result<T> {
        let mut tx = self.begin().await?;
        let out = work(&mut tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Opens a transaction on the writer.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self.writer() {
            crate::Db::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            crate::Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }
}
