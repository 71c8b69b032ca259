//! Webhooks controller: a partner's endpoints for events (alerts,
//! bill-limit notices and consents, usage bars, order and request status
//! changes), signed as the Standard Webhooks specification has it, with
//! the deliveries and a redelivery on demand.

use super::params::WebhookParam;
use super::views::{List, Page, Paging};
use crate::error::ApiResult;
use crate::extract::{Id, JsonBody};
use crate::Call;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::webhooks::WebhookRow;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where events are POSTed: http(s), not a loopback or private address.
    pub url: String,
    /// At least one of `alert.raised`, `billLimit.notice`,
    /// `billLimit.consent`, `usageBar.placed`, `usageBar.lifted`,
    /// `order.statusChanged`, `request.statusChanged`.
    pub event_types: Vec<String>,
    #[serde(default)]
    pub description: String,
}

/// An endpoint.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub webhook_id: i64,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: String,
    /// False once disabled (410 Gone, or failing for 5 days); a
    /// redelivery enables it again.
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// CreateWebhook's answer: the endpoint and its signing secret, shown
/// this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_…`: verify each delivery's `webhook-signature` with it.
    pub secret: String,
}

fn view(h: WebhookRow) -> Webhook {
    Webhook {
        webhook_id: h.id,
        event_types: h.event_types(),
        url: h.url,
        description: h.description,
        enabled: h.enabled,
        disabled_reason: h.disabled_reason,
        failing_since: h.failing_since,
        created_at: h.created_at,
    }
}

/// Registers an endpoint for the caller's events; answers its secret once.
#[utoipa::path(post, path = "/api/Webhooks/CreateWebhook", tag = "Webhooks", request_body = CreateWebhook,
    responses((status = 201, body = CreatedWebhook), (status = 400, description = "url not http(s) or a private address; eventTypes empty or unknown; description too long")))]
pub async fn create_webhook(
    Call { app, who }: Call,
    body: JsonBody<CreateWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    let b = body.value;
    let row = app.create_webhook(&who, &b.url, &b.event_types, &b.description).await?;
    let secret = row.secret.clone();
    Ok((StatusCode::CREATED, Json(CreatedWebhook { webhook: view(row), secret })))
}

/// The caller's endpoints.
#[utoipa::path(get, path = "/api/Webhooks/ListWebhooks", tag = "Webhooks",
    responses((status = 200, body = Vec<Webhook>)))]
pub async fn list_webhooks(Call { app, who }: Call) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(app.webhooks(&who).await?.into_iter().map(view).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookRef {
    #[schema(minimum = 1)]
    pub webhook_id: i64,
}

/// DeleteWebhook's answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    pub webhook_id: i64,
    pub deleted: bool,
}

/// Deletes an endpoint: nothing more is sent to it.
#[utoipa::path(post, path = "/api/Webhooks/DeleteWebhook", tag = "Webhooks", request_body = WebhookRef,
    responses((status = 200, body = Deleted), (status = 400, description = "webhookId missing or not a number"), (status = 404, description = "no such webhook visible to this client")))]
pub async fn delete_webhook(
    Call { app, who }: Call,
    body: JsonBody<WebhookRef>,
) -> ApiResult<Json<Deleted>> {
    let id = body.value.webhook_id;
    app.delete_webhook(&who, id).await?;
    Ok(Json(Deleted { webhook_id: id, deleted: true }))
}

/// One attempt at a delivery.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub at: DateTime<Utc>,
    /// The endpoint's HTTP status; null when it did not answer.
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// One event's delivery to the endpoint.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub delivery_id: i64,
    /// The event's id: the `webhook-id` header on every attempt.
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: Vec<Attempt>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An endpoint's deliveries, newest first, each with its attempts.
#[utoipa::path(get, path = "/api/Webhooks/GetDeliveries", tag = "Webhooks", params(WebhookParam, Paging),
    responses((status = 200, body = List<Delivery>), (status = 400, description = "webhookId missing or not a number"), (status = 404, description = "no such webhook visible to this client")))]
pub async fn get_deliveries(
    Call { app, who }: Call,
    Id(id, _): Id<WebhookParam>,
    Page(page): Page,
) -> ApiResult<Json<List<Delivery>>> {
    let (rows, total) = app.deliveries(&who, id, page).await?;
    let items = rows
        .into_iter()
        .map(|(d, attempts)| Delivery {
            delivery_id: d.id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status,
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            attempts: attempts
                .into_iter()
                .map(|a| Attempt {
                    at: a.at,
                    status_code: a.status_code,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        })
        .collect();
    Ok(Json(List::new(items, page, total)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Redeliver {
    #[schema(minimum = 1)]
    pub webhook_id: i64,
    /// The event's id (`msg_…`), from GetDeliveries.
    pub event_id: String,
}

/// Queued: the delivery that will carry the event again.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Redelivered {
    pub delivery_id: i64,
}

/// Sends one of the caller's events to an endpoint again, now (a disabled
/// endpoint is enabled again).
#[utoipa::path(post, path = "/api/Webhooks/RedeliverEvent", tag = "Webhooks", request_body = Redeliver,
    responses((status = 202, body = Redelivered), (status = 400, description = "webhookId or eventId missing"), (status = 404, description = "no such webhook or event visible to this client")))]
pub async fn redeliver_event(
    Call { app, who }: Call,
    body: JsonBody<Redeliver>,
) -> ApiResult<(StatusCode, Json<Redelivered>)> {
    let b = body.value;
    let delivery_id = app.redeliver(&who, b.webhook_id, &b.event_id).await?;
    Ok((StatusCode::ACCEPTED, Json(Redelivered { delivery_id })))
}
