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
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
            .stderr(Stdio::from(
                std::fs::File::options().append(true).open(&log).unwrap(),
            ))
            .spawn()
            .expect("start freeradius");
        Radius {
            child,
            log,
            auth,
            acct,
            _dir: dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops FreeRADIUS by its PID (SIGTERM) and waits for it.
    fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.child.id().to_string())
                .status();
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
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        } else {
            drop(child.stdin.take());
        }
        let out = child.wait_with_output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
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
        (
            "pap",
            "User-Name = \"alice\"\nUser-Password = \"alice-pw-1\"\n",
        ),
        (
            "chap",
            "User-Name = \"dave\"\nCHAP-Password = \"dave-pw-1\"\n",
        ),
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
    // Accounting likewise: no Accounting-Response, so the NAS keeps it.
    let out = acct(&r, "User-Name = \"alice\"\nAcct-Status-Type = Start\nAcct-Session-Id = \"o1\"\nNAS-IP-Address = 127.0.0.1\n").await;
    assert!(!out.contains("Accounting-Response"), "{out}");
    r.stop();
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
        let second = radtest(&r, "pap", "alice", "alice-pw-1").await;
        assert!(second.contains("Access-Reject") && second.contains("Session limit reached"), "{second}");
        let stop = acct(&r, "User-Name = \"alice\"\nAcct-Status-Type = Stop\nAcct-Session-Id = \"8100000a\"\nNAS-IP-Address = 127.0.0.1\n\
            Acct-Input-Octets = 1000\nAcct-Input-Gigawords = 1\nAcct-Output-Octets = 2000\nAcct-Session-Time = 120\nAcct-Terminate-Cause = User-Request\n").await;
        assert!(stop.contains("Accounting-Response"), "{stop}");
        let (s, sessions) = app.isp("GET", &token, "/api/v1/users/alice/sessions", None).await;
        assert_eq!((s, sessions["meta"]["total"].as_i64()), (200, Some(1)), "{sessions}");
        let s1 = &sessions["data"][0];
        assert_eq!(s1["bytes_in"], 4_294_967_296i64 + 1000);
        assert_eq!(s1["bytes_out"], 2000);
        assert_eq!(s1["session_time"], 120);
        assert_eq!(s1["terminate_cause"], "User-Request");
        assert_eq!(s1["nas_ip"], "127.0.0.1");
        // Dated when they happened: a Start the NAS held 30 s, a Stop
        // stamped by the NAS's clock (rlm_rest writes it as a date).
        let now = app.now();
        let held = acct(&r, "User-Name = \"erin\"\nAcct-Status-Type = Start\nAcct-Session-Id = \"e1\"\nNAS-IP-Address = 127.0.0.1\nAcct-Delay-Time = 30\n").await;
        assert!(held.contains("Accounting-Response"), "{held}");
        let stamp = (now + chrono::Duration::seconds(300)).timestamp();
        let stamped = acct(&r, &format!("User-Name = \"erin\"\nAcct-Status-Type = Stop\nAcct-Session-Id = \"e1\"\nNAS-IP-Address = 127.0.0.1\nEvent-Timestamp = {stamp}\n")).await;
        assert!(stamped.contains("Accounting-Response"), "{stamped}");
        let (_, erin) = app.isp("GET", &token, "/api/v1/users/erin/sessions", None).await;
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
        assert_eq!(erin["data"][0]["start"], fmt(now - chrono::Duration::seconds(30)), "{erin}\n{}", r.log());
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
