//! Sending webhook attempts: a POST of the event's body with the Standard
//! Webhooks headers, a 15 s timeout, no redirects followed, and (unless
//! configured to allow them) no delivery to an endpoint whose name
//! resolves to a loopback or private address.

use app::webhooks::{Outgoing, Sent};
use domain::webhook::{self, Response};
use std::time::{Duration, Instant};

/// Sends attempts.
#[derive(Clone, Debug)]
pub struct Sender {
    http: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    pub fn new(allow_private: bool) -> Sender {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(webhook::TIMEOUT_SECONDS))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Switchboard-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client builds");
        Sender { http, allow_private }
    }

    /// Sends one attempt; answers what the endpoint did.
    pub async fn send(&self, out: &Outgoing) -> Sent {
        let started = Instant::now();
        let done = |response, error: Option<String>| Sent {
            response,
            error,
            duration_ms: started.elapsed().as_millis() as i64,
        };
        if let Err(why) = self.check_address(&out.url).await {
            return done(Response::Failed, Some(why));
        }
        let answer = self
            .http
            .post(&out.url)
            .header("content-type", "application/json")
            .header("webhook-id", &out.msg_id)
            .header("webhook-timestamp", out.timestamp.to_string())
            .header("webhook-signature", &out.signature)
            .body(out.body.clone())
            .send()
            .await;
        match answer {
            Ok(r) => {
                let code = r.status().as_u16();
                let retry_after = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(webhook::retry_after);
                let error =
                    (!r.status().is_success()).then(|| format!("the endpoint answered {code}"));
                done(Response::Status { code, retry_after }, error)
            }
            Err(e) if e.is_timeout() => done(
                Response::Failed,
                Some(format!("no answer within {} s", webhook::TIMEOUT_SECONDS)),
            ),
            Err(e) => done(Response::Failed, Some(format!("could not reach the endpoint: {e}"))),
        }
    }

    /// Refuses an endpoint whose host resolves to an internal address
    /// (the URL was checked when registered; a name may since point
    /// elsewhere).
    async fn check_address(&self, url: &str) -> Result<(), String> {
        if self.allow_private {
            return Ok(());
        }
        let u = url::Url::parse(url).map_err(|e| format!("the URL does not parse: {e}"))?;
        let host = u.host_str().ok_or("the URL names no host")?;
        let port = u.port_or_known_default().unwrap_or(443);
        let addrs = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| format!("{host} does not resolve: {e}"))?;
        for a in addrs {
            if webhook::is_internal(a.ip()) {
                return Err(format!(
                    "{host} resolves to {}, a loopback or private address",
                    a.ip()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_name_that_resolves_to_a_private_address_is_not_sent_to() {
        let out = Outgoing {
            webhook_id: 1,
            url: "http://localhost:9/in".into(),
            msg_id: "msg_1".into(),
            timestamp: 0,
            body: "{}".into(),
            signature: "v1,x".into(),
            failing_for: None,
        };
        let sent = Sender::new(false).send(&out).await;
        assert_eq!(sent.response, Response::Failed);
        assert!(sent.error.as_deref().unwrap().contains("loopback or private"), "{:?}", sent.error);
        // Allowed: it is tried (and nothing listens on the discard port).
        let sent = Sender::new(true).send(&out).await;
        assert!(sent.error.unwrap().contains("could not reach"));
    }
}
