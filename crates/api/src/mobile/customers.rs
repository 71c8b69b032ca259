//! Customers controller: create, read, list with search.

use super::params::CustomerIdParam;
use super::views::{CreateCustomer, Customer, CustomerCreated, List, Page, Paging};
use crate::error::ApiResult;
use crate::extract::{Id, JsonBody, QueryParams};
use crate::Call;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use domain::customer::CustomerInput;
use serde::Deserialize;

/// Creates a customer of the caller's partner.
///
/// Checks the company name, Companies House number, contact e-mail and
/// phone, address and UK postcode; answers the new `customerId`. Send an
/// `Idempotency-Key` header to make retries safe.
#[utoipa::path(post, path = "/api/Customers/CreateCustomer", tag = "Customers",
    request_body = CreateCustomer,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat a request safely")),
    responses(
        (status = 201, description = "created", body = CustomerCreated),
        (status = 400, description = "a field is missing or wrong; `field` names it"),
        (status = 409, description = "Idempotency-Key reused with another body"),
    ))]
pub async fn create_customer(
    Call { app, who }: Call,
    headers: HeaderMap,
    body: JsonBody<CreateCustomer>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = CustomerInput {
        company_name: b.company_name,
        co_reg_number: b.co_reg_number,
        organization_number: b.organization_number,
        contact_name: b.contact.name,
        contact_email: b.contact.email,
        contact_phone: b.contact.phone,
        address_lines: b.address.lines,
        town: b.address.town,
        postcode: b.address.postcode,
        billing_email: b.billing_email,
    };
    let key = crate::idempotency::key(&headers, &body.hash)?;
    let done = app.create_customer(&who, key, input).await?;
    Ok(crate::idempotency::respond(done, StatusCode::CREATED, |c| CustomerCreated {
        customer_id: c.customer_id,
    }))
}

/// One customer's details.
#[utoipa::path(get, path = "/api/Customers/GetCustomerDetails", tag = "Customers",
    params(CustomerIdParam),
    responses((status = 200, body = Customer), (status = 400, description = "customerId missing or not a number"), (status = 404, description = "no such customer visible to this client")))]
pub async fn get_customer_details(
    Call { app, who }: Call,
    Id(id, _): Id<CustomerIdParam>,
) -> ApiResult<Json<Customer>> {
    Ok(Json(app.customer(&who, id).await?.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CustomerSearch {
    /// Text to find in the company name, company number, postcode or e-mail addresses.
    pub search: Option<String>,
}

/// The caller's customers, newest first, optionally searched.
#[utoipa::path(get, path = "/api/Customers", tag = "Customers",
    params(CustomerSearch, Paging),
    responses((status = 200, body = List<Customer>), (status = 400, description = "bad page or pageSize")))]
pub async fn list_customers(
    Call { app, who }: Call,
    QueryParams(q): QueryParams<CustomerSearch>,
    Page(page): Page,
) -> ApiResult<Json<List<Customer>>> {
    let (rows, total) = app.customers(&who, q.search.as_deref(), page).await?;
    Ok(Json(List::of(rows, page, total)))
}
