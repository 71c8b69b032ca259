//! Orders controller end to end: draft orders, every connection type and
//! its refusals, SubmitOrder's all-at-once validation, the state machine
//! over the API, idempotency, provisioning by the worker through the
//! simulated networks (acceptance, ports on their date, eSIM, refusals,
//! retries to death), and cross-partner isolation.

mod common;

use chrono::NaiveDate;
use common::{Answer, TestApp};
use domain::calendar::next_working_day;
use domain::sim::make_iccid;
use domain::Network;
use provisioning::SimConfig;
use serde_json::{json, Value};
use std::collections::HashMap;
use test_macros::backend_test;

/// The app's today: the day its pinned clock starts on.
fn today() -> NaiveDate {
    common::pinned_now().date_naive()
}

fn iccid(network: Network, n: u64) -> String {
    make_iccid(network, 500_000 + n)
}

async fn tariff(app: &TestApp, token: &str, network: &str, name: &str) -> i64 {
    let (_, list) =
        app.get(token, &format!("/api/Tariffs/ListTariffsForNetwork?network={network}")).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {list}"))["tariffId"]
        .as_i64()
        .unwrap()
}

async fn draft(app: &TestApp, token: &str, customer: i64) -> i64 {
    let body = app
        .post(
            token,
            "/api/Orders/CreateDraftOrder",
            &json!({"customerId": customer, "reference": "PO-7781"}),
        )
        .await
        .is(201);
    assert_eq!(body["status"], "Draft");
    body["orderId"].as_i64().unwrap()
}

fn new_mobile(order: i64, tariff: i64, serial: u64) -> Value {
    json!({"orderId": order, "connectionType": "New", "network": "Vodafone", "tariffId": tariff, "cli": "",
           "simType": "Physical", "iccid": iccid(Network::Vodafone, serial), "billCapOffered": true, "enableBillCap": true, "billCapValue": 2500})
}

async fn add(app: &TestApp, token: &str, body: &Value) -> (i64, String) {
    let (s, r) = app.post(token, "/api/Orders/AddMobileToOrder", body).await;
    assert_eq!(s, 201, "{body} -> {r}");
    (r["orderMobileId"].as_i64().unwrap(), r["cli"].as_str().unwrap().to_owned())
}

async fn details(app: &TestApp, token: &str, order: i64) -> Value {
    let d = app.get(token, &format!("/api/Orders/GetOrderDetails?orderId={order}")).await.is(200);
    d
}

fn the_port_date() -> NaiveDate {
    next_working_day(next_working_day(today()))
}

#[backend_test]
async fn new_port_and_esim_mobiles_go_live(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let vf30 = tariff(app, &token, "Vodafone", "Business SIM 30GB").await;
    let order = draft(app, &token, customer).await;

    let (new_id, allocated) = add(app, &token, &new_mobile(order, vf30, 1)).await;
    assert!(allocated.starts_with("07700900"), "allocated from the pool: {allocated}");
    assert_eq!(
        app.store.numbers().pool_status(&allocated).await.unwrap().as_deref(),
        Some("reserved")
    );
    let (_, nums) =
        app.get(&token, "/api/Orders/ListAvailableNumbers?network=Vodafone&pageSize=200").await;
    assert!(
        nums["items"].as_array().unwrap().iter().all(|n| n["cli"] != allocated.as_str()),
        "a reserved number is not offered"
    );

    let port_date = the_port_date();
    let mut port = new_mobile(order, vf30, 2);
    port["connectionType"] = json!("Port");
    port["cli"] = json!("+447700900455");
    port["pacCode"] = json!("abc123456");
    port["portDate"] = json!(port_date.to_string());
    let (port_id, kept) = add(app, &token, &port).await;
    assert_eq!(kept, "07700900455", "a ported number is kept, in canonical form");

    let mut esim = new_mobile(order, vf30, 3);
    esim["simType"] = json!("eSIM");
    esim.as_object_mut().unwrap().remove("iccid");
    let (esim_id, _) = add(app, &token, &esim).await;

    // A bundle and a bar on the new mobile.
    let (_, bundles) =
        app.get(&token, &format!("/api/Bundles/ListBundlesForTariff?tariffId={vf30}")).await;
    let roaming = common::item_id(&bundles, "name", "EU Roaming", "tariffOptionId");
    app.post(
        &token,
        "/api/Orders/AddBundleToMobile",
        &json!({"orderMobileId": new_id, "tariffOptionId": roaming}),
    )
    .await
    .is(200);
    let (_, bars) = app.get(&token, "/api/Bars/ListBarsForNetwork?network=Vodafone").await;
    let prm = common::item_id(&bars, "barSuffix", "PRM", "barId");
    let (s, extras) = app
        .post(
            &token,
            "/api/Orders/AddBarToMobileOrder",
            &json!({"orderMobileId": new_id, "barId": prm}),
        )
        .await;
    assert_eq!((s, extras["bars"][0]["barSuffix"].as_str()), (200, Some("PRM")));

    let (s, sub) = app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order})).await;
    assert_eq!((s, sub["status"].as_str()), (200, Some("Submitted")), "{sub}");
    let (_, mon) = app.get(&token, &format!("/api/Orders/MonitorOrder?orderId={order}")).await;
    assert_eq!(mon["status"], "Submitted");
    assert!(!mon["statusText"].as_str().unwrap().is_empty());

    // The worker provisions: New and eSIM at once, the port waits for its date.
    assert_eq!(app.drain().await, 1);
    let d = details(app, &token, order).await;
    assert_eq!(d["status"], "InProgress");
    let mobile = |d: &Value, id: i64| {
        d["mobiles"].as_array().unwrap().iter().find(|m| m["orderMobileId"] == id).unwrap().clone()
    };
    assert_eq!(mobile(&d, new_id)["status"], "Completed");
    assert_eq!(mobile(&d, port_id)["status"], "Pending");
    let e = mobile(&d, esim_id);
    assert_eq!(e["status"], "Completed");
    let code = e["esim"]["activationCode"].as_str().unwrap();
    assert!(code.starts_with("LPA:1$") && code.matches('$').count() == 2, "{code}");

    let live = app
        .get(&token, &format!("/api/Connections/GetConnectionByCLI?cli={allocated}"))
        .await
        .is(200);
    assert_eq!(live["contractId"], mobile(&d, new_id)["contractId"]);
    assert_eq!(live["tariff"]["tariffId"], vf30);
    assert_eq!(live["bundles"][0]["name"], "EU Roaming");
    assert_eq!(live["bars"][0]["barSuffix"], "PRM");
    assert_eq!(live["billCap"]["valuePence"], 2500);
    assert_eq!(live["startDate"], today().to_string());
    assert_eq!(live["contractEndDate"], domain::tariff::contract_end(today(), 24).to_string());
    assert_eq!(
        app.store.numbers().pool_status(&allocated).await.unwrap().as_deref(),
        Some("assigned")
    );
    // Assigned to the mobile that took it.
    assert_eq!(app.store.numbers().pool_holder(&allocated).await.unwrap(), Some(new_id));

    // Nothing more happens before the port date.
    assert_eq!(app.drain().await, 0);
    app.clock.set(port_date.and_hms_opt(9, 0, 0).unwrap().and_utc());
    assert_eq!(app.drain().await, 1);
    let d = details(app, &token, order).await;
    assert_eq!(d["status"], "Completed", "{d}");
    let (_, ported) = app.get(&token, "/api/Connections/GetConnectionByCLI?cli=07700900455").await;
    assert_eq!(ported["startDate"], port_date.to_string(), "live on the port date");
    let statuses: Vec<&str> =
        d["history"].as_array().unwrap().iter().map(|h| h["toStatus"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["Draft", "Submitted", "InProgress", "Completed"]);
    assert!(d["history"][2]["actor"].as_str().unwrap().starts_with("worker:"));
}

#[backend_test]
async fn add_mobile_refusals_name_the_field(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let vf30 = tariff(app, &token, "Vodafone", "Business SIM 30GB").await;
    let vf_max = tariff(app, &token, "Vodafone", "Business Unlimited Max (5G, EU roaming)").await;
    let o2 = tariff(app, &token, "O2", "O2 Business SIM 10GB").await;
    let order = draft(app, &token, customer).await;
    let good = new_mobile(order, vf30, 10);
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        if v.is_null() {
            b.as_object_mut().unwrap().remove(k);
        } else {
            b[k] = v;
        }
        b
    };
    let cases: Vec<(Value, u16, &str)> = vec![
        (with("connectionType", json!("Upgrade")), 400, "connectionType"),
        (with("network", json!("Three")), 400, "network"),
        (with("tariffId", Value::Null), 400, "tariffId"),
        (with("tariffId", json!(99999)), 400, "tariffId"),
        (with("tariffId", json!(o2)), 400, "tariffId"),
        (with("iccid", json!("8944100000000000001")), 400, "iccid"),
        (with("iccid", json!(iccid(Network::O2, 11))), 400, "iccid"),
        (with("iccid", Value::Null), 400, "iccid"),
        (with("simType", json!("nano")), 400, "simType"),
        (with("cli", json!("0770090")), 400, "cli"),
        (with("cli", json!("07700900001")), 400, "cli"),
        (with("pacCode", json!("ABC123456")), 400, "pacCode"),
        (with("billCapValue", Value::Null), 400, "billCapValue"),
        (with("billCapValue", json!(99_999)), 402, "billCapValue"),
        (with("tariffId", json!(vf_max)), 402, "enableBillCap"),
        (with("portDate", json!("2026-13-45")), 400, "portDate"),
        (with("orderId", json!(0)), 400, "orderId"),
        (with("surprise", json!(1)), 400, "surprise"),
    ];
    for (body, status, field) in cases {
        let got = app.post(&token, "/api/Orders/AddMobileToOrder", &body).await;
        got.refused(status, field);
    }
    // eSIM off Vodafone; EE numbers cannot be chosen.
    let mut esim_o2 = with("network", json!("O2"));
    esim_o2["tariffId"] = json!(o2);
    esim_o2["simType"] = json!("eSIM");
    esim_o2.as_object_mut().unwrap().remove("iccid");
    esim_o2["enableBillCap"] = json!(false);
    esim_o2.as_object_mut().unwrap().remove("billCapValue");
    app.post(&token, "/api/Orders/AddMobileToOrder", &esim_o2).await.refused(402, "eSIM");

    // Ports: PAC format, port date rules, a number already live here.
    let port = |cli: &str, pac: &str, date: NaiveDate| {
        let mut p = with("connectionType", json!("Port"));
        p["cli"] = json!(cli);
        p["pacCode"] = json!(pac);
        p["portDate"] = json!(date.to_string());
        p["iccid"] = json!(iccid(Network::Vodafone, 12));
        p
    };
    let good_date = the_port_date();
    app.post(&token, "/api/Orders/AddMobileToOrder", &port("07700900456", "123456ABC", good_date))
        .await
        .refused(400, "pacCode");
    app.post(&token, "/api/Orders/AddMobileToOrder", &port("07700900456", "ABC123456", today()))
        .await
        .refused(400, "portDate");
    let mut saturday = today();
    while chrono::Datelike::weekday(&saturday) != chrono::Weekday::Sat {
        saturday = saturday.succ_opt().unwrap();
    }
    app.post(&token, "/api/Orders/AddMobileToOrder", &port("07700900456", "ABC123456", saturday))
        .await
        .refused(400, "not a working day");
    let mut expired = port("07700900456", "ABC123456", good_date);
    expired["pacExpiryDate"] = json!(today().pred_opt().unwrap().to_string());
    app.post(&token, "/api/Orders/AddMobileToOrder", &expired).await.refused(402, "PAC expired");
    let live = app.cli_of(app.north).await;
    app.post(&token, "/api/Orders/AddMobileToOrder", &port(&live, "ABC123456", good_date))
        .await
        .refused(409, "already a live connection");

    // The pool: a chosen number must be free and in the network's pool.
    let (_, first) = add(app, &token, &with("cli", json!("07700900600"))).await;
    assert_eq!(first, "07700900600");
    let mut again = with("cli", json!("07700900600"));
    again["iccid"] = json!(iccid(Network::Vodafone, 13));
    app.post(&token, "/api/Orders/AddMobileToOrder", &again).await.refused(409, "not free");
    // The same ICCID twice on open orders; an ICCID already live.
    app.post(&token, "/api/Orders/AddMobileToOrder", &with("cli", json!("")))
        .await
        .refused(409, "is already on another open order");
    let live_conn =
        app.get(&token, &format!("/api/Connections/GetConnectionByCLI?cli={live}")).await.1;
    let live_iccid = live_conn["sim"]["iccid"].as_str().unwrap();
    let net = live_conn["network"].as_str().unwrap();
    if net == "Vodafone" {
        app.post(&token, "/api/Orders/AddMobileToOrder", &with("iccid", json!(live_iccid)))
            .await
            .refused(409, "already in use");
    }
    // Migration and Disconnection need one of this customer's live numbers.
    let other_customer_cli = app.cli_of(app.capital).await;
    let mut mig = with("connectionType", json!("Migration"));
    mig.as_object_mut().unwrap().remove("iccid");
    mig.as_object_mut().unwrap().remove("simType");
    mig["cli"] = json!(other_customer_cli);
    app.post(&token, "/api/Orders/AddMobileToOrder", &mig)
        .await
        .refused(400, "not a live connection");
    let disc = json!({"orderId": order, "connectionType": "Disconnection", "network": "Vodafone", "cli": live});
    app.post(&token, "/api/Orders/AddMobileToOrder", &disc).await.refused(400, "stacCode");
    let mut disc_bad = disc.clone();
    disc_bad["stacCode"] = json!("ABC123456");
    app.post(&token, "/api/Orders/AddMobileToOrder", &disc_bad).await.refused(400, "stacCode");
    // Unknown order; another partner's order.
    app.post(&token, "/api/Orders/AddMobileToOrder", &with("orderId", json!(12345678)))
        .await
        .refused(404, "order 12345678");
}

#[backend_test]
async fn submit_reports_every_problem_and_changes_nothing(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let vf30 = tariff(app, &token, "Vodafone", "Business SIM 30GB").await;
    let order = draft(app, &token, customer).await;
    // An empty order cannot be submitted.
    let (s, empty) = app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order})).await;
    assert_eq!(s, 400, "{empty}");
    assert_eq!(empty["errors"][0]["field"], "orderId");

    let mut no_offer = new_mobile(order, vf30, 20);
    no_offer["billCapOffered"] = json!(false);
    no_offer["enableBillCap"] = json!(false);
    no_offer.as_object_mut().unwrap().remove("billCapValue");
    let (m1, cli1) = add(app, &token, &no_offer).await;
    let (m2, _) = add(app, &token, &new_mobile(order, vf30, 21)).await;
    // Meanwhile m2's SIM goes live elsewhere, and m2's tariff is retired.
    let conn = store::connections::NewConnection {
        partner_id: app.north,
        customer_id: customer,
        cli: "07700900998".into(),
        network: "Vodafone".into(),
        status: domain::status::ConnectionStatus::Active,
        tariff_id: vf30,
        sim_type: "Physical".into(),
        iccid: Some(iccid(Network::Vodafone, 21)),
        eid: None,
        start_date: today(),
        contract_end_date: today(),
        bill_cap_enabled: false,
        bill_cap_pence: None,
        bundles: vec![],
        bars: vec![],
    };
    app.store.connections().insert_connections(&[conn]).await.unwrap();

    let body =
        app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order})).await.is(400);
    assert_eq!(body["response_message"], format!("Order {order} has 2 problems"));
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(
        errors[0],
        json!({"orderMobileId": m1, "field": "billCapOffered", "message": "a bill cap must be offered on every new contract"})
    );
    assert_eq!(
        (errors[1]["orderMobileId"].as_i64(), errors[1]["field"].as_str()),
        (Some(m2), Some("iccid"))
    );
    // Nothing changed: still a draft, nothing queued, the number still reserved.
    assert_eq!(details(app, &token, order).await["status"], "Draft");
    assert!(app.store.jobs().jobs_in_state("queued").await.unwrap().is_empty());
    assert_eq!(app.store.numbers().pool_status(&cli1).await.unwrap().as_deref(), Some("reserved"));
}

#[backend_test]
async fn the_state_machine_over_the_api(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let vf30 = tariff(app, &token, "Vodafone", "Business SIM 30GB").await;
    let order = draft(app, &token, customer).await;
    let (mobile, cli) = add(app, &token, &new_mobile(order, vf30, 30)).await;
    app.post(&token, "/api/Orders/ReturnOrderToDraft", &json!({"orderId": order}))
        .await
        .refused(409, "Draft");
    assert_eq!(
        app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order})).await.0,
        200
    );
    app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order}))
        .await
        .refused(409, "Submitted");
    app.post(&token, "/api/Orders/AddMobileToOrder", &new_mobile(order, vf30, 31))
        .await
        .refused(409, "Submitted");
    app.post(
        &token,
        "/api/Orders/RemoveMobileFromOrder",
        &json!({"orderId": order, "orderMobileId": mobile}),
    )
    .await
    .refused(409, "Submitted");

    // Back to draft before provisioning starts: the queued job goes too.
    let (s, back) =
        app.post(&token, "/api/Orders/ReturnOrderToDraft", &json!({"orderId": order})).await;
    assert_eq!((s, back["status"].as_str()), (200, Some("Draft")));
    assert_eq!(app.drain().await, 0, "no job left");
    let (_, removed) = app
        .post(
            &token,
            "/api/Orders/RemoveMobileFromOrder",
            &json!({"orderId": order, "orderMobileId": mobile}),
        )
        .await;
    assert_eq!(removed["status"], "Draft");
    assert_eq!(
        app.store.numbers().pool_status(&cli).await.unwrap().as_deref(),
        Some("free"),
        "released"
    );
    app.post(
        &token,
        "/api/Orders/RemoveMobileFromOrder",
        &json!({"orderId": order, "orderMobileId": mobile}),
    )
    .await
    .refused(404, "not on order");

    // Cancel a submitted order before it starts: numbers go back.
    let (_, cli2) = add(app, &token, &new_mobile(order, vf30, 32)).await;
    assert_eq!(
        app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order})).await.0,
        200
    );
    let (s, c) = app.post(&token, "/api/Orders/CancelOrder", &json!({"orderId": order})).await;
    assert_eq!((s, c["status"].as_str()), (200, Some("Cancelled")));
    assert_eq!(app.store.numbers().pool_status(&cli2).await.unwrap().as_deref(), Some("free"));
    app.post(&token, "/api/Orders/CancelOrder", &json!({"orderId": order}))
        .await
        .refused(409, "Cancelled");

    // Once provisioning has started, it can neither return nor cancel.
    let order2 = draft(app, &token, customer).await;
    let mut port = new_mobile(order2, vf30, 33);
    port["connectionType"] = json!("Port");
    port["cli"] = json!("07700900457");
    port["pacCode"] = json!("XYZ654321");
    port["portDate"] = json!(the_port_date().to_string());
    add(app, &token, &port).await;
    app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order2})).await;
    app.drain().await;
    assert_eq!(details(app, &token, order2).await["status"], "InProgress");
    app.post(&token, "/api/Orders/ReturnOrderToDraft", &json!({"orderId": order2}))
        .await
        .refused(409, "InProgress");
    app.post(&token, "/api/Orders/CancelOrder", &json!({"orderId": order2}))
        .await
        .refused(409, "InProgress");
}

#[backend_test]
async fn network_refusals_and_partial_completion(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let vf30 = tariff(app, &token, "Vodafone", "Business SIM 30GB").await;
    let o2 = tariff(app, &token, "O2", "O2 Business SIM 10GB").await;
    let order = draft(app, &token, customer).await;
    let (vf_mobile, _) = add(app, &token, &new_mobile(order, vf30, 40)).await;
    let mut o2_body = new_mobile(order, o2, 41);
    o2_body["network"] = json!("O2");
    o2_body["iccid"] = json!(iccid(Network::O2, 41));
    let (o2_mobile, o2_cli) = add(app, &token, &o2_body).await;
    app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order})).await;

    let refusing = common::refusing();
    let worker = app.worker_per_network(HashMap::from([
        (Network::Vodafone, SimConfig::instant()),
        (Network::O2, refusing),
    ]));
    assert_eq!(worker.drain().await.unwrap(), 1);
    let d = details(app, &token, order).await;
    assert_eq!(d["status"], "PartiallyCompleted", "{d}");
    let m = |id: i64| {
        d["mobiles"].as_array().unwrap().iter().find(|m| m["orderMobileId"] == id).unwrap().clone()
    };
    assert_eq!(m(vf_mobile)["status"], "Completed");
    assert_eq!(m(o2_mobile)["status"], "Rejected");
    let reason = m(o2_mobile)["reason"].as_str().unwrap().to_owned();
    assert!(
        [
            "ICCID already active on the network",
            "SIM card not recognised by the network",
            "credit check declined by the network"
        ]
        .contains(&reason.as_str()),
        "{reason}"
    );
    assert_eq!(d["reason"], reason.as_str());
    assert_eq!(
        app.store.numbers().pool_status(&o2_cli).await.unwrap().as_deref(),
        Some("free"),
        "a refused mobile's number is released"
    );
    assert_eq!(
        app.get(&token, &format!("/api/Connections/GetConnectionByCLI?cli={o2_cli}")).await.0,
        404
    );

    // All refused: the order is Rejected.
    let order2 = draft(app, &token, customer).await;
    let mut b = new_mobile(order2, o2, 42);
    b["network"] = json!("O2");
    b["iccid"] = json!(iccid(Network::O2, 42));
    add(app, &token, &b).await;
    app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order2})).await;
    worker.drain().await.unwrap();
    assert_eq!(details(app, &token, order2).await["status"], "Rejected");
}

#[backend_test]
async fn faults_are_retried_with_backoff_then_the_job_dies(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let vf30 = tariff(app, &token, "Vodafone", "Business SIM 30GB").await;
    let order = draft(app, &token, customer).await;
    add(app, &token, &new_mobile(order, vf30, 50)).await;
    app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order})).await;
    let flaky = app.worker_with(SimConfig { fault_rate: 1.0, ..SimConfig::instant() });
    let mut delays = Vec::new();
    // Pin the clock ahead of the real one so every delay is exact.
    app.clock.advance(chrono::Duration::hours(1));
    let mut last_run = app.clock.now_ms();
    for attempt in 1..=store::jobs::DEFAULT_MAX_ATTEMPTS {
        let handled = flaky.run_once().await.unwrap().expect("a due job");
        match handled {
            provisioning::worker::Handled::Retrying(at) => {
                delays.push(at - last_run);
                assert!(
                    flaky.run_once().await.unwrap().is_none(),
                    "nothing is due before the backoff ends"
                );
                app.clock.set(chrono::DateTime::from_timestamp_millis(at).unwrap());
                last_run = at;
            }
            provisioning::worker::Handled::Dead => {
                assert_eq!(attempt, store::jobs::DEFAULT_MAX_ATTEMPTS);
                break;
            }
            other => panic!("attempt {attempt}: {other:?}"),
        }
    }
    assert_eq!(&delays[..4], &[1_000, 2_000, 4_000, 8_000], "exponential backoff");
    let dead = app.store.jobs().jobs_in_state("dead").await.unwrap();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].last_error.as_deref().unwrap().contains("timed out"));
    let d = details(app, &token, order).await;
    assert_eq!(d["status"], "Rejected");
    assert!(d["mobiles"][0]["reason"].as_str().unwrap().contains("could not be reached"));
}

/// A carrier that lets the real simulated network provision, then hangs
/// forever: the worker is "killed" mid-job by dropping its task there.
struct HangsAfterProvisioning(
    provisioning::SimulatedNetwork,
    tokio::sync::mpsc::UnboundedSender<()>,
);

impl provisioning::Carrier for HangsAfterProvisioning {
    fn network(&self) -> Network {
        provisioning::Carrier::network(&self.0)
    }
    fn provision<'a>(
        &'a self,
        key: &'a str,
        req: &'a provisioning::ProvisionRequest,
    ) -> provisioning::carrier::CarrierFuture<'a> {
        Box::pin(async move {
            let answer = self.0.provision(key, req).await;
            let _ = self.1.send(());
            let _ = answer;
            std::future::pending().await
        })
    }
}

#[backend_test]
async fn a_worker_killed_mid_job_leaves_the_order_to_finish_exactly_once(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let vf30 = tariff(app, &token, "Vodafone", "Business SIM 30GB").await;
    let order = draft(app, &token, customer).await;
    for n in 0..3 {
        add(app, &token, &new_mobile(order, vf30, 60 + n)).await;
    }
    app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order})).await;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let hanging: Vec<std::sync::Arc<dyn provisioning::Carrier>> = Network::ALL
        .iter()
        .map(|n| {
            std::sync::Arc::new(HangsAfterProvisioning(
                provisioning::SimulatedNetwork::new(*n, SimConfig::instant(), app.store.clone()),
                tx.clone(),
            )) as std::sync::Arc<dyn provisioning::Carrier>
        })
        .collect();
    let doomed = provisioning::Worker::new(
        app.store.clone(),
        hanging,
        app.clock.clone(),
        common::test_worker_config(),
    );
    let task = tokio::spawn(async move { doomed.run_once().await });
    for _ in 0..3 {
        rx.recv().await.expect("the network provisioned");
    }
    task.abort();
    let _ = task.await;
    assert_eq!(
        app.store.carrier_ops().count_carrier_operations().await.unwrap(),
        3,
        "the network did the work"
    );
    assert_eq!(
        details(app, &token, order).await["status"],
        "Submitted",
        "but the order was not told"
    );
    // Provisioning has started all the same: the order cannot go back.
    app.post(&token, "/api/Orders/ReturnOrderToDraft", &json!({"orderId": order}))
        .await
        .refused(409, "provisioning has started");
    let running = app.store.jobs().jobs_in_state("running").await.unwrap();
    assert_eq!(running.len(), 1, "the job is still leased to the dead worker");

    // A restarted worker does nothing until the lease has expired...
    assert_eq!(app.drain().await, 0);
    app.clock.advance(chrono::Duration::seconds(61));
    // ...then finishes the order once, without provisioning again.
    assert_eq!(app.drain().await, 1);
    let d = details(app, &token, order).await;
    assert_eq!(d["status"], "Completed", "{d}");
    assert_eq!(
        app.store.carrier_ops().count_carrier_operations().await.unwrap(),
        3,
        "nothing provisioned twice"
    );
    let contracts: std::collections::HashSet<i64> = d["mobiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["contractId"].as_i64().unwrap())
        .collect();
    assert_eq!(contracts.len(), 3);
    let (_, conns) = app
        .get(
            &token,
            &format!(
                "/api/Connections/GetConnectionByCustomerId?customerId={customer}&pageSize=200"
            ),
        )
        .await;
    let from_order = conns["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| contracts.contains(&c["contractId"].as_i64().unwrap()))
        .count();
    assert_eq!(from_order, 3, "one connection per mobile");
    assert_eq!(app.drain().await, 0);
}

#[backend_test]
async fn idempotency_keys_on_create_add_and_submit(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let vf30 = tariff(app, &token, "Vodafone", "Business SIM 30GB").await;
    let send = |path: &'static str, key: &'static str, body: Value| {
        let req = app
            .http
            .post(app.url(path))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let create = json!({"customerId": customer, "reference": "PO-1"});
    let a = send("/api/Orders/CreateDraftOrder", "c-1", create.clone()).await;
    let b = send("/api/Orders/CreateDraftOrder", "c-1", create).await;
    assert_eq!((a.0, &a.1), (b.0, &b.1), "same key and body: the same order");
    let conflict = send(
        "/api/Orders/CreateDraftOrder",
        "c-1",
        json!({"customerId": customer, "reference": "PO-2"}),
    )
    .await;
    assert_eq!(conflict.0, 409);
    let order = a.1["orderId"].as_i64().unwrap();

    let m1 = send("/api/Orders/AddMobileToOrder", "m-1", new_mobile(order, vf30, 70)).await;
    let m2 = send("/api/Orders/AddMobileToOrder", "m-1", new_mobile(order, vf30, 70)).await;
    assert_eq!((m1.0, &m1.1), (201, &m2.1));
    assert_eq!(
        send("/api/Orders/AddMobileToOrder", "m-1", new_mobile(order, vf30, 71)).await.0,
        409
    );
    assert_eq!(
        details(app, &token, order).await["mobiles"].as_array().unwrap().len(),
        1,
        "one mobile added"
    );

    let s1 = send("/api/Orders/SubmitOrder", "s-1", json!({"orderId": order})).await;
    let s2 = send("/api/Orders/SubmitOrder", "s-1", json!({"orderId": order})).await;
    assert_eq!((s1.0, s2.0), (200, 200), "a retried submit answers the first answer, not 409");
    assert_eq!(app.store.jobs().jobs_in_state("queued").await.unwrap().len(), 1, "queued once");
}

/// A refusal is answered again under its key; an answer that asks the
/// client to retry (the number pool busy) is never stored, so retrying
/// with the same key works; a claim abandoned without an answer (as an
/// older version left them) expires.
#[backend_test]
async fn keyed_refusals_replay_busy_answers_do_not_stick_and_claims_expire(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let vf30 = tariff(app, &token, "Vodafone", "Business SIM 30GB").await;
    let order = draft(app, &token, customer).await;
    let send = |key: &'static str, body: Value| {
        let req = app
            .http
            .post(app.url("/api/Orders/AddMobileToOrder"))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            let retry_after = r.headers().get("retry-after").cloned();
            (r.status().as_u16(), retry_after, r.json::<Value>().await.unwrap())
        }
    };
    // A refusal (a number that is not in the pool) is the answer to
    // its key for good, even once the request would pass.
    let mut refused = new_mobile(order, vf30, 80);
    refused["cli"] = json!("07999999999");
    let first = send("refused-1", refused.clone()).await;
    assert_eq!(first.0, 400, "{}", first.2);
    assert_eq!(send("refused-1", refused).await.2, first.2);

    if let store::Db::Postgres(pool) = app.store.db() {
        // Every free Vodafone number is being reserved by someone else.
        let mut holder = pool.begin().await.unwrap();
        sqlx::query(
            "SELECT cli FROM number_pool WHERE network = 'Vodafone' AND status = 'free' FOR UPDATE",
        )
        .fetch_all(&mut *holder)
        .await
        .unwrap();
        let busy = send("busy-1", new_mobile(order, vf30, 81)).await;
        assert_eq!(busy.0, 409, "{}", busy.2);
        assert!(busy.2["response_message"].as_str().unwrap().contains("busy; try again"));
        assert!(busy.1.is_some(), "Retry-After on a busy answer");
        holder.rollback().await.unwrap();
        let retried = send("busy-1", new_mobile(order, vf30, 81)).await;
        assert_eq!(retried.0, 201, "following the advice works: {}", retried.2);
    }

    // An abandoned claim (no answer) holds its key for a while, then
    // a retry does the work.
    let body = new_mobile(order, vf30, 82);
    let raw = serde_json::to_vec(&body).unwrap();
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&raw))
    };
    // The caller's actor: `client:` and the token's subject.
    let claims: Value = {
        use base64::Engine;
        let payload = token.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap(),
        )
        .unwrap()
    };
    let actor = format!("client:{}", claims["sub"].as_str().unwrap());
    app.store
        .write(async |tx| {
            tx.execute(
                "INSERT INTO idempotency_keys (actor, key, request_hash, created_at) VALUES ($1, $2, $3, $4)",
                store::args![actor.as_str(), "abandoned-1", hash.as_str(), app.now()],
            )
            .await
        })
        .await
        .unwrap();
    let post_raw = || {
        app.http
            .post(app.url("/api/Orders/AddMobileToOrder"))
            .bearer_auth(&token)
            .header("idempotency-key", "abandoned-1")
            .header("content-type", "application/json")
            .body(raw.clone())
            .send()
    };
    let held = post_raw().await.unwrap();
    assert_eq!(held.status(), 409);
    assert!(held.headers().contains_key("retry-after"));
    app.clock.advance(store::idempotency::CLAIM_LIFETIME + chrono::Duration::seconds(1));
    assert_eq!(post_raw().await.unwrap().status(), 201, "the claim expired");
}

#[backend_test]
async fn monitoring_lists_and_isolation(app: &TestApp) {
    let north = app.north_token().await;
    let capital = app.capital_token().await;
    let customer = app.customer_of(app.north).await;
    let theirs = app.customer_of(app.capital).await;
    let ours = draft(app, &north, customer).await;
    let other = draft(app, &capital, theirs).await;

    let (s, bulk) = app
        .post(&north, "/api/Orders/MonitorOrderBulk", &json!({"orderIds": [ours, other, 1]}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(bulk["items"][0]["status"], "Draft");
    assert_eq!(
        bulk["items"][1],
        json!({"orderId": other, "error": "not found"}),
        "another partner's order is just not found"
    );
    assert_eq!(bulk["items"][2]["error"], "not found");
    app.post(&north, "/api/Orders/MonitorOrderBulk", &json!({"orderIds": []}))
        .await
        .refused(400, "orderIds");
    let many: Vec<i64> = (1..=101).collect();
    app.post(&north, "/api/Orders/MonitorOrderBulk", &json!({"orderIds": many}))
        .await
        .refused(400, "orderIds");

    app.get(&north, &format!("/api/Orders/GetOrderDetails?orderId={other}"))
        .await
        .refused(404, "not found");
    app.get(&north, &format!("/api/Orders/MonitorOrder?orderId={other}"))
        .await
        .refused(404, "not found");
    app.get(&north, &format!("/api/Orders/GetOrdersForCustomer?customerId={theirs}"))
        .await
        .refused(404, "customer");
    app.post(&north, "/api/Orders/CreateDraftOrder", &json!({"customerId": theirs}))
        .await
        .refused(404, "customer");
    app.post(&north, "/api/Orders/SubmitOrder", &json!({"orderId": other}))
        .await
        .refused(404, "order");
    app.post(&north, "/api/Orders/CancelOrder", &json!({"orderId": other}))
        .await
        .refused(404, "order");
    let (_, mine) =
        app.get(&north, &format!("/api/Orders/GetOrdersForCustomer?customerId={customer}")).await;
    assert_eq!(mine["items"][0]["orderId"], ours);
    app.get(&north, "/api/Orders/GetOrderDetails").await.refused(400, "orderId");

    let nums =
        app.get(&north, "/api/Orders/ListAvailableNumbers?network=O2&pageSize=5").await.is(200);
    assert_eq!(nums["items"].as_array().unwrap().len(), 5);
    assert_eq!(nums["total"], 150);
    app.get(&north, "/api/Orders/ListAvailableNumbers?network=EE").await.refused(402, "EE");
    app.get(&north, "/api/Orders/ListAvailableNumbers").await.refused(400, "network");
    let scopeless = app.token(app.north, "customers").await;
    assert_eq!(
        app.get(&scopeless, &format!("/api/Orders/GetOrderDetails?orderId={ours}")).await.0,
        403
    );
}

#[backend_test]
async fn bundles_and_bars_on_order_mobiles(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let vf30 = tariff(app, &token, "Vodafone", "Business SIM 30GB").await;
    let vf_unl = tariff(app, &token, "Vodafone", "Business Unlimited").await;
    let order = draft(app, &token, customer).await;
    let mut unlimited = new_mobile(order, vf_unl, 80);
    unlimited["billCapValue"] = json!(3000);
    let (m, _) = add(app, &token, &unlimited).await;
    // A tariff that does not exist is a refusal of the field, not a 404.
    app.post(&token, "/api/Orders/AddMobileToOrder", &new_mobile(order, 9_999_999, 81))
        .await
        .refused(400, "tariffId: there is no tariff 9999999");
    let (_, vf_bundles) =
        app.get(&token, "/api/Bundles/ListBundlesForNetwork?network=Vodafone").await;
    let id_of = |name: &str| common::item_id(&vf_bundles, "name", name, "tariffOptionId");
    let (_, ee_bundles) = app.get(&token, "/api/Bundles/ListBundlesForNetwork?network=EE").await;
    let ee_roaming = ee_bundles["items"][0]["tariffOptionId"].as_i64().unwrap();
    let (_, ee_bars) = app.get(&token, "/api/Bars/ListBarsForNetwork?network=EE").await;
    let ee_bar = ee_bars["items"][0]["barId"].as_i64().unwrap();

    let add_bundle = |id: i64| {
        let body = json!({"orderMobileId": m, "tariffOptionId": id});
        let (app, token) = (&app, &token);
        async move { app.post(token, "/api/Orders/AddBundleToMobile", &body).await }
    };
    assert_eq!(add_bundle(id_of("EU Roaming")).await.0, 200);
    add_bundle(id_of("EU Roaming")).await.refused(409, "already");
    add_bundle(id_of("Data Add-on 5GB")).await.refused(400, "not available on tariff");
    add_bundle(ee_roaming).await.refused(400, "no Vodafone bundle");
    app.post(
        &token,
        "/api/Orders/RemoveBundleFromMobile",
        &json!({"orderMobileId": m, "tariffOptionId": id_of("Worldwide Roaming Pass")}),
    )
    .await
    .refused(404, "not on order mobile");
    app.post(
        &token,
        "/api/Orders/AddBarToMobileOrder",
        &json!({"orderMobileId": m, "barId": ee_bar}),
    )
    .await
    .refused(400, "barId");
    app.post(
        &token,
        "/api/Orders/AddBarToMobileOrder",
        &json!({"orderMobileId": 999999, "barId": ee_bar}),
    )
    .await
    .refused(404, "order mobile 999999");
    let (s, after) = app
        .post(
            &token,
            "/api/Orders/RemoveBundleFromMobile",
            &json!({"orderMobileId": m, "tariffOptionId": id_of("EU Roaming")}),
        )
        .await;
    assert_eq!((s, after["bundles"].as_array().unwrap().len()), (200, 0));
    let capital = app.capital_token().await;
    app.post(
        &capital,
        "/api/Orders/AddBundleToMobile",
        &json!({"orderMobileId": m, "tariffOptionId": id_of("EU Roaming")}),
    )
    .await
    .refused(404, "order mobile");
    let _ = vf30;
}

#[backend_test]
async fn migration_disconnection_and_ee_numbers(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    // The customer's connections, by network.
    let (_, conns) = app
        .get(&token, &format!("/api/Connections/GetConnectionByCustomerId?customerId={customer}"))
        .await;
    let conns = conns["items"].as_array().unwrap().clone();
    let first = conns[0].clone();
    let second = conns[1].clone();
    let network = first["network"].as_str().unwrap().to_owned();
    let (_, tariffs) = app
        .get(
            &token,
            &format!("/api/Tariffs/GetTariffsForContract?contractId={}", first["contractId"]),
        )
        .await;
    let upgrade = tariffs["items"][0]["tariffId"].as_i64().unwrap();
    let order = draft(app, &token, customer).await;
    add(app, &token, &json!({"orderId": order, "connectionType": "Migration", "network": network, "tariffId": upgrade,
        "cli": first["cli"], "billCapOffered": true})).await;
    add(
        app,
        &token,
        &json!({"orderId": order, "connectionType": "Disconnection", "network": second["network"],
        "cli": second["cli"], "stacCode": "123456ABC"}),
    )
    .await;
    // A New EE mobile: the number comes with the SIM.
    let ee = tariff(app, &token, "EE", "EE Business SIM 8GB").await;
    let (ee_mobile, ee_cli) = add(
        app,
        &token,
        &json!({"orderId": order, "connectionType": "New", "network": "EE", "tariffId": ee,
        "iccid": iccid(Network::EE, 90), "billCapOffered": true}),
    )
    .await;
    assert_eq!(ee_cli, "", "assigned by the network on activation");
    app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order})).await.is(200);
    app.drain().await;
    let d = details(app, &token, order).await;
    assert_eq!(d["status"], "Completed", "{d}");

    let (_, migrated) = app
        .get(
            &token,
            &format!("/api/Connections/GetConnectionByCLI?cli={}", first["cli"].as_str().unwrap()),
        )
        .await;
    assert_eq!(migrated["contractId"], first["contractId"], "the same contract, moved");
    assert_eq!(migrated["tariff"]["tariffId"], upgrade);
    assert_eq!(migrated["startDate"], today().to_string());
    let (_, ceased) = app
        .get(
            &token,
            &format!("/api/Connections/GetConnectionByCLI?cli={}", second["cli"].as_str().unwrap()),
        )
        .await;
    assert_eq!(ceased["status"], "Ceased");
    let ee_m = d["mobiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["orderMobileId"] == ee_mobile)
        .unwrap()
        .clone();
    let assigned = ee_m["cli"].as_str().unwrap();
    assert!(assigned.starts_with("07700900"), "{ee_m}");
    let (s, ee_conn) =
        app.get(&token, &format!("/api/Connections/GetConnectionByCLI?cli={assigned}")).await;
    assert_eq!((s, ee_conn["network"].as_str()), (200, Some("EE")));
    assert_eq!(
        app.store.numbers().pool_status(assigned).await.unwrap().as_deref(),
        Some("assigned")
    );
}

#[backend_test]
async fn many_orders_are_provisioned_together_in_batches(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let vf30 = tariff(app, &token, "Vodafone", "Business SIM 30GB").await;
    let o2 = tariff(app, &token, "O2", "O2 Business SIM 10GB").await;
    let mut orders = Vec::new();
    for n in 0..20u64 {
        let order = draft(app, &token, customer).await;
        add(app, &token, &new_mobile(order, vf30, 1_000 + n)).await;
        let mut b = new_mobile(order, o2, 2_000 + n);
        b["network"] = json!("O2");
        b["iccid"] = json!(iccid(Network::O2, 2_000 + n));
        add(app, &token, &b).await;
        app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order})).await;
        orders.push(order);
    }
    // O2 refuses every mobile, Vodafone accepts: each order ends
    // PartiallyCompleted, all in batches of 16 jobs.
    let refusing = common::refusing();
    let worker = app.worker_per_network(HashMap::from([
        (Network::Vodafone, SimConfig::instant()),
        (Network::O2, refusing),
    ]));
    assert_eq!(worker.drain().await.unwrap(), 20);
    for order in &orders {
        let d = details(app, &token, *order).await;
        assert_eq!(d["status"], "PartiallyCompleted", "{d}");
        let h: Vec<&str> = d["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["toStatus"].as_str().unwrap())
            .collect();
        assert_eq!(h, ["Draft", "Submitted", "InProgress", "PartiallyCompleted"]);
        assert_eq!(d["history"][3]["note"], "1 live, 1 refused");
        let live = d["mobiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["network"] == "Vodafone")
            .unwrap()
            .clone();
        let (s, conn) = app
            .get(
                &token,
                &format!(
                    "/api/Connections/GetConnectionByCLI?cli={}",
                    live["cli"].as_str().unwrap()
                ),
            )
            .await;
        assert_eq!((s, &conn["contractId"]), (200, &live["contractId"]));
    }
    assert_eq!(
        app.store.carrier_ops().count_carrier_operations().await.unwrap(),
        40,
        "one network call per mobile"
    );
    assert_eq!(app.store.jobs().jobs_in_state("done").await.unwrap().len(), 20);
    assert_eq!(worker.drain().await.unwrap(), 0);
}
