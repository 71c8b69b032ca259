//! Migrating a SQLite database that already holds rows: the status CHECK
//! migration rebuilds tables that others refer to, and must keep every row,
//! every reference (a cascade from dropping a parent would take the rows
//! that refer to it) and every AUTOINCREMENT counter, then refuse a status
//! the code does not know.

use sqlx::{Connection, SqliteConnection};
use std::borrow::Cow;
use store::Store;

/// Counts the rows of every table the rebuild touches or that refers to one.
async fn counts(db: &mut SqliteConnection) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for t in [
        "connections",
        "orders",
        "order_mobiles",
        "order_mobile_bundles",
        "order_history",
        "number_pool",
        "jobs",
        "requests",
        "isp_users",
    ] {
        let (n,): (i64,) =
            sqlx::query_as(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(&mut *db).await.unwrap();
        out.push((t.to_owned(), n));
    }
    out
}

#[tokio::test]
async fn a_database_with_rows_keeps_them_through_the_status_checks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut db = SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut db).await.unwrap();
    // The schema as it was before the status checks (migrations 1 to 7).
    let before = sqlx::migrate::Migrator {
        migrations: Cow::Owned(
            store::migrations::migrations(store::migrations::Engine::Sqlite)
                .into_iter()
                .filter(|m| m.version < 8)
                .collect(),
        ),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    before.run(&mut db).await.unwrap();
    for sql in [
        "INSERT INTO partners (id, name, created_at) VALUES (1, 'P', '2026-01-01')",
        "INSERT INTO customers (id, partner_id, company_name, contact_name, contact_email, address_lines, town, postcode, billing_email, created_at, updated_at) \
         VALUES (1000, 1, 'C', 'N', 'a@b.c', '[]', 'T', 'AB1 2CD', 'a@b.c', '2026-01-01', '2026-01-01')",
        "INSERT INTO bundles (id, network, code, name, category, monthly_pence, recurring, description) VALUES (300, 'Vodafone', 'B', 'B', 'data', 100, TRUE, '')",
        "INSERT INTO orders (id, partner_id, customer_id, status, created_by, updated_by, created_at, updated_at) \
         VALUES (90000, 1, 1000, 'Draft', 'x', 'x', '2026-01-01', '2026-01-01')",
        "INSERT INTO order_mobiles (id, order_id, connection_type, network, bill_cap_offered, enable_bill_cap, status, created_by, created_at, updated_at) \
         VALUES (5, 90000, 'New', 'Vodafone', 0, 0, 'Draft', 'x', '2026-01-01', '2026-01-01')",
        "INSERT INTO order_mobile_bundles (order_mobile_id, bundle_id) VALUES (5, 300)",
        "INSERT INTO order_history (order_id, from_status, to_status, at, actor) VALUES (90000, NULL, 'Draft', '2026-01-01', 'x')",
        // A request made and removed: its id must not be given again.
        "INSERT INTO jobs (id, kind, payload, state, max_attempts, run_at_ms, idempotency_key, created_at, updated_at) \
         VALUES (41, 'k', '{}', 'done', 8, 0, 'key', '2026-01-01', '2026-01-01')",
        "DELETE FROM jobs",
    ] {
        if let Err(e) = sqlx::query(sql).execute(&mut db).await {
            panic!("{sql}: {e}");
        }
    }
    let rows_before = counts(&mut db).await;
    db.close().await.unwrap();

    let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await;

    let mut db = SqliteConnection::connect(&url).await.unwrap();
    assert_eq!(counts(&mut db).await, rows_before, "every row kept");
    assert_eq!(rows_before[3], ("order_mobile_bundles".to_owned(), 1));
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut db)
        .await
        .unwrap();
    assert!(broken.is_empty(), "references intact: {broken:?}");
    let seq: Vec<(String, i64)> =
        sqlx::query_as("SELECT name, seq FROM sqlite_sequence WHERE name IN ('orders', 'jobs', 'order_mobiles') ORDER BY name")
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(
        seq,
        vec![
            ("jobs".to_owned(), 41),
            ("order_mobiles".to_owned(), 5),
            ("orders".to_owned(), 90000)
        ],
        "AUTOINCREMENT counters kept"
    );
    let refused = sqlx::query("UPDATE orders SET status = 'Lost' WHERE id = 90000")
        .execute(&mut db)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("orders_status_check"), "{refused}");
}
