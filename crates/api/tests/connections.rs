//! Connections controller: lookups by CLI in every accepted form, by
//! customer, bad CLIs, and cross-partner isolation.

mod common;

use common::{Answer, TestApp};
use test_macros::backend_test;

#[backend_test]
async fn a_cli_in_any_form_answers_the_canonical_one(app: &TestApp) {
    let token = app.north_token().await;
    let cli = app.cli_of(app.north).await;
    let national = &cli[1..];
    for form in [
        cli.clone(),
        format!("44{national}"),
        format!("%2B44{national}"),
        format!("{}%20{}", &cli[..5], &cli[5..]),
    ] {
        for path in ["/api/Connections/GetConnectionByCLI", "/api/Connections/"] {
            let (s, c) = app.get(&token, &format!("{path}?cli={form}")).await;
            assert_eq!(s, 200, "{path}?cli={form}: {c}");
            assert_eq!(c["cli"], cli.as_str());
            assert!(c["contractId"].as_i64().unwrap() >= 50000);
            assert_eq!(c["status"], "Active");
            assert!(c["tariff"]["tariffId"].is_i64() && c["tariff"]["monthlyPence"].is_i64());
            assert!(c["sim"]["iccid"].as_str().unwrap().starts_with("8944"));
            assert!(c["bundles"].is_array() && c["bars"].is_array() && c["diverts"].is_array());
            assert!(c["billCap"]["enabled"].is_boolean());
            assert!(c["alerting"]["thresholds"].is_array());
            assert!(c["startDate"].as_str().unwrap() < c["contractEndDate"].as_str().unwrap());
        }
    }
}

#[backend_test]
async fn bad_and_unknown_clis(app: &TestApp) {
    let token = app.north_token().await;
    for bad in
        ["123", "0770090012", "%2B337700900123", "07700900I23", "'%20OR%201%3D1--", "01132345678"]
    {
        let got = app.get(&token, &format!("/api/Connections/GetConnectionByCLI?cli={bad}")).await;
        got.refused(400, "cli");
        assert_eq!(got.1["field"], "cli");
    }
    app.get(&token, "/api/Connections/GetConnectionByCLI").await.refused(400, "cli: is required");
    app.get(&token, "/api/Connections/GetConnectionByCLI?cli=").await.refused(400, "cli");
    app.get(&token, "/api/Connections/GetConnectionByCLI?cli=07700900999")
        .await
        .refused(404, "07700900999");
}

#[backend_test]
async fn another_partners_connection_is_404(app: &TestApp) {
    let north = app.north_token().await;
    let capital = app.capital_token().await;
    let theirs = app.cli_of(app.capital).await;
    assert_eq!(
        app.get(&capital, &format!("/api/Connections/GetConnectionByCLI?cli={theirs}")).await.0,
        200
    );
    app.get(&north, &format!("/api/Connections/GetConnectionByCLI?cli={theirs}"))
        .await
        .refused(404, "not found");
    let their_customer = app.customer_of(app.capital).await;
    app.get(
        &north,
        &format!("/api/Connections/GetConnectionByCustomerId?customerId={their_customer}"),
    )
    .await
    .refused(404, "customer");
}

#[backend_test]
async fn connections_of_a_customer(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let list = app
        .get(&token, &format!("/api/Connections/GetConnectionByCustomerId?customerId={customer}"))
        .await
        .is(200);
    let items = list["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert_eq!(list["total"].as_i64().unwrap(), items.len() as i64);
    assert!(items.iter().all(|c| c["customerId"] == customer));
    let (_, page) = app
        .get(
            &token,
            &format!("/api/Connections/GetConnectionByCustomerId?customerId={customer}&pageSize=1"),
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["nextPage"], 2);
    app.get(&token, "/api/Connections/GetConnectionByCustomerId").await.refused(400, "customerId");
    app.get(&token, "/api/Connections/GetConnectionByCustomerId?customerId=x1")
        .await
        .refused(400, "customerId");
}
