//! Webhooks: a partner's endpoints (created with a secret shown once,
//! listed, deleted), their deliveries, a redelivery on demand, and the
//! worker's two steps of each attempt: what to send, and what became of
//! it (`domain::webhook` decides the retry, the disabling).

use crate::error::missing;
use crate::{App, Error, Principal, Result};
use domain::webhook::{self, Next, Response};
use domain::Scope;
use store::webhooks::{AttemptRow, Attempted, DeliveryRow, EventRow, WebhookRow};

/// One attempt ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub webhook_id: i64,
    pub url: String,
    /// The `webhook-id`: the event's id, the same on every attempt.
    pub msg_id: String,
    pub timestamp: i64,
    pub body: String,
    pub signature: String,
    /// How long the endpoint has been failing, in seconds.
    pub failing_for: Option<i64>,
}

/// What an attempt found.
#[derive(Debug, Clone)]
pub struct Sent {
    pub response: Response,
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl App {
    /// CreateWebhook: registers an endpoint for the caller's partner;
    /// answers it with its secret (shown this once).
    pub async fn create_webhook(
        &self,
        who: &Principal,
        url: &str,
        event_types: &[String],
        description: &str,
    ) -> Result<WebhookRow> {
        may_use_webhooks(who)?;
        let url = webhook::check_url(url, self.webhooks_allow_private)?;
        let types = webhook::check_event_types(event_types)?;
        let description = domain::text::check_description(description)?;
        let secret = webhook::new_secret(rand::random());
        Ok(self
            .store
            .webhooks()
            .create(who.partner_id, url.as_str(), &types, description.trim(), &secret)
            .await?)
    }

    /// ListWebhooks: the caller's endpoints.
    pub async fn webhooks(&self, who: &Principal) -> Result<Vec<WebhookRow>> {
        may_use_webhooks(who)?;
        Ok(self.store.webhooks().list(who.visibility()).await?)
    }

    /// One of the caller's endpoints.
    pub async fn webhook(&self, who: &Principal, id: i64) -> Result<WebhookRow> {
        may_use_webhooks(who)?;
        domain::paging::check_id("webhookId", id)?;
        self.store.webhooks().get(who.visibility(), id).await.map_err(missing("webhook", id))
    }

    /// DeleteWebhook.
    pub async fn delete_webhook(&self, who: &Principal, id: i64) -> Result<()> {
        may_use_webhooks(who)?;
        domain::paging::check_id("webhookId", id)?;
        self.store.webhooks().delete(who.visibility(), id).await.map_err(missing("webhook", id))
    }

    /// GetDeliveries: an endpoint's deliveries, newest first, each with
    /// its attempts.
    pub async fn deliveries(
        &self,
        who: &Principal,
        webhook_id: i64,
        page: domain::paging::PageRequest,
    ) -> Result<(Vec<(DeliveryRow, Vec<AttemptRow>)>, i64)> {
        let hook = self.webhook(who, webhook_id).await?;
        Ok(self.store.webhooks().deliveries(hook.id, page).await?)
    }

    /// RedeliverEvent: sends one of the caller's events to an endpoint
    /// again, now; an endpoint disabled is enabled again.
    pub async fn redeliver(&self, who: &Principal, webhook_id: i64, event_id: &str) -> Result<i64> {
        let hook = self.webhook(who, webhook_id).await?;
        if event_id.trim().is_empty() {
            return Err(domain::Error::invalid("eventId", "name the event (msg_…)").into());
        }
        self.store
            .webhooks()
            .redeliver(&hook, event_id.trim())
            .await
            .map_err(missing("event", event_id))
    }

    /// The worker's first step: what attempt `attempt` of a delivery sends,
    /// signed; `None` when nothing is to be sent.
    pub async fn webhook_outgoing(
        &self,
        delivery_id: i64,
        attempt: i64,
    ) -> Result<Option<Outgoing>> {
        let Some((hook, event)) = self.store.webhooks().outgoing(delivery_id, attempt).await?
        else {
            return Ok(None);
        };
        let now = self.store.now();
        Ok(Some(outgoing(&hook, &event, now)?))
    }

    /// The worker's second step: records the attempt and what follows.
    pub async fn webhook_sent(
        &self,
        delivery_id: i64,
        attempt: i64,
        out: &Outgoing,
        sent: &Sent,
    ) -> Result<Next> {
        let next = webhook::after_attempt(
            u32::try_from(attempt).unwrap_or(u32::MAX),
            sent.response,
            out.failing_for,
            rand::random::<u32>() % 1001,
        );
        let status_code = match sent.response {
            Response::Status { code, .. } => Some(i64::from(code)),
            Response::Failed => None,
        };
        self.store
            .webhooks()
            .attempted(
                delivery_id,
                out.webhook_id,
                &Attempted {
                    attempt,
                    status_code,
                    error: sent.error.clone(),
                    duration_ms: sent.duration_ms,
                    next,
                },
            )
            .await?;
        Ok(next)
    }
}

fn outgoing(
    hook: &WebhookRow,
    event: &EventRow,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Outgoing> {
    let timestamp = now.timestamp();
    let signature = webhook::sign(&hook.secret, &event.id, timestamp, &event.payload)
        .map_err(|e| Error::Internal(format!("webhook {}: {e}", hook.id)))?;
    Ok(Outgoing {
        webhook_id: hook.id,
        url: hook.url.clone(),
        msg_id: event.id.clone(),
        timestamp,
        body: event.payload.clone(),
        signature,
        failing_for: hook.failing_since.map(|t| (now - t).num_seconds()),
    })
}

/// Webhooks carry usage's events and the agreements face's: either scope
/// may manage them.
fn may_use_webhooks(who: &Principal) -> Result<()> {
    who.require(Scope::Usage).or_else(|_| who.require(Scope::Agreements))
}
