//! Alerting controller (CapZ settings): thresholds set, read back, shown
//! on the connection, refused when malformed, and out of another
//! partner's reach.

mod common;

use common::{Answer, TestApp};
use serde_json::json;
use test_macros::backend_test;

#[backend_test]
async fn thresholds_are_set_read_and_shown_on_the_connection(app: &TestApp) {
    let token = app.token(app.north, "usage connections").await;
    let c = app
        .connection_on(app.north, domain::Network::Vodafone)
        .await;
    let set = app
        .post(
            &token,
            "/api/Alerting/SetAlertingSettings",
            &json!({"contractId": c.id, "thresholds": [
            {"kind": "spendPence", "value": 2500, "action": "bar"},
            {"kind": "dataMb", "value": 10240, "action": "notify"},
            {"kind": "dataPercent", "value": 80, "action": "notify"}]}),
        )
        .await
        .is(200);
    assert_eq!(set["contractId"], c.id);
    assert_eq!(
        set["thresholds"][0],
        json!({"kind": "dataMb", "value": 10240, "action": "notify"}),
        "in a fixed order: {set}"
    );
    assert_eq!(set["alertBar"], false);
    let got = app
        .get(
            &token,
            &format!("/api/Alerting/GetAlertingSettings?contractId={}", c.id),
        )
        .await
        .is(200);
    assert_eq!(got, set);
    let conn = app
        .get(
            &token,
            &format!("/api/Connections/GetConnectionByCLI?cli={}", c.cli),
        )
        .await
        .is(200);
    assert_eq!(conn["alerting"]["thresholds"], set["thresholds"], "{conn}");
    // An empty list removes them.
    let cleared = app
        .post(
            &token,
            "/api/Alerting/SetAlertingSettings",
            &json!({"contractId": c.id, "thresholds": []}),
        )
        .await
        .is(200);
    assert_eq!(cleared["thresholds"], json!([]));
}

#[backend_test]
async fn bad_thresholds_and_another_partners_contract(app: &TestApp) {
    let token = app.token(app.north, "usage").await;
    let c = app
        .connection_on(app.north, domain::Network::Vodafone)
        .await;
    let url = "/api/Alerting/SetAlertingSettings";
    let set = |thresholds: serde_json::Value| json!({"contractId": c.id, "thresholds": thresholds});
    for (body, says) in [
        (
            set(json!([{"kind": "minutes", "value": 5, "action": "bar"}])),
            "thresholds[0].kind",
        ),
        (
            set(json!([{"kind": "dataMb", "value": 0, "action": "bar"}])),
            "more than 0",
        ),
        (
            set(json!([{"kind": "dataPercent", "value": 1001, "action": "bar"}])),
            "at most 1000",
        ),
        (
            set(json!([{"kind": "dataMb", "value": 5, "action": "shout"}])),
            "thresholds[0].action",
        ),
        (
            set(
                json!([{"kind": "dataMb", "value": 5, "action": "bar"}, {"kind": "dataMb", "value": 5, "action": "notify"}]),
            ),
            "given twice",
        ),
        (
            set(json!((0..11)
                .map(|i| json!({"kind": "dataMb", "value": i + 1, "action": "notify"}))
                .collect::<Vec<_>>())),
            "at most 10",
        ),
        (json!({"thresholds": []}), "contractId"),
    ] {
        app.post(&token, url, &body).await.refused(400, says);
    }
    let theirs = app
        .connection_on(app.capital, domain::Network::Vodafone)
        .await;
    app.get(
        &token,
        &format!("/api/Alerting/GetAlertingSettings?contractId={}", theirs.id),
    )
    .await
    .refused(404, "not found");
    app.post(
        &token,
        url,
        &json!({"contractId": theirs.id, "thresholds": []}),
    )
    .await
    .refused(404, "not found");
    app.get(&token, "/api/Alerting/GetAlertingSettings?contractId=abc")
        .await
        .refused(400, "contractId");
    let no_usage = app.token(app.north, "connections").await;
    let (s, _) = app
        .get(
            &no_usage,
            &format!("/api/Alerting/GetAlertingSettings?contractId={}", c.id),
        )
        .await;
    assert_eq!(s, 403);
}
