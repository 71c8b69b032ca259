//! Usage helpers: a line on a plan the tests know, records, an import.

use super::{Answer, TestApp};
use serde_json::{json, Value};
use store::connections::ConnectionRow;

pub const MB: i64 = 1024 * 1024;

/// A Vodafone connection of North on a plan the test knows: 1,024 MB and
/// 100 minutes a period, unlimited texts, no bundles, started on 10
/// November 2029 (periods from the 10th; the clock says 16 January 2030).
pub async fn known_line(app: &TestApp) -> ConnectionRow {
    let c = app.connection_on(app.north, domain::Network::Vodafone).await;
    app.store
        .execute(
            "UPDATE tariffs SET data_mb = 1024, minutes = 100, texts = NULL WHERE id = $1",
            store::args![c.tariff_id],
        )
        .await
        .unwrap();
    app.store
        .execute(
            "UPDATE connections SET bundles = '[]', start_date = $1 WHERE id = $2",
            store::args![chrono::NaiveDate::from_ymd_opt(2029, 11, 10).unwrap(), c.id],
        )
        .await
        .unwrap();
    c
}

pub fn record(
    id: &str,
    cli: &str,
    kind: &str,
    destination: &str,
    at: &str,
    quantity: i64,
) -> Value {
    json!({"network": "Vodafone", "recordId": id, "cli": cli, "kind": kind, "destination": destination,
           "eventTime": at, "quantity": quantity})
}

pub async fn import(app: &TestApp, token: &str, records: &Value) -> Value {
    app.post(token, "/api/Usage/ImportRecords", records).await.is(200)
}
