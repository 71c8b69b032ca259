//! Alerting controller (CapZ settings): thresholds set, read back, shown
//! on the connection, refused when malformed, and out of another
//! partner's reach.

mod common;

use chrono::TimeZone;
use common::usage::{import, known_line, record, MB};
use common::{Answer, TestApp};
use serde_json::json;
use test_macros::backend_test;

#[backend_test]
async fn thresholds_are_set_read_and_shown_on_the_connection(app: &TestApp) {
    let token = app.token(app.north, "usage connections").await;
    let c = app.connection_on(app.north, domain::Network::Vodafone).await;
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
        .get(&token, &format!("/api/Alerting/GetAlertingSettings?contractId={}", c.id))
        .await
        .is(200);
    assert_eq!(got, set);
    let conn = app
        .get(&token, &format!("/api/Connections/GetConnectionByCLI?cli={}", c.cli))
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
    let c = app.connection_on(app.north, domain::Network::Vodafone).await;
    let url = "/api/Alerting/SetAlertingSettings";
    let set = |thresholds: serde_json::Value| json!({"contractId": c.id, "thresholds": thresholds});
    for (body, says) in [
        (set(json!([{"kind": "minutes", "value": 5, "action": "bar"}])), "thresholds[0].kind"),
        (set(json!([{"kind": "dataMb", "value": 0, "action": "bar"}])), "more than 0"),
        (set(json!([{"kind": "dataPercent", "value": 1001, "action": "bar"}])), "at most 1000"),
        (set(json!([{"kind": "dataMb", "value": 5, "action": "shout"}])), "thresholds[0].action"),
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
    let theirs = app.connection_on(app.capital, domain::Network::Vodafone).await;
    app.get(&token, &format!("/api/Alerting/GetAlertingSettings?contractId={}", theirs.id))
        .await
        .refused(404, "not found");
    app.post(&token, url, &json!({"contractId": theirs.id, "thresholds": []}))
        .await
        .refused(404, "not found");
    app.get(&token, "/api/Alerting/GetAlertingSettings?contractId=abc")
        .await
        .refused(400, "contractId");
    let no_usage = app.token(app.north, "connections").await;
    let (s, _) =
        app.get(&no_usage, &format!("/api/Alerting/GetAlertingSettings?contractId={}", c.id)).await;
    assert_eq!(s, 403);
}

/// A voice call on the known line (its plan has 100 minutes; beyond them a
/// UK minute costs 10p, per started minute of the period's excess).
fn call(id: &str, cli: &str, day: u32, secs: i64) -> serde_json::Value {
    record(id, cli, "Voice", "UK", &format!("2030-01-{day:02}T09:00:00Z"), secs)
}

async fn alerts_of(app: &TestApp, token: &str, customer: i64) -> serde_json::Value {
    app.get(token, &format!("/api/Alerting/GetAlerts?customerId={customer}")).await.is(200)
}

async fn bar_status(app: &TestApp, token: &str, cli: &str) -> serde_json::Value {
    app.get(token, &format!("/api/Alerting/GetCliAlertingBarStatus?cli={cli}")).await.is(200)
}

async fn has_capz(app: &TestApp, contract: i64) -> bool {
    let (bars,): (String,) = app
        .store
        .read_one("SELECT bars FROM connections WHERE id = $1", store::args![contract])
        .await
        .unwrap();
    bars.contains("CAPZ")
}

#[backend_test]
async fn a_threshold_raises_one_alert_and_a_bar_is_placed_and_lifted(app: &TestApp) {
    app.clock.set(chrono::Utc.with_ymd_and_hms(2030, 1, 16, 10, 0, 0).unwrap());
    let token = app.token(app.north, "usage connections").await;
    let c = known_line(app).await;
    let cli = c.cli.as_str();
    app.post(
        &token,
        "/api/Alerting/SetAlertingSettings",
        &json!({"contractId": c.id, "thresholds": [
            {"kind": "dataMb", "value": 500, "action": "notify"},
            {"kind": "spendPence", "value": 300, "action": "bar"}]}),
    )
    .await
    .is(200);
    let data = |id: &str, mb: i64| record(id, cli, "Data", "UK", "2030-01-12T08:00:00Z", mb * MB);
    import(app, &token, &json!([data("d-1", 400)])).await;
    assert_eq!(alerts_of(app, &token, c.customer_id).await["total"], 0);
    // Two records past 500 MB in one import, then a third: one alert.
    import(app, &token, &json!([data("d-2", 60), data("d-3", 60)])).await;
    import(app, &token, &json!([data("d-4", 10)])).await;
    let alerts = alerts_of(app, &token, c.customer_id).await;
    assert_eq!(alerts["total"], 1, "{alerts}");
    let a = &alerts["items"][0];
    assert_eq!(
        (&a["kind"], &a["measure"], &a["value"], &a["action"]),
        (&json!("threshold"), &json!("dataMb"), &json!(500), &json!("notify"))
    );
    assert_eq!(a["reading"], 520 * MB);
    assert_eq!(bar_status(app, &token, cli).await["alertBar"], false);

    // 100 minutes in the bundle, then 34 started minutes beyond: 340p.
    let calls = json!([call("v-1", cli, 13, 6000), call("v-2", cli, 14, 2000)]);
    import(app, &token, &calls).await;
    let status = bar_status(app, &token, cli).await;
    assert_eq!(status["alertBar"], true, "{status}");
    assert_eq!(status["reasons"], json!(["spendPence 300 reached"]));
    assert_eq!(status["requestStatus"], "Pending");
    let conn =
        app.get(&token, &format!("/api/Connections/GetConnectionByCLI?cli={cli}")).await.is(200);
    assert_eq!(conn["alerting"]["alertBar"], true, "{conn}");
    assert_eq!(conn["alerting"]["usageSoFar"]["spendPence"], 340);
    assert_eq!(conn["alerting"]["usageSoFar"]["dataMb"], 530);
    // The worker carries the bar out at the network.
    app.drain().await;
    assert!(has_capz(app, c.id).await);
    assert_eq!(bar_status(app, &token, cli).await["requestStatus"], "Completed");
    // The same records again change nothing: no second alert.
    import(app, &token, &calls).await;
    assert_eq!(alerts_of(app, &token, c.customer_id).await["total"], 2);

    // Raised above usage: the bar comes off.
    let set = |value: i64| {
        json!({"contractId": c.id, "thresholds": [
        {"kind": "spendPence", "value": value, "action": "bar"}]})
    };
    let lifted = app.post(&token, "/api/Alerting/SetAlertingSettings", &set(1000)).await.is(200);
    assert_eq!(lifted["alertBar"], false, "{lifted}");
    app.drain().await;
    assert!(!has_capz(app, c.id).await);
    // Lowered below usage again: barred again, with a new alert for the
    // new threshold only.
    app.post(&token, "/api/Alerting/SetAlertingSettings", &set(200)).await.is(200);
    app.drain().await;
    assert!(has_capz(app, c.id).await);
    assert_eq!(alerts_of(app, &token, c.customer_id).await["total"], 3);

    // The next period starts on 10 February: the bar comes off.
    app.clock.set(chrono::Utc.with_ymd_and_hms(2030, 2, 10, 0, 0, 1).unwrap());
    app.drain().await;
    let status = bar_status(app, &token, cli).await;
    assert_eq!(status["alertBar"], false, "{status}");
    assert!(!has_capz(app, c.id).await);

    // Another partner sees none of it.
    let other = app.token(app.capital, "usage").await;
    app.get(&other, &format!("/api/Alerting/GetCliAlertingBarStatus?cli={cli}"))
        .await
        .refused(404, "not found");
    app.get(&other, &format!("/api/Alerting/GetAlerts?customerId={}", c.customer_id))
        .await
        .refused(404, "not found");
    app.get(&token, "/api/Alerting/GetAlerts?customerId=x").await.refused(400, "customerId");
}

#[backend_test]
async fn a_bill_cap_notifies_bars_and_bills_nothing_beyond_it_without_consent(app: &TestApp) {
    app.clock.set(chrono::Utc.with_ymd_and_hms(2030, 1, 16, 10, 0, 0).unwrap());
    let token = app.token(app.north, "usage connections").await;
    let c = known_line(app).await;
    let cli = c.cli.as_str();
    let get = async |app: &TestApp| {
        app.get(&token, &format!("/api/BillLimits/GetBillLimit?contractId={}", c.id)).await.is(200)
    };
    let cap = app
        .post(
            &token,
            "/api/BillLimits/SetBillCap",
            &json!({"contractId": c.id, "enabled": true, "valuePence": 500}),
        )
        .await
        .is(200);
    assert_eq!((cap["enabled"].as_bool(), cap["valuePence"].as_i64()), (Some(true), Some(500)));
    // No notice yet, so no consent.
    app.post(
        &token,
        "/api/BillLimits/RecordConsent",
        &json!({"contractId": c.id, "consentedBy": "Ann Holder", "method": "phone"}),
    )
    .await
    .refused(409, "notice");
    // 40 minutes beyond the bundle: 400p, 80% of the cap: a notice.
    import(app, &token, &json!([call("b-1", cli, 12, 6000), call("b-2", cli, 13, 2400)])).await;
    let l = get(app).await;
    assert_eq!((l["spendPence"].as_i64(), l["barred"].as_bool()), (Some(400), Some(false)), "{l}");
    // 20 minutes more: 600p, past the cap: a notice and a bar.
    import(app, &token, &json!([call("b-3", cli, 14, 1200)])).await;
    let l = get(app).await;
    assert_eq!(l["barred"], true, "{l}");
    assert_eq!((l["billedPence"].as_i64(), l["notBilledPence"].as_i64()), (Some(500), Some(100)));
    let events: Vec<&str> =
        l["history"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["capSet", "notice", "notice", "barred"], "{l}");
    assert_eq!(l["history"][1]["detail"], "billCapNear");
    assert_eq!(l["history"][2]["detail"], "billCapReached");
    let alerts = alerts_of(app, &token, c.customer_id).await;
    assert_eq!(alerts["total"], 2, "{alerts}");
    // The usage statement bills the period up to the cap.
    let info =
        app.get(&token, &format!("/api/Usage/GetUsageInformationForCli?cli={cli}")).await.is(200);
    let p = &info["periods"][0];
    assert_eq!(
        (&p["totalPence"], &p["billCapPence"], &p["billedPence"], &p["notBilledPence"]),
        (&json!(600), &json!(500), &json!(500), &json!(100)),
        "{info}"
    );
    app.drain().await;
    assert!(has_capz(app, c.id).await);

    // Consent needs who and how.
    let consent = |by: &str, method: &str| json!({"contractId": c.id, "consentedBy": by, "method": method, "note": "call ref 123"});
    app.post(&token, "/api/BillLimits/RecordConsent", &consent(" ", "phone"))
        .await
        .refused(400, "consentedBy");
    app.post(&token, "/api/BillLimits/RecordConsent", &consent("Ann Holder", "pigeon"))
        .await
        .refused(400, "method");
    let mut long = consent("Ann Holder", "phone");
    long["note"] = json!("n".repeat(501));
    app.post(&token, "/api/BillLimits/RecordConsent", &long).await.refused(400, "note");
    let l = app
        .post(&token, "/api/BillLimits/RecordConsent", &consent("Ann Holder", "phone"))
        .await
        .is(200);
    assert_eq!((l["consented"].as_bool(), l["barred"].as_bool()), (Some(true), Some(false)), "{l}");
    let last = l["history"].as_array().unwrap().iter().find(|e| e["event"] == "consent").unwrap();
    assert_eq!((&last["by"], &last["method"]), (&json!("Ann Holder"), &json!("phone")));
    assert_eq!(last["spendPence"], 600);
    app.drain().await;
    assert!(!has_capz(app, c.id).await, "the bar is lifted");
    // After consent, use is billed; the 100p before it stays unbilled.
    import(app, &token, &json!([call("b-4", cli, 15, 600)])).await;
    let l = get(app).await;
    assert_eq!(
        (
            l["spendPence"].as_i64(),
            l["billedPence"].as_i64(),
            l["notBilledPence"].as_i64(),
            l["barred"].as_bool()
        ),
        (Some(700), Some(600), Some(100), Some(false)),
        "{l}"
    );

    // Changed, then removed, each on record with the cap before it.
    let l = app
        .post(
            &token,
            "/api/BillLimits/SetBillCap",
            &json!({"contractId": c.id, "enabled": true, "valuePence": 1000}),
        )
        .await
        .is(200);
    let changed = l["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&changed["event"], &changed["capBeforePence"], &changed["capPence"]),
        (&json!("capSet"), &json!(500), &json!(1000))
    );
    let l = app
        .post(&token, "/api/BillLimits/SetBillCap", &json!({"contractId": c.id, "enabled": false}))
        .await
        .is(200);
    assert_eq!((l["enabled"].as_bool(), l["billedPence"].as_i64()), (Some(false), Some(700)));
    assert_eq!(l["history"].as_array().unwrap().last().unwrap()["event"], "capRemoved");

    // Bad input, and another partner.
    for (body, says) in [
        (json!({"contractId": c.id, "enabled": true}), "valuePence"),
        (json!({"contractId": c.id, "enabled": true, "valuePence": 0}), "valuePence"),
        (json!({"contractId": c.id, "enabled": true, "valuePence": 2_000_000}), "valuePence"),
        (json!({"contractId": c.id, "enabled": "yes"}), "enabled"),
    ] {
        app.post(&token, "/api/BillLimits/SetBillCap", &body).await.refused(400, says);
    }
    let other = app.token(app.capital, "usage").await;
    app.get(&other, &format!("/api/BillLimits/GetBillLimit?contractId={}", c.id))
        .await
        .refused(404, "not found");
    app.post(&other, "/api/BillLimits/SetBillCap", &json!({"contractId": c.id, "enabled": false}))
        .await
        .refused(404, "not found");
}
