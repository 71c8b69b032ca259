//! PACs controller: switching under Ofcom's text-to-switch rules. A PAC
//! (keep the number) or STAC (leave without it) is a request object the
//! network answers with the code, valid 30 days; each comes with the
//! switching information the customer must be told, which INFO gives
//! without a code.

use super::requests::RequestView;
use super::views::{List, Page, Paging};
use crate::error::ApiResult;
use crate::extract::{int_param, JsonBody, QueryParams};
use crate::Call;
use axum::http::StatusCode;
use axum::Json;
use domain::Error;
use serde::Deserialize;
use store::requests::SwitchingOf;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchingRequest {
    #[schema(minimum = 1)]
    pub contract_id: i64,
}

/// Asks the network for a code (or the information alone); answers the
/// current one instead (200) while it is open or its code is valid.
async fn switching(
    Call { app, who }: Call,
    contract_id: i64,
    kind: &str,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    Ok(match app.request_switching(&who, contract_id, kind).await? {
        app::requests::Queued::New(row) => (StatusCode::ACCEPTED, Json(row.into())),
        app::requests::Queued::Current(row) => (StatusCode::OK, Json(row.into())),
    })
}

/// Requests a PAC to move the number to another provider. The network
/// issues it within 60 seconds (`result.code`, `AAA999999`, valid 30
/// days); the details carry the switching information. While a PAC
/// request is open or its code valid, this answers that one with 200.
#[utoipa::path(post, path = "/api/Pacs/RequestPac", tag = "PACs", request_body = SwitchingRequest,
    responses((status = 202, description = "requested", body = RequestView), (status = 200, description = "the open request, or the one whose code is still valid", body = RequestView),
        (status = 402, description = "barred as stolen"), (status = 404, description = "no such contract visible to this client"), (status = 409, description = "the connection is not Active")))]
pub async fn request_pac(
    call: Call,
    body: JsonBody<SwitchingRequest>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    switching(call, body.value.contract_id, "RequestPac").await
}

/// Requests a STAC to leave without the number; as RequestPac, with the
/// code `999999AAA`.
#[utoipa::path(post, path = "/api/Pacs/RequestStac", tag = "PACs", request_body = SwitchingRequest,
    responses((status = 202, description = "requested", body = RequestView), (status = 200, description = "the open request, or the one whose code is still valid", body = RequestView),
        (status = 402, description = "barred as stolen"), (status = 404, description = "no such contract visible to this client"), (status = 409, description = "the connection is not Active")))]
pub async fn request_stac(
    call: Call,
    body: JsonBody<SwitchingRequest>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    switching(call, body.value.contract_id, "RequestStac").await
}

/// Requests the switching information alone (text-to-switch INFO): early
/// termination charge (remaining months × monthly price, to the contract
/// end date), outstanding balance and contract end date, in the details.
#[utoipa::path(post, path = "/api/Pacs/RequestInfo", tag = "PACs", request_body = SwitchingRequest,
    responses((status = 202, description = "requested", body = RequestView), (status = 200, description = "an INFO request already open", body = RequestView),
        (status = 402, description = "barred as stolen"), (status = 404, description = "no such contract visible to this client"), (status = 409, description = "the connection is not Active")))]
pub async fn request_info(
    call: Call,
    body: JsonBody<SwitchingRequest>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    switching(call, body.value.contract_id, "RequestInfo").await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SwitchingParams {
    /// One of contractId and customerId.
    #[param(value_type = Option<i64>, minimum = 1)]
    pub contract_id: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1)]
    pub customer_id: Option<String>,
}

/// The switching requests (PAC, STAC, INFO) of a contract or of all a
/// customer's contracts, newest first.
#[utoipa::path(get, path = "/api/Pacs/GetSwitchingRequests", tag = "PACs", params(SwitchingParams, Paging),
    responses((status = 200, body = List<RequestView>), (status = 400, description = "neither or both of contractId and customerId, or not a number"),
        (status = 404, description = "no such contract or customer visible to this client")))]
pub async fn get_switching_requests(
    Call { app, who }: Call,
    QueryParams(q): QueryParams<SwitchingParams>,
    Page(page): Page,
) -> ApiResult<Json<List<RequestView>>> {
    let of = match (&q.contract_id, &q.customer_id) {
        (Some(_), None) => SwitchingOf::Contract(int_param(&q.contract_id, "contractId")?),
        (None, Some(_)) => SwitchingOf::Customer(int_param(&q.customer_id, "customerId")?),
        (Some(_), Some(_)) => {
            return Err(
                Error::invalid("customerId", "give contractId or customerId, not both").into()
            )
        }
        (None, None) => {
            return Err(Error::invalid("contractId", "contractId or customerId is required").into())
        }
    };
    let (rows, total) = app.switching_requests(&who, of, page).await?;
    Ok(Json(List::of(rows, page, total)))
}
