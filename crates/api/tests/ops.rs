//! Operations and documentation: health, readiness, request ids, unknown
//! routes, the OpenAPI document (with its snapshot) and the docs page.

mod common;

use common::TestApp;
use serde_json::Value;
use test_macros::backend_test;

#[backend_test]
async fn health_readiness_and_request_ids(app: &TestApp) {
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 16);
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["database"], app.backend);
    // A sane incoming request id is kept; a silly one replaced.
    let r =
        app.http.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "a b<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "a b<script>");
    // Errors carry one too.
    let r = app.http.get(app.url("/api/Customers")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = common::TestApp::start("sqlite").await;
    app.store.close().await;
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = common::TestApp::start("sqlite").await;
    let r = app.http.get(app.url("/api/Nope/Nothing")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(body["response_message"].as_str().unwrap().contains("/api/Nope/Nothing"));
    let r = app.http.delete(app.url("/api/Customers/CreateCustomer")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let body: Value = r.json().await.unwrap();
    assert!(body["response_message"].as_str().unwrap().contains("DELETE"));
    app.stop().await;
}

#[tokio::test]
async fn openapi_is_served_and_documents_every_route() {
    let app = common::TestApp::start("sqlite").await;
    let (_, spec) = app.send(app.http.get(app.url("/openapi.json")), "/openapi.json").await;
    let paths = spec["paths"].as_object().unwrap();
    for p in [
        "/token",
        "/api/Customers/CreateCustomer",
        "/api/Customers/GetCustomerDetails",
        "/api/Customers",
        "/api/Connections/",
        "/api/Connections/GetConnectionByCLI",
        "/api/Connections/GetConnectionByCustomerId",
        "/api/Tariffs/ListTariffsForNetwork",
        "/api/Tariffs/GetTariffsForContract",
        "/api/Tariffs/BillCapEligibleTariffs",
        "/api/Bundles/ListBundlesForTariff",
        "/api/Bundles/ListBundlesForNetwork",
        "/api/Bars/ListBarsForNetwork",
        "/api/Appendix/Networks",
        "/api/Appendix/StatusIds",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
    let page = app.http.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains("/api/Connections/GetConnectionByCLI") && html.contains("CreateCustomer")
    );
    assert!(!html.contains("<script"), "the docs page loads nothing from elsewhere");
    app.stop().await;
}

/// Fails when the OpenAPI document changes without its snapshot being
/// updated; rerun with `UPDATE_SNAPSHOTS=1` to accept a change on purpose.
#[test]
fn openapi_snapshot() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    let current = api::openapi().to_pretty_json().unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &current).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path)
        .expect("tests/snapshots/openapi.json exists: run with UPDATE_SNAPSHOTS=1 once");
    assert!(stored == current, "the OpenAPI document changed; review it and rerun with UPDATE_SNAPSHOTS=1 to update tests/snapshots/openapi.json");
}

/// A body over the limit is refused in the face's own JSON shape, on the
/// token endpoint and the RADIUS endpoints too (not axum's plain text).
#[backend_test]
async fn oversized_bodies_answer_413_in_each_faces_shape(app: &TestApp) {
    let big = vec![b'a'; 2 * 1024 * 1024];
    let r = app
        .http
        .post(app.url("/token"))
        .basic_auth("sb_x", Some("y"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("limit"));
    let token = app.api_token(app.north, "isp").await;
    let r = app
        .http
        .post(app.url("/radius/authorize"))
        .header("X-Auth-Token", token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert!(body["reply:Reply-Message"].as_str().unwrap().contains("limit"), "{body}");
}
