//! The two migration trees cannot drift: after migrating, SQLite's and
//! PostgreSQL's schemas have the same tables, the same columns with types
//! of the same family and the same nullability, the same indexes (name,
//! uniqueness, columns), the same CHECK constraints (each status column's
//! listing exactly its Rust enum's values), and no triggers (rules live in
//! Rust). Runs when `TEST_POSTGRES_URL` is set, as it is in CI.

mod common;

use std::collections::{BTreeMap, BTreeSet};

/// table -> column -> (type family, not null)
type Columns = BTreeMap<String, BTreeMap<String, (String, bool)>>;
/// index name -> (table, unique, columns)
type Indexes = BTreeMap<String, (String, bool, Vec<String>)>;

fn family(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    let f = match t.as_str() {
        "integer" | "bigint" | "int" | "int8" | "int4" | "smallint" => "integer",
        "text" | "character varying" | "varchar" => "text",
        "boolean" | "bool" => "boolean",
        "timestamp" | "timestamptz" | "timestamp with time zone" => "timestamp",
        "date" => "date",
        "real" | "double precision" | "double" | "float8" => "real",
        "blob" | "bytea" => "bytes",
        other => other,
    };
    f.to_owned()
}

/// CHECK constraint name -> the values it allows, in order.
type Checks = BTreeMap<String, Vec<String>>;

/// The quoted literals of a constraint's text, in order.
fn literals(text: &str) -> Vec<String> {
    text.split('\'').skip(1).step_by(2).map(str::to_owned).collect()
}

async fn sqlite_checks(pool: &sqlx::SqlitePool) -> Checks {
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut checks = Checks::new();
    for (sql,) in tables {
        for part in sql.split("CONSTRAINT ").skip(1) {
            let (name, rest) = part.split_once(' ').unwrap();
            if let Some(body) = rest.strip_prefix("CHECK (") {
                let body = &body[..body.find("))").unwrap()];
                checks.insert(name.to_owned(), literals(body));
            }
        }
    }
    checks
}

async fn postgres_checks(pool: &sqlx::PgPool) -> Checks {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.conname::text, pg_get_constraintdef(c.oid) FROM pg_constraint c \
         JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema() AND c.contype = 'c'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().map(|(name, def)| (name, literals(&def))).collect()
}

fn values<T: ToString>(all: impl IntoIterator<Item = T>) -> Vec<String> {
    all.into_iter().map(|v| v.to_string()).collect()
}

const SKIP: [&str; 2] = ["_sqlx_migrations", "sqlite_sequence"];

async fn sqlite_schema(pool: &sqlx::SqlitePool) -> (Columns, Indexes, Vec<String>) {
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut columns = Columns::new();
    let mut indexes = Indexes::new();
    for (table,) in tables.into_iter().filter(|(t,)| !SKIP.contains(&t.as_str())) {
        let cols: Vec<(i64, String, String, bool, Option<String>, i64)> =
            sqlx::query_as(&format!("PRAGMA table_info({table})")).fetch_all(pool).await.unwrap();
        columns.insert(
            table.clone(),
            cols.into_iter()
                // An INTEGER PRIMARY KEY is never null in SQLite.
                .map(|(_, name, ty, notnull, _, pk)| (name, (family(&ty), notnull || pk > 0)))
                .collect(),
        );
        let list: Vec<(i64, String, bool, String, bool)> =
            sqlx::query_as(&format!("PRAGMA index_list({table})")).fetch_all(pool).await.unwrap();
        for (_, name, unique, origin, _) in list {
            // Indexes SQLite makes for PRIMARY KEY and UNIQUE constraints
            // are named by SQLite; compare the ones the migrations name.
            if origin != "c" {
                continue;
            }
            let cols: Vec<(i64, i64, Option<String>)> =
                sqlx::query_as(&format!("PRAGMA index_info({name})"))
                    .fetch_all(pool)
                    .await
                    .unwrap();
            // An expression's column has no name: "(expression)" on both engines.
            let cols =
                cols.into_iter().map(|c| c.2.unwrap_or_else(|| "(expression)".into())).collect();
            indexes.insert(name, (table.clone(), unique, cols));
        }
    }
    let triggers: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            .fetch_all(pool)
            .await
            .unwrap();
    (columns, indexes, triggers.into_iter().map(|t| t.0).collect())
}

async fn postgres_schema(pool: &sqlx::PgPool) -> (Columns, Indexes, Vec<String>) {
    let cols: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
         WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut columns = Columns::new();
    for (table, column, ty, nullable) in cols {
        if SKIP.contains(&table.as_str()) {
            continue;
        }
        columns.entry(table).or_default().insert(column, (family(&ty), nullable == "NO"));
    }
    // Indexes the migrations name (not those of primary keys and UNIQUE
    // constraints, which PostgreSQL names itself).
    let idx: Vec<(String, String, bool, Vec<String>)> = sqlx::query_as(
        "SELECT i.relname::text, t.relname::text, ix.indisunique, \
                ARRAY(SELECT COALESCE(a.attname::text, '(expression)') FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, n) \
                      LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n) \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND NOT ix.indisprimary \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let indexes = idx
        .into_iter()
        .filter(|(_, t, _, _)| !SKIP.contains(&t.as_str()))
        .map(|(name, table, unique, cols)| (name, (table, unique, cols)))
        .collect();
    let triggers: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT trigger_name::text FROM information_schema.triggers WHERE trigger_schema = current_schema()",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (columns, indexes, triggers.into_iter().map(|t| t.0).collect())
}

#[tokio::test]
async fn both_engines_migrate_to_the_same_schema() {
    if common::backends().len() < 2 {
        eprintln!("TEST_POSTGRES_URL is not set: only one engine to compare");
        return;
    }
    let lite = common::TestApp::start("sqlite").await;
    let pg = common::TestApp::start("postgres").await;
    let (store::Db::Sqlite(lp), store::Db::Postgres(pp)) = (lite.store.db(), pg.store.db()) else {
        panic!("one app per engine");
    };
    let (lc, li, lt) = sqlite_schema(lp).await;
    let (pc, pi, pt) = postgres_schema(pp).await;
    assert_eq!(lt, Vec::<String>::new(), "no triggers on SQLite: rules live in Rust");
    assert_eq!(pt, Vec::<String>::new(), "no triggers on PostgreSQL: rules live in Rust");
    let lt: BTreeSet<_> = lc.keys().collect();
    let ptab: BTreeSet<_> = pc.keys().collect();
    assert!(
        lt.len() > 20 && li.len() > 10,
        "read the schema: {} tables, {} indexes",
        lt.len(),
        li.len()
    );
    assert!(
        lc["customers"].len() > 10 && li.values().any(|i| i.1),
        "columns and unique indexes read"
    );
    assert_eq!(lt, ptab, "the same tables");
    for (table, cols) in &lc {
        assert_eq!(cols, &pc[table], "table {table}: columns, type families, NOT NULL");
    }
    assert_eq!(li, pi, "the same named indexes, uniqueness and columns");
    let checks = sqlite_checks(lp).await;
    assert_eq!(checks, postgres_checks(pp).await, "the same CHECK constraints");
    use domain::status::*;
    let order = values(domain::order::OrderStatus::ALL);
    let expected: Checks = [
        ("alerts_kind_check", values(domain::alerting::ALERT_KINDS)),
        ("portal_users_role_check", values(domain::portal::Role::ALL.map(|r| r.as_str()))),
        (
            "agreement_orders_type_check",
            values(domain::agreement::OrderType::ALL.map(|t| t.as_str())),
        ),
        ("agreement_orders_status_check", values(domain::agreement::OrderStatus::ALL)),
        ("alerts_action_check", values(domain::alerting::Action::ALL.map(|a| a.as_str()))),
        ("bill_limit_log_event_check", values(domain::bill_limit::LOG_EVENTS)),
        ("webhook_deliveries_status_check", values(domain::webhook::DELIVERY_STATUSES)),
        ("connections_status_check", values(ConnectionStatus::ALL)),
        ("isp_users_status_check", values(SubscriberStatus::ALL)),
        ("jobs_state_check", values(JobState::ALL)),
        ("number_pool_status_check", values(PoolStatus::ALL)),
        ("order_history_from_status_check", order.clone()),
        ("order_history_to_status_check", order.clone()),
        ("order_mobiles_status_check", values(MobileStatus::ALL)),
        ("orders_status_check", order),
        ("requests_status_check", values(RequestStatus::ALL)),
        ("usage_records_kind_check", values(domain::usage::UsageKind::ALL.map(|k| k.as_str()))),
        (
            "usage_records_direction_check",
            values(
                [domain::usage::Direction::Outgoing, domain::usage::Direction::Incoming]
                    .map(|d| d.as_str()),
            ),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(checks, expected, "each status column allows exactly its enum's values");
    lite.stop().await;
    pg.stop().await;
}
