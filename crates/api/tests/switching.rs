//! Switching (PAC, STAC, INFO) and eSIM requests: codes issued by the
//! network with the switching information, one valid code of a kind at a
//! time, a code used by a gaining provider ending the connection, eSIM
//! activation codes and the EID once known, refusals and cross-partner
//! isolation.

mod common;

use common::{Answer, TestApp};
use domain::Network;
use provisioning::{SimConfig, SimulatedNetwork};
use serde_json::{json, Value};
use test_macros::backend_test;

async fn request(app: &TestApp, token: &str, path: &str, contract: i64) -> (u16, Value) {
    app.post(token, path, &json!({"contractId": contract})).await
}

async fn get_request(app: &TestApp, token: &str, id: &Value) -> Value {
    let r = app.get(token, &format!("/api/Requests/GetRequest?requestId={id}")).await.is(200);
    r
}

async fn connection(app: &TestApp, token: &str, cli: &str) -> Value {
    let c = app.get(token, &format!("/api/Connections/GetConnectionByCLI?cli={cli}")).await.is(200);
    c
}

fn network(app: &TestApp, n: Network) -> SimulatedNetwork {
    SimulatedNetwork::new(n, SimConfig::instant(), app.store.clone())
}

#[backend_test]
async fn a_pac_is_issued_once_with_the_switching_information_and_ports_the_number_out(
    app: &TestApp,
) {
    let token = app.north_token().await;
    let conn = app.connection_on(app.north, Network::Vodafone).await;
    let before = connection(app, &token, &conn.cli).await;

    let pac = request(app, &token, "/api/Pacs/RequestPac", conn.id).await.is(202);
    assert_eq!(
        (pac["type"].as_str(), pac["status"].as_str()),
        (Some("RequestPac"), Some("Pending"))
    );
    let d = &pac["details"];
    let today = app.today();
    let months = domain::switching::remaining_months(today, conn.contract_end_date);
    assert_eq!(d["contractEndDate"], json!(conn.contract_end_date));
    assert_eq!(d["remainingMonths"], months);
    assert_eq!(d["monthlyPence"], conn.tariff_monthly_pence);
    assert_eq!(d["earlyTerminationChargePence"], months * conn.tariff_monthly_pence);
    assert_eq!(d["outstandingBalancePence"], before["outstandingBalancePence"]);
    assert!(months > 0, "a demo contract is inside its term");

    // Asking again while it is open answers the same request.
    let (s, again) = request(app, &token, "/api/Pacs/RequestPac", conn.id).await;
    assert_eq!((s, &again["requestId"]), (200, &pac["requestId"]));

    app.drain().await;
    let done = get_request(app, &token, &pac["requestId"]).await;
    assert_eq!(done["status"], "Completed", "{done}");
    let code = done["result"]["code"].as_str().unwrap().to_owned();
    assert_eq!(domain::switching::parse_pac(&code, "code").unwrap(), code);
    let issued: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(done["result"]["issuedAt"].clone()).unwrap();
    let until: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(done["result"]["validUntil"].clone()).unwrap();
    assert_eq!(until - issued, chrono::Duration::days(30));

    // A valid code: asking again answers it, not a second code.
    let (s, again) = request(app, &token, "/api/Pacs/RequestPac", conn.id).await;
    assert_eq!(
        (s, &again["requestId"], again["result"]["code"].as_str()),
        (200, &pac["requestId"], Some(code.as_str()))
    );
    assert_eq!(app.drain().await, 0, "nothing new to do");

    // A STAC and INFO are requests of their own.
    let stac = request(app, &token, "/api/Pacs/RequestStac", conn.id).await.is(202);
    let (s, info) = request(app, &token, "/api/Pacs/RequestInfo", conn.id).await;
    assert_eq!(
        (s, &info["details"]["earlyTerminationChargePence"]),
        (202, &d["earlyTerminationChargePence"])
    );
    app.drain().await;
    let stac = get_request(app, &token, &stac["requestId"]).await;
    let stac_code = stac["result"]["code"].as_str().unwrap().to_owned();
    assert_eq!(domain::switching::parse_stac(&stac_code, "code").unwrap(), stac_code);
    let info = get_request(app, &token, &info["requestId"]).await;
    assert_eq!((info["status"].as_str(), &info["result"]), (Some("Completed"), &Value::Null));

    let (s, list) =
        app.get(&token, &format!("/api/Pacs/GetSwitchingRequests?contractId={}", conn.id)).await;
    assert_eq!((s, list["total"].as_i64()), (200, Some(3)), "{list}");
    let kinds: Vec<&str> =
        list["items"].as_array().unwrap().iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["RequestInfo", "RequestStac", "RequestPac"], "newest first");
    let (s, by_customer) = app
        .get(&token, &format!("/api/Pacs/GetSwitchingRequests?customerId={}", conn.customer_id))
        .await;
    assert_eq!((s, by_customer["total"].as_i64()), (200, Some(3)));

    // A change waiting when the number ports out is refused after.
    let (s, bar) = app
        .post(
            &token,
            "/api/Bars/AddOrRemoveBar",
            &json!({"contractId": conn.id, "barId": 1, "action": "Add"}),
        )
        .await;
    let waiting = (s == 202).then(|| bar["requestId"].clone());

    // The gaining provider uses the PAC: the number ports out.
    let vodafone = network(app, Network::Vodafone);
    assert!(network(app, Network::O2).switch_out(&code).await.is_err(), "another network's code");
    assert_eq!(
        vodafone.switch_out(&code).await.unwrap(),
        (conn.id, domain::status::ConnectionStatus::PortedOut)
    );
    let after = connection(app, &token, &conn.cli).await;
    assert_eq!(after["status"], "PortedOut");
    assert!(after["endedAt"].is_string(), "{after}");
    let used = get_request(app, &token, &pac["requestId"]).await;
    assert!(used["result"]["usedAt"].is_string(), "{used}");
    assert!(
        matches!(
            vodafone.switch_out(&code).await,
            Err(app::Error::Rule(domain::Error::Conflict(_)))
        ),
        "used once"
    );
    assert!(vodafone.switch_out(&stac_code).await.is_err(), "the connection has ended");
    let audit = app.store.audit().audit_for("connection", &conn.id.to_string()).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "PortedOut" && a.actor == "network:Vodafone"));
    assert!(audit.iter().any(|a| a.action == "RequestPac"));

    request(app, &token, "/api/Pacs/RequestPac", conn.id).await.refused(409, "PortedOut");
    let change = json!({"contractId": conn.id, "divertType": "CFU", "destination": "01632960123"});
    let refused = app.post(&token, "/api/Diverts/SetDivert", &change).await;
    refused.refused(409, "only an Active connection takes changes");
    if let Some(id) = waiting {
        app.drain().await;
        let r = get_request(app, &token, &id).await;
        assert_eq!(r["status"], "Rejected", "{r}");
        assert!(r["reason"].as_str().unwrap().contains("only an Active connection takes changes"));
    }
}

#[backend_test]
async fn a_stac_ends_the_connection_and_codes_expire(app: &TestApp) {
    let token = app.north_token().await;
    let conn = app.connection_on(app.north, Network::Vodafone).await;
    let stac = request(app, &token, "/api/Pacs/RequestStac", conn.id).await.is(202);
    app.drain().await;
    let code = get_request(app, &token, &stac["requestId"]).await["result"]["code"]
        .as_str()
        .unwrap()
        .to_owned();

    // After 30 days the code is no longer valid: asking again would
    // issue a new one, and the gaining provider is refused.
    let later = app.now() + chrono::Duration::days(30) + chrono::Duration::seconds(1);
    assert!(app
        .store
        .requests()
        .current_switching_request(conn.id, "RequestStac", app.now())
        .await
        .unwrap()
        .is_some());
    assert!(app
        .store
        .requests()
        .current_switching_request(conn.id, "RequestStac", later)
        .await
        .unwrap()
        .is_none());
    let vodafone = network(app, Network::Vodafone);
    let today = app.now();
    app.clock.set(later);
    let expired = vodafone.switch_out(&code).await;
    app.clock.set(today);
    assert!(
        matches!(&expired, Err(app::Error::Rule(domain::Error::Refused { message: m, .. })) if m.contains("expired")),
        "{expired:?}"
    );
    assert!(matches!(
        vodafone.switch_out("ZZZ000000").await,
        Err(app::Error::Rule(domain::Error::NotFound(_)))
    ));
    let garbled = vodafone.switch_out("not a code").await;
    assert!(
        matches!(&garbled, Err(app::Error::Rule(e)) if e.field() == Some("code")),
        "{garbled:?}"
    );

    assert_eq!(
        network(app, Network::Vodafone).switch_out(&code.to_lowercase()).await.unwrap(),
        (conn.id, domain::status::ConnectionStatus::Ceased)
    );
    assert_eq!(connection(app, &token, &conn.cli).await["status"], "Ceased");
}

#[backend_test]
async fn switching_refusals_name_the_problem(app: &TestApp) {
    let token = app.north_token().await;
    let capital = app.capital_token().await;
    let conn = app.connection_on(app.north, Network::Vodafone).await;
    for path in ["/api/Pacs/RequestPac", "/api/Pacs/RequestStac", "/api/Pacs/RequestInfo"] {
        request(app, &capital, path, conn.id).await.refused(404, &format!("contract {}", conn.id));
        request(app, &token, path, 0).await.refused(400, "contractId");
        app.post(&token, path, &json!({"contractId": "x"})).await.refused(400, "contractId");
        app.post(&token, path, &json!({"contractId": conn.id, "code": 1}))
            .await
            .refused(400, "code");
    }
    app.get(&token, "/api/Pacs/GetSwitchingRequests")
        .await
        .refused(400, "contractId or customerId");
    app.get(&token, &format!("/api/Pacs/GetSwitchingRequests?contractId={}&customerId=1", conn.id))
        .await
        .refused(400, "not both");
    app.get(&token, "/api/Pacs/GetSwitchingRequests?contractId=abc")
        .await
        .refused(400, "contractId");
    app.get(&capital, &format!("/api/Pacs/GetSwitchingRequests?contractId={}", conn.id))
        .await
        .refused(404, "contract");
    app.get(&capital, &format!("/api/Pacs/GetSwitchingRequests?customerId={}", conn.customer_id))
        .await
        .refused(404, "customer");

    // A connection barred as stolen gives no code.
    let (_, bars) = app.get(&token, "/api/Bars/ListBarsForNetwork?network=Vodafone").await;
    let stolen =
        bars["items"].as_array().unwrap().iter().find(|b| b["barSuffix"] == "STOLEN").unwrap()
            ["barId"]
            .clone();
    app.post(
        &token,
        "/api/Bars/AddOrRemoveBar",
        &json!({"contractId": conn.id, "barId": stolen, "action": "Add"}),
    )
    .await
    .is(202);
    app.drain().await;
    request(app, &token, "/api/Pacs/RequestPac", conn.id).await.refused(402, "stolen");

    // A network that refuses leaves no code and raises a task.
    let other = app.connection_on(app.north, Network::Vodafone).await;
    let pac = request(app, &token, "/api/Pacs/RequestPac", other.id).await.is(202);
    app.drain_refused().await;
    let refused = get_request(app, &token, &pac["requestId"]).await;
    assert_eq!((refused["status"].as_str(), &refused["result"]), (Some("Rejected"), &Value::Null));
    let (_, tasks) = app
        .get(&token, &format!("/api/Tasks/GetTasksForCustomer?customerId={}", other.customer_id))
        .await;
    assert!(
        tasks["items"].as_array().unwrap().iter().any(|t| t["subject"]
            .as_str()
            .unwrap()
            .contains(&format!("Request {}", pac["requestId"]))),
        "{tasks}"
    );
    // Refused, so asking again asks the network again.
    assert_eq!(request(app, &token, "/api/Pacs/RequestPac", other.id).await.0, 202);
}

#[backend_test]
async fn an_esim_request_gives_an_activation_code_and_the_eid_once_known(app: &TestApp) {
    let token = app.north_token().await;
    let conn = app.connection_on(app.north, Network::Vodafone).await;
    let esim = |cli: String| {
        let (app, token) = (&app, &token);
        async move { app.post(token, "/api/Sims/CreateEsimRequest", &json!({"cli": cli})).await }
    };
    esim("0770".into()).await.refused(400, "cli");
    esim("07700900998".into()).await.refused(404, "07700900998");
    app.post(&app.capital_token().await, "/api/Sims/CreateEsimRequest", &json!({"cli": conn.cli}))
        .await
        .refused(404, &conn.cli);
    let mut checked = 0;
    for other in [Network::O2, Network::EE] {
        let mut found = None;
        for partner in [app.north, app.capital] {
            let vis = store::Visibility::Partner(partner);
            let page = domain::paging::PageRequest::new(None, Some(200)).unwrap();
            for c in app.store.customers().list_customers(vis, "", page).await.unwrap().0 {
                let rows = app.connections_of(vis, c.id, page).await.0;
                if let Some(r) = rows.into_iter().find(|r| r.network == other.as_str()) {
                    found = Some((partner, r));
                }
            }
        }
        if let Some((partner, r)) = found {
            let t = if partner == app.north { token.clone() } else { app.capital_token().await };
            app.post(&t, "/api/Sims/CreateEsimRequest", &json!({"cli": r.cli}))
                .await
                .refused(400, "Vodafone only");
            checked += 1;
        }
    }
    assert!(checked > 0, "an O2 or EE connection was tried");

    let (s, r) = esim(conn.cli.clone()).await;
    assert_eq!((s, r["type"].as_str()), (202, Some("CreateEsim")), "{r}");
    app.post(
        &token,
        "/api/Sims/ChangeSIM",
        &json!({"cli": conn.cli, "iccid": domain::sim::make_iccid(Network::Vodafone, 880_001)}),
    )
    .await
    .refused(409, "already open");
    assert_eq!(
        connection(app, &token, &conn.cli).await["sim"]["type"],
        "Physical",
        "not before the network confirms"
    );
    app.drain().await;
    let done = get_request(app, &token, &r["requestId"]).await;
    assert_eq!(done["status"], "Completed", "{done}");
    let code = done["result"]["activationCode"].as_str().unwrap();
    assert!(code.starts_with("LPA:1$rsp.vodafone.smdp.example$"), "{code}");
    assert_eq!(code.split('$').count(), 3);
    assert_eq!(done["result"]["eid"], Value::Null, "unknown until a device downloads it");
    let sim = connection(app, &token, &conn.cli).await["sim"].clone();
    assert_eq!((sim["type"].as_str(), &sim["iccid"]), (Some("eSIM"), &Value::Null), "{sim}");

    let eid = domain::sim::make_eid("890490320000000000000000000077");
    let vodafone = network(app, Network::Vodafone);
    assert!(vodafone.esim_downloaded(&conn.cli, "1234").await.is_err(), "not an EID");
    assert!(
        network(app, Network::O2).esim_downloaded(&conn.cli, &eid).await.is_err(),
        "another network"
    );
    assert_eq!(vodafone.esim_downloaded(&conn.cli, &eid).await.unwrap(), conn.id);
    assert_eq!(connection(app, &token, &conn.cli).await["sim"]["eid"], eid.as_str());
    assert_eq!(get_request(app, &token, &r["requestId"]).await["result"]["eid"], eid.as_str());
    let audit = app.store.audit().audit_for("connection", &conn.id.to_string()).await.unwrap();
    let row = audit.iter().find(|a| a.action == "CreateEsim").expect("audited");
    assert!(
        row.before_json.as_deref().unwrap().contains(conn.iccid.as_deref().unwrap()),
        "the replaced SIM is recorded"
    );
    assert!(audit.iter().any(|a| a.action == "EsimDownloaded"));
}
