//! A business customer's agreement: its offers, products and orders (the
//! corporate agreements face's records, read through the same use cases).

use super::{none_row, when, Answer, Staff};
use crate::AppState;
use app::agreements::Page;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use maud::html;

pub fn router() -> Router<AppState> {
    Router::new().route("/portal/agreements/{id}", get(agreement))
}

async fn agreement(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> Answer {
    let id = super::id_of("agreement", &id)?;
    let who = staff.principal();
    let a = state.app.agreement(who, id).await?;
    let offers = state.app.offers(who, id).await?;
    let (products, n_products) =
        state.app.products(who, id, Page::new(None, Some(100))?, None).await?;
    let (orders, n_orders) =
        state.app.agreement_orders(who, id, Page::new(None, Some(100))?).await?;
    Ok(staff.page(
        StatusCode::OK,
        &format!("Agreement {id}"),
        html! {
            dl {
                dt { "Customer" } dd { a href={"/portal/customers/" (a.customer_id)} { (a.owner_name) } }
                dt { "Organisation number" } dd { (a.organization_number.clone().unwrap_or_default()) }
                dt { "Category" } dd { (a.category) }
                dt { "Status" } dd { (a.status) }
                dt { "Valid" } dd { (a.valid_from) " – " (a.valid_to.map(|d| d.to_string()).unwrap_or_else(|| "open".into())) }
            }
            h2 { "Offers (" (offers.len()) ")" }
            ul { @for o in &offers { li { strong { (o.row.name) } " — " (o.row.description) } } }
            h2 { "Products (" (n_products) ")" }
            table {
                thead { tr { th scope="col" { "Product" } th scope="col" { "Name" } th scope="col" { "Status" } th scope="col" { "Updated" } } }
                tbody {
                    @for p in &products { tr { td { (p.id) } td { (p.name) } td { (p.status) } td { (when(&p.updated_at)) } } }
                    @if products.is_empty() { (none_row(4, "products")) }
                }
            }
            h2 { "Orders (" (n_orders) ")" }
            table {
                thead { tr { th scope="col" { "Order" } th scope="col" { "Type" } th scope="col" { "Status" } th scope="col" { "Reason" } th scope="col" { "Updated" } } }
                tbody {
                    @for o in &orders {
                        tr { td { (domain::agreement::order_number(o.id)) } td { (o.kind) } td { (format!("{:?}", o.status)) } td { (o.reason.clone().unwrap_or_default()) } td { (when(&o.updated_at)) } }
                    }
                    @if orders.is_empty() { (none_row(5, "orders")) }
                }
            }
        },
    ))
}
