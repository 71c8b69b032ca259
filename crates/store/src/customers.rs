//! Customers: the reseller's business customers, each owned by a partner.

use crate::audit::AuditEntry;
use crate::tx::Tx;
use crate::{args, Customers, Result, Visibility};
use chrono::{DateTime, Utc};
use domain::customer::NewCustomer;
use domain::paging::{like_contains, PageRequest};

/// A customer as stored.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct CustomerRow {
    pub id: i64,
    pub partner_id: i64,
    pub company_name: String,
    pub co_reg_number: Option<String>,
    pub organization_number: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    /// JSON array of strings.
    pub address_lines: String,
    pub town: String,
    pub postcode: String,
    pub billing_email: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CustomerRow {
    pub fn address_lines(&self) -> Vec<String> {
        serde_json::from_str(&self.address_lines).unwrap_or_default()
    }
}

const COLS: &str = "id, partner_id, company_name, co_reg_number, organization_number, contact_name, contact_email, contact_phone, address_lines, town, postcode, billing_email, created_at, updated_at";

/// The SQL filter shared by the customer list and its count: tenancy, then
/// an optional search across name, company number, postcode and e-mails.
const LIST_FILTER: &str = "($1 OR partner_id = $2) AND ($3 = '' OR LOWER(company_name) LIKE $3 ESCAPE '\\' OR LOWER(COALESCE(co_reg_number, '')) LIKE $3 ESCAPE '\\' OR LOWER(postcode) LIKE $3 ESCAPE '\\' OR LOWER(contact_email) LIKE $3 ESCAPE '\\' OR LOWER(billing_email) LIKE $3 ESCAPE '\\')";

impl Customers<'_> {
    /// Creates a customer for `partner_id`, with its audit row.
    pub async fn create_customer(
        &self,
        actor: &str,
        partner_id: i64,
        c: &NewCustomer,
    ) -> Result<CustomerRow> {
        self.write(async |tx| insert(tx, self.now(), actor, partner_id, c).await).await
    }

    /// Changes a visible customer's details (checked by the caller), with
    /// an audit row holding what was and what is.
    pub async fn update_customer(
        &self,
        actor: &str,
        vis: Visibility,
        id: i64,
        c: &NewCustomer,
    ) -> Result<CustomerRow> {
        let before = self.get_customer(vis, id).await?;
        let lines = serde_json::to_string(&c.address_lines).expect("strings serialise");
        let now = self.now();
        self.write(async |tx| {
            let row: CustomerRow = tx
                .fetch_one(
                    &format!(
                        "UPDATE customers SET company_name = $1, co_reg_number = $2, contact_name = $3, contact_email = $4, \
                         contact_phone = $5, address_lines = $6, town = $7, postcode = $8, billing_email = $9, \
                         organization_number = $10, updated_at = $11 WHERE id = $12 RETURNING {COLS}"
                    ),
                    args![
                        &c.company_name,
                        &c.co_reg_number,
                        &c.contact_name,
                        &c.contact_email,
                        &c.contact_phone,
                        &lines,
                        &c.town,
                        &c.postcode,
                        &c.billing_email,
                        &c.organization_number,
                        now,
                        id,
                    ],
                )
                .await?;
            let entry = AuditEntry::of(actor, Some(before.partner_id), "customer", id, "update")
                .before(serde_json::json!({
                    "companyName": before.company_name, "coRegNumber": before.co_reg_number,
                    "contactName": before.contact_name, "contactEmail": before.contact_email,
                    "postcode": before.postcode, "billingEmail": before.billing_email }))
                .after(serde_json::json!({
                    "companyName": c.company_name, "coRegNumber": c.co_reg_number,
                    "contactName": c.contact_name, "contactEmail": c.contact_email,
                    "postcode": c.postcode, "billingEmail": c.billing_email }));
            crate::audit::write(tx, now, &entry).await?;
            Ok(row)
        })
        .await
    }

    /// Visible customers named exactly `name` (any case), or at this
    /// postcode, or with this company number (each already normalised by
    /// the caller): indexed lookups, newest first, at most 20.
    pub async fn find_exact(
        &self,
        vis: Visibility,
        name: &str,
        postcode: Option<&str>,
        co_reg_number: Option<&str>,
    ) -> Result<Vec<CustomerRow>> {
        let (all, partner) = vis.binds();
        self.read_all(
            &format!(
                "SELECT {COLS} FROM customers WHERE ($1 OR partner_id = $2) AND id IN ( \
                   SELECT id FROM customers WHERE LOWER(company_name) = LOWER($3) \
                   UNION SELECT id FROM customers WHERE postcode = $4 \
                   UNION SELECT id FROM customers WHERE co_reg_number = $5 AND co_reg_number IS NOT NULL) \
                 ORDER BY id DESC LIMIT 20"
            ),
            args![all, partner, name, postcode.unwrap_or(""), co_reg_number.unwrap_or("")],
        )
        .await
    }

    /// Visible customers whose name, company number, postcode or e-mail
    /// addresses contain `search` (a scan: the search box's last resort),
    /// newest first, at most `limit`, with no count.
    pub async fn find_containing(
        &self,
        vis: Visibility,
        search: &str,
        limit: i64,
    ) -> Result<Vec<CustomerRow>> {
        let (all, partner) = vis.binds();
        let pattern = like_contains(&search.trim().to_lowercase());
        self.read_all(
            &format!("SELECT {COLS} FROM customers WHERE {LIST_FILTER} ORDER BY id DESC LIMIT $4"),
            args![all, partner, &pattern, limit],
        )
        .await
    }

    /// One customer visible to the caller.
    pub async fn get_customer(&self, vis: Visibility, id: i64) -> Result<CustomerRow> {
        self.read_visible::<CustomerRow>(&format!("SELECT {COLS} FROM customers"), "", id, vis)
            .await
    }

    /// A page of the customers visible to the caller, newest first,
    /// optionally filtered by `search` (case-insensitive, anywhere in the
    /// name, company number, postcode or e-mail addresses); with the total.
    pub async fn list_customers(
        &self,
        vis: Visibility,
        search: &str,
        page: PageRequest,
    ) -> Result<(Vec<CustomerRow>, i64)> {
        let (all, partner) = vis.binds();
        let pattern = if search.trim().is_empty() {
            String::new()
        } else {
            like_contains(&search.trim().to_lowercase())
        };
        self.read_page(
            &format!("SELECT {COLS} FROM customers WHERE {LIST_FILTER}"),
            "id DESC",
            args![all, partner, &pattern],
            page,
        )
        .await
    }
}

/// Creates a customer for `partner_id` inside the caller's transaction,
/// with its audit row.
pub async fn insert(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &str,
    partner_id: i64,
    c: &NewCustomer,
) -> Result<CustomerRow> {
    let lines = serde_json::to_string(&c.address_lines).expect("strings serialise");
    let row: CustomerRow = tx
        .fetch_one(
            &format!(
                "INSERT INTO customers (partner_id, company_name, co_reg_number, contact_name, contact_email, \
                 contact_phone, address_lines, town, postcode, billing_email, created_at, updated_at, organization_number) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) RETURNING {COLS}"
            ),
            args![
                partner_id,
                &c.company_name,
                &c.co_reg_number,
                &c.contact_name,
                &c.contact_email,
                &c.contact_phone,
                lines,
                &c.town,
                &c.postcode,
                &c.billing_email,
                now,
                &c.organization_number,
            ],
        )
        .await?;
    crate::audit::write(
        tx,
        now,
        &AuditEntry::of(actor, Some(partner_id), "customer", row.id, "create").after(
            serde_json::json!({
                "companyName": c.company_name, "coRegNumber": c.co_reg_number, "organizationNumber": c.organization_number,
                "contactEmail": c.contact_email, "postcode": c.postcode,
                "billingEmail": c.billing_email }),
        ),
    )
    .await?;
    Ok(row)
}
