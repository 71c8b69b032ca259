//! The ISP face (`/api/v1`): discoverable links, envelopes, API tokens,
//! subscribers (filters, derived expiry, patch, suspend, activate, renew,
//! delete), profiles, customers, bad input, and another ISP's records.

mod common;

use common::{Answer, TestApp};
use serde_json::{json, Value};
use test_macros::backend_test;

/// A profile of `token`'s partner: answers its id.
async fn profile(app: &TestApp, token: &str, name: &str, chap: bool) -> i64 {
    let p = app.isp("POST", token, "/api/v1/profiles", Some(&json!({"name": name, "download_kbps": 100_000, "upload_kbps": 20_000, "price_pence": 3000, "period_days": 30, "framed_pool": "main", "auth_type": if chap { "chap" } else { "pap" }})),).await.is(201);
    p["data"]["id"].as_i64().unwrap()
}

async fn user(app: &TestApp, token: &str, body: Value) -> Value {
    let u = app.isp("POST", token, "/api/v1/users", Some(&body)).await.is(201);
    assert_eq!(u["success"], "true");
    u["data"].clone()
}

#[track_caller]
fn isp_error(got: &(u16, Value), status: u16, needle: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["status"], "error", "{}", got.1);
    let m = got.1["message"].as_str().unwrap_or_default();
    assert!(m.contains(needle), "{m:?} should mention {needle:?}");
}

#[backend_test]
async fn tokens_authenticate_and_the_root_links_every_collection(app: &TestApp) {
    let token = app.api_token(app.north, "isp customers").await;
    let root = app.isp("GET", &token, "/api/v1", None).await.is(200);
    let base = app.url("/api/v1");
    assert_eq!(root["list_users"], format!("{base}/users"));
    assert_eq!(root["list_profiles"], format!("{base}/profiles"));
    for link in ["list_users", "list_profiles"] {
        let (s, r) = app
            .isp("GET", &token, &root[link].as_str().unwrap().replace(&app.url(""), ""), None)
            .await;
        assert_eq!((s, r["success"].as_str()), (200, Some("true")), "{link}: {r}");
    }
    // The root is in the envelope too, and every link it gives works
    // (the customer link is a URI template, marked so).
    assert_eq!(root["success"], "true");
    assert_eq!(root["data"]["list_users"], root["list_users"]);
    for link in ["self", "users", "profiles"] {
        let href = root["_links"][link]["href"].as_str().unwrap().replace(&app.url(""), "");
        let (s, _) = app.isp("GET", &token, &href, None).await;
        assert_eq!(s, 200, "{link}");
    }
    assert_eq!(root["_links"]["customer"]["templated"], true);
    // Bearer works as well as X-Auth-Token.
    app.send(app.http.get(app.url("/api/v1/users")).bearer_auth(&token), "bearer").await.is(200);
    // When both are sent, Authorization: Bearer wins.
    let (s, _) = app
        .send(
            app.http
                .get(app.url("/api/v1/users"))
                .bearer_auth(&token)
                .header("X-Auth-Token", "junk"),
            "both",
        )
        .await;
    assert_eq!(s, 200, "a valid Bearer with a junk X-Auth-Token");
    // An access token from /token works in X-Auth-Token as in Bearer.
    let jwt = app.token(app.north, "isp").await;
    for req in [
        app.http.get(app.url("/api/v1/users")).bearer_auth(&jwt),
        app.http.get(app.url("/api/v1/users")).header("X-Auth-Token", &jwt),
    ] {
        assert_eq!(app.send(req, "jwt").await.0, 200);
    }
    // An API token on the mobile API is told it is the wrong kind.
    let wrong = app
        .send(app.http.get(app.url("/api/Customers")).bearer_auth(&token), "wrong kind")
        .await
        .is(401);
    assert!(wrong["error_description"].as_str().unwrap().contains("for the ISP API"), "{wrong}");

    isp_error(&app.send(app.http.get(app.url("/api/v1/users")), "none").await, 401, "no token");
    isp_error(&app.isp("GET", "sbt_0000", "/api/v1/users", None).await, 401, "invalid token");
    isp_error(
        &app.send(app.http.get(app.url("/api/v1/users")).basic_auth("x", Some("y")), "basic").await,
        401,
        "Bearer",
    );
    let no_isp = app.api_token(app.north, "customers").await;
    isp_error(&app.isp("GET", &no_isp, "/api/v1/users", None).await, 403, "isp");
    isp_error(&app.isp("GET", &token, "/api/v1/nothing-here", None).await, 404, "");

    // Revoked: refused at once (no auth cache in tests).
    let rows = app.store.tokens().list_api_tokens(None).await.unwrap();
    let mine = rows.iter().find(|t| token.starts_with(&t.prefix)).unwrap();
    assert!(!format!("{:?}", rows).contains(&token), "never listed");
    app.store.tokens().revoke_api_token("test", mine.id).await.unwrap();
    isp_error(&app.isp("GET", &token, "/api/v1", None).await, 401, "invalid token");
    let audit = app.store.audit().audit_for("api_token", &mine.id.to_string()).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "revoke"));
}

#[backend_test]
async fn subscribers_are_created_listed_changed_and_deleted(app: &TestApp) {
    let token = app.api_token(app.north, "isp customers").await;
    let fibre = profile(app, &token, "Fibre 100", false).await;
    let fast = profile(app, &token, "Fibre 900", false).await;
    let customer = app.customer_of(app.north).await;
    let alice = user(
        app,
        &token,
        json!({"username": "alice", "password": "s3cret-pw", "profile_id": fibre,
        "customer_id": customer, "mac": "aa-bb-cc-dd-ee-ff", "static_ip": "100.64.1.10"}),
    )
    .await;
    assert_eq!(alice["status"], "active");
    assert_eq!(alice["mac"], "AA:BB:CC:DD:EE:FF");
    assert_eq!(alice["profile_name"], "Fibre 100");
    assert_eq!(alice["radius_id"], alice["id"]);
    assert_eq!(alice["auth_type"], "pap");
    let id = alice["id"].as_i64().unwrap();
    let exp = chrono::NaiveDateTime::parse_from_str(
        alice["expiration"].as_str().unwrap(),
        "%Y-%m-%d %H:%M:%S",
    )
    .unwrap();
    let days = (exp - app.now().naive_utc()).num_hours();
    assert!((29 * 24..=30 * 24).contains(&days), "one period by default: {days} h");
    assert_eq!(alice["_links"]["customer"], app.url(&format!("/api/v1/customers/{customer}")));
    let stored = app.store.isp().get_isp_user(store::Visibility::All, id).await.unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"));
    // With the server's password key, kept sealed too (PAP checks it fast).
    let sealed = stored.password_sealed.expect("sealed with the server's key");
    assert!(!sealed.contains("s3cret-pw"), "kept encrypted: {sealed}");

    // By id and by username; links lead somewhere real.
    let (_, by_name) = app.isp("GET", &token, "/api/v1/users/alice", None).await;
    assert_eq!(by_name["data"]["id"], id);
    let (s, cust) = app.isp("GET", &token, &format!("/api/v1/customers/{customer}"), None).await;
    assert_eq!((s, &cust["data"]["id"]), (200, &json!(customer)));
    let (s, prof) = app.isp("GET", &token, &format!("/api/v1/profiles/{fibre}"), None).await;
    assert_eq!(
        (s, prof["data"]["radius"]["Mikrotik-Rate-Limit"].as_str()),
        (200, Some("20M/100M"))
    );

    // Rules.
    let base = json!({"username": "bob", "password": "s3cret-pw", "profile_id": fibre});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (field, value, status, needle) in [
        ("username", json!("alice"), 409, "already taken"),
        ("static_ip", json!("100.64.1.10"), 409, "static_ip"),
        ("static_ip", json!("300.1.1.1"), 400, "static_ip"),
        ("mac", json!("zz:bb:cc:dd:ee:ff"), 400, "MAC"),
        ("password", json!("short"), 400, "password"),
        ("username", json!("b b"), 400, "username"),
        ("expiration", json!("soon"), 400, "expiration"),
        ("profile_id", json!(999_999), 404, "profile 999999"),
        ("colour", json!("red"), 400, "colour"),
        ("profile_id", json!("one"), 400, "profile_id"),
    ] {
        let body = with(field, value);
        let answer = app.isp("POST", &token, "/api/v1/users", Some(&body)).await;
        isp_error(&answer, status, needle);
    }
    let (s, r) = app
        .send(
            app.http
                .post(app.url("/api/v1/users"))
                .header("X-Auth-Token", &token)
                .header("Content-Type", "application/json")
                .body("{"),
            "bad json",
        )
        .await;
    isp_error(&(s, r), 400, "");
    assert_eq!(
        app.store
            .isp()
            .list_isp_users(
                store::Visibility::Partner(app.north),
                &Default::default(),
                app.now(),
                domain::paging::PageRequest::new(None, None).unwrap()
            )
            .await
            .unwrap()
            .1,
        1,
        "nothing half-written"
    );

    // An expired subscriber reads expired though nobody changed it.
    let carol = user(app, &token, json!({"username": "carol", "password": "s3cret-pw", "profile_id": fast, "expiration": "2020-01-01"})).await;
    assert_eq!(carol["status"], "expired");
    let list = |q: &str| {
        let (app, token) = (&app, &token);
        let q = q.to_owned();
        async move { app.isp("GET", token, &format!("/api/v1/users?{q}"), None).await.1 }
    };
    let names = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&list("status=expired").await), ["carol"]);
    assert_eq!(names(&list("status=active").await), ["alice"]);
    assert_eq!(names(&list(&format!("profile_id={fast}")).await), ["carol"]);
    assert_eq!(names(&list("q=AA:BB").await), ["alice"]);
    assert_eq!(
        names(&list("q=%25").await),
        Vec::<String>::new(),
        "LIKE metacharacters are literal"
    );
    isp_error(&app.isp("GET", &token, "/api/v1/users?status=gone", None).await, 400, "status");
    isp_error(&app.isp("GET", &token, "/api/v1/users?per_page=500", None).await, 400, "per_page");
    let paged = list("per_page=1").await;
    assert_eq!(paged["meta"]["total"], 2);
    assert_eq!(paged["data"][0]["auth_type"], "pap", "lists say how each authenticates");
    assert!(paged["_links"]["next"].as_str().unwrap().contains("page=2&per_page=1"));
    let (_, second) = app
        .isp(
            "GET",
            &token,
            &paged["_links"]["next"].as_str().unwrap().replace(&app.url(""), ""),
            None,
        )
        .await;
    assert!(second["_links"]["prev"].is_string() && second["_links"].get("next").is_none());

    // Renew: from the later of now and expiration.
    let (_, renewed) = app.isp("POST", &token, "/api/v1/users/carol/renew", None).await;
    assert_eq!(renewed["data"]["status"], "active", "{renewed}");
    let e1 = renewed["data"]["expiration"].as_str().unwrap().to_owned();
    let (_, again) = app.isp("POST", &token, "/api/v1/users/carol/renew", None).await;
    let e2 = again["data"]["expiration"].as_str().unwrap();
    let d = |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").unwrap();
    assert_eq!((d(e2) - d(&e1)).num_days(), 30, "renewing early loses nothing");

    // Patch.
    let p = app.isp("PATCH", &token, &format!("/api/v1/users/{id}"), Some(&json!({"profile_id": fast, "mac": null, "static_ip": "100.64.1.11", "password": "n3w-password"}))).await.is(200);
    assert_eq!(
        (p["data"]["profile_id"].as_i64(), &p["data"]["mac"], p["data"]["static_ip"].as_str()),
        (Some(fast), &Value::Null, Some("100.64.1.11"))
    );
    let after = app.store.isp().get_isp_user(store::Visibility::All, id).await.unwrap();
    assert!(store::credentials::verify_password("n3w-password", &after.password_hash));
    isp_error(
        &app.isp(
            "PATCH",
            &token,
            "/api/v1/users/carol",
            Some(&json!({"static_ip": "100.64.1.11"})),
        )
        .await,
        409,
        "static_ip",
    );
    isp_error(
        &app.isp("PATCH", &token, "/api/v1/users/carol", Some(&json!({"expiration": "tomorrow"})))
            .await,
        400,
        "expiration",
    );
    let chap = profile(app, &token, "PPPoE", true).await;
    // A subscriber whose password was set before the server had a key has
    // no sealed copy: moving to CHAP needs the password again.
    app.forget_sealed_password("carol").await;
    isp_error(
        &app.isp("PATCH", &token, "/api/v1/users/carol", Some(&json!({"profile_id": chap}))).await,
        400,
        "password again",
    );
    let (s, moved) = app
        .isp(
            "PATCH",
            &token,
            "/api/v1/users/carol",
            Some(&json!({"profile_id": chap, "password": "pppoe-pass"})),
        )
        .await;
    assert_eq!((s, moved["data"]["auth_type"].as_str()), (200, Some("chap")), "{moved}");
    let sealed = app
        .store
        .isp()
        .isp_user_by_username(app.north, "carol")
        .await
        .unwrap()
        .unwrap()
        .password_sealed
        .unwrap();
    assert!(!sealed.contains("pppoe-pass"), "kept encrypted");

    // Suspend, activate, delete (kept, static IP freed).
    let (_, s1) = app.isp("POST", &token, "/api/v1/users/alice/suspend", None).await;
    assert_eq!(s1["data"]["status"], "suspended");
    let (_, s2) = app.isp("POST", &token, "/api/v1/users/alice/activate", None).await;
    assert_eq!(s2["data"]["status"], "active");
    let (s, gone) = app.isp("DELETE", &token, "/api/v1/users/alice", None).await;
    assert_eq!((s, gone["data"]["status"].as_str()), (200, Some("disabled")));
    isp_error(&app.isp("POST", &token, "/api/v1/users/alice/activate", None).await, 409, "deleted");
    isp_error(&app.isp("DELETE", &token, "/api/v1/users/alice", None).await, 409, "deleted");
    assert_eq!(names(&list("status=disabled").await), ["alice"], "history kept");
    user(app, &token, json!({"username": "dave", "password": "s3cret-pw", "profile_id": fibre, "static_ip": "100.64.1.11"})).await;
    let audit = app.store.audit().audit_for("isp_user", &id.to_string()).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    for a in ["create", "update", "suspended", "active", "disabled"] {
        assert!(actions.contains(&a), "{a} audited: {actions:?}");
    }
    isp_error(&app.isp("GET", &token, "/api/v1/users/nobody", None).await, 404, "nobody");
    isp_error(&app.isp("GET", &token, "/api/v1/profiles/abc", None).await, 400, "id");
}

#[backend_test]
async fn another_isps_records_are_404(app: &TestApp) {
    let north = app.api_token(app.north, "isp customers").await;
    let capital = app.api_token(app.capital, "isp customers").await;
    let p = profile(app, &north, "Fibre 100", false).await;
    let customer = app.customer_of(app.north).await;
    let u = user(app, &north, json!({"username": "erin", "password": "s3cret-pw", "profile_id": p, "customer_id": customer})).await;
    let id = u["id"].as_i64().unwrap();
    for path in [
        format!("/api/v1/users/{id}"),
        "/api/v1/users/erin".to_owned(),
        format!("/api/v1/users/{id}/sessions"),
        format!("/api/v1/profiles/{p}"),
        format!("/api/v1/customers/{customer}"),
    ] {
        isp_error(&app.isp("GET", &capital, &path, None).await, 404, "not found");
    }
    for action in ["suspend", "activate", "renew"] {
        isp_error(
            &app.isp("POST", &capital, &format!("/api/v1/users/{id}/{action}"), None).await,
            404,
            "not found",
        );
    }
    isp_error(
        &app.isp("PATCH", &capital, &format!("/api/v1/users/{id}"), Some(&json!({"mac": null})))
            .await,
        404,
        "not found",
    );
    isp_error(
        &app.isp("DELETE", &capital, &format!("/api/v1/users/{id}"), None).await,
        404,
        "not found",
    );
    // Nor can another ISP use them: its profile, its customer.
    isp_error(
        &app.isp(
            "POST",
            &capital,
            "/api/v1/users",
            Some(&json!({"username": "frank", "password": "s3cret-pw", "profile_id": p})),
        )
        .await,
        404,
        "profile",
    );
    let cp = profile(app, &capital, "Capital Fibre", false).await;
    isp_error(&app.isp("POST", &capital, "/api/v1/users", Some(&json!({"username": "frank", "password": "s3cret-pw", "profile_id": cp, "customer_id": customer}))).await, 404, "customer");
    // The same username is another ISP's to use.
    user(app, &capital, json!({"username": "erin", "password": "s3cret-pw", "profile_id": cp}))
        .await;
    let (_, list) = app.isp("GET", &capital, "/api/v1/users", None).await;
    assert_eq!(list["meta"]["total"], 1);
    let (_, profiles) = app.isp("GET", &capital, "/api/v1/profiles", None).await;
    assert_eq!(profiles["meta"]["total"], 1);
}

/// Every layer that can refuse an ISP-face request answers in the ISP
/// dialect itself (no reshaping of another face's answers): the token
/// check, the scope, a malformed or oversized body, a bad query, an
/// unknown path or method, and a domain refusal; the mobile face keeps
/// its own shape for the same faults.
#[backend_test]
async fn every_refusal_on_the_isp_face_speaks_its_dialect(app: &TestApp) {
    let token = app.api_token(app.north, "isp").await;
    // No token: 401 with its challenge.
    let resp = app.http.get(app.url("/api/v1/users")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "error", "{body}");
    // A token without the isp scope: 403.
    let other = app.api_token(app.north, "customers").await;
    isp_error(&app.isp("GET", &other, "/api/v1/users", None).await, 403, "isp");
    // A body that is not JSON, with trailing data, or missing a field.
    let raw = |body: &'static str| {
        app.http
            .post(app.url("/api/v1/profiles"))
            .header("X-Auth-Token", &token)
            .header("content-type", "application/json")
            .body(body)
    };
    isp_error(&app.send(raw("{"), "bad json").await, 400, "");
    let (s, e) = app
        .send(
            raw(r#"{"name": "x", "download_kbps": 1, "upload_kbps": 1, "price_pence": 1} {}"#),
            "trailing",
        )
        .await;
    isp_error(&(s, e), 400, "more follows");
    let missing = app.send(raw(r#"{"name": "x"}"#), "missing").await;
    isp_error(&missing, 400, "download_kbps");
    assert_eq!(missing.1["field"], "download_kbps", "{}", missing.1);
    // Too big: 413 in the dialect.
    let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(3 * 1024 * 1024));
    let resp = app
        .http
        .post(app.url("/api/v1/profiles"))
        .header("X-Auth-Token", &token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "error", "{body}");
    // A malformed filter names its field.
    let bad = app.isp("GET", &token, "/api/v1/users?profile_id=abc", None).await;
    isp_error(&bad, 400, "profile_id");
    assert_eq!(bad.1["field"], "profile_id");
    // No such path, no such method.
    isp_error(
        &app.isp("GET", &token, "/api/v1/nothing-here", None).await,
        404,
        "/api/v1/nothing-here",
    );
    isp_error(&app.isp("PUT", &token, "/api/v1/profiles", None).await, 405, "PUT");
    // A rule's refusal, with its field.
    let refused = app
        .isp(
            "POST",
            &token,
            "/api/v1/profiles",
            Some(&json!({"name": "p", "download_kbps": 0, "upload_kbps": 1, "price_pence": 1})),
        )
        .await;
    isp_error(&refused, 400, "download_kbps");
    assert_eq!(refused.1["field"], "download_kbps");
    // The mobile face answers the same kind of fault in its own shape.
    let jwt = app.token(app.north, "customers").await;
    let mobile = app
        .send(app.http.get(app.url("/api/nothing-here")).bearer_auth(&jwt), "mobile 404")
        .await
        .is(404);
    assert!(mobile["response_message"].is_string(), "{mobile}");
    assert!(mobile.get("status").is_none(), "{mobile}");
}
