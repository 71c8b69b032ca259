//! Events and their webhook deliveries (migration 0011). [`emit`] is the
//! outbox: it writes the event, a delivery for each of the partner's
//! endpoints that asked for its type, and each delivery's first job, in
//! the transaction that made the change, so an event is sent if and only
//! if its change was committed.

use crate::jobs::DeliverWebhook;
use crate::tx::Tx;
use crate::{args, Result, StoreError, Visibility, Webhooks};
use chrono::{DateTime, Utc};
use domain::webhook::Next;

/// A partner's endpoint.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct WebhookRow {
    pub id: i64,
    pub partner_id: i64,
    pub url: String,
    /// JSON array of event types.
    pub event_types: String,
    pub description: String,
    pub secret: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const WEBHOOK_COLS: &str = "id, partner_id, url, event_types, description, secret, enabled, disabled_reason, failing_since, created_at";

impl WebhookRow {
    pub fn event_types(&self) -> Vec<String> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }
}

/// An event as stored.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct EventRow {
    pub id: String,
    pub partner_id: i64,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub payload: String,
    pub created_at: DateTime<Utc>,
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const DELIVERY_SELECT: &str = "SELECT d.id, d.webhook_id, d.event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at, d.created_at, d.updated_at \
     FROM webhook_deliveries d JOIN events e ON e.id = d.event_id";

/// One attempt at a delivery.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct AttemptRow {
    pub id: i64,
    pub delivery_id: i64,
    pub at: DateTime<Utc>,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What an attempt found, to record.
#[derive(Debug, Clone)]
pub struct Attempted {
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub next: Next,
}

/// Writes an event for `partner_id` and queues its deliveries, inside the
/// caller's transaction. Answers the event's id; `None` when no endpoint
/// of the partner asked for this type (then nothing is written).
pub async fn emit(
    tx: &mut Tx,
    partner_id: i64,
    kind: &str,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let hooks: Vec<(i64, String)> = tx
        .fetch_all(
            "SELECT id, event_types FROM webhooks WHERE partner_id = $1 AND enabled AND deleted_at IS NULL ORDER BY id",
            args![partner_id],
        )
        .await?;
    let hooks: Vec<i64> =
        hooks.into_iter().filter(|(_, types)| subscribed(types, kind)).map(|(id, _)| id).collect();
    if hooks.is_empty() {
        return Ok(None);
    }
    let id = format!("msg_{:032x}", rand::random::<u128>());
    let payload = serde_json::json!({
        "type": kind,
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string();
    tx.execute(
        "INSERT INTO events (id, partner_id, type, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
        args![id.as_str(), partner_id, kind, payload, now],
    )
    .await?;
    for hook in hooks {
        queue_delivery(tx, hook, &id, 1, now).await?;
    }
    Ok(Some(id))
}

fn subscribed(types: &str, kind: &str) -> bool {
    serde_json::from_str::<Vec<String>>(types).is_ok_and(|ts| ts.iter().any(|t| t == kind))
}

/// The partners with an endpoint that asked for `kind`: a hot path asks
/// this once before it gathers what its events would carry.
pub async fn subscribers(tx: &mut Tx, kind: &str) -> Result<Vec<i64>> {
    let hooks: Vec<(i64, String)> = tx
        .fetch_all(
            "SELECT partner_id, event_types FROM webhooks WHERE enabled AND deleted_at IS NULL ORDER BY partner_id",
            args![],
        )
        .await?;
    let mut out: Vec<i64> =
        hooks.into_iter().filter(|(_, types)| subscribed(types, kind)).map(|(p, _)| p).collect();
    out.dedup();
    Ok(out)
}

/// Makes (or reopens) the delivery of `event_id` to `webhook_id` and
/// queues attempt `attempt` now.
async fn queue_delivery(
    tx: &mut Tx,
    webhook_id: i64,
    event_id: &str,
    attempt: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let (id,): (i64,) = tx
        .fetch_one(
            "INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, 'pending', 0, $3, $3, $3) \
             ON CONFLICT (webhook_id, event_id) DO UPDATE SET status = 'pending', next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at \
             RETURNING id",
            args![webhook_id, event_id, now],
        )
        .await?;
    let job = DeliverWebhook { delivery_id: id, attempt };
    crate::jobs::enqueue(tx, now, &job, now.timestamp_millis()).await?;
    Ok(id)
}

impl Webhooks<'_> {
    /// Registers an endpoint.
    pub async fn create(
        &self,
        partner_id: i64,
        url: &str,
        event_types: &[String],
        description: &str,
        secret: &str,
    ) -> Result<WebhookRow> {
        let now = self.now();
        let types = serde_json::to_string(event_types).expect("strings serialise");
        self.write(async |tx| {
            tx.fetch_one(
                &format!(
                    "INSERT INTO webhooks (partner_id, url, event_types, description, secret, enabled, created_at) \
                     VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING {WEBHOOK_COLS}"
                ),
                args![partner_id, url, types, description, secret, now],
            )
            .await
        })
        .await
    }

    /// The visible endpoints not deleted, oldest first.
    pub async fn list(&self, vis: Visibility) -> Result<Vec<WebhookRow>> {
        let (all, partner) = vis.binds();
        self.read_all(
            &format!("SELECT {WEBHOOK_COLS} FROM webhooks WHERE deleted_at IS NULL AND ($1 OR partner_id = $2) ORDER BY id"),
            args![all, partner],
        )
        .await
    }

    /// A visible endpoint not deleted.
    pub async fn get(&self, vis: Visibility, id: i64) -> Result<WebhookRow> {
        let (all, partner) = vis.binds();
        self.read_optional(
            &format!("SELECT {WEBHOOK_COLS} FROM webhooks WHERE id = $1 AND deleted_at IS NULL AND ($2 OR partner_id = $3)"),
            args![id, all, partner],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound)
    }

    /// Deletes a visible endpoint: nothing more is sent to it; its
    /// deliveries stay readable to the operator.
    pub async fn delete(&self, vis: Visibility, id: i64) -> Result<()> {
        let (all, partner) = vis.binds();
        let now = self.now();
        let n = self
            .write(async |tx| {
                tx.execute(
                    "UPDATE webhooks SET deleted_at = $1, enabled = FALSE WHERE id = $2 AND deleted_at IS NULL AND ($3 OR partner_id = $4)",
                    args![now, id, all, partner],
                )
                .await
            })
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// An endpoint's deliveries, newest first, with their attempts.
    pub async fn deliveries(
        &self,
        webhook_id: i64,
        page: domain::paging::PageRequest,
    ) -> Result<(Vec<(DeliveryRow, Vec<AttemptRow>)>, i64)> {
        let (rows, total): (Vec<DeliveryRow>, i64) = self
            .read_page(
                &format!("{DELIVERY_SELECT} WHERE d.webhook_id = $1"),
                "d.id DESC",
                args![webhook_id],
                page,
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for d in rows {
            let attempts = self
                .read_all(
                    "SELECT id, delivery_id, at, status_code, error, duration_ms FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id",
                    args![d.id],
                )
                .await?;
            out.push((d, attempts));
        }
        Ok((out, total))
    }

    /// Sends a partner's event to an endpoint again, now (the endpoint
    /// must be enabled; an endpoint disabled is enabled again by this).
    pub async fn redeliver(&self, hook: &WebhookRow, event_id: &str) -> Result<i64> {
        let now = self.now();
        let event: Option<EventRow> = self
            .read_optional(
                "SELECT id, partner_id, type, payload, created_at FROM events WHERE id = $1 AND partner_id = $2",
                args![event_id, hook.partner_id],
            )
            .await?;
        if event.is_none() {
            return Err(StoreError::NotFound);
        }
        self.write(async |tx| {
            tx.execute(
                "UPDATE webhooks SET enabled = TRUE, disabled_reason = NULL, failing_since = NULL WHERE id = $1",
                args![hook.id],
            )
            .await?;
            let attempts: Option<(i64,)> = tx
                .fetch_optional(
                    "SELECT attempts FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = $2",
                    args![hook.id, event_id],
                )
                .await?;
            queue_delivery(tx, hook.id, event_id, attempts.map_or(0, |a| a.0) + 1, now).await
        })
        .await
    }

    /// What attempt `attempt` of a delivery sends, or `None` when there is
    /// nothing to send: delivered or given up already, the endpoint
    /// disabled or deleted, or the attempt overtaken by a later one.
    pub async fn outgoing(
        &self,
        delivery_id: i64,
        attempt: i64,
    ) -> Result<Option<(WebhookRow, EventRow)>> {
        let found: Option<(i64, String, String, i64)> = self
            .read_optional(
                "SELECT webhook_id, event_id, status, attempts FROM webhook_deliveries WHERE id = $1",
                args![delivery_id],
            )
            .await?;
        let Some((hook_id, event_id, status, attempts)) = found else {
            return Ok(None);
        };
        if status != "pending" || attempts >= attempt {
            return Ok(None);
        }
        let hook: Option<WebhookRow> = self
            .read_optional(
                &format!("SELECT {WEBHOOK_COLS} FROM webhooks WHERE id = $1 AND enabled AND deleted_at IS NULL"),
                args![hook_id],
            )
            .await?;
        let event: Option<EventRow> = self
            .read_optional(
                "SELECT id, partner_id, type, payload, created_at FROM events WHERE id = $1",
                args![event_id.as_str()],
            )
            .await?;
        Ok(hook.zip(event))
    }

    /// Records an attempt and what follows it: delivered, the next attempt
    /// queued, given up, or the endpoint disabled.
    pub async fn attempted(&self, delivery_id: i64, hook_id: i64, a: &Attempted) -> Result<()> {
        let now = self.now();
        self.write(async |tx| {
            tx.execute(
                "INSERT INTO webhook_attempts (delivery_id, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5)",
                args![delivery_id, now, a.status_code, a.error.as_deref(), a.duration_ms],
            )
            .await?;
            let (status, next_at) = match a.next {
                Next::Delivered => ("delivered", None),
                Next::RetryIn(s) => ("pending", Some(now + chrono::Duration::seconds(s))),
                Next::Failed | Next::Disable => ("failed", None),
            };
            tx.execute(
                "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, updated_at = $4 WHERE id = $5",
                args![status, a.attempt, next_at, now, delivery_id],
            )
            .await?;
            match a.next {
                Next::Delivered => {
                    tx.execute("UPDATE webhooks SET failing_since = NULL WHERE id = $1", args![hook_id]).await?;
                }
                Next::Disable => {
                    let why = match a.status_code {
                        Some(410) => "the endpoint answered 410 Gone".to_owned(),
                        _ => "the endpoint failed for 5 days".to_owned(),
                    };
                    tx.execute(
                        "UPDATE webhooks SET enabled = FALSE, disabled_reason = $1 WHERE id = $2",
                        args![why, hook_id],
                    )
                    .await?;
                }
                Next::RetryIn(_) | Next::Failed => {
                    tx.execute(
                        "UPDATE webhooks SET failing_since = COALESCE(failing_since, $1) WHERE id = $2",
                        args![now, hook_id],
                    )
                    .await?;
                }
            }
            if let (Next::RetryIn(_), Some(at)) = (a.next, next_at) {
                let job = DeliverWebhook { delivery_id, attempt: a.attempt + 1 };
                crate::jobs::enqueue(tx, now, &job, at.timestamp_millis()).await?;
            }
            Ok(())
        })
        .await
    }
}
