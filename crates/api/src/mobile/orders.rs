//! Orders controller: the portal's draft order process (create, add and
//! remove mobiles, bundles and bars, submit, return to draft, cancel), and
//! watching provisioning (details, monitor, bulk monitor), plus the
//! network number pools (ListAvailableNumbers).

use super::params::{CustomerIdParam, OrderIdParam};
use super::views::{Bar, Bundle, List, Page, Paging};
use crate::error::{ApiError, ApiResult};
use crate::extract::{text_param, Id, JsonBody, QueryParams};
use crate::Call;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use domain::order::OrderStatus;
use domain::ordering::{ExtraKind, MobileExtra, MobileInput};
use domain::Network;
use serde::{Deserialize, Serialize};
use store::orders::{OrderMobile, OrderRow};
use utoipa::ToSchema;

fn positive(v: i64, field: &str) -> Result<i64, ApiError> {
    Ok(domain::paging::check_id(field, v)?)
}

fn status_text(status: &OrderStatus) -> String {
    status.text().to_owned()
}

// ---- bodies ----

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateDraftOrder {
    #[schema(minimum = 1)]
    pub customer_id: i64,
    /// The integrator's own reference (purchase order), up to 50 characters.
    #[schema(max_length = 50)]
    pub reference: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderState {
    pub order_id: i64,
    pub status: String,
}

/// AddMobileToOrder's body.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"orderId": 90001, "connectionType": "New", "network": "Vodafone", "tariffId": 2, "cli": "",
    "simType": "Physical", "iccid": "8944100000000010017", "billCapOffered": true, "enableBillCap": true, "billCapValue": 2500}))]
pub struct AddMobileToOrder {
    #[schema(minimum = 1)]
    pub order_id: i64,
    /// `New`, `Port`, `Migration` or `Disconnection`.
    #[schema(value_type = ConnectionTypeName)]
    pub connection_type: String,
    /// `Vodafone`, `O2` or `EE`.
    #[schema(value_type = NetworkName)]
    pub network: String,
    /// Required except for Disconnection.
    #[schema(minimum = 1)]
    pub tariff_id: Option<i64>,
    /// New: empty to allocate from the pool (Vodafone, O2), or a free pool number. Port: the number to keep. Migration, Disconnection: the live connection's number.
    pub cli: Option<String>,
    /// Port: the PAC, `AAA999999`.
    #[schema(pattern = r"^\s*[A-Za-z]{3}[0-9]{6}\s*$")]
    pub pac_code: Option<String>,
    /// Port: the PAC's expiry date as the customer was told it (optional; checked when given).
    pub pac_expiry_date: Option<NaiveDate>,
    /// Port: a working day at least one working day ahead.
    pub port_date: Option<NaiveDate>,
    /// Disconnection: the STAC, `999999AAA`.
    #[schema(pattern = r"^\s*[0-9]{6}[A-Za-z]{3}\s*$")]
    pub stac_code: Option<String>,
    /// `Physical` (default) or `eSIM` (Vodafone only).
    pub sim_type: Option<String>,
    /// Physical SIM: the ICCID (Luhn-checked, the network's range).
    pub iccid: Option<String>,
    /// Must be true on every new contract when the order is submitted.
    pub bill_cap_offered: Option<bool>,
    pub enable_bill_cap: Option<bool>,
    /// The bill cap in pence, within the tariff's limits.
    #[schema(minimum = 0)]
    pub bill_cap_value: Option<i64>,
}

/// A connection type, as AddMobileToOrder takes it.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the accepted values only
pub enum ConnectionTypeName {
    New,
    Port,
    Migration,
    Disconnection,
}

/// A network, as the mobile face takes it.
#[derive(ToSchema)]
#[allow(dead_code, clippy::upper_case_acronyms)] // documents the accepted values only
pub enum NetworkName {
    Vodafone,
    O2,
    EE,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MobileAdded {
    pub order_mobile_id: i64,
    /// The number: chosen, allocated from the pool, or kept; empty on EE New until the network assigns one.
    pub cli: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderMobileRef {
    pub order_id: i64,
    pub order_mobile_id: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MobileBundle {
    pub order_mobile_id: i64,
    pub tariff_option_id: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MobileBar {
    pub order_mobile_id: i64,
    pub bar_id: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderRef {
    pub order_id: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderIds {
    /// 1 to 100 order ids.
    #[schema(min_items = 1, max_items = 100, value_type = Vec<super::views::PositiveId>)]
    pub order_ids: Vec<i64>,
}

// ---- answers ----

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Esim {
    /// `LPA:1$<SM-DP+ address>$<matching id>`.
    pub activation_code: Option<String>,
    pub eid: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderMobileView {
    pub order_mobile_id: i64,
    pub connection_type: String,
    pub network: String,
    pub tariff_id: Option<i64>,
    pub cli: String,
    pub sim_type: Option<String>,
    pub iccid: Option<String>,
    pub pac_code: Option<String>,
    pub pac_expiry_date: Option<NaiveDate>,
    pub port_date: Option<NaiveDate>,
    pub stac_code: Option<String>,
    pub bill_cap_offered: bool,
    pub enable_bill_cap: bool,
    pub bill_cap_value: Option<i64>,
    pub bundles: Vec<Bundle>,
    pub bars: Vec<Bar>,
    /// `Draft`, `Pending`, `Completed`, `Rejected` or `Cancelled`.
    pub status: String,
    pub reason: Option<String>,
    /// The live connection, once completed.
    pub contract_id: Option<i64>,
    pub network_reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub esim: Option<Esim>,
}

impl From<OrderMobile> for OrderMobileView {
    fn from(m: OrderMobile) -> Self {
        let r = m.row;
        let esim = (r.sim_type.as_deref() == Some("eSIM"))
            .then(|| Esim { activation_code: r.esim_activation_code.clone(), eid: r.eid.clone() });
        OrderMobileView {
            order_mobile_id: r.id,
            connection_type: r.connection_type,
            network: r.network,
            tariff_id: r.tariff_id,
            cli: r.cli.unwrap_or_default(),
            sim_type: r.sim_type,
            iccid: r.iccid,
            pac_code: r.pac_code,
            pac_expiry_date: r.pac_expiry_date,
            port_date: r.port_date,
            stac_code: r.stac_code,
            bill_cap_offered: r.bill_cap_offered,
            enable_bill_cap: r.enable_bill_cap,
            bill_cap_value: r.bill_cap_pence,
            bundles: m.bundles.into_iter().map(Bundle::from).collect(),
            bars: m.bars.into_iter().map(Bar::from).collect(),
            status: r.status.to_string(),
            reason: r.reason,
            contract_id: r.contract_id,
            network_reference: r.network_reference,
            esim,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub note: Option<String>,
}

/// GetOrderDetails: the order, its mobiles and its status history.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetails {
    pub order_id: i64,
    pub customer_id: i64,
    pub reference: String,
    pub status: String,
    pub status_text: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub mobiles: Vec<OrderMobileView>,
    pub history: Vec<HistoryEntry>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    pub order_id: i64,
    pub customer_id: i64,
    pub reference: String,
    pub status: String,
    pub status_text: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OrderRow> for OrderSummary {
    fn from(o: OrderRow) -> Self {
        OrderSummary {
            order_id: o.id,
            customer_id: o.customer_id,
            reference: o.reference,
            status_text: status_text(&o.status),
            status: o.status.to_string(),
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitorMobile {
    pub order_mobile_id: i64,
    pub cli: String,
    pub status: String,
    pub contract_id: Option<i64>,
    pub reason: Option<String>,
}

/// MonitorOrder's answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Monitor {
    pub order_id: i64,
    pub status: String,
    pub status_text: String,
    pub reason: Option<String>,
    pub mobiles: Vec<MonitorMobile>,
    pub updated_at: DateTime<Utc>,
}

/// One order of MonitorOrderBulk: its status, or `error` when it is not
/// visible to this client.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitorItem {
    pub order_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MonitorBulk {
    pub items: Vec<MonitorItem>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailableNumber {
    pub cli: String,
    pub network: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MobileExtras {
    pub order_mobile_id: i64,
    pub bundles: Vec<Bundle>,
    pub bars: Vec<Bar>,
}

// ---- handlers ----

/// Starts a draft order for a customer.
#[utoipa::path(post, path = "/api/Orders/CreateDraftOrder", tag = "Orders", request_body = CreateDraftOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat a request safely")),
    responses((status = 201, body = OrderState), (status = 400, description = "a field is missing or wrong"), (status = 404, description = "no such customer visible to this client"), (status = 409, description = "Idempotency-Key reused with another body")))]
pub async fn create_draft_order(
    Call { app, who }: Call,
    headers: HeaderMap,
    body: JsonBody<CreateDraftOrder>,
) -> ApiResult<Response> {
    let b = body.value;
    let customer = positive(b.customer_id, "customerId")?;
    let key = crate::idempotency::key(&headers, &body.hash)?;
    let done = app.create_draft_order(&who, key, customer, b.reference).await?;
    Ok(crate::idempotency::respond(done, StatusCode::CREATED, |o| OrderState {
        order_id: o.order_id,
        status: o.status.to_string(),
    }))
}

/// Adds a mobile (New, Port, Migration or Disconnection) to a draft order.
///
/// Formats, the tariff, the SIM, the number and bill cap limits are checked
/// now; legal and time-dependent checks (bill cap offered, PAC still valid,
/// port date still ahead) again at SubmitOrder.
#[utoipa::path(post, path = "/api/Orders/AddMobileToOrder", tag = "Orders", request_body = AddMobileToOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat a request safely")),
    responses((status = 201, body = MobileAdded), (status = 400, description = "a field is missing or wrong; `field` names it"), (status = 402, description = "a rule forbids it (eSIM off Vodafone, bill cap on an ineligible tariff, PAC expired)"),
        (status = 404, description = "no such order"), (status = 409, description = "the order is not a draft, the number is not free, the ICCID or CLI is in use")))]
pub async fn add_mobile_to_order(
    Call { app, who }: Call,
    headers: HeaderMap,
    body: JsonBody<AddMobileToOrder>,
) -> ApiResult<Response> {
    let b = body.value;
    let order_id = positive(b.order_id, "orderId")?;
    let input = MobileInput {
        connection_type: b.connection_type,
        network: b.network,
        tariff_id: b.tariff_id,
        cli: b.cli,
        pac_code: b.pac_code,
        pac_expiry_date: b.pac_expiry_date,
        port_date: b.port_date,
        stac_code: b.stac_code,
        sim_type: b.sim_type,
        iccid: b.iccid,
        bill_cap_offered: b.bill_cap_offered,
        enable_bill_cap: b.enable_bill_cap,
        bill_cap_value: b.bill_cap_value,
    };
    let key = crate::idempotency::key(&headers, &body.hash)?;
    let done = app.add_mobile_to_order(&who, key, order_id, input).await?;
    Ok(crate::idempotency::respond(done, StatusCode::CREATED, |m| MobileAdded {
        order_mobile_id: m.order_mobile_id,
        cli: m.cli.unwrap_or_default(),
    }))
}

/// Removes a mobile from a draft order; a number reserved for it goes back to the pool.
#[utoipa::path(post, path = "/api/Orders/RemoveMobileFromOrder", tag = "Orders", request_body = OrderMobileRef,
    responses((status = 200, body = OrderState), (status = 404, description = "no such order or mobile"), (status = 409, description = "the order is not a draft")))]
pub async fn remove_mobile_from_order(
    Call { app, who }: Call,
    body: JsonBody<OrderMobileRef>,
) -> ApiResult<Json<OrderState>> {
    let order_id = positive(body.value.order_id, "orderId")?;
    let mobile = positive(body.value.order_mobile_id, "orderMobileId")?;
    app.remove_mobile_from_order(&who, order_id, mobile).await?;
    Ok(Json(OrderState { order_id, status: OrderStatus::Draft.to_string() }))
}

/// The four bundle and bar calls: check the ids, make the change, answer
/// the mobile's bundles and bars.
async fn change_extra(
    Call { app, who }: Call,
    mobile: i64,
    item: i64,
    kind: ExtraKind,
    add: bool,
) -> ApiResult<Json<MobileExtras>> {
    let mobile = positive(mobile, "orderMobileId")?;
    let change = MobileExtra::new(kind, add, item)?;
    let m = app.change_mobile_extra(&who, mobile, change).await?;
    let view = OrderMobileView::from(m);
    Ok(Json(MobileExtras { order_mobile_id: mobile, bundles: view.bundles, bars: view.bars }))
}

/// Adds a bundle of the mobile's tariff to a draft order's mobile.
#[utoipa::path(post, path = "/api/Orders/AddBundleToMobile", tag = "Orders", request_body = MobileBundle,
    responses((status = 200, body = MobileExtras), (status = 400, description = "not a bundle of this mobile's network and tariff"), (status = 404, description = "no such mobile"), (status = 409, description = "already on the mobile, or the order is not a draft")))]
pub async fn add_bundle_to_mobile(
    call: Call,
    body: JsonBody<MobileBundle>,
) -> ApiResult<Json<MobileExtras>> {
    let b = body.value;
    change_extra(call, b.order_mobile_id, b.tariff_option_id, ExtraKind::Bundle, true).await
}

/// Removes a bundle from a draft order's mobile.
#[utoipa::path(post, path = "/api/Orders/RemoveBundleFromMobile", tag = "Orders", request_body = MobileBundle,
    responses((status = 200, body = MobileExtras), (status = 404, description = "no such mobile, or the bundle is not on it"), (status = 409, description = "the order is not a draft")))]
pub async fn remove_bundle_from_mobile(
    call: Call,
    body: JsonBody<MobileBundle>,
) -> ApiResult<Json<MobileExtras>> {
    let b = body.value;
    change_extra(call, b.order_mobile_id, b.tariff_option_id, ExtraKind::Bundle, false).await
}

/// Adds a bar of the mobile's network to a draft order's mobile.
#[utoipa::path(post, path = "/api/Orders/AddBarToMobileOrder", tag = "Orders", request_body = MobileBar,
    responses((status = 200, body = MobileExtras), (status = 400, description = "not a bar of this mobile's network"), (status = 404, description = "no such mobile"), (status = 409, description = "already on the mobile, or the order is not a draft")))]
pub async fn add_bar_to_mobile_order(
    call: Call,
    body: JsonBody<MobileBar>,
) -> ApiResult<Json<MobileExtras>> {
    let b = body.value;
    change_extra(call, b.order_mobile_id, b.bar_id, ExtraKind::Bar, true).await
}

/// Removes a bar from a draft order's mobile.
#[utoipa::path(post, path = "/api/Orders/RemoveBarFromMobileOrder", tag = "Orders", request_body = MobileBar,
    responses((status = 200, body = MobileExtras), (status = 404, description = "no such mobile, or the bar is not on it"), (status = 409, description = "the order is not a draft")))]
pub async fn remove_bar_from_mobile_order(
    call: Call,
    body: JsonBody<MobileBar>,
) -> ApiResult<Json<MobileExtras>> {
    let b = body.value;
    change_extra(call, b.order_mobile_id, b.bar_id, ExtraKind::Bar, false).await
}

/// Validates the whole order and queues it for provisioning; refused with
/// every problem at once (which mobile, which field, why), changing nothing.
#[utoipa::path(post, path = "/api/Orders/SubmitOrder", tag = "Orders", request_body = OrderRef,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat a request safely")),
    responses((status = 200, body = OrderState), (status = 400, description = "`errors` lists every problem: orderMobileId, field, message"), (status = 404, description = "no such order"), (status = 409, description = "the order is not a draft")))]
pub async fn submit_order(
    Call { app, who }: Call,
    headers: HeaderMap,
    body: JsonBody<OrderRef>,
) -> ApiResult<Response> {
    let order_id = positive(body.value.order_id, "orderId")?;
    let key = crate::idempotency::key(&headers, &body.hash)?;
    let done = app.submit_order(&who, key, order_id).await?;
    Ok(crate::idempotency::respond(done, StatusCode::OK, |o| OrderState {
        order_id: o.order_id,
        status: o.status.to_string(),
    }))
}

/// Returns a submitted order to draft, while its provisioning has not started.
#[utoipa::path(post, path = "/api/Orders/ReturnOrderToDraft", tag = "Orders", request_body = OrderRef,
    responses((status = 200, body = OrderState), (status = 404, description = "no such order"), (status = 409, description = "not Submitted, or provisioning has started; the message names the current state")))]
pub async fn return_order_to_draft(
    Call { app, who }: Call,
    body: JsonBody<OrderRef>,
) -> ApiResult<Json<OrderState>> {
    withdraw(Call { app, who }, body, false).await
}

/// Cancels a draft order, or a submitted one whose provisioning has not
/// started; reserved numbers go back to the pool. (Not in the original
/// platform's list; the route follows its naming.)
#[utoipa::path(post, path = "/api/Orders/CancelOrder", tag = "Orders", request_body = OrderRef,
    responses((status = 200, body = OrderState), (status = 404, description = "no such order"), (status = 409, description = "provisioning has started or the order is final")))]
pub async fn cancel_order(
    Call { app, who }: Call,
    body: JsonBody<OrderRef>,
) -> ApiResult<Json<OrderState>> {
    withdraw(Call { app, who }, body, true).await
}

/// ReturnOrderToDraft, or CancelOrder when `cancel`.
async fn withdraw(
    Call { app, who }: Call,
    body: JsonBody<OrderRef>,
    cancel: bool,
) -> ApiResult<Json<OrderState>> {
    let order_id = positive(body.value.order_id, "orderId")?;
    let o = app.withdraw_order(&who, order_id, cancel).await?;
    Ok(Json(OrderState { order_id, status: o.status.to_string() }))
}

/// The order, its mobiles (with bundles, bars, outcome, contract) and its
/// status history.
#[utoipa::path(get, path = "/api/Orders/GetOrderDetails", tag = "Orders", params(OrderIdParam),
    responses((status = 200, body = OrderDetails), (status = 400, description = "orderId missing or not a number"), (status = 404, description = "no such order visible to this client")))]
pub async fn get_order_details(
    Call { app, who }: Call,
    Id(id, _): Id<OrderIdParam>,
) -> ApiResult<Json<OrderDetails>> {
    let app::orders::OrderWhole { order: o, mobiles, history } = app.order_whole(&who, id).await?;
    Ok(Json(OrderDetails {
        order_id: o.id,
        customer_id: o.customer_id,
        reference: o.reference,
        status_text: status_text(&o.status),
        status: o.status.to_string(),
        reason: o.reason,
        created_at: o.created_at,
        updated_at: o.updated_at,
        submitted_at: o.submitted_at,
        completed_at: o.completed_at,
        mobiles: mobiles.into_iter().map(OrderMobileView::from).collect(),
        history: history
            .into_iter()
            .map(|h| HistoryEntry {
                from_status: h.from_status,
                to_status: h.to_status,
                at: h.at,
                actor: h.actor,
                note: h.note,
            })
            .collect(),
    }))
}

/// A customer's orders, newest first.
#[utoipa::path(get, path = "/api/Orders/GetOrdersForCustomer", tag = "Orders", params(CustomerIdParam, Paging),
    responses((status = 200, body = List<OrderSummary>), (status = 400, description = "customerId missing or not a number"), (status = 404, description = "no such customer visible to this client")))]
pub async fn get_orders_for_customer(
    Call { app, who }: Call,
    Id(id, _): Id<CustomerIdParam>,
    Page(page): Page,
) -> ApiResult<Json<List<OrderSummary>>> {
    let (rows, total) = app.page_under::<store::orders::OrderRow>(&who, id, page).await?;
    Ok(Json(List::of(rows, page, total)))
}

/// An order's status and status text, and each mobile's.
#[utoipa::path(get, path = "/api/Orders/MonitorOrder", tag = "Orders", params(OrderIdParam),
    responses((status = 200, body = Monitor), (status = 400, description = "orderId missing or not a number"), (status = 404, description = "no such order visible to this client")))]
pub async fn monitor_order(
    Call { app, who }: Call,
    Id(id, _): Id<OrderIdParam>,
) -> ApiResult<Json<Monitor>> {
    let (o, mobiles) = app.order_and_mobiles(&who, id).await?;
    Ok(Json(Monitor {
        order_id: o.id,
        status_text: status_text(&o.status),
        status: o.status.to_string(),
        reason: o.reason,
        mobiles: mobiles
            .into_iter()
            .map(|m| MonitorMobile {
                order_mobile_id: m.row.id,
                cli: m.row.cli.unwrap_or_default(),
                status: m.row.status.to_string(),
                contract_id: m.row.contract_id,
                reason: m.row.reason,
            })
            .collect(),
        updated_at: o.updated_at,
    }))
}

/// Up to 100 orders' statuses at once; an unknown or another partner's id
/// is reported in its item, not as a failure of the call.
#[utoipa::path(post, path = "/api/Orders/MonitorOrderBulk", tag = "Orders", request_body = OrderIds,
    responses((status = 200, body = MonitorBulk), (status = 400, description = "no ids, more than 100, or a non-positive id")))]
pub async fn monitor_order_bulk(
    Call { app, who }: Call,
    body: JsonBody<OrderIds>,
) -> ApiResult<Json<MonitorBulk>> {
    let ids = body.value.order_ids;
    let found = app.orders_by_ids(&who, &ids).await?;
    let items = ids
        .iter()
        .map(|id| match found.iter().find(|o| o.id == *id) {
            Some(o) => MonitorItem {
                order_id: *id,
                status: Some(o.status.to_string()),
                status_text: Some(status_text(&o.status)),
                updated_at: Some(o.updated_at),
                error: None,
            },
            None => MonitorItem {
                order_id: *id,
                status: None,
                status_text: None,
                updated_at: None,
                error: Some("not found".into()),
            },
        })
        .collect();
    Ok(Json(MonitorBulk { items }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NumbersParam {
    /// `Vodafone` or `O2`.
    #[param(value_type = String, required = true, pattern = "^(Vodafone|O2)$")]
    pub network: Option<String>,
}

/// Free new numbers on a network's pool (Vodafone and O2 only).
#[utoipa::path(get, path = "/api/Orders/ListAvailableNumbers", tag = "Orders", params(NumbersParam, Paging),
    responses((status = 200, body = List<AvailableNumber>), (status = 400, description = "network missing or unknown"), (status = 402, description = "the network does not offer numbers (EE)")))]
pub async fn list_available_numbers(
    Call { app, who }: Call,
    QueryParams(q): QueryParams<NumbersParam>,
    Page(page): Page,
) -> ApiResult<Json<List<AvailableNumber>>> {
    let network = Network::parse_field(text_param(&q.network, "network")?, "network")?;
    let (clis, total) = app.free_numbers(&who, network, page).await?;
    Ok(Json(List::new(
        clis.into_iter()
            .map(|cli| AvailableNumber { cli, network: network.as_str().into() })
            .collect(),
        page,
        total,
    )))
}
