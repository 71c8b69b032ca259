//! The corporate agreements face: its token path and each auth code with
//! its status, agreements, offers and products of the caller's own
//! partner only, paging, orders checked against the agreement, product,
//! offer and every configuration, an order's life from POST to COMPLETED
//! and to FAILED, idempotency, rate limits and unknown paths.

mod common;

use common::{TestApp, JWT_SECRET};
use provisioning::SimConfig;
use serde_json::{json, Value};
use test_macros::backend_test;

/// North's active agreement (Acme), North's ended one (Pennine), and
/// Capital's (Thames), as the demo seeds them.
const ACME: i64 = 5_538_579;
const PENNINE: i64 = 5_538_580;
const THAMES: i64 = 5_538_581;

/// The face's base path.
const V2: &str = "/corporate-agreements/v2";

/// A request on the face; answers status, body and headers.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    auth: Option<&str>,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = app.http.request(method, app.url(path));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{path} answered {status} non-JSON: {text}"));
    (status, body, headers)
}

/// A GET with a Bearer token; answers status, body and headers.
async fn get_full(
    app: &TestApp,
    token: &str,
    path: &str,
) -> (u16, Value, reqwest::header::HeaderMap) {
    call(app, reqwest::Method::GET, Some(&format!("Bearer {token}")), path, None).await
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let (s, b, _) = get_full(app, token, path).await;
    (s, b)
}

async fn order(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    let (s, b, _) = call(
        app,
        reqwest::Method::POST,
        Some(&format!("Bearer {token}")),
        &format!("{V2}/orders"),
        Some(body),
    )
    .await;
    (s, b)
}

/// Removes ACME's second product (as the demo seeds it).
fn remove_acme_product() -> Value {
    json!({"type": "REMOVE_PRODUCT", "agreementId": ACME, "productId": 2_799_030})
}

/// Places an order that must be taken; answers its id.
async fn placed(app: &TestApp, token: &str, body: &Value) -> String {
    let (s, placed) = order(app, token, body).await;
    assert_eq!(s, 200, "{placed}");
    placed[0]["orderId"].as_str().unwrap().to_owned()
}

#[track_caller]
fn coded(answer: &(u16, Value), status: u16, code: u64) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["code"], code, "{}", answer.1);
    assert!(answer.1["message"].is_string(), "{}", answer.1);
}

/// The face's own token path.
const TOKEN_PATH: &str = "/oauth/v2/token";

/// An access token from the face's own token path (form credentials).
async fn b2b_token(app: &TestApp, partner: i64) -> String {
    let (id, secret) = app.client(partner, "agreements").await;
    let form =
        [("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret)];
    let (status, body, _) = app.token_call(TOKEN_PATH, None, &form).await;
    assert_eq!(status, 200);
    body["access_token"].as_str().unwrap().to_owned()
}

#[backend_test]
async fn every_auth_failure_has_its_code_and_status(app: &TestApp) {
    let path = &format!("{V2}/agreements");
    let (s, b, _) = call(app, reqwest::Method::GET, None, path, None).await;
    coded(&(s, b), 401, 40102);
    let (s, b, _) = call(app, reqwest::Method::GET, Some("Basic dXNlcjpwYXNz"), path, None).await;
    coded(&(s, b), 401, 40107);
    let (s, b, _) = call(app, reqwest::Method::GET, Some("Bearer not-a-token"), path, None).await;
    coded(&(s, b), 401, 40105);
    let now = chrono::Utc::now().timestamp();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"iss": "switchboard", "sub": "sb_x", "cid": 1, "pid": app.north, "scope": "agreements", "iat": now - 7200, "exp": now - 3600}),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    coded(&get(app, &expired, path).await, 401, 40106);
    let no_scope = app.token(app.north, "customers").await;
    coded(&get(app, &no_scope, path).await, 403, 40301);

    // The token path: Basic or form credentials; a wrong secret is 40108.
    let (id, secret) = app.client(app.north, "agreements").await;
    let basic = Some((id.as_str(), secret.as_str()));
    let grant = [("grant_type", "client_credentials")];
    assert_eq!(app.token_call(TOKEN_PATH, basic, &grant).await.0, 200);
    let wrong =
        [("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", "wrong")];
    let (s, b, _) = app.token_call(TOKEN_PATH, None, &wrong).await;
    coded(&(s, b), 401, 40108);
    let password = [("grant_type", "password")];
    let (s, b, _) = app.token_call(TOKEN_PATH, basic, &password).await;
    coded(&(s, b), 400, 40001);
    // Unknown paths and methods are 40401.
    let token = b2b_token(app, app.north).await;
    coded(&get(app, &token, &format!("{V2}/nothing-here")).await, 404, 40401);
    let (s, b, _) = call(
        app,
        reqwest::Method::DELETE,
        Some(&format!("Bearer {token}")),
        &format!("{V2}/agreements"),
        None,
    )
    .await;
    assert_eq!((s, b["code"].as_u64()), (405, Some(40401)), "{b}");
}

#[backend_test]
async fn a_partner_sees_its_own_agreements_offers_and_products(app: &TestApp) {
    let token = b2b_token(app, app.north).await;
    let (s, list, h) = get_full(app, &token, &format!("{V2}/agreements")).await;
    assert_eq!(s, 200, "{list}");
    let ids: Vec<i64> =
        list.as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![ACME, PENNINE]);
    assert_eq!(h["x-total-count"], "2");
    assert_eq!(
        list[0]["owner"],
        json!({"organizationNumber": "912345688", "name": "Acme Widgets Ltd"})
    );
    assert_eq!(list[0]["status"], "ACTIVE");
    let (_, page) = get(app, &token, &format!("{V2}/agreements?page=1&pageSize=1")).await;
    assert_eq!(page[0]["id"], PENNINE);
    for bad in ["page=-1", "pageSize=0", "pageSize=1001", "pageSize=ten", "since=-5"] {
        coded(&get(app, &token, &format!("{V2}/agreements?{bad}")).await, 400, 40001);
    }
    let (_, recent) = get(app, &token, &format!("{V2}/agreements?since=86400")).await;
    assert_eq!(recent.as_array().unwrap().len(), 2, "seeded just now");

    let (s, one) = get(app, &token, &format!("{V2}/agreements/{ACME}")).await;
    assert_eq!((s, &one["category"]), (200, &json!("MOBILE_BUSINESS_NETWORK")));
    coded(&get(app, &token, &format!("{V2}/agreements/{THAMES}")).await, 404, 404001);
    coded(&get(app, &token, &format!("{V2}/agreements/abc")).await, 400, 400001);

    let (s, offers) = get(app, &token, &format!("{V2}/agreements/{ACME}/product-offers")).await;
    assert_eq!(s, 200);
    assert_eq!(offers.as_array().unwrap().len(), 3);
    let f2m =
        offers.as_array().unwrap().iter().find(|o| o["productOfferingId"] == "13885").unwrap();
    assert_eq!(
        f2m["configurations"][0],
        json!({"id": 6430, "name": "Mobile number", "type": "msisdn", "required": true})
    );
    let (s, products) = get(app, &token, &format!("{V2}/agreements/{ACME}/products")).await;
    assert_eq!(s, 200);
    assert_eq!(products.as_array().unwrap().len(), 2, "{products}");
    assert_eq!(
        products[0]["configurations"][2],
        json!({"id": 6140, "name": "Invoice account", "value": "11175198"})
    );
    coded(&get(app, &token, &format!("{V2}/agreements/{THAMES}/products")).await, 404, 404001);
    coded(
        &get(app, &token, &format!("{V2}/agreements/{THAMES}/product-offers")).await,
        404,
        404001,
    );
}

#[backend_test]
async fn an_order_goes_from_received_to_completed(app: &TestApp) {
    let token = b2b_token(app, app.north).await;
    let add = json!({"type": "ADD_PRODUCT", "agreementId": ACME.to_string(), "productOfferingId": "13885",
        "configurations": [{"id": 6430, "value": "+47 912 34 567"}, {"id": 6431, "value": "22334455"}, {"id": 6140, "value": "11175198"}]});
    let id = placed(app, &token, &add).await;
    assert_eq!(id.len(), 12);
    let (_, o) = get(app, &token, &format!("{V2}/orders/{id}")).await;
    assert_eq!((&o["status"], &o["type"]), (&json!("RECEIVED"), &json!("ADD_PRODUCT")));
    let (_, before) = get(app, &token, &format!("{V2}/agreements/{ACME}/products")).await;
    assert_eq!(before.as_array().unwrap().len(), 2, "nothing changes before completion");
    app.drain().await;
    let (_, o) = get(app, &token, &format!("{V2}/orders/{id}")).await;
    assert_eq!(o["status"], "COMPLETED", "{o}");
    assert!(o["completedAt"].is_string());
    let (_, after) = get(app, &token, &format!("{V2}/agreements/{ACME}/products")).await;
    let added = after
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["productOfferingId"] == "13885")
        .expect("added");
    assert_eq!(
        added["configurations"][0]["value"], "91234567",
        "the number as the network keeps it"
    );

    // An update changes only what it names; a removal keeps the product, removed.
    placed(app, &token, &json!({"type": "UPDATE_PRODUCT", "agreementId": ACME, "productId": 2_799_029, "configurations": [{"id": 6140, "value": "11175199"}]})).await;
    placed(app, &token, &remove_acme_product()).await;
    app.drain().await;
    let (_, after) = get(app, &token, &format!("{V2}/agreements/{ACME}/products")).await;
    let p =
        |id: i64| after.as_array().unwrap().iter().find(|p| p["productId"] == id).unwrap().clone();
    assert_eq!(p(2_799_029)["configurations"][2]["value"], "11175199");
    assert_eq!(p(2_799_029)["configurations"][0]["value"], "jane@acme.example");
    assert_eq!(p(2_799_030)["status"], "REMOVED");
    // A removed product takes no more orders.
    coded(&order(app, &token, &remove_acme_product()).await, 400, 400002);

    let (s, list, h) = get_full(app, &token, &format!("{V2}/orders?agreementId={ACME}")).await;
    assert_eq!(s, 200);
    assert_eq!(h["x-total-count"], "3");
    assert_eq!(list[2]["orderId"], id.as_str(), "newest first");
    // Another partner sees none of it.
    let other = b2b_token(app, app.capital).await;
    coded(&get(app, &other, &format!("{V2}/orders/{id}")).await, 404, 40401);
    coded(&get(app, &other, &format!("{V2}/orders?agreementId={ACME}")).await, 404, 404001);
    coded(&get(app, &token, &format!("{V2}/orders/12")).await, 404, 40401);
    coded(&get(app, &token, &format!("{V2}/orders")).await, 400, 400001);

    // Idempotency-Key: a retry answers the first order.
    let keyed = |key: &str, body: &Value| {
        app.http
            .post(app.url(&format!("{V2}/orders")))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(body)
            .send()
    };
    let update = json!({"type": "UPDATE_PRODUCT", "agreementId": ACME, "productId": 2_799_029, "configurations": [{"id": 6425, "value": "20GB"}]});
    let first = keyed("po-1", &update).await.unwrap();
    let first_body: Value = first.json().await.unwrap();
    let again = keyed("po-1", &update).await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first_body);

    // A retry once the order is carried out answers the first order too,
    // although the same order could not be placed now: the product it
    // removed is gone.
    let remove = json!({"type": "REMOVE_PRODUCT", "agreementId": ACME, "productId": 2_799_029});
    let first = keyed("po-2", &remove).await.unwrap();
    assert_eq!(first.status(), 200);
    let first_body: Value = first.json().await.unwrap();
    app.drain().await;
    let again = keyed("po-2", &remove).await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first_body);
    coded(&order(app, &token, &remove).await, 400, 400002);
}

#[backend_test]
async fn an_order_the_network_refuses_fails_with_its_reason(app: &TestApp) {
    let token = b2b_token(app, app.north).await;
    let id = placed(app, &token, &json!({"type": "UPDATE_PRODUCT", "agreementId": ACME, "productId": 2_799_029, "configurations": [{"id": 6140, "value": "99999999"}]})).await;
    app.drain_refused().await;
    let (_, o) = get(app, &token, &format!("{V2}/orders/{id}")).await;
    assert_eq!(o["status"], "FAILED", "{o}");
    assert!(o["failureReason"].as_str().unwrap().len() > 5, "{o}");
    let (_, products) = get(app, &token, &format!("{V2}/agreements/{ACME}/products")).await;
    let p = products.as_array().unwrap().iter().find(|p| p["productId"] == 2_799_029).unwrap();
    assert_eq!(p["configurations"][2]["value"], "11175198", "unchanged");
}

#[backend_test]
async fn orders_are_checked_before_they_are_taken(app: &TestApp) {
    let token = b2b_token(app, app.north).await;
    let add = |agreement: i64, offer: &str, confs: Value| json!({"type": "ADD_PRODUCT", "agreementId": agreement, "productOfferingId": offer, "configurations": confs});
    let good =
        json!([{"id": 6421, "value": "new.user@acme.example"}, {"id": 6140, "value": "11175198"}]);
    coded(&order(app, &token, &add(THAMES, "13884", good.clone())).await, 404, 404001);
    coded(
        &order(
            app,
            &token,
            &add(
                PENNINE,
                "13883",
                json!([{"id": 6420, "value": "a@b.no"}, {"id": 6140, "value": "11175198"}]),
            ),
        )
        .await,
        400,
        400001,
    );
    coded(&order(app, &token, &add(ACME, "99999", good.clone())).await, 400, 400002);
    coded(&order(app, &token, &json!({"type": "UPDATE_PRODUCT", "agreementId": ACME, "productId": 2_799_031, "configurations": [{"id": 6140, "value": "11175198"}]})).await, 400, 400002);
    for (confs, says) in [
        (
            json!([{"id": 6421, "value": "not-an-email"}, {"id": 6140, "value": "11175198"}]),
            "configurations[id=6421]",
        ),
        (json!([{"id": 6140, "value": "11175198"}]), "configurations[id=6421]"),
        (
            json!([{"id": 6421, "value": "a@b.no"}, {"id": 6140, "value": "1234"}]),
            "configurations[id=6140]",
        ),
        (
            json!([{"id": 6421, "value": "a@b.no"}, {"id": 6422, "value": "Gold"}, {"id": 6140, "value": "11175198"}]),
            "configurations[id=6422]",
        ),
        (
            json!([{"id": 6421, "value": "a@b.no"}, {"id": 7777, "value": "x"}]),
            "configurations[id=7777]",
        ),
    ] {
        let answer = order(app, &token, &add(ACME, "13884", confs)).await;
        coded(&answer, 400, 40001);
        assert!(answer.1["message"].as_str().unwrap().contains(says), "{}", answer.1);
    }
    let bad_msisdn = json!([{"id": 6430, "value": "21234567"}, {"id": 6431, "value": "22334455"}, {"id": 6140, "value": "11175198"}]);
    let answer = order(app, &token, &add(ACME, "13885", bad_msisdn)).await;
    coded(&answer, 400, 40001);
    assert!(answer.1["message"].as_str().unwrap().contains("configurations[id=6430]"));
    coded(&order(app, &token, &json!({"type": "BUY", "agreementId": ACME})).await, 400, 40001);
    coded(&order(app, &token, &json!({"agreementId": ACME})).await, 400, 40001);
    coded(
        &order(
            app,
            &token,
            &json!({"type": "ADD_PRODUCT", "agreementId": "x", "productOfferingId": "13884"}),
        )
        .await,
        400,
        400001,
    );
    let (s, b) = order(app, &token, &json!("not an order")).await;
    coded(&(s, b), 400, 40001);
    // Nothing was taken.
    let (_, list) = get(app, &token, &format!("{V2}/orders?agreementId={ACME}")).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn rate_limits_answer_spike_arrest_and_quota_codes() {
    let app = TestApp::start_configured("sqlite", |c| {
        c.guard = api::guard::GuardConfig {
            limits: api::guard::Limits { per_second: 2, quota: 3, quota_window_secs: 3600 },
            ..Default::default()
        }
    })
    .await;
    let token = b2b_token(&app, app.north).await;
    let path = &format!("{V2}/agreements");
    assert_eq!(get(&app, &token, path).await.0, 200);
    assert_eq!(get(&app, &token, path).await.0, 200);
    let (s, b, h) =
        call(&app, reqwest::Method::GET, Some(&format!("Bearer {token}")), path, None).await;
    coded(&(s, b), 429, 42902);
    assert!(h.contains_key("retry-after"));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(get(&app, &token, path).await.0, 200);
    let (s, b, h) =
        call(&app, reqwest::Method::GET, Some(&format!("Bearer {token}")), path, None).await;
    coded(&(s, b), 429, 42901);
    assert!(h.contains_key("retry-after"));
    app.stop().await;
}

#[backend_test]
async fn customers_carry_a_checked_organisation_number(app: &TestApp) {
    let token = app.token(app.north, "customers").await;
    let customer = |org: &str| {
        json!({"companyName": "Fjord Fisk AS", "organizationNumber": org,
               "contact": {"name": "Kari Nordmann", "email": "kari@fjordfisk.example"},
               "address": {"lines": ["1 High Street"], "town": "Leeds", "postcode": "LS1 4AP"}})
    };
    let (s, bad) = app.post(&token, "/api/Customers/CreateCustomer", &customer("912345687")).await;
    assert_eq!((s, bad["field"].as_str()), (400, Some("organizationNumber")), "{bad}");
    let (s, made) =
        app.post(&token, "/api/Customers/CreateCustomer", &customer("912 345 688")).await;
    assert_eq!(s, 201, "{made}");
    let (_, got) = app
        .get(
            &token,
            &format!("/api/Customers/GetCustomerDetails?customerId={}", made["customerId"]),
        )
        .await;
    assert_eq!(got["organizationNumber"], "912345688");
}

#[backend_test]
async fn an_orders_status_changes_are_webhook_events(app: &TestApp) {
    // A receiver that keeps what it is sent.
    let got: std::sync::Arc<std::sync::Mutex<Vec<Value>>> = Default::default();
    let keep = got.clone();
    let rx = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push(serde_json::from_str(&body).unwrap());
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, rx).await });
    // The agreements scope alone may register for its events.
    let web = app.token(app.north, "agreements").await;
    let (s, hook) = app
        .post(
            &web,
            "/api/Webhooks/CreateWebhook",
            &json!({"url": url, "eventTypes": ["agreementOrder.statusChanged"]}),
        )
        .await;
    assert_eq!(s, 201, "{hook}");
    let token = b2b_token(app, app.north).await;
    let id = placed(app, &token, &remove_acme_product()).await;
    app.drain().await;
    app.drain().await;
    let mut moves: Vec<(Value, Value)> = got
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["orderId"] == id.as_str())
        .map(|e| (e["data"]["from"].clone(), e["data"]["to"].clone()))
        .collect();
    moves.sort_by_key(|m| m.1.to_string());
    assert_eq!(
        moves,
        [
            (json!("IN_PROGRESS"), json!("COMPLETED")),
            (json!("RECEIVED"), json!("IN_PROGRESS")),
            (json!(null), json!("RECEIVED")),
        ]
    );
}

#[backend_test]
async fn an_order_the_network_never_answers_fails_when_its_attempts_run_out(app: &TestApp) {
    let token = b2b_token(app, app.north).await;
    let id = placed(app, &token, &remove_acme_product()).await;
    app.clock.set(app.now());
    let faulty = app.worker_with(SimConfig { fault_rate: 1.0, ..SimConfig::instant() });
    faulty.drain().await.unwrap();
    let (_, o) = get(app, &token, &format!("{V2}/orders/{id}")).await;
    assert_eq!(o["status"], "IN_PROGRESS", "retried, not failed: {o}");
    // Past every backoff (at most 5 minutes apart).
    for _ in 0..10 {
        app.clock.advance(chrono::Duration::minutes(6));
        faulty.drain().await.unwrap();
    }
    let (_, o) = get(app, &token, &format!("{V2}/orders/{id}")).await;
    assert_eq!(o["status"], "FAILED", "{o}");
    assert!(o["failureReason"].as_str().unwrap().contains("did not answer"), "{o}");
    let (_, products) = get(app, &token, &format!("{V2}/agreements/{ACME}/products")).await;
    let p = products.as_array().unwrap().iter().find(|p| p["productId"] == 2_799_030).unwrap();
    assert_eq!(p["status"], "ACTIVE", "a failed removal removes nothing");
}
