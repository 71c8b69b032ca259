//! Wire shapes of the mobile API (the contract integrators code against:
//! fields may be added, never renamed), built from store rows.

use crate::error::ApiError;
use chrono::{DateTime, NaiveDate, Utc};
use domain::paging::PageRequest;
use serde::{Deserialize, Serialize};
use store::catalogue::{BarRow, BundleRow, TariffRow};
use store::connections::{ConnectionBar, ConnectionBundle, ConnectionDivert, ConnectionRow};
use store::customers::CustomerRow;
use utoipa::ToSchema;

/// A page of a list, and how to get the next one.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct List<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub page_size: u32,
    pub total: i64,
    /// The next page's number, or null on the last page.
    pub next_page: Option<u32>,
}

impl<T> List<T> {
    pub fn new(items: Vec<T>, page: PageRequest, total: i64) -> Self {
        List {
            items,
            page: page.page,
            page_size: page.page_size,
            total,
            next_page: page.next(total),
        }
    }

    /// A page of rows as their views.
    pub fn of<R>(rows: Vec<R>, page: PageRequest, total: i64) -> Self
    where
        T: From<R>,
    {
        List::new(rows.into_iter().map(T::from).collect(), page, total)
    }

    /// Pages a list held in memory (the catalogue's short lists).
    pub fn paginate<I: Into<T>>(all: impl IntoIterator<Item = I>, page: PageRequest) -> Self {
        let all: Vec<I> = all.into_iter().collect();
        let total = all.len() as i64;
        let items = all
            .into_iter()
            .skip(page.offset() as usize)
            .take(page.limit() as usize)
            .map(Into::into)
            .collect();
        List::new(items, page, total)
    }
}

/// An id: a positive whole number (the items of a bulk call's list), as
/// the OpenAPI document describes it.
pub struct PositiveId;

impl utoipa::PartialSchema for PositiveId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .into()
    }
}

impl ToSchema for PositiveId {}

/// `page` and `pageSize` query parameters of every list.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page number, from 1 (default 1).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1_000_000)]
    pub page: Option<String>,
    /// Items per page, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page_size: Option<String>,
}

impl Paging {
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        let page = crate::extract::opt_int_param(&self.page, "page")?;
        let size = crate::extract::opt_int_param(&self.page_size, "pageSize")?;
        Ok(PageRequest::new(page, size)?)
    }
}

/// A list's page, read from [`Paging`]'s parameters and checked.
pub struct Page(pub PageRequest);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Page {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let crate::extract::QueryParams(p) =
            crate::extract::QueryParams::<Paging>::from_request_parts(parts, state).await?;
        Ok(Page(p.request()?))
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub lines: Vec<String>,
    pub town: String,
    pub postcode: String,
}

/// CreateCustomer's contact.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewContact {
    #[schema(min_length = 1, max_length = 120, pattern = r"^\S(.*\S)?$")]
    pub name: String,
    #[schema(
        max_length = 254,
        pattern = r"^[A-Za-z0-9_+-]{1,32}(\.[A-Za-z0-9_+-]{1,16})?@[A-Za-z0-9]{1,20}(\.[A-Za-z0-9]{1,20}){0,2}\.[A-Za-z]{2,10}$"
    )]
    pub email: String,
    /// A UK number; `+44…` and spaces are accepted too.
    #[schema(pattern = r"^0[1-9][0-9]{8,9}$")]
    pub phone: Option<String>,
}

/// CreateCustomer's address.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAddress {
    #[schema(min_items = 1, max_items = 4, value_type = Vec<AddressLine>)]
    pub lines: Vec<String>,
    #[schema(min_length = 1, max_length = 80, pattern = r"^\S(.*\S)?$")]
    pub town: String,
    /// A UK postcode (`LS1 4AP`; spacing and case are forgiven).
    #[schema(
        pattern = r"^([A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][0-9][A-Z]|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9][A-Z]) [0-9][ABD-HJLNP-UW-Z]{2}$"
    )]
    pub postcode: String,
}

/// An address line: 1 to 100 characters.
#[derive(ToSchema)]
#[schema(pattern = r"^\S(.{0,98}\S)?$")]
#[allow(dead_code)] // describes the document only
pub struct AddressLine(String);

/// CreateCustomer's body.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"companyName": "Acme Widgets Ltd", "coRegNumber": "01234567",
    "contact": {"name": "Jane Smith", "email": "jane@acme.example", "phone": "07700900123"},
    "address": {"lines": ["1 High Street"], "town": "Leeds", "postcode": "LS1 4AP"},
    "billingEmail": "accounts@acme.example"}))]
pub struct CreateCustomer {
    #[schema(min_length = 2, max_length = 160, pattern = r"^\S.*\S$")]
    pub company_name: String,
    /// Companies House number: 8 digits, or a prefix (SC, NI, OC, ...) and 6 digits.
    #[schema(pattern = r"^([0-9]{8}|(SC|NI|OC|SO|NC|LP|SL|NL|FC|IP|SP|RC)[0-9]{6})$")]
    pub co_reg_number: Option<String>,
    /// A Norwegian organisation number (9 digits, mod-11 check digit), for
    /// the corporate agreements face.
    #[schema(pattern = r"^[0-9]{9}$")]
    #[serde(default)]
    pub organization_number: Option<String>,
    pub contact: NewContact,
    pub address: NewAddress,
    /// Defaults to the contact's e-mail.
    #[serde(default)]
    #[schema(
        max_length = 254,
        pattern = r"^[A-Za-z0-9_+-]{1,32}(\.[A-Za-z0-9_+-]{1,16})?@[A-Za-z0-9]{1,20}(\.[A-Za-z0-9]{1,20}){0,2}\.[A-Za-z]{2,10}$"
    )]
    pub billing_email: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerCreated {
    pub customer_id: i64,
}

/// A customer (GetCustomerDetails, the customer list).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub customer_id: i64,
    pub company_name: String,
    pub co_reg_number: Option<String>,
    pub organization_number: Option<String>,
    pub contact: Contact,
    pub address: Address,
    pub billing_email: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Self {
        let lines = r.address_lines();
        Customer {
            customer_id: r.id,
            company_name: r.company_name,
            co_reg_number: r.co_reg_number,
            organization_number: r.organization_number,
            contact: Contact {
                name: r.contact_name,
                email: r.contact_email,
                phone: r.contact_phone,
            },
            address: Address { lines, town: r.town, postcode: r.postcode },
            billing_email: r.billing_email,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TariffRef {
    pub tariff_id: i64,
    pub name: String,
    pub monthly_pence: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sim {
    /// `Physical` or `eSIM`.
    #[serde(rename = "type")]
    pub sim_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eid: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillCap {
    pub enabled: bool,
    pub value_pence: Option<i64>,
}

/// An alerting threshold (CapZ): data in MB or spend in pence, and what
/// happens when it is crossed.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertThreshold {
    /// `dataMb` or `spendPence`.
    pub kind: String,
    pub value: i64,
    /// `notify` or `bar`.
    pub action: String,
}

/// CapZ alerting attributes of a connection.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alerting {
    #[serde(default)]
    pub thresholds: Vec<AlertThreshold>,
    #[serde(default)]
    pub alert_bar: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_bar_since: Option<DateTime<Utc>>,
    /// Why the bar is on: `bar` thresholds reached, the bill cap reached.
    #[serde(default)]
    pub alert_bar_reasons: Vec<String>,
    /// This period's use so far, as the thresholds read it.
    #[serde(default, skip_deserializing)]
    pub usage_so_far: Option<UsageSoFar>,
}

/// A connection's current period so far.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct UsageSoFar {
    pub period_start: chrono::NaiveDate,
    /// Data drawn on the allowance, in MB (MiB), rounded up.
    pub data_mb: i64,
    /// Out-of-bundle spend, in pence.
    pub spend_pence: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub tariff_option_id: i64,
    pub name: String,
    pub monthly_pence: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bar {
    pub bar_id: i64,
    pub bar_suffix: String,
    pub name: String,
}

impl From<ConnectionBundle> for Bundle {
    fn from(b: ConnectionBundle) -> Self {
        Bundle {
            tariff_option_id: b.tariff_option_id,
            name: b.name,
            monthly_pence: b.monthly_pence,
        }
    }
}

impl From<ConnectionBar> for Bar {
    fn from(b: ConnectionBar) -> Self {
        Bar { bar_id: b.bar_id, bar_suffix: b.bar_suffix, name: b.name }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Divert {
    /// `CFU`, `CFB`, `CFNRy` or `CFNRc`.
    pub divert_type: String,
    pub destination: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_reply_seconds: Option<i64>,
}

/// A connection: one CLI's contract (GetConnectionByCLI and friends).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub contract_id: i64,
    pub customer_id: i64,
    /// Always in the national form `07…`.
    pub cli: String,
    pub network: String,
    pub status: String,
    pub tariff: TariffRef,
    pub bundles: Vec<Bundle>,
    pub bars: Vec<Bar>,
    pub diverts: Vec<Divert>,
    pub sim: Sim,
    pub start_date: NaiveDate,
    pub contract_end_date: NaiveDate,
    pub bill_cap: BillCap,
    pub alerting: Alerting,
    /// Charges billed and not yet paid, in pence.
    pub outstanding_balance_pence: i64,
    /// When the connection ported out or ceased.
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn json_col<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
    id: i64,
) -> Result<T, ApiError> {
    serde_json::from_str(text)
        .map_err(|e| ApiError::Internal(format!("{what} of contract {id} is not valid JSON: {e}")))
}

impl TryFrom<ConnectionRow> for Connection {
    type Error = ApiError;
    fn try_from(r: ConnectionRow) -> Result<Self, ApiError> {
        let bundles: Vec<ConnectionBundle> = json_col(&r.bundles, "bundles", r.id)?;
        let bars: Vec<ConnectionBar> = json_col(&r.bars, "bars", r.id)?;
        let diverts: Vec<ConnectionDivert> = json_col(&r.diverts, "diverts", r.id)?;
        let alerting: Alerting = json_col(&r.alerting, "alerting", r.id)?;
        Ok(Connection {
            contract_id: r.id,
            customer_id: r.customer_id,
            cli: r.cli,
            network: r.network,
            status: r.status.to_string(),
            tariff: TariffRef {
                tariff_id: r.tariff_id,
                name: r.tariff_name,
                monthly_pence: r.tariff_monthly_pence,
            },
            bundles: bundles.into_iter().map(Bundle::from).collect(),
            bars: bars.into_iter().map(Bar::from).collect(),
            diverts: diverts
                .into_iter()
                .map(|d| Divert {
                    divert_type: d.divert_type,
                    destination: d.destination,
                    no_reply_seconds: d.no_reply_seconds,
                })
                .collect(),
            sim: Sim { sim_type: r.sim_type, iccid: r.iccid, eid: r.eid },
            start_date: r.start_date,
            contract_end_date: r.contract_end_date,
            bill_cap: BillCap { enabled: r.bill_cap_enabled, value_pence: r.bill_cap_pence },
            alerting,
            outstanding_balance_pence: r.balance_pence,
            ended_at: r.ended_at,
        })
    }
}

/// A tariff of the catalogue.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tariff {
    pub tariff_id: i64,
    pub network: String,
    pub name: String,
    /// `SIM only` or `Business plan`.
    pub plan_type: String,
    pub monthly_pence: i64,
    /// The monthly price as shown to people, e.g. `£18.00`.
    pub retail_cost: String,
    pub term_months: i64,
    /// Data allowance in MB; null is unlimited.
    pub data_mb: Option<i64>,
    /// Minutes; null is unlimited.
    pub minutes: Option<i64>,
    /// Texts; null is unlimited.
    pub texts: Option<i64>,
    pub bill_cap_eligible: bool,
    /// Smallest and largest bill cap allowed, in pence (eligible tariffs).
    pub bill_cap_min_pence: Option<i64>,
    pub bill_cap_max_pence: Option<i64>,
}

impl From<TariffRow> for Tariff {
    fn from(t: TariffRow) -> Self {
        Tariff {
            tariff_id: t.id,
            network: t.network,
            name: t.name,
            plan_type: t.plan_type,
            monthly_pence: t.monthly_pence,
            retail_cost: domain::Money::gbp(t.monthly_pence).to_string(),
            term_months: t.term_months,
            data_mb: t.data_mb,
            minutes: t.minutes,
            texts: t.texts,
            bill_cap_eligible: t.bill_cap_eligible,
            bill_cap_min_pence: t.bill_cap_eligible.then_some(t.bill_cap_min_pence),
            bill_cap_max_pence: t.bill_cap_eligible.then_some(t.bill_cap_max_pence),
        }
    }
}

/// A bundle (tariff option) of the catalogue.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogueBundle {
    pub tariff_option_id: i64,
    pub network: String,
    pub name: String,
    /// `Data`, `Roaming` or `International`.
    pub category: String,
    pub monthly_pence: i64,
    pub retail_cost: String,
    /// Recurring every month, or a one-off for this billing month.
    pub recurring: bool,
    pub description: String,
}

impl From<BundleRow> for CatalogueBundle {
    fn from(b: BundleRow) -> Self {
        CatalogueBundle {
            tariff_option_id: b.id,
            network: b.network,
            name: b.name,
            category: b.category,
            monthly_pence: b.monthly_pence,
            retail_cost: domain::Money::gbp(b.monthly_pence).to_string(),
            recurring: b.recurring,
            description: b.description,
        }
    }
}

/// A bar of the catalogue.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogueBar {
    pub bar_id: i64,
    pub network: String,
    pub bar_suffix: String,
    pub name: String,
    /// `GSM barring` or `Operator`.
    pub category: String,
}

impl From<BarRow> for CatalogueBar {
    fn from(b: BarRow) -> Self {
        CatalogueBar {
            bar_id: b.id,
            network: b.network,
            bar_suffix: b.bar_suffix,
            name: b.name,
            category: b.category,
        }
    }
}
