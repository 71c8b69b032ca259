//! POST /token and the auth of every /api/ call: client credentials,
//! bearer tokens (expired, forged, revoked), scopes, legacy HTTP Basic.

mod common;

use common::{Answer, TestApp, JWT_SECRET};
use serde_json::Value;
use test_macros::backend_test;

async fn token_call(
    app: &common::TestApp,
    creds: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, Value, Option<String>) {
    app.token_call("/token", creds, form).await
}

#[backend_test]
async fn token_endpoint_issues_and_refuses(app: &TestApp) {
    let (id, secret) = app.client(app.north, "customers connections").await;
    let grant = [("grant_type", "client_credentials")];

    let (s, body, _) = token_call(app, Some((&id, &secret)), &grant).await;
    assert_eq!(s, 200);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "customers connections");
    assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 3, "a JWT");

    let (s, body, challenge) = token_call(app, None, &grant).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_client")));
    assert!(challenge.unwrap().starts_with("Basic"));

    let (s, body, _) = token_call(app, Some((&id, "wrong")), &grant).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_client")));
    assert_eq!(body["error_description"], "The client_id or client_secret is invalid.");

    let (s, body, _) = token_call(app, Some(("sb_nobody", &secret)), &grant).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_client")));

    let (s, body, _) = token_call(app, Some((&id, &secret)), &[]).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_request")));

    let (s, body, _) = token_call(app, Some((&id, &secret)), &[("grant_type", "password")]).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("unsupported_grant_type")));

    let (s, body, _) = token_call(
        app,
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "admin")],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_scope")));
    let (s, body, _) = token_call(
        app,
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "root")],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_scope")));

    // A narrower scope may be asked for.
    let (s, body, _) = token_call(
        app,
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "customers")],
    )
    .await;
    assert_eq!((s, body["scope"].as_str()), (200, Some("customers")));

    // A revoked client gets no token.
    app.store.credentials().revoke_client("test", &id).await.unwrap();
    let (s, body, _) = token_call(app, Some((&id, &secret)), &grant).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_client")));
}

fn forge(secret: &str, cid: i64, pid: i64, exp_offset: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({"iss": "switchboard", "sub": "sb_forged", "cid": cid, "pid": pid, "scope": "customers connections admin", "iat": now, "exp": now + exp_offset});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn api_call(app: &common::TestApp, auth: Option<&str>) -> (u16, Value) {
    let mut req = app.http.get(app.url("/api/Customers"));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[backend_test]
async fn bad_tokens_are_invalid_token(app: &TestApp) {
    let token = app.north_token().await;
    assert_eq!(api_call(app, Some(&format!("Bearer {token}"))).await.0, 200);

    let (s, body) = api_call(app, None).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_token")));

    let (s, body) = api_call(app, Some("Bearer not.a.jwt")).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_token")));

    let (s, body) = api_call(app, Some("Digest abc")).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_token")));

    // Signed with another key: refused, even though it claims admin.
    let cid = app.store.credentials().list_clients().await.unwrap()[0].id;
    let (s, body) = api_call(
        app,
        Some(&format!(
            "Bearer {}",
            forge("some-other-key-some-other-key-0000", cid, app.north, 600)
        )),
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_token")));
    assert!(body["error_description"].as_str().unwrap().contains("signature"));

    // Tampered payload: refused.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    api_call(app, Some(&format!("Bearer {}", parts.join(".")))).await.is(401);

    // Expired (signed with the right key): refused.
    let (s, body) =
        api_call(app, Some(&format!("Bearer {}", forge(JWT_SECRET, cid, app.north, -10)))).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_token")));
    assert!(body["error_description"].as_str().unwrap().contains("expired"));

    // Revoking the client ends its tokens.
    let (id, secret) = app.client(app.north, "customers").await;
    let (_, t, _) =
        token_call(app, Some((&id, &secret)), &[("grant_type", "client_credentials")]).await;
    let bearer = format!("Bearer {}", t["access_token"].as_str().unwrap());
    assert_eq!(api_call(app, Some(&bearer)).await.0, 200);
    app.store.credentials().revoke_client("test", &id).await.unwrap();
    let (s, body) = api_call(app, Some(&bearer)).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_token")));
    assert!(body["error_description"].as_str().unwrap().contains("revoked"));
}

#[backend_test]
async fn missing_scope_is_403_insufficient_scope(app: &TestApp) {
    let token = app.token(app.north, "orders").await;
    let (s, body) = app.get(&token, "/api/Customers").await;
    assert_eq!((s, body["error"].as_str()), (403, Some("insufficient_scope")));
    let (s, body) = app.get(&token, "/api/Connections/GetConnectionByCLI?cli=07700900001").await;
    assert_eq!((s, body["error"].as_str()), (403, Some("insufficient_scope")));
    // The catalogue needs no particular scope.
    app.get(&token, "/api/Tariffs/ListTariffsForNetwork?network=EE").await.is(200);
}

#[backend_test]
async fn legacy_basic_auth_with_an_api_user(app: &TestApp) {
    app.store
        .credentials()
        .create_user(
            "test",
            app.north,
            "northapi",
            "correct horse battery",
            domain::Scopes::parse("customers connections").unwrap(),
        )
        .await
        .unwrap();
    let cli = app.cli_of(app.north).await;
    let path = format!("/api/Connections/GetConnectionByCLI?cli={cli}");
    let ok = app
        .http
        .get(app.url(&path))
        .basic_auth("northapi", Some("correct horse battery"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["cli"], cli.as_str());

    let bad =
        app.http.get(app.url(&path)).basic_auth("northapi", Some("wrong")).send().await.unwrap();
    assert_eq!(bad.status(), 401);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");

    let nobody = app.http.get(app.url(&path)).basic_auth("nobody", Some("x")).send().await.unwrap();
    assert_eq!(nobody.status(), 401);

    // The API user sees only its partner's records.
    let foreign = app.cli_of(app.capital).await;
    let other = app
        .http
        .get(app.url(&format!("/api/Connections/GetConnectionByCLI?cli={foreign}")))
        .basic_auth("northapi", Some("correct horse battery"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}
