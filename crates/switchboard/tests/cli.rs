//! The binary's commands, run as a user would: migrate, demo, partner,
//! client and user management with --json output, and serve with --demo
//! until SIGTERM.

mod common;

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env { dir: tempfile::tempdir().unwrap() }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        c.current_dir(self.dir.path())
            .env_remove("SWITCHBOARD_DATABASE_URL")
            .env_remove("SWITCHBOARD_CONFIG")
            .env("SWITCHBOARD_LOG", "warn");
        c
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.cmd().args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    fn json(&self, args: &[&str]) -> Value {
        let (ok, out, err) = self.run(args);
        assert!(ok, "{args:?} failed: {err}");
        serde_json::from_str(out.trim())
            .unwrap_or_else(|e| panic!("{args:?} printed non-JSON ({e}): {out}"))
    }
}

#[test]
fn admin_commands_with_json_output() {
    let env = Env::new();
    let (ok, out, _) = env.run(&["migrate"]);
    assert!(ok && out.contains("sqlite"));
    assert!(
        env.dir.path().join("switchboard.db").exists(),
        "default database in the working directory"
    );

    let p = env.json(&["partner", "create", "Acme Dealers", "--json"]);
    let pid = p["id"].as_i64().unwrap();
    assert_eq!(p["name"], "Acme Dealers");
    let (ok, _, err) = env.run(&["partner", "create", "Acme Dealers"]);
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = env.run(&["partner", "create", "  "]);
    assert!(!ok && err.contains("name: is required"), "{err}");
    let list = env.json(&["partner", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);

    let c = env.json(&[
        "client",
        "create",
        "--partner",
        &pid.to_string(),
        "--scopes",
        "customers,connections",
        "--json",
    ]);
    let client_id = c["client_id"].as_str().unwrap().to_owned();
    let secret = c["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 32, "at least 128 bits");
    let listed = env.json(&["client", "list", "--json"]);
    let text = listed.to_string();
    assert!(text.contains(&client_id) && !text.contains(secret), "the secret is never listed");
    let db = std::fs::read(env.dir.path().join("switchboard.db")).unwrap();
    assert!(
        !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret is stored only as a hash"
    );

    let (ok, _, err) = env.run(&["client", "create", "--partner", "999", "--scopes", "customers"]);
    assert!(!ok && err.contains("partner 999 not found"), "{err}");
    let (ok, _, err) =
        env.run(&["client", "create", "--partner", &pid.to_string(), "--scopes", "root"]);
    assert!(!ok && err.contains("unknown scope"), "{err}");

    let (ok, out, _) = env.run(&["client", "revoke", &client_id]);
    assert!(ok && out.contains("revoked"));
    let (ok, _, err) = env.run(&["client", "revoke", &client_id]);
    assert!(!ok && err.contains("already revoked"), "{err}");
    let (ok, _, err) = env.run(&["client", "revoke", "sb_nobody"]);
    assert!(!ok && err.contains("not found"), "{err}");

    let u = env.json(&[
        "user",
        "create",
        "--partner",
        &pid.to_string(),
        "--username",
        "acmeapi",
        "--scopes",
        "customers",
        "--json",
    ]);
    assert_eq!(u["username"], "acmeapi");
    assert!(u["password"].as_str().unwrap().len() >= 32);
    assert!(u.get("password_hash").is_none());
    let mut child = env
        .cmd()
        .args([
            "user",
            "create",
            "--partner",
            &pid.to_string(),
            "--username",
            "second",
            "--scopes",
            "customers",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("12 characters")
    );
}

#[test]
fn demo_and_synthetic_connections() {
    let env = Env::new();
    let (ok, out, err) = env.run(&["demo"]);
    assert!(ok, "{err}");
    assert!(out.contains("seeded demo data"), "{out}");
    let (ok, out, _) = env.run(&["demo"]);
    assert!(ok && out.contains("already"), "seeding twice does nothing: {out}");
    let (ok, out, err) = env.run(&["demo", "--connections", "250"]);
    assert!(ok, "{err}");
    assert!(out.contains("07400000000") && out.contains("07400000249"), "{out}");
    let (ok, out, _) = env.run(&["demo", "--connections", "10"]);
    assert!(ok && out.contains("07400000250"), "a second run continues the range: {out}");
}

#[test]
fn api_tokens_are_shown_once_listed_and_revoked() {
    let env = Env::new();
    let p = env.json(&["partner", "create", "Fibre Co", "--json"]);
    let pid = p["id"].as_i64().unwrap().to_string();
    let (ok, _, err) =
        env.run(&["user", "create", "--partner", &pid, "--username", "radius", "--scopes", "isp"]);
    assert!(ok, "{err}");
    let t =
        env.json(&["token", "create", "--user", "radius", "--description", "FreeRADIUS", "--json"]);
    let token = t["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("sbt_") && token.len() >= 4 + 64, "256 bits: {token}");
    assert_eq!(
        (t["username"].as_str(), t["description"].as_str()),
        (Some("radius"), Some("FreeRADIUS"))
    );
    let listed = env.json(&["token", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&token), "never listed");
    let db = std::fs::read(env.dir.path().join("switchboard.db")).unwrap();
    assert!(!db.windows(token.len()).any(|w| w == token.as_bytes()), "stored only as a hash");
    let id = t["id"].as_i64().unwrap().to_string();
    let (ok, out, _) = env.run(&["token", "revoke", &id]);
    assert!(ok && out.contains("revoked"), "{out}");
    let listed = env.json(&["token", "list", "--user", "radius", "--json"]);
    assert!(listed[0]["revoked_at"].is_string(), "{listed}");
    let (ok, _, err) = env.run(&["token", "revoke", &id]);
    assert!(!ok && err.contains(&format!("token {id} is already revoked")), "{err}");
    let (ok, _, err) = env.run(&["token", "create", "--user", "nobody"]);
    assert!(!ok && err.contains("no user named"), "{err}");
    let long = "d".repeat(201);
    let (ok, _, err) = env.run(&["token", "create", "--user", "radius", "--description", &long]);
    assert!(!ok && err.contains("description: at most 200 characters"), "{err}");
}

#[test]
fn network_events_name_what_is_wrong() {
    let env = Env::new();
    assert!(env.run(&["demo"]).0);
    for (args, needle) in [
        (
            &["network", "switch-out", "--network", "Vodafone", "--code", "ZZZ000000"][..],
            "no PAC ZZZ000000 was issued on Vodafone",
        ),
        (
            &["network", "switch-out", "--network", "EE", "--code", "000000zzz"],
            "no STAC 000000ZZZ was issued on EE",
        ),
        (
            &["network", "switch-out", "--network", "Three", "--code", "ZZZ000000"],
            "not Vodafone, O2 or EE",
        ),
        (&["network", "switch-out", "--network", "O2", "--code", "12AB"], "neither a PAC"),
        (
            &[
                "network",
                "esim-downloaded",
                "--network",
                "Vodafone",
                "--cli",
                "07700900000",
                "--eid",
                "89049032000000000000000000001230",
            ],
            "no live eSIM connection 07700900000",
        ),
    ] {
        let (ok, out, err) = env.run(args);
        assert!(!ok, "{args:?} succeeded: {out}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn config_file_and_bad_values() {
    let env = Env::new();
    std::fs::write(env.dir.path().join("sb.toml"), "database_url = \"sqlite://from-file.db\"\n")
        .unwrap();
    let (ok, _, err) = env.run(&["--config", "sb.toml", "migrate"]);
    assert!(ok, "{err}");
    assert!(env.dir.path().join("from-file.db").exists());
    std::fs::write(env.dir.path().join("bad.toml"), "databse_url = 1\n").unwrap();
    let (ok, _, err) = env.run(&["--config", "bad.toml", "migrate"]);
    assert!(!ok && err.contains("unknown field"), "{err}");
    let (ok, _, err) = env.run(&["--database-url", "mysql://x", "migrate"]);
    assert!(!ok && err.contains("unsupported database URL"), "{err}");
}

#[cfg(unix)]
#[test]
fn serve_demo_prints_credentials_answers_and_stops_on_sigterm() {
    let env = Env::new();
    let mut cmd = env.cmd();
    cmd.args(["serve", "--demo", "--listen", "127.0.0.1:0"]);
    let mut served = common::serve(cmd);
    let (base, isp_token) = (served.base.clone(), served.isp_token.clone());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let token = served.token(&http).await;
        let c = common::json(
            http.get(format!("{base}/api/Connections/GetConnectionByCLI?cli=%2B447700900000"))
                .bearer_auth(token),
        )
        .await;
        assert_eq!(c["cli"], "07700900000", "{c}");
        let users = common::json(
            http.get(format!("{base}/api/v1/users?status=suspended"))
                .header("X-Auth-Token", &isp_token),
        )
        .await;
        assert_eq!(users["data"][0]["username"], "bob", "{users}");
    });
    let status =
        Command::new("kill").args(["-TERM", &served.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = served.child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
}

/// `serve` runs the provisioning worker in-process: an order submitted over
/// HTTP goes live without anything else running. And `worker` alone starts
/// and stops on SIGTERM.
#[cfg(unix)]
#[test]
fn serve_provisions_orders_and_worker_runs_alone() {
    let env = Env::new();
    let mut cmd = env.cmd();
    cmd.args([
        "serve",
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--carrier-latency-ms",
        "0",
        "--carrier-rejection-rate",
        "0",
        "--carrier-fault-rate",
        "0",
    ]);
    let mut served = common::serve(cmd);
    let base = served.base.clone();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let status = rt.block_on(async {
        let http = reqwest::Client::new();
        let token = served.token(&http).await;
        let post = |path: &str, body: Value| {
            let req = http.post(format!("{base}{path}")).bearer_auth(&token).json(&body);
            async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
        };
        let tariffs: Value = http.get(format!("{base}/api/Tariffs/ListTariffsForNetwork?network=O2")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let tariff = tariffs["items"][0]["tariffId"].as_i64().unwrap();
        let order = post("/api/Orders/CreateDraftOrder", serde_json::json!({"customerId": 1000})).await["orderId"].as_i64().unwrap();
        let iccid = domain::sim::make_iccid(domain::Network::O2, 777_777);
        let added = post("/api/Orders/AddMobileToOrder", serde_json::json!({"orderId": order, "connectionType": "New", "network": "O2", "tariffId": tariff, "iccid": iccid, "billCapOffered": true})).await;
        assert!(added["orderMobileId"].is_i64(), "{added}");
        let submitted = post("/api/Orders/SubmitOrder", serde_json::json!({"orderId": order})).await;
        assert_eq!(submitted["status"], "Submitted");
        // The in-process worker polls the queue; wait for it, bounded.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let m: Value = http.get(format!("{base}/api/Orders/MonitorOrder?orderId={order}")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            if m["status"] == "Completed" || std::time::Instant::now() > deadline {
                return m["status"].as_str().unwrap().to_owned();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    });
    assert_eq!(status, "Completed");
    Command::new("kill").args(["-TERM", &served.child.id().to_string()]).status().unwrap();
    assert!(served.child.wait().unwrap().success());

    let mut worker =
        env.cmd().args(["worker"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let first = BufReader::new(worker.stdout.take().unwrap()).lines().next().unwrap().unwrap();
    assert!(first.contains("provisioning worker running"), "{first}");
    Command::new("kill").args(["-TERM", &worker.id().to_string()]).status().unwrap();
    assert!(worker.wait().unwrap().success(), "the worker stops cleanly");
}

#[test]
fn usage_import_reports_bad_rows_by_line_and_is_idempotent() {
    let env = Env::new();
    assert!(env.run(&["demo"]).0);
    let (ok, _, err) = env.run(&["usage", "generate", "2000", "--out", "u.csv"]);
    assert!(ok, "{err}");
    let path = env.dir.path().join("u.csv");
    let good = std::fs::read_to_string(&path).unwrap();
    assert!(
        good.starts_with("network,record_id,cli,kind,direction,destination,event_time,quantity\n")
    );
    let cli = good.lines().nth(1).unwrap().split(',').nth(2).unwrap().to_owned();
    // Four bad rows after the 2,000 good ones (lines 2,002 to 2,005).
    let bad = format!(
        "Vodafone,bad-1,07700900999,Data,Outgoing,UK,2026-01-01T00:00:00Z,1\n\
         Vodafone,bad-2,{cli},Data,Outgoing,UK,2026-01-01T00:00:00Z,-5\n\
         Vodafone,bad-3,{cli},Data\n\
         Vodafone,bad-4,{cli},Data,Outgoing,UK,yesterday,1\n"
    );
    std::fs::write(&path, format!("{good}{bad}")).unwrap();

    let (ok, out, err) = env.run(&["usage", "import", "u.csv"]);
    assert!(ok, "{err}");
    assert!(out.contains("read 2004, stored 2000, duplicates 0, rejected 4"), "{out}");
    let rejects = std::fs::read_to_string(env.dir.path().join("u.csv.rejects.csv")).unwrap();
    let lines: Vec<&str> = rejects.lines().collect();
    assert_eq!(
        lines[0],
        "line,reason,network,record_id,cli,kind,direction,destination,event_time,quantity"
    );
    for (line, (at, says)) in lines[1..].iter().zip([
        ("2002,", "cli:"),
        ("2003,", "quantity"),
        ("2004,", "has 4 fields where the header has 8"),
        ("2005,", "eventTime"),
    ]) {
        assert!(line.starts_with(at) && line.contains(says), "{rejects}");
    }

    // Again: every good record is a duplicate; nothing changes.
    let (ok, out, _) = env.run(&["usage", "import", "u.csv"]);
    assert!(ok && out.contains("read 2004, stored 0, duplicates 2000, rejected 4"), "{out}");

    // Gzip, truncated: what was read is imported, the rest not, and it says so.
    let more = env.dir.path().join("more.csv");
    assert!(
        env.run(&["usage", "generate", "3000", "--seed", "2", "--out", more.to_str().unwrap()]).0
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(&more).unwrap()).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(env.dir.path().join("cut.csv.gz"), &gz[..gz.len() * 2 / 3]).unwrap();
    let (ok, _, err) = env.run(&["usage", "import", "cut.csv.gz"]);
    assert!(!ok, "a truncated file is not a success");
    assert!(err.contains("stopped early") && err.contains("cannot be read from line"), "{err}");
    std::fs::write(env.dir.path().join("whole.csv.gz"), &gz).unwrap();
    let (ok, out, err) = env.run(&["usage", "import", "whole.csv.gz"]);
    assert!(ok, "{err}");
    // The summary's count after `name`, as in "stored 12, duplicates 3".
    let count = |name: &str| -> u64 {
        let after = out.split(name).nth(1).unwrap_or_else(|| panic!("no {name:?} in {out}"));
        after.split(',').next().unwrap().parse().unwrap()
    };
    let (stored, dups) = (count("stored "), count("duplicates "));
    assert!(dups > 0 && stored > 0 && stored + dups == 3000, "the rest imported once: {out}");

    // A header without the columns: nothing imported.
    std::fs::write(env.dir.path().join("odd.csv"), "a,b\n1,2\n").unwrap();
    let (ok, _, err) = env.run(&["usage", "import", "odd.csv"]);
    assert!(
        !ok && err.contains("the header lacks the columns") && err.contains("nothing was imported"),
        "{err}"
    );
}

#[test]
fn portal_users_are_created_with_a_role_and_a_password_shown_once() {
    let env = Env::new();
    let (ok, _, err) = env.run(&["demo"]);
    assert!(ok, "{err}");
    let (ok, out, err) = env.run(&[
        "portal-user",
        "create",
        "--partner",
        "1",
        "--username",
        "Ops.Admin",
        "--role",
        "platform-admin",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("created portal user ops.admin (platform-admin)"), "{out}");
    let password =
        out.lines().find_map(|l| l.trim().strip_prefix("password: ")).expect("the password, once");
    assert!(password.split_whitespace().next().unwrap().len() >= 12);
    let (ok, _, err) = env.run(&[
        "portal-user",
        "create",
        "--partner",
        "1",
        "--username",
        "ops.admin",
        "--role",
        "platform-admin",
    ]);
    assert!(!ok && err.contains("exists already"), "{err}");
    let (ok, _, err) = env.run(&[
        "portal-user",
        "create",
        "--partner",
        "1",
        "--username",
        "someone",
        "--role",
        "boss",
    ]);
    assert!(!ok && err.contains("role"), "{err}");
}
