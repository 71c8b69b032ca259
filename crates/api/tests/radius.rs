//! The RADIUS endpoints as rlm_rest calls them: authorize decisions and
//! reply attributes, PAP against Argon2, CHAP's sealed password, session
//! limits, accounting stored once whatever is retried, and malformed input
//! that never accepts anyone.

mod common;

use common::{Answer, TestApp};
use serde_json::{json, Map, Value};
use test_macros::backend_test;

/// A body as rlm_rest writes it: every attribute wrapped, named integers as text.
fn rest(attrs: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in attrs {
        let ty = if v.is_number() { "integer" } else { "string" };
        m.insert((*k).into(), json!({"type": ty, "value": [v]}));
    }
    Value::Object(m)
}

async fn radius(app: &TestApp, token: &str, section: &str, body: &Value) -> (u16, Value) {
    let resp = app
        .http
        .post(app.url(&format!("/radius/{section}")))
        .header("X-Auth-Token", token)
        .header("X-FreeRADIUS-Section", section)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An ISP on `partner` with a PAP and a CHAP profile and subscribers:
/// answers its token.
async fn isp(app: &TestApp, partner: i64) -> String {
    let token = app.api_token(partner, "isp").await;
    let mut ids = Vec::new();
    for (name, chap, sim) in [("Fibre", false, 1), ("PPPoE", true, 2)] {
        let p = app.isp("POST", &token, "/api/v1/profiles", Some(&json!({"name": name, "download_kbps": 100_000, "upload_kbps": 20_000, "price_pence": 3000, "framed_pool": "pool-a", "simultaneous_use": sim, "acct_interim_interval": 300, "auth_type": if chap { "chap" } else { "pap" }}))).await.is(201);
        ids.push(p["data"]["id"].as_i64().unwrap());
    }
    for (username, profile, extra) in [
        ("alice", ids[0], json!({"static_ip": "100.64.0.10"})),
        ("bob", ids[0], json!({})),
        ("carol", ids[0], json!({"expiration": "2020-01-01 00:00:00"})),
        ("dave", ids[1], json!({})),
        ("erin", ids[0], json!({"mac": "AA:BB:CC:DD:EE:01"})),
    ] {
        let mut body = json!({"username": username, "password": format!("{username}-password"), "profile_id": profile});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        app.isp("POST", &token, "/api/v1/users", Some(&body)).await.is(201);
    }
    app.isp("POST", &token, "/api/v1/users/bob/suspend", None).await.is(200);
    token
}

#[backend_test]
async fn authorize_and_authenticate_decide_with_reasons(app: &TestApp) {
    let token = isp(app, app.north).await;
    let pap = |u: &str, p: &str| {
        rest(&[
            ("User-Name", json!(u)),
            ("User-Password", json!(p)),
            ("NAS-IP-Address", json!("10.0.0.1")),
        ])
    };

    let r = radius(app, &token, "authorize", &pap("alice", "alice-password")).await.is(200);
    // With the server's key the password is kept sealed: FreeRADIUS
    // checks PAP itself, as it does CHAP.
    assert_eq!(r["control:Cleartext-Password"], "alice-password");
    assert!(r.get("control:Auth-Type").is_none());
    assert_eq!(r["reply:Mikrotik-Rate-Limit"], "20M/100M");
    assert_eq!(r["reply:Framed-IP-Address"], "100.64.0.10");
    assert_eq!(r["reply:Framed-Pool"], "pool-a");
    assert_eq!(r["reply:Acct-Interim-Interval"], 300);
    let timeout = r["reply:Session-Timeout"].as_i64().unwrap();
    assert!((29 * 86_400..=30 * 86_400).contains(&timeout), "capped at expiration: {timeout}");
    // Without a sealed copy, Switchboard checks the Argon2 hash itself and
    // never hands the password back.
    app.forget_sealed_password("alice").await;
    let r = radius(app, &token, "authorize", &pap("alice", "alice-password")).await.is(200);
    assert_eq!(r["control:Auth-Type"], "rest");
    assert!(r.get("control:Cleartext-Password").is_none());
    radius(app, &token, "authenticate", &pap("alice", "alice-password")).await.is(204);
    let (s, r) = radius(app, &token, "authenticate", &pap("alice", "wrong")).await;
    assert_eq!((s, r["reply:Reply-Message"].as_str()), (401, Some("Wrong password")));

    for (user, why) in [
        ("bob", "Account suspended"),
        ("carol", "Account expired on 2020-01-01"),
        ("nobody", "Unknown user"),
    ] {
        for section in ["authorize", "authenticate"] {
            let (s, r) =
                radius(app, &token, section, &pap(user, &format!("{user}-password"))).await;
            assert_eq!(s, 401, "{user} {section}: {r}");
            assert!(r["reply:Reply-Message"].as_str().unwrap().contains(why), "{r}");
        }
    }
    let (_, bob) = app.isp("GET", &token, "/api/v1/users/bob", None).await;
    assert_eq!(bob["data"]["last_auth_result"], "Access-Reject: Account suspended");

    // A registered MAC.
    let erin = |mac: &str| {
        rest(&[
            ("User-Name", json!("erin")),
            ("User-Password", json!("erin-password")),
            ("Calling-Station-Id", json!(mac)),
        ])
    };
    assert_eq!(radius(app, &token, "authorize", &erin("aa-bb-cc-dd-ee-01")).await.0, 200);
    let r = radius(app, &token, "authorize", &erin("AA:BB:CC:DD:EE:02")).await.is(401);
    assert!(r["reply:Reply-Message"].as_str().unwrap().contains("not the one registered"));

    // CHAP: the cleartext, for FreeRADIUS to check, on CHAP profiles only.
    let chap = |u: &str| {
        rest(&[
            ("User-Name", json!(u)),
            ("CHAP-Password", json!("0x01aabbccddeeff00112233445566778899")),
            ("CHAP-Challenge", json!("0x00112233445566778899aabbccddeeff")),
        ])
    };
    let (s, r) = radius(app, &token, "authorize", &chap("dave")).await;
    assert_eq!((s, r["control:Cleartext-Password"].as_str()), (200, Some("dave-password")), "{r}");
    assert!(r.get("control:Auth-Type").is_none());
    let r = radius(app, &token, "authorize", &chap("alice")).await.is(401);
    assert!(r["reply:Reply-Message"].as_str().unwrap().contains("CHAP is not enabled"));

    // Post-auth notes the outcome.
    assert_eq!(radius(app, &token, "post-auth", &pap("alice", "alice-password")).await.0, 204);
    let (_, alice) = app.isp("GET", &token, "/api/v1/users/alice", None).await;
    assert_eq!(alice["data"]["last_auth_result"], "Access-Accept");
}

#[backend_test]
async fn malformed_requests_never_accept_anyone(app: &TestApp) {
    let token = isp(app, app.north).await;
    let bodies = [
        json!({}),
        json!({"User-Password": {"value": ["alice-password"]}}),
        json!({"User-Name": {"value": []}, "User-Password": {"value": ["x"]}}),
        json!({"User-Name": {"value": [null]}}),
        json!({"User-Name": 12345, "User-Password": 1}),
        json!(["User-Name", "alice"]),
        json!({"User-Name": "alice"}),
        json!({"User-Name": {"value": ["alice"]}, "Weird-Attribute": {"value": [{"deep": true}]}, "User-Password": {"value": ["nope"]}}),
    ];
    for b in &bodies {
        for section in ["authorize", "authenticate"] {
            let (s, r) = radius(app, &token, section, b).await;
            // An authorize answer leaves the password to be checked: by
            // Switchboard (Auth-Type rest) or by FreeRADIUS (the cleartext).
            let check_left = r.get("control:Auth-Type").is_some()
                || r.get("control:Cleartext-Password").is_some();
            let accepted = (200..300).contains(&s) && !(section == "authorize" && check_left);
            assert!(!accepted, "{section} accepted {b}: {s} {r}");
            assert!(s < 500, "{section} crashed on {b}: {s}");
        }
    }
    // Values as plain strings or numbers are read as well.
    let plain = json!({"User-Name": "alice", "User-Password": "alice-password", "NAS-Port": 7});
    assert_eq!(radius(app, &token, "authenticate", &plain).await.0, 204);
    // Not JSON at all.
    let resp = app
        .http
        .post(app.url("/radius/authorize"))
        .header("X-Auth-Token", &token)
        .body("User-Name=alice")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    // The wrong token, or none: nobody is accepted.
    for t in ["sbt_wrong", ""] {
        let (s, _) = radius(
            app,
            t,
            "authorize",
            &json!({"User-Name": "alice", "User-Password": "alice-password"}),
        )
        .await;
        assert_eq!(s, 401);
    }
    let mobile_only = app.api_token(app.north, "connections").await;
    assert_eq!(radius(app, &mobile_only, "authenticate", &plain).await.0, 403);
    // Another ISP's FreeRADIUS does not know this ISP's subscribers.
    let other = app.api_token(app.capital, "isp").await;
    let (s, r) = radius(app, &other, "authorize", &plain).await;
    assert_eq!((s, r["reply:Reply-Message"].as_str()), (401, Some("Unknown user")));
}

#[backend_test]
async fn accounting_is_stored_once_and_limits_sessions(app: &TestApp) {
    let token = isp(app, app.north).await;
    let acct = |kind: &str, session: &str, extra: &[(&str, Value)]| {
        let mut a = vec![
            ("Acct-Status-Type", json!(kind)),
            ("User-Name", json!("alice")),
            ("Acct-Session-Id", json!(session)),
            ("NAS-IP-Address", json!("10.0.0.1")),
            ("NAS-Identifier", json!("bng-1")),
        ];
        a.extend(extra.iter().cloned());
        rest(&a)
    };
    let pap = rest(&[("User-Name", json!("alice")), ("User-Password", json!("alice-password"))]);
    let start = acct(
        "Start",
        "s-1",
        &[
            ("Framed-IP-Address", json!("100.64.0.10")),
            ("Calling-Station-Id", json!("AA:BB:CC:00:00:01")),
        ],
    );
    assert_eq!(radius(app, &token, "accounting", &start).await.0, 204);
    assert_eq!(radius(app, &token, "accounting", &start).await.0, 204, "a retried Start");
    // One session allowed: a second login is refused while it is open.
    let (s, r) = radius(app, &token, "authorize", &pap).await;
    assert_eq!(s, 401);
    assert!(r["reply:Reply-Message"].as_str().unwrap().contains("Session limit reached: 1 of 1"));

    let interim = acct(
        "Interim-Update",
        "s-1",
        &[
            ("Acct-Input-Octets", json!(4000)),
            ("Acct-Output-Octets", json!(9000)),
            ("Acct-Session-Time", json!(300)),
        ],
    );
    assert_eq!(radius(app, &token, "accounting", &interim).await.0, 204);
    let older = acct(
        "Interim-Update",
        "s-1",
        &[("Acct-Input-Octets", json!(10)), ("Acct-Session-Time", json!(5))],
    );
    assert_eq!(radius(app, &token, "accounting", &older).await.0, 204, "a late, older update");
    let stop = acct(
        "Stop",
        "s-1",
        &[
            ("Acct-Input-Octets", json!(5000)),
            ("Acct-Input-Gigawords", json!(2)),
            ("Acct-Output-Octets", json!(10_000)),
            ("Acct-Session-Time", json!(600)),
            ("Acct-Terminate-Cause", json!("User-Request")),
        ],
    );
    assert_eq!(radius(app, &token, "accounting", &stop).await.0, 204);
    assert_eq!(radius(app, &token, "accounting", &stop).await.0, 204, "a retried Stop");
    let late = acct(
        "Interim-Update",
        "s-1",
        &[("Acct-Input-Octets", json!(1)), ("Acct-Session-Time", json!(900))],
    );
    assert_eq!(
        radius(app, &token, "accounting", &late).await.0,
        204,
        "after Stop: changes nothing"
    );

    let (_, sessions) = app.isp("GET", &token, "/api/v1/users/alice/sessions", None).await;
    assert_eq!(sessions["meta"]["total"], 1, "{sessions}");
    let s1 = &sessions["data"][0];
    assert_eq!(s1["bytes_in"], 2 * 4_294_967_296i64 + 5000);
    assert_eq!(s1["bytes_out"], 10_000);
    assert_eq!(s1["session_time"], 600);
    assert_eq!(s1["framed_ip"], "100.64.0.10");
    assert_eq!(s1["terminate_cause"], "User-Request");
    assert_eq!(s1["open"], false);
    assert_eq!(radius(app, &token, "authorize", &pap).await.0, 200, "the session is closed");

    // A unique id, when FreeRADIUS makes one, is the key.
    let with_unique = acct("Start", "s-2", &[("Acct-Unique-Session-Id", json!("abc123"))]);
    assert_eq!(radius(app, &token, "accounting", &with_unique).await.0, 204);
    // Another NAS with the same NAS-Identifier (as every MikroTik left at
    // its default identity has).
    let elsewhere = acct("Start", "s-9", &[("NAS-IP-Address", json!("10.0.0.2"))]);
    assert_eq!(radius(app, &token, "accounting", &elsewhere).await.0, 204);
    // The NAS reboots: Accounting-On closes what it had open, and only that.
    let on = rest(&[
        ("Acct-Status-Type", json!("Accounting-On")),
        ("NAS-IP-Address", json!("10.0.0.1")),
        ("NAS-Identifier", json!("bng-1")),
    ]);
    assert_eq!(radius(app, &token, "accounting", &on).await.0, 204);
    let (_, sessions) = app.isp("GET", &token, "/api/v1/users/alice/sessions", None).await;
    let items = sessions["data"].as_array().unwrap();
    let by_nas = |ip: &str| {
        items.iter().find(|s| s["nas_ip"] == ip && s["open"] == (ip == "10.0.0.2")).cloned()
    };
    let rebooted = items.iter().find(|s| s["unique_id"] == "abc123").unwrap();
    assert_eq!(rebooted["terminate_cause"], "NAS-Reboot");
    assert!(by_nas("10.0.0.2").is_some(), "the other NAS's session stays open: {sessions}");
    let stop_elsewhere = acct("Stop", "s-9", &[("NAS-IP-Address", json!("10.0.0.2"))]);
    assert_eq!(radius(app, &token, "accounting", &stop_elsewhere).await.0, 204);

    // A session the NAS forgot goes stale after two missed updates.
    let forgotten = acct("Start", "s-3", &[]);
    assert_eq!(radius(app, &token, "accounting", &forgotten).await.0, 204);
    let alice = app.store.isp().isp_user_by_username(app.north, "alice").await.unwrap().unwrap();
    assert_eq!(
        app.store
            .isp()
            .open_sessions(alice.id, app.now() - chrono::Duration::seconds(660))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.store
            .isp()
            .open_sessions(alice.id, app.now() + chrono::Duration::seconds(1))
            .await
            .unwrap(),
        0
    );
    let (_, sessions) = app.isp("GET", &token, "/api/v1/users/alice/sessions", None).await;
    assert_eq!(sessions["data"][0]["terminate_cause"], "Stale-Session");

    // Bad records are refused (so the NAS retries), never half-stored.
    for bad in [
        rest(&[("User-Name", json!("alice")), ("Acct-Session-Id", json!("x"))]),
        rest(&[("Acct-Status-Type", json!("Start")), ("Acct-Session-Id", json!("x"))]),
        rest(&[("Acct-Status-Type", json!("Start")), ("User-Name", json!("alice"))]),
        rest(&[
            ("Acct-Status-Type", json!("Sideways")),
            ("User-Name", json!("alice")),
            ("Acct-Session-Id", json!("x")),
        ]),
        acct("Interim-Update", "s-9", &[("Acct-Input-Octets", json!("lots"))]),
        rest(&[("Acct-Status-Type", json!("Accounting-Off"))]),
    ] {
        let (s, r) = radius(app, &token, "accounting", &bad).await;
        assert_eq!(s, 400, "{bad}: {r}");
    }
    // A record for a name nobody has is kept all the same.
    let stranger = rest(&[
        ("Acct-Status-Type", json!("Start")),
        ("User-Name", json!("mallory")),
        ("Acct-Session-Id", json!("m-1")),
    ]);
    assert_eq!(radius(app, &token, "accounting", &stranger).await.0, 204);
    let (_, list) = app.isp("GET", &token, "/api/v1/users/alice/sessions", None).await;
    assert_eq!(list["meta"]["total"], 4, "{list}");
}

#[backend_test]
async fn pap_checks_the_password_as_sent_fast_once_sealed(app: &TestApp) {
    let token = isp(app, app.north).await;
    let (_, profiles) = app.isp("GET", &token, "/api/v1/profiles", None).await;
    let fibre = profiles["data"][0]["id"].as_i64().unwrap();
    for (name, password) in [("frank", " spaced pw "), ("gina", "Fibre£2026")] {
        app.isp(
            "POST",
            &token,
            "/api/v1/users",
            Some(&json!({"username": name, "password": password, "profile_id": fibre})),
        )
        .await
        .is(201);
    }
    let pap = |u: &str, p: &str| rest(&[("User-Name", json!(u)), ("User-Password", json!(p))]);
    let check = async |u: &str, p: &str| radius(app, &token, "authenticate", &pap(u, p)).await;
    // Spaces are part of a password: never trimmed.
    assert_eq!(check("frank", " spaced pw ").await.0, 204);
    assert_eq!(check("frank", "spaced pw").await.0, 401);
    let (s, body) = check("alice", "alice-password   ").await;
    assert_eq!((s, body["reply:Reply-Message"].as_str()), (401, Some("Wrong password")));
    // rlm_rest sends each UTF-8 byte as a character: £ arrives as Â£.
    assert_eq!(check("gina", "Fibre\u{00C2}\u{00A3}2026").await.0, 204);
    assert_eq!(check("gina", "Fibre£2026").await.0, 204, "or as text");
    assert_eq!(check("gina", "Fibre\u{00C2}2026").await.0, 401);

    // A subscriber whose password has no sealed copy (set before the
    // server had a key) is checked against Argon2 once, then kept sealed.
    let north = app.north;
    let alice =
        async || app.store.isp().isp_user_by_username(north, "alice").await.unwrap().unwrap();
    app.forget_sealed_password("alice").await;
    assert_eq!(check("alice", "wrong-password").await.0, 401);
    assert!(alice().await.password_sealed.is_none(), "a wrong password seals nothing");
    assert_eq!(check("alice", "alice-password").await.0, 204);
    let sealed = alice().await.password_sealed.expect("sealed after a right password");
    assert!(!sealed.contains("alice-password"));
    // From the sealed copy now (a wrong hash would not matter any more).
    app.store
        .execute(
            "UPDATE isp_users SET password_hash = 'not-a-hash' WHERE username = 'alice'",
            store::args![],
        )
        .await
        .unwrap();
    assert_eq!(check("alice", "alice-password").await.0, 204);
    assert_eq!(check("alice", "alice-passworD").await.0, 401);
}

#[backend_test]
async fn a_session_is_dated_when_its_events_happened(app: &TestApp) {
    let token = isp(app, app.north).await;
    let acct = |kind: &str, extra: &[(&str, Value)]| {
        let mut a = vec![
            ("Acct-Status-Type", json!(kind)),
            ("User-Name", json!("alice")),
            ("Acct-Session-Id", json!("held-1")),
            ("NAS-IP-Address", json!("10.0.0.7")),
        ];
        a.extend(extra.iter().cloned());
        rest(&a)
    };
    let now = app.now();
    // A Start the NAS held for 90 s (through an outage, say).
    let start = acct("Start", &[("Acct-Delay-Time", json!(90))]);
    assert_eq!(radius(app, &token, "accounting", &start).await.0, 204);
    // A Stop stamped by the NAS's clock, 10 minutes on.
    let stopped = now + chrono::Duration::minutes(10);
    app.clock.advance(chrono::Duration::minutes(12));
    let stop = acct(
        "Stop",
        &[("Event-Timestamp", json!(stopped.format("%b %e %Y %H:%M:%S UTC").to_string()))],
    );
    assert_eq!(radius(app, &token, "accounting", &stop).await.0, 204);
    let (_, sessions) = app.isp("GET", &token, "/api/v1/users/alice/sessions", None).await;
    let s = &sessions["data"][0];
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    assert_eq!(s["start"], fmt(now - chrono::Duration::seconds(90)), "{s}");
    assert_eq!(s["stop"], fmt(stopped), "{s}");

    // The NAS reboots and reuses the id: a new session, the closed one
    // kept as it was.
    let again = acct("Start", &[("Framed-IP-Address", json!("100.64.0.99"))]);
    assert_eq!(radius(app, &token, "accounting", &again).await.0, 204);
    // The old session's Stop and Start, late (retransmitted), change
    // nothing: neither closes the new one nor opens a third.
    assert_eq!(radius(app, &token, "accounting", &stop).await.0, 204);
    assert_eq!(radius(app, &token, "accounting", &start_late(&start, 12 * 60)).await.0, 204);
    let (_, sessions) = app.isp("GET", &token, "/api/v1/users/alice/sessions", None).await;
    assert_eq!(sessions["meta"]["total"], 2, "{sessions}");
    let (new, old) = (&sessions["data"][0], &sessions["data"][1]);
    assert_eq!(
        (new["open"].as_bool(), new["framed_ip"].as_str()),
        (Some(true), Some("100.64.0.99")),
        "{new}"
    );
    assert_eq!(new["start"], fmt(app.now()), "{new}");
    assert_eq!(
        (old["start"].clone(), old["stop"].clone()),
        (json!(fmt(now - chrono::Duration::seconds(90))), json!(fmt(stopped))),
        "{old}"
    );
    assert_eq!(old["framed_ip"], Value::Null, "{old}");
}

/// The same record, held `more` seconds longer by the NAS.
fn start_late(record: &Value, more: i64) -> Value {
    let mut r = record.clone();
    let held = r["Acct-Delay-Time"]["value"][0].as_i64().unwrap_or(0);
    r["Acct-Delay-Time"] = json!({"type": "integer", "value": [held + more]});
    r
}
