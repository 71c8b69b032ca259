//! A real FreeRADIUS (Debian's freeradius, freeradius-rest and
//! freeradius-utils) started from `deploy/freeradius` on loopback ports,
//! authenticating and accounting against the real server: PAP and CHAP
//! accepted with the right password and the profile's reply attributes;
//! wrong password, suspended, expired and over the session limit rejected
//! with the reason; accounting Start/Stop visible through the API.
//!
//! Skipped when FreeRADIUS is not installed, unless
//! `SWITCHBOARD_REQUIRE_FREERADIUS` is set (CI sets it).

mod common;

use common::{each_backend, Answer, TestApp};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "testing123";

fn installed() -> bool {
    let found = ["freeradius", "radclient", "radtest"].iter().all(|b| {
        Command::new("sh")
            .args(["-c", &format!("command -v {b}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !found && std::env::var_os("SWITCHBOARD_REQUIRE_FREERADIUS").is_some() {
        panic!("FreeRADIUS is required here (SWITCHBOARD_REQUIRE_FREERADIUS) but freeradius, radclient or radtest is missing");
    }
    found
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// FreeRADIUS, stopped by PID when dropped.
struct Radius {
    child: Child,
    log: PathBuf,
    auth: u16,
    acct: u16,
    _dir: tempfile::TempDir,
}

impl Radius {
    fn start(app: &TestApp, token: &str) -> Radius {
        Radius::start_at(&app.url(""), token)
    }

    /// FreeRADIUS calling Switchboard at `url` (an unused port: an outage).
    fn start_at(url: &str, token: &str) -> Radius {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("radius.log");
        let (auth, acct) = (free_udp_port(), free_udp_port());
        let conf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/freeradius");
        let child = Command::new("freeradius")
            .args(["-f", "-l", "stdout", "-d"])
            .arg(&conf)
            .env("SWITCHBOARD_URL", url)
            .env("SWITCHBOARD_RADIUS_TOKEN", token)
            .env("RADIUS_SECRET", SECRET)
            .env("RADIUS_AUTH_PORT", auth.to_string())
            .env("RADIUS_ACCT_PORT", acct.to_string())
            .env("RADIUS_LISTEN", "127.0.0.1")
            .env("RADIUS_NAS_NETWORK", "127.0.0.1")
            .env("RADIUS_RUN_DIR", dir.path())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::from(std::fs::File::options().append(true).open(&log).unwrap()))
            .spawn()
            .expect("start freeradius");
        Radius { child, log, auth, acct, _dir: dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A file of the accounting buffer (`radacct/` under the run dir).
    fn radacct(&self, name: &str) -> String {
        std::fs::read_to_string(self._dir.path().join("radacct").join(name)).unwrap_or_default()
    }

    /// Stops FreeRADIUS by its PID (SIGTERM) and waits for it.
    fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Radius {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs a RADIUS client command off the runtime (the server under test
/// shares it); answers its output.
async fn run(program: &'static str, args: Vec<String>, stdin: Option<String>) -> String {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(program)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        } else {
            drop(child.stdin.take());
        }
        let out = child.wait_with_output().unwrap();
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
    .await
    .unwrap()
}

async fn radtest(r: &Radius, kind: &str, user: &str, password: &str) -> String {
    run(
        "radtest",
        vec![
            "-t".into(),
            kind.into(),
            user.into(),
            password.into(),
            format!("127.0.0.1:{}", r.auth),
            "0".into(),
            SECRET.into(),
        ],
        None,
    )
    .await
}

async fn acct(r: &Radius, attrs: &str) -> String {
    run(
        "radclient",
        vec![
            "-x".into(),
            "-t".into(),
            "3".into(),
            format!("127.0.0.1:{}", r.acct),
            "acct".into(),
            SECRET.into(),
        ],
        Some(attrs.to_owned()),
    )
    .await
}

/// Waits until FreeRADIUS answers Status-Server.
async fn ready(r: &mut Radius) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = run(
            "radclient",
            vec![
                "-t".into(),
                "1".into(),
                "-r".into(),
                "1".into(),
                format!("127.0.0.1:{}", r.auth),
                "status".into(),
                SECRET.into(),
            ],
            Some("Message-Authenticator = 0x00\n".into()),
        )
        .await;
        if out.contains("Access-Accept") || !out.contains("No reply") && out.contains("Received") {
            return;
        }
        if let Ok(Some(status)) = r.child.try_wait() {
            panic!("freeradius exited ({status}):\n{}", r.log());
        }
        assert!(
            Instant::now() < deadline,
            "freeradius did not answer status in time:\n{}",
            r.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// When Switchboard cannot be asked, FreeRADIUS answers nothing at all:
/// never an Access-Reject for a user it could not check, so the NAS
/// retries or asks its other RADIUS server.
#[tokio::test]
async fn an_outage_is_never_a_reject() {
    if !installed() {
        eprintln!("skipped: FreeRADIUS is not installed");
        return;
    }
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut r = Radius::start_at(&format!("http://127.0.0.1:{closed}"), "sbt_unused");
    ready(&mut r).await;
    for (kind, attrs) in [
        ("pap", "User-Name = \"alice\"\nUser-Password = \"alice-pw-1\"\n"),
        ("chap", "User-Name = \"dave\"\nCHAP-Password = \"dave-pw-1\"\n"),
    ] {
        let out = run(
            "radclient",
            vec![
                "-x".into(),
                "-t".into(),
                "1".into(),
                "-r".into(),
                "1".into(),
                format!("127.0.0.1:{}", r.auth),
                "auth".into(),
                SECRET.into(),
            ],
            Some(attrs.into()),
        )
        .await;
        assert!(
            !out.contains("Access-Reject"),
            "{kind}: rejected in an outage:\n{out}\n{}",
            r.log()
        );
        assert!(!out.contains("Access-Accept"), "{kind}: {out}");
        assert!(out.contains("No reply"), "{kind}: {out}");
    }
    // Accounting is answered from the buffer on disk, kept for later.
    let out = acct(&r, "User-Name = \"alice\"\nAcct-Status-Type = Start\nAcct-Session-Id = \"o1\"\nNAS-IP-Address = 127.0.0.1\n").await;
    assert!(out.contains("Accounting-Response"), "{out}\n{}", r.log());
    let buffered = format!("{}{}", r.radacct("switchboard-detail"), r.radacct("detail.work"));
    assert!(buffered.contains("Acct-Session-Id = \"o1\""), "{buffered}");
    r.stop();
}

/// The subscriber's sessions once `done` holds for them: accounting
/// reaches Switchboard from FreeRADIUS's buffer a moment after the NAS
/// was answered.
async fn sessions_when(
    app: &TestApp,
    token: &str,
    user: &str,
    r: &Radius,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, s) = app.isp("GET", token, &format!("/api/v1/users/{user}/sessions"), None).await;
        if done(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "{user}'s sessions never settled: {s}\n{}", r.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn total(s: &serde_json::Value) -> i64 {
    s["meta"]["total"].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn freeradius_authenticates_and_accounts_against_switchboard() {
    if !installed() {
        eprintln!("skipped: FreeRADIUS is not installed (apt-get install freeradius freeradius-rest freeradius-utils)");
        return;
    }
    each_backend(|app| async move {
        let token = app.api_token(app.north, "isp").await;
        let mut profiles = Vec::new();
        for (name, chap) in [("Fibre 100", false), ("PPPoE 80", true)] {
            let p = app.isp("POST", &token, "/api/v1/profiles", Some(&json!({"name": name, "download_kbps": 100_000, "upload_kbps": 20_000, "price_pence": 3000, "framed_pool": "pool-a", "auth_type": if chap { "chap" } else { "pap" }}))).await.is(201);
            profiles.push(p["data"]["id"].as_i64().unwrap());
        }
        for (user, profile, extra) in [
            ("alice", profiles[0], json!({"static_ip": "100.64.0.10"})),
            ("bob", profiles[0], json!({})),
            ("carol", profiles[0], json!({"expiration": "2021-06-30"})),
            ("dave", profiles[1], json!({})),
            ("erin", profiles[0], json!({"password": "Fibre£2026"})),
            ("frank", profiles[0], json!({"password": " spaced pw "})),
        ] {
            let mut body = json!({"username": user, "password": format!("{user}-pw-1"), "profile_id": profile});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            app.isp("POST", &token, "/api/v1/users", Some(&body)).await.is(201);
        }
        assert_eq!(app.isp("POST", &token, "/api/v1/users/bob/suspend", None).await.0, 200);

        let mut r = Radius::start(&app, &token);
        ready(&mut r).await;

        let ok = radtest(&r, "pap", "alice", "alice-pw-1").await;
        assert!(ok.contains("Received Access-Accept"), "{ok}\n{}", r.log());
        assert!(ok.contains("Mikrotik-Rate-Limit = \"20M/100M\""), "{ok}");
        assert!(ok.contains("Framed-IP-Address = 100.64.0.10"), "{ok}");
        assert!(ok.contains("Session-Timeout = "), "{ok}");

        let wrong = radtest(&r, "pap", "alice", "not-her-password").await;
        assert!(wrong.contains("Received Access-Reject") && wrong.contains("Wrong password"), "{wrong}");
        assert!(!wrong.contains("Mikrotik-Rate-Limit"), "a reject carries only its reason: {wrong}");
        let bob = radtest(&r, "pap", "bob", "bob-pw-1").await;
        assert!(bob.contains("Access-Reject") && bob.contains("Account suspended"), "{bob}");
        let carol = radtest(&r, "pap", "carol", "carol-pw-1").await;
        assert!(carol.contains("Access-Reject") && carol.contains("Account expired on 2021-06-30"), "{carol}");
        let nobody = radtest(&r, "pap", "nobody", "whatever-1").await;
        assert!(nobody.contains("Access-Reject") && nobody.contains("Unknown user"), "{nobody}");

        // CHAP: FreeRADIUS checks it with the password Switchboard unseals.
        let chap = radtest(&r, "chap", "dave", "dave-pw-1").await;
        assert!(chap.contains("Received Access-Accept"), "{chap}\n{}", r.log());
        let chap_wrong = radtest(&r, "chap", "dave", "dave-pw-2").await;
        assert!(chap_wrong.contains("Access-Reject") && chap_wrong.contains("Reply-Message = \"Wrong password\""), "{chap_wrong}");

        // PAP passwords as typed: non-ASCII (rlm_rest sends each UTF-8
        // byte as a character) and spaces (never trimmed).
        let pound = radtest(&r, "pap", "erin", "Fibre£2026").await;
        assert!(pound.contains("Received Access-Accept"), "{pound}\n{}", r.log());
        let spaced = radtest(&r, "pap", "frank", " spaced pw ").await;
        assert!(spaced.contains("Received Access-Accept"), "{spaced}");
        let padded = radtest(&r, "pap", "alice", "alice-pw-1   ").await;
        assert!(padded.contains("Access-Reject") && padded.contains("Wrong password"), "{padded}");
        let chap_on_pap = radtest(&r, "chap", "alice", "alice-pw-1").await;
        assert!(chap_on_pap.contains("Access-Reject") && chap_on_pap.contains("CHAP is not enabled"), "{chap_on_pap}");

        // Accounting: a session opens, the limit of one holds, it closes.
        let start = acct(&r, "User-Name = \"alice\"\nAcct-Status-Type = Start\nAcct-Session-Id = \"8100000a\"\nNAS-IP-Address = 127.0.0.1\nFramed-IP-Address = 100.64.0.10\n").await;
        assert!(start.contains("Accounting-Response"), "{start}\n{}", r.log());
        sessions_when(&app, &token, "alice", &r, |s| total(s) == 1).await;
        let second = radtest(&r, "pap", "alice", "alice-pw-1").await;
        assert!(second.contains("Access-Reject") && second.contains("Session limit reached"), "{second}");
        let stop = acct(&r, "User-Name = \"alice\"\nAcct-Status-Type = Stop\nAcct-Session-Id = \"8100000a\"\nNAS-IP-Address = 127.0.0.1\n\
            Acct-Input-Octets = 1000\nAcct-Input-Gigawords = 1\nAcct-Output-Octets = 2000\nAcct-Session-Time = 120\nAcct-Terminate-Cause = User-Request\n").await;
        assert!(stop.contains("Accounting-Response"), "{stop}");
        let sessions = sessions_when(&app, &token, "alice", &r, |s| s["data"][0]["open"] == false).await;
        assert_eq!(total(&sessions), 1, "{sessions}");
        let s1 = &sessions["data"][0];
        assert_eq!(s1["bytes_in"], 4_294_967_296i64 + 1000);
        assert_eq!(s1["bytes_out"], 2000);
        assert_eq!(s1["session_time"], 120);
        assert_eq!(s1["terminate_cause"], "User-Request");
        assert_eq!(s1["nas_ip"], "127.0.0.1");
        // Dated when they happened: a Start the NAS held 30 s (and
        // FreeRADIUS's buffer a second or two more, which it adds), a Stop
        // stamped by the NAS's clock (rlm_rest writes it as a date).
        // The clock stands still from here, so each record arrives at
        // `now` and only its own delay dates it.
        let now = app.now();
        app.clock.set(now);
        let held = acct(&r, "User-Name = \"erin\"\nAcct-Status-Type = Start\nAcct-Session-Id = \"e1\"\nNAS-IP-Address = 127.0.0.1\nAcct-Delay-Time = 30\n").await;
        assert!(held.contains("Accounting-Response"), "{held}");
        let stamp = (now + chrono::Duration::seconds(300)).timestamp();
        let stamped = acct(&r, &format!("User-Name = \"erin\"\nAcct-Status-Type = Stop\nAcct-Session-Id = \"e1\"\nNAS-IP-Address = 127.0.0.1\nEvent-Timestamp = {stamp}\n")).await;
        assert!(stamped.contains("Accounting-Response"), "{stamped}");
        let erin = sessions_when(&app, &token, "erin", &r, |s| s["data"][0]["open"] == false).await;
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
        let dated = (30..=33).map(|s| fmt(now - chrono::Duration::seconds(s))).collect::<Vec<_>>();
        assert!(dated.contains(&erin["data"][0]["start"].as_str().unwrap().to_owned()), "{erin}\n{}", r.log());
        assert_eq!(erin["data"][0]["stop"], fmt(now + chrono::Duration::seconds(300)), "{erin}");

        let again = radtest(&r, "pap", "alice", "alice-pw-1").await;
        assert!(again.contains("Access-Accept"), "{again}");
        let (_, alice) = app.isp("GET", &token, "/api/v1/users/alice", None).await;
        assert_eq!(alice["data"]["last_auth_result"], "Access-Accept");

        r.stop();
        assert!(r.child.try_wait().unwrap().is_some(), "stopped");
        app
    })
    .await;
}

/// Switchboard goes down while a session runs. FreeRADIUS answers the NAS
/// from its buffer on disk; when Switchboard is back the session arrives
/// complete, in order, dated when it happened (by Event-Timestamp, or by
/// Acct-Delay-Time counting the time in the buffer). A reused session id
/// opens a new session; a record Switchboard refuses is set aside, not in
/// the way of those behind it.
#[tokio::test]
async fn accounting_survives_an_outage() {
    if !installed() {
        eprintln!("skipped: FreeRADIUS is not installed");
        return;
    }
    each_backend(|mut app| async move {
        let token = app.api_token(app.north, "isp").await;
        let p = app.isp("POST", &token, "/api/v1/profiles", Some(&json!({"name": "Fibre 50", "download_kbps": 50_000, "upload_kbps": 10_000, "price_pence": 2500}))).await.is(201);
        for user in ["gina", "hal"] {
            app.isp("POST", &token, "/api/v1/users", Some(&json!({"username": user, "password": format!("{user}-pw-1"), "profile_id": p["data"]["id"]}))).await.is(201);
        }
        let mut r = Radius::start(&app, &token);
        ready(&mut r).await;

        app.halt().await;
        let down = Instant::now();
        let t0 = app.now() - chrono::Duration::minutes(10);
        let at = |secs: i64| (t0 + chrono::Duration::seconds(secs)).timestamp();
        let gina = |kind: &str, secs: i64, extra: &str| {
            format!("User-Name = \"gina\"\nAcct-Status-Type = {kind}\nAcct-Session-Id = \"g1\"\nNAS-IP-Address = 127.0.0.1\nEvent-Timestamp = {}\n{extra}", at(secs))
        };
        let records = [
            gina("Start", 0, "Framed-IP-Address = 100.64.0.20\n"),
            gina("Interim-Update", 60, "Acct-Input-Octets = 500\nAcct-Output-Octets = 700\nAcct-Session-Time = 60\n"),
            gina("Stop", 120, "Acct-Input-Octets = 1500\nAcct-Output-Octets = 2700\nAcct-Session-Time = 120\nAcct-Terminate-Cause = Lost-Carrier\n"),
            // Malformed (no Acct-Session-Id): Switchboard answers 400.
            "User-Name = \"gina\"\nAcct-Status-Type = Start\nNAS-IP-Address = 127.0.0.1\nCalling-Station-Id = \"refused-one\"\n".to_owned(),
            // The NAS reuses the id for its next session.
            gina("Start", 180, "Framed-IP-Address = 100.64.0.21\n"),
            // No Event-Timestamp: dated by its time held.
            "User-Name = \"hal\"\nAcct-Status-Type = Start\nAcct-Session-Id = \"h1\"\nNAS-IP-Address = 127.0.0.1\n".to_owned(),
        ];
        for record in &records {
            let out = acct(&r, record).await;
            assert!(out.contains("Accounting-Response"), "answered from the buffer: {out}\n{}", r.log());
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        let outage = down.elapsed().as_secs() as i64;
        app.restart().await;

        let hal = sessions_when(&app, &token, "hal", &r, |s| total(s) == 1).await;
        let sessions = sessions_when(&app, &token, "gina", &r, |s| total(s) == 2).await;
        let fmt = |secs: i64| (t0 + chrono::Duration::seconds(secs)).format("%Y-%m-%d %H:%M:%S").to_string();
        let (new, old) = (&sessions["data"][0], &sessions["data"][1]);
        assert_eq!(old["start"], fmt(0), "{old}");
        assert_eq!(old["stop"], fmt(120), "{old}");
        assert_eq!((old["bytes_in"].as_i64(), old["bytes_out"].as_i64(), old["session_time"].as_i64()), (Some(1500), Some(2700), Some(120)), "{old}");
        assert_eq!((old["terminate_cause"].as_str(), old["framed_ip"].as_str()), (Some("Lost-Carrier"), Some("100.64.0.20")), "{old}");
        assert_eq!((new["open"].as_bool(), new["start"].as_str(), new["framed_ip"].as_str()), (Some(true), Some(fmt(180).as_str()), Some("100.64.0.21")), "{new}");

        // Held through the outage, and so dated before it ended.
        let started = chrono::NaiveDateTime::parse_from_str(hal["data"][0]["start"].as_str().unwrap(), "%Y-%m-%d %H:%M:%S").unwrap().and_utc();
        let held = (app.now() - started).num_seconds();
        assert!((outage - 1..outage + 30).contains(&held), "held {held} s in an outage of {outage} s: {hal}");

        let refused = r.radacct("switchboard-refused");
        assert!(refused.contains("refused-one") && !refused.contains("\"g1\""), "set aside: {refused}");
        r.stop();
        app
    })
    .await;
}

/// A proxy in front of Switchboard failing every post-auth call with a
/// 500, as a Switchboard in trouble would; answers its URL and how many it
/// failed.
async fn failing_post_auth(
    upstream: String,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::{extract::Request, http::StatusCode, response::IntoResponse};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let failed = std::sync::Arc::new(AtomicUsize::new(0));
    let count = failed.clone();
    let http = reqwest::Client::new();
    let proxy = axum::Router::new().fallback(move |req: Request| {
        let (http, upstream, count) = (http.clone(), upstream.clone(), count.clone());
        async move {
            if req.uri().path() == "/radius/post-auth" {
                count.fetch_add(1, Ordering::SeqCst);
                return (StatusCode::INTERNAL_SERVER_ERROR, "injected").into_response();
            }
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let mut forward = http.request(parts.method, format!("{upstream}{}", parts.uri));
            for (name, value) in &parts.headers {
                if name != "host" && name != "content-length" {
                    forward = forward.header(name, value);
                }
            }
            let answer = forward.body(body).send().await.unwrap();
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            let kind = answer.headers().get("content-type").cloned();
            let mut out = (status, answer.bytes().await.unwrap()).into_response();
            if let Some(kind) = kind {
                out.headers_mut().insert("content-type", kind);
            }
            out
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, proxy).await.unwrap() });
    (url, failed)
}

/// Post-auth only records the outcome: when Switchboard cannot take it,
/// an accept stays an accept (with its attributes), and a reject a reject.
#[tokio::test]
async fn a_failing_post_auth_never_turns_an_accept_into_a_reject() {
    if !installed() {
        eprintln!("skipped: FreeRADIUS is not installed");
        return;
    }
    let app = TestApp::start("sqlite").await;
    let token = app.api_token(app.north, "isp").await;
    for (name, chap) in [("Fibre 30", false), ("PPPoE 30", true)] {
        let p = app.isp("POST", &token, "/api/v1/profiles", Some(&json!({"name": name, "download_kbps": 30_000, "upload_kbps": 5_000, "price_pence": 2000, "auth_type": if chap { "chap" } else { "pap" }}))).await.is(201);
        let user = if chap { "jack" } else { "ivy" };
        app.isp("POST", &token, "/api/v1/users", Some(&json!({"username": user, "password": format!("{user}-pw-1"), "profile_id": p["data"]["id"]}))).await.is(201);
    }
    let (proxy, failed) = failing_post_auth(app.url("")).await;
    let mut r = Radius::start_at(&proxy, &token);
    ready(&mut r).await;

    let pap = radtest(&r, "pap", "ivy", "ivy-pw-1").await;
    assert!(
        pap.contains("Received Access-Accept") && pap.contains("Mikrotik-Rate-Limit = \"5M/30M\""),
        "{pap}\n{}",
        r.log()
    );
    let chap = radtest(&r, "chap", "jack", "jack-pw-1").await;
    assert!(chap.contains("Received Access-Accept"), "{chap}\n{}", r.log());
    let wrong = radtest(&r, "pap", "ivy", "not-ivy").await;
    assert!(wrong.contains("Access-Reject") && wrong.contains("Wrong password"), "{wrong}");
    let calls = failed.load(std::sync::atomic::Ordering::SeqCst);
    assert!(calls >= 2, "post-auth was called and failed {calls} times");
    r.stop();
    app.stop().await;
}
