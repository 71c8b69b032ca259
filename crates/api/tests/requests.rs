//! Request objects on live connections: bars and bundles, answered Pending
//! and carried out by the worker through the network; conflicts, the
//! stolen bar, network refusals (connection unchanged, task raised),
//! exactly-once completion, and cross-partner isolation.

mod common;

use common::{Answer, TestApp};
use serde::Serialize;
use serde_json::{json, Value};
use test_macros::backend_test;

/// A Vodafone contract of the demo partner Northern (with no bars yet),
/// its network's bars, and its id.
async fn vodafone_contract(app: &TestApp, token: &str) -> (Value, Vec<Value>, i64) {
    let customer = app.customer_of(app.north).await;
    let (_, conns) = app
        .get(token, &format!("/api/Connections/GetConnectionByCustomerId?customerId={customer}"))
        .await;
    let conn = conns["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["network"] == "Vodafone" && c["bars"].as_array().unwrap().is_empty())
        .expect("a Vodafone contract with no bars")
        .clone();
    let (_, bars) = app.get(token, "/api/Bars/ListBarsForNetwork?network=Vodafone").await;
    let id = conn["contractId"].as_i64().unwrap();
    (conn, bars["items"].as_array().unwrap().clone(), id)
}

fn bar_id(bars: &[Value], suffix: &str) -> i64 {
    bars.iter().find(|b| b["barSuffix"] == suffix).unwrap()["barId"].as_i64().unwrap()
}

/// Adds or removes a bar on a contract (AddOrRemoveBar).
async fn bar(
    app: &TestApp,
    token: &str,
    contract: impl Serialize,
    bar: impl Serialize,
    action: &str,
) -> (u16, Value) {
    let body = json!({"contractId": contract, "barId": bar, "action": action});
    app.post(token, "/api/Bars/AddOrRemoveBar", &body).await
}

/// Adds (`"Add"`) or removes (`"Remove"`) a bundle on a contract.
async fn bundle(
    app: &TestApp,
    token: &str,
    verb: &str,
    contract: impl Serialize,
    option: impl Serialize,
) -> (u16, Value) {
    let body = json!({"contractId": contract, "tariffOptionId": option});
    app.post(token, &format!("/api/Bundles/{verb}Bundle"), &body).await
}

async fn conn_now(app: &TestApp, token: &str, conn: &Value) -> Value {
    app.get(
        token,
        &format!("/api/Connections/GetConnectionByCLI?cli={}", conn["cli"].as_str().unwrap()),
    )
    .await
    .1
}

#[backend_test]
async fn a_bar_is_added_when_the_network_confirms(app: &TestApp) {
    let token = app.north_token().await;
    let (conn, bars, contract) = vodafone_contract(app, &token).await;
    let prm = bar_id(&bars, "PRM");
    let r = bar(app, &token, contract, prm, "Add").await.is(202);
    assert_eq!(
        (r["status"].as_str(), r["type"].as_str(), r["contractId"].as_i64()),
        (Some("Pending"), Some("AddBar"), Some(contract))
    );
    let request = r["requestId"].as_i64().unwrap();
    assert!(request >= 800_000);
    assert!(
        conn_now(app, &token, &conn).await["bars"].as_array().unwrap().is_empty(),
        "not before the network confirms"
    );
    // A second, conflicting request while the first is open.
    bar(app, &token, contract, prm, "Add").await.refused(409, "already open");

    assert_eq!(app.drain().await, 1);
    let (_, done) = app.get(&token, &format!("/api/Requests/GetRequest?requestId={request}")).await;
    assert_eq!(done["status"], "Completed");
    assert!(done["completedAt"].is_string());
    let now = conn_now(app, &token, &conn).await;
    assert_eq!(now["bars"][0]["barSuffix"], "PRM");
    let (_, list) = app
        .get(&token, &format!("/api/Requests/GetRequestsForContract?contractId={contract}"))
        .await;
    assert_eq!(list["items"][0]["requestId"], request);

    // Adding it again, or removing a bar that is off, conflicts.
    bar(app, &token, contract, prm, "Add").await.refused(409, "already on");
    bar(app, &token, contract, bar_id(&bars, "ROAM"), "Remove").await.refused(409, "not on");
    bar(app, &token, contract, prm, "remove").await.is(202);
    app.drain().await;
    assert!(conn_now(app, &token, &conn).await["bars"].as_array().unwrap().is_empty());
}

#[backend_test]
async fn bad_changes_name_the_problem(app: &TestApp) {
    let token = app.north_token().await;
    let (conn, _, contract) = vodafone_contract(app, &token).await;
    let (_, ee_bars) = app.get(&token, "/api/Bars/ListBarsForNetwork?network=EE").await;
    let ee_bar = ee_bars["items"][0]["barId"].as_i64().unwrap();
    let unknown = json!({"contractId": contract, "tariffId": 9_999_999});
    app.post(&token, "/api/Tariffs/ChangeTariff", &unknown)
        .await
        .refused(400, "tariffId: there is no tariff 9999999");
    bar(app, &token, contract, ee_bar, "Add").await.refused(400, "barId");
    bar(app, &token, contract, ee_bar, "Toggle").await.refused(400, "action");
    bar(app, &token, 0, ee_bar, "Add").await.refused(400, "contractId");
    bar(app, &token, 9999999, ee_bar, "Add").await.refused(404, "contract 9999999");
    let (_, tariff_bundles) = app
        .get(
            &token,
            &format!("/api/Bundles/ListBundlesForTariff?tariffId={}", conn["tariff"]["tariffId"]),
        )
        .await;
    let allowed: Vec<i64> = common::ids(&tariff_bundles, "tariffOptionId");
    let (_, vf_bundles) =
        app.get(&token, "/api/Bundles/ListBundlesForNetwork?network=Vodafone").await;
    if let Some(not_allowed) = vf_bundles["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["tariffOptionId"].as_i64().unwrap())
        .find(|b| !allowed.contains(b))
    {
        bundle(app, &token, "Add", contract, not_allowed).await.refused(400, "tariffOptionId");
    }
    bundle(app, &token, "Add", contract, 1).await.refused(400, "tariffOptionId");
    let on: Vec<i64> = conn["bundles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["tariffOptionId"].as_i64().unwrap())
        .collect();
    if let Some(off) = allowed.iter().find(|b| !on.contains(b)) {
        bundle(app, &token, "Remove", contract, off).await.refused(409, "not on");
    }
    app.get(&token, "/api/Requests/GetRequest").await.refused(400, "requestId");
    app.get(&token, "/api/Requests/GetRequest?requestId=1").await.refused(404, "request 1");
}

#[backend_test]
async fn bundles_and_the_stolen_bar(app: &TestApp) {
    let token = app.north_token().await;
    let (conn, bars, contract) = vodafone_contract(app, &token).await;
    let (_, tariff_bundles) = app
        .get(
            &token,
            &format!("/api/Bundles/ListBundlesForTariff?tariffId={}", conn["tariff"]["tariffId"]),
        )
        .await;
    let on: Vec<i64> = conn["bundles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["tariffOptionId"].as_i64().unwrap())
        .collect();
    let option = tariff_bundles["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["tariffOptionId"].as_i64().unwrap())
        .find(|b| !on.contains(b))
        .unwrap();
    bundle(app, &token, "Add", contract, option).await.is(202);
    app.drain().await;
    let now = conn_now(app, &token, &conn).await;
    assert!(now["bundles"].as_array().unwrap().iter().any(|b| b["tariffOptionId"] == option));

    // Barred as stolen: nothing but removing that bar.
    let stolen = bar_id(&bars, "STOLEN");
    bar(app, &token, contract, stolen, "Add").await;
    app.drain().await;
    bundle(app, &token, "Remove", contract, option).await.refused(402, "stolen");
    bar(app, &token, contract, bar_id(&bars, "PRM"), "Add").await.refused(402, "stolen");
    bar(app, &token, contract, stolen, "Remove").await.is(202);
    app.drain().await;
    let (s, _) = bundle(app, &token, "Remove", contract, option).await;
    assert_eq!(s, 202, "changes are allowed again");
}

#[backend_test]
async fn a_refused_request_leaves_the_connection_and_raises_a_task(app: &TestApp) {
    let token = app.north_token().await;
    let (conn, bars, contract) = vodafone_contract(app, &token).await;
    let (_, r) = bar(app, &token, contract, bar_id(&bars, "ROAM"), "Add").await;
    let request = r["requestId"].as_i64().unwrap();
    app.drain_refused().await;
    let (_, done) = app.get(&token, &format!("/api/Requests/GetRequest?requestId={request}")).await;
    assert_eq!(done["status"], "Rejected");
    assert!(!done["reason"].as_str().unwrap().is_empty());
    assert!(
        conn_now(app, &token, &conn).await["bars"].as_array().unwrap().is_empty(),
        "exactly as it was"
    );
    let (_, diary) = app
        .get(&token, &format!("/api/Tasks/GetTasksForCustomer?customerId={}", conn["customerId"]))
        .await;
    let t = diary["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["contractId"] == contract)
        .expect("a task on the contract")
        .clone();
    assert_eq!(t["subject"], format!("Request {request} (AddBar) was rejected"));
    assert_eq!((t["diaryTypeId"].as_i64(), t["diaryTaskId"].as_i64()), (Some(5), Some(502)));
    assert_eq!(t["body"], done["reason"]);

    // Finishing a request twice changes the connection once.
    let (_, r) = bar(app, &token, contract, bar_id(&bars, "DATA"), "Add").await;
    let id = r["requestId"].as_i64().unwrap();
    let ok = store::orders::Outcome::Activated {
        cli: None,
        network_reference: "VF-TEST".into(),
        esim_activation_code: None,
        eid: None,
        effective_date: app.today(),
    };
    let core = app::App::new(app.store.clone());
    assert!(core.finish_change("test", id, &ok).await.unwrap(), "finished now");
    assert!(!core.finish_change("test", id, &ok).await.unwrap(), "finished already");
    assert_eq!(conn_now(app, &token, &conn).await["bars"].as_array().unwrap().len(), 1);
}

#[backend_test]
async fn another_partners_contract_and_requests_are_404(app: &TestApp) {
    let north = app.north_token().await;
    let capital = app.capital_token().await;
    let (_, bars, contract) = vodafone_contract(app, &north).await;
    let (_, r) = bar(app, &north, contract, bar_id(&bars, "PRM"), "Add").await;
    bar(app, &capital, contract, bar_id(&bars, "INT"), "Add").await.refused(404, "contract");
    app.get(&capital, &format!("/api/Requests/GetRequest?requestId={}", r["requestId"]))
        .await
        .refused(404, "request");
    app.get(&capital, &format!("/api/Requests/GetRequestsForContract?contractId={contract}"))
        .await
        .refused(404, "contract");
    let scopeless = app.token(app.north, "orders").await;
    assert_eq!(bundle(app, &scopeless, "Add", contract, 301).await.0, 403);
}

#[backend_test]
async fn tariff_changes_follow_the_rules(app: &TestApp) {
    let token = app.north_token().await;
    let (conn, _, contract) = vodafone_contract(app, &token).await;
    let current = conn["tariff"]["monthlyPence"].as_i64().unwrap();
    let (_, vf) = app.get(&token, "/api/Tariffs/ListTariffsForNetwork?network=Vodafone").await;
    let vf: Vec<Value> = vf["items"].as_array().unwrap().clone();
    let change = |tariff: i64, date: Option<String>| {
        let mut body = json!({"contractId": contract, "tariffId": tariff});
        if let Some(d) = date {
            body["effectiveDate"] = json!(d);
        }
        let (app, token) = (&app, &token);
        async move { app.post(token, "/api/Tariffs/ChangeTariff", &body).await }
    };
    // Refusals, each with its reason.
    let cheaper = vf
        .iter()
        .find(|t| t["monthlyPence"].as_i64().unwrap() < current)
        .expect("a cheaper Vodafone tariff");
    change(cheaper["tariffId"].as_i64().unwrap(), None).await.refused(402, "minimum term");
    let (_, o2) = app.get(&token, "/api/Tariffs/ListTariffsForNetwork?network=O2").await;
    change(o2["items"][0]["tariffId"].as_i64().unwrap(), None)
        .await
        .refused(402, "within its network");
    let retired = app
        .store
        .catalogue()
        .all_tariffs_for_network(domain::Network::Vodafone)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.retired)
        .unwrap();
    change(retired.id, None).await.refused(402, "retired");
    change(99_999, None).await.refused(400, "tariffId");
    change(conn["tariff"]["tariffId"].as_i64().unwrap(), None)
        .await
        .refused(402, "already on tariff");
    let yesterday = (app.today() - chrono::Days::new(1)).to_string();
    let (_, allowed) =
        app.get(&token, &format!("/api/Tariffs/GetTariffsForContract?contractId={contract}")).await;
    let target = allowed["items"][0]["tariffId"].as_i64().unwrap();
    change(target, Some(yesterday)).await.refused(400, "effectiveDate");

    // An allowed move, scheduled a week ahead: nothing happens until then.
    let day = app.today() + chrono::Days::new(7);
    let (s, r) = change(target, Some(day.to_string())).await;
    assert_eq!(
        (s, r["type"].as_str(), r["details"]["tariffId"].as_i64()),
        (202, Some("ChangeTariff"), Some(target))
    );
    change(target, None).await.refused(409, "already open");
    assert_eq!(app.drain().await, 0);
    app.clock.set(day.and_hms_opt(0, 1, 0).unwrap().and_utc());
    assert_eq!(app.drain().await, 1);
    let now = conn_now(app, &token, &conn).await;
    assert_eq!(now["tariff"]["tariffId"], target);
    assert_eq!(now["contractId"], contract);
    let (_, done) =
        app.get(&token, &format!("/api/Requests/GetRequest?requestId={}", r["requestId"])).await;
    assert_eq!(done["status"], "Completed");
}

#[backend_test]
async fn bill_caps_and_bundles_limit_tariff_changes(app: &TestApp) {
    let token = app.north_token().await;
    let (conn, _, contract) = vodafone_contract(app, &token).await;
    let (_, vf) = app.get(&token, "/api/Tariffs/ListTariffsForNetwork?network=Vodafone").await;
    let by_name = |name: &str| common::item_id(&vf, "name", name, "tariffId");
    // A data add-on, which unlimited-data tariffs do not take.
    let (_, bundles) = app
        .get(
            &token,
            &format!("/api/Bundles/ListBundlesForTariff?tariffId={}", conn["tariff"]["tariffId"]),
        )
        .await;
    let addon = bundles["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["category"] == "Data")
        .expect("the demo contract's tariff takes data add-ons")
        .clone();
    assert_eq!(conn["billCap"]["enabled"], true, "the demo contract has a bill cap");
    let got = app.post(&token, "/api/Tariffs/ChangeTariff", &json!({"contractId": contract, "tariffId": by_name("Business Unlimited Max (5G, EU roaming)")})).await;
    got.refused(402, "bill cap");
    bundle(app, &token, "Add", contract, &addon["tariffOptionId"]).await.is(202);
    app.drain().await;
    let got = app
        .post(
            &token,
            "/api/Tariffs/ChangeTariff",
            &json!({"contractId": contract, "tariffId": by_name("Business Unlimited")}),
        )
        .await;
    got.refused(402, "bundles not available");
    assert!(
        got.1["response_message"].as_str().unwrap().contains(addon["name"].as_str().unwrap()),
        "the bundle is named"
    );
}

#[backend_test]
async fn diverts_are_set_checked_and_overridden_by_cfu(app: &TestApp) {
    let token = app.north_token().await;
    let (conn, _, contract) = vodafone_contract(app, &token).await;
    let cli = conn["cli"].as_str().unwrap().to_owned();
    let set = |body: Value| {
        let (app, token) = (&app, &token);
        async move { app.post(token, "/api/Diverts/SetDivert", &body).await }
    };
    // Refusals name the field.
    set(json!({"contractId": contract, "divertType": "CFX", "destination": "01134960000"}))
        .await
        .refused(400, "divertType");
    set(json!({"contractId": contract, "divertType": "CFB", "destination": cli}))
        .await
        .refused(400, "destination");
    set(json!({"contractId": contract, "divertType": "CFB", "destination": "09098790000"}))
        .await
        .refused(400, "premium");
    set(json!({"contractId": contract, "divertType": "CFB", "destination": "12"}))
        .await
        .refused(400, "destination");
    set(json!({"contractId": contract, "divertType": "CFNRy", "destination": "01134960000", "noReplySeconds": 45})).await.refused(400, "noReplySeconds");
    set(json!({"contractId": contract, "divertType": "CFB", "destination": "01134960000", "noReplySeconds": 10})).await.refused(400, "noReplySeconds");
    app.post(
        &token,
        "/api/Diverts/RemoveDivert",
        &json!({"contractId": contract, "divertType": "CFB"}),
    )
    .await
    .refused(409, "no CFB divert");

    let (s, r) = set(
        json!({"contractId": contract, "divertType": "cfnry", "destination": "+44 113 496 0000"}),
    )
    .await;
    assert_eq!(
        (s, r["details"]["noReplySeconds"].as_i64(), r["details"]["destination"].as_str()),
        (202, Some(20), Some("01134960000"))
    );
    set(json!({"contractId": contract, "divertType": "CFB", "destination": "07700900999"})).await;
    app.drain().await;
    let (_, d) = app.get(&token, &format!("/api/Diverts/GetDiverts?contractId={contract}")).await;
    assert_eq!(d["diverts"].as_array().unwrap().len(), 2);
    assert!(d["diverts"].as_array().unwrap().iter().all(|x| x["inForce"] == true));

    // CFU overrides the conditional ones while it is set.
    set(json!({"contractId": contract, "divertType": "CFU", "destination": "01134960001"})).await;
    app.drain().await;
    let (_, d) = app.get(&token, &format!("/api/Diverts/GetDiverts?contractId={contract}")).await;
    let in_force = |k: &str| {
        d["diverts"].as_array().unwrap().iter().find(|x| x["divertType"] == k).unwrap()["inForce"]
            .as_bool()
            .unwrap()
    };
    assert!(in_force("CFU") && !in_force("CFB") && !in_force("CFNRy"));
    assert_eq!(
        conn_now(app, &token, &conn).await["diverts"].as_array().unwrap().len(),
        3,
        "GetConnectionByCLI shows them too"
    );
    app.post(
        &token,
        "/api/Diverts/RemoveDivert",
        &json!({"contractId": contract, "divertType": "CFU"}),
    )
    .await
    .is(202);
    app.drain().await;
    let (_, d) = app.get(&token, &format!("/api/Diverts/GetDiverts?contractId={contract}")).await;
    assert_eq!(d["diverts"].as_array().unwrap().len(), 2);
    assert!(d["diverts"].as_array().unwrap().iter().all(|x| x["inForce"] == true), "back in force");
    let capital = app.capital_token().await;
    app.get(&capital, &format!("/api/Diverts/GetDiverts?contractId={contract}"))
        .await
        .refused(404, "contract");
}

#[backend_test]
async fn a_sim_swap_replaces_the_sim_when_the_network_confirms(app: &TestApp) {
    let token = app.north_token().await;
    let (conn, _, contract) = vodafone_contract(app, &token).await;
    let cli = conn["cli"].as_str().unwrap().to_owned();
    let old = conn["sim"]["iccid"].as_str().unwrap().to_owned();
    let new = domain::sim::make_iccid(domain::Network::Vodafone, 770_001);
    let swap = |cli: String, iccid: String| {
        let (app, token) = (&app, &token);
        async move { app.post(token, "/api/Sims/ChangeSIM", &json!({"cli": cli, "iccid": iccid})).await }
    };
    // Refusals.
    swap(cli.clone(), domain::sim::make_iccid(domain::Network::O2, 1))
        .await
        .refused(400, "not a Vodafone SIM");
    swap(cli.clone(), "8944100000000000001".into()).await.refused(400, "iccid");
    swap("12345".into(), new.clone()).await.refused(400, "cli");
    swap("07700900998".into(), new.clone()).await.refused(404, "07700900998");
    swap(cli.clone(), old.clone()).await.refused(409, "already the SIM");
    let (_, others) = app
        .get(
            &token,
            &format!(
                "/api/Connections/GetConnectionByCustomerId?customerId={}",
                conn["customerId"]
            ),
        )
        .await;
    let taken = others["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contractId"] != contract && c["network"] == "Vodafone")
        .unwrap()["sim"]["iccid"]
        .as_str()
        .unwrap()
        .to_owned();
    swap(cli.clone(), taken).await.refused(409, "already in use on a live connection");

    let (s, r) = swap(format!("+44{}", &cli[1..]), new.clone()).await;
    assert_eq!(
        (s, r["type"].as_str(), r["details"]["previousIccid"].as_str()),
        (202, Some("ChangeSIM"), Some(old.as_str()))
    );
    swap(cli.clone(), domain::sim::make_iccid(domain::Network::Vodafone, 770_002))
        .await
        .refused(409, "already open");
    assert_eq!(
        conn_now(app, &token, &conn).await["sim"]["iccid"],
        old.as_str(),
        "not before the network confirms"
    );
    app.drain().await;
    assert_eq!(conn_now(app, &token, &conn).await["sim"]["iccid"], new.as_str());
    let audit = app.store.audit().audit_for("connection", &contract.to_string()).await.unwrap();
    let last =
        audit.iter().rev().find(|a| a.action == "ChangeSIM").expect("an audit row for the swap");
    assert!(
        last.before_json.as_deref().unwrap().contains(&old),
        "the old SIM is recorded as replaced"
    );
    assert!(last.after_json.as_deref().unwrap().contains(&new));
}
