//! Starting `switchboard serve` as a user would, for the binary's tests:
//! it prints its address and a demo client's credentials, which are read
//! here.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};

/// Sends `req` and reads its answer as JSON.
pub async fn json(req: reqwest::RequestBuilder) -> Value {
    req.send().await.unwrap().json().await.unwrap()
}

/// A running server and what it printed.
pub struct Served {
    pub child: Child,
    pub base: String,
    pub id: String,
    pub secret: String,
    /// The demo ISP's API token, when the demo printed one.
    pub isp_token: String,
    /// The rest of its standard output, kept open while the server runs.
    pub out: Lines<BufReader<ChildStdout>>,
}

/// Spawns `cmd` (a `serve` command) and reads what it prints up to the
/// docs URL.
pub fn serve(mut cmd: Command) -> Served {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut id, mut secret, mut base, mut isp_token) =
        (String::new(), String::new(), String::new(), String::new());
    for line in out.by_ref() {
        let line = line.unwrap();
        if let Some(v) = line.trim().strip_prefix("token:") {
            isp_token = v.trim().into();
        } else if let Some(v) = line.trim().strip_prefix("client_id:") {
            id = v.trim().into();
        } else if let Some(v) = line.trim().strip_prefix("client_secret:") {
            secret = v.trim().into();
        } else if let Some(v) = line.strip_prefix("Switchboard listening on ") {
            base = v.split_whitespace().next().unwrap().into();
        } else if line.trim().starts_with("Docs:") {
            break;
        }
    }
    assert!(
        !id.is_empty() && !secret.is_empty() && base.starts_with("http://127.0.0.1:"),
        "the server started and printed its client"
    );
    Served { child, base, id, secret, isp_token, out }
}

impl Served {
    /// An access token for the demo client.
    pub async fn token(&self, http: &reqwest::Client) -> String {
        let t = json(
            http.post(format!("{}/token", self.base))
                .basic_auth(&self.id, Some(&self.secret))
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
        t["access_token"].as_str().unwrap().to_owned()
    }
}
