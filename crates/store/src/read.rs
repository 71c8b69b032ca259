//! Reads on the read pool, either engine: one SQL text, its values as
//! `args![…]` (bound exactly as writes bind them), rows decoded by
//! `sqlx::FromRow`. No per-engine code at the call site.

use crate::tx::{bind_all, Arg};
use crate::{Db, Result, Store, StoreError};
use domain::paging::PageRequest;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::FromRow;

/// A row type both engines' pools decode (derive `sqlx::FromRow`, or a
/// tuple).
pub trait ReadRow:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> ReadRow for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl Store {
    /// Every row a query answers.
    pub async fn read_all<T: ReadRow>(&self, sql: &str, args: Vec<Arg>) -> Result<Vec<T>> {
        Ok(match self.db() {
            Db::Sqlite(p) => {
                sqlx::query_as_with::<_, T, _>(sql, bind_all::<SqliteArguments>(args)?)
                    .fetch_all(p)
                    .await?
            }
            Db::Postgres(p) => {
                sqlx::query_as_with::<_, T, _>(sql, bind_all::<PgArguments>(args)?)
                    .fetch_all(p)
                    .await?
            }
        })
    }

    /// The first row a query answers, if any.
    pub async fn read_optional<T: ReadRow>(&self, sql: &str, args: Vec<Arg>) -> Result<Option<T>> {
        Ok(match self.db() {
            Db::Sqlite(p) => {
                sqlx::query_as_with::<_, T, _>(sql, bind_all::<SqliteArguments>(args)?)
                    .fetch_optional(p)
                    .await?
            }
            Db::Postgres(p) => {
                sqlx::query_as_with::<_, T, _>(sql, bind_all::<PgArguments>(args)?)
                    .fetch_optional(p)
                    .await?
            }
        })
    }

    /// Every row of `sql` over many `keys`, a chunk at a time (see
    /// [`in_chunks`](crate::in_chunks)): `$in` stands for a chunk's
    /// placeholders, bound after `fixed`.
    pub async fn read_in<T: ReadRow, K: Clone + Into<Arg>>(
        &self,
        sql: &str,
        fixed: Vec<Arg>,
        keys: &[K],
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for (sql, args) in crate::in_chunks(sql, fixed, keys) {
            out.extend(self.read_all(&sql, args).await?);
        }
        Ok(out)
    }

    /// The one row a query answers (`NotFound` when none).
    pub async fn read_one<T: ReadRow>(&self, sql: &str, args: Vec<Arg>) -> Result<T> {
        self.read_optional(sql, args).await?.ok_or(StoreError::NotFound)
    }

    /// The row `select` finds by id, if `vis` lets the caller see it
    /// (`NotFound` otherwise): the one place the tenancy filter on a single
    /// row is written. `alias` is the table's prefix in `select` (`"c."`, or
    /// `""`).
    pub async fn read_visible<T: ReadRow>(
        &self,
        select: &str,
        alias: &str,
        id: i64,
        vis: crate::Visibility,
    ) -> Result<T> {
        let (all, partner) = vis.binds();
        let sql = format!("{select} WHERE {alias}id = $1 AND ($2 OR {alias}partner_id = $3)");
        self.read_one(&sql, crate::args![id, all, partner]).await
    }

    /// A whole number a query answers (a `COUNT(*)`, say).
    pub async fn read_number(&self, sql: &str, args: Vec<Arg>) -> Result<i64> {
        Ok(self.read_one::<(i64,)>(sql, args).await?.0)
    }

    /// A page of rows and how many there are in all: `rows` is the query
    /// (`SELECT … FROM … WHERE …`, taking `args`) and `order` its `ORDER BY`
    /// list; the total counts the same query, so the two cannot disagree.
    pub async fn read_page<T: ReadRow>(
        &self,
        rows: &str,
        order: &str,
        args: Vec<Arg>,
        page: PageRequest,
    ) -> Result<(Vec<T>, i64)> {
        self.read_window(rows, order, args, page.limit(), page.offset()).await
    }

    /// [`Store::read_page`] by `limit` and `offset` (the agreements face
    /// pages so), bound after `args`.
    pub async fn read_window<T: ReadRow>(
        &self,
        rows: &str,
        order: &str,
        args: Vec<Arg>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<T>, i64)> {
        let count = format!("SELECT COUNT(*) FROM ({rows}) AS listed");
        let total = self.read_number(&count, args.clone()).await?;
        let n = args.len();
        let sql = format!("{rows} ORDER BY {order} LIMIT ${} OFFSET ${}", n + 1, n + 2);
        let mut args = args;
        args.extend(crate::args![limit, offset]);
        Ok((self.read_all(&sql, args).await?, total))
    }
}

/// The record a listed row belongs to, which the caller must see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    Customer,
    Contract,
    /// An ISP subscriber.
    Subscriber,
}

impl Parent {
    /// What a not-found calls it ("customer 7 not found").
    pub fn name(self) -> &'static str {
        match self {
            Parent::Customer => "customer",
            Parent::Contract => "contract",
            Parent::Subscriber => "subscriber",
        }
    }
}

/// Rows listed under one parent record, a page at a time
/// ([`Store::page_under`]): a customer's connections, orders, tasks and
/// alerts, a contract's requests, a subscriber's RADIUS sessions.
pub trait Listing: ReadRow {
    /// Whose rows they are.
    const PARENT: Parent;
    /// Their order (`ORDER BY`).
    const ORDER: &'static str;
    /// The rows' query, the parent's id bound as `$1`.
    fn rows() -> String;
}

impl Store {
    /// A page of a visible parent's rows, with the total; `NotFound` when
    /// the parent is not visible, so another partner's customer is not
    /// found rather than empty.
    pub async fn page_under<R: Listing>(
        &self,
        vis: crate::Visibility,
        parent_id: i64,
        page: PageRequest,
    ) -> Result<(Vec<R>, i64)> {
        match R::PARENT {
            Parent::Customer => drop(self.customers().get_customer(vis, parent_id).await?),
            Parent::Contract => drop(self.connections().connection_by_id(vis, parent_id).await?),
            Parent::Subscriber => drop(self.isp().get_isp_user(vis, parent_id).await?),
        }
        self.read_page(&R::rows(), R::ORDER, crate::args![parent_id], page).await
    }
}
