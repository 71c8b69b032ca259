//! Partners: the reseller's dealers and integrators (and the house
//! account) that own customers and everything under them.

use crate::audit::AuditEntry;
use crate::{args, Partners, Result, StoreError};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow, serde::Serialize)]
pub struct Partner {
    pub id: i64,
    pub name: String,
    pub is_house: bool,
    pub created_at: DateTime<Utc>,
}

impl Partners<'_> {
    /// Creates a partner; a name already taken is a conflict.
    /// The use case has checked the name (`domain::text::check_name`).
    pub async fn create_partner(&self, actor: &str, name: &str, is_house: bool) -> Result<Partner> {
        let now = self.now();
        self.write(async |tx| {
            let partner: Partner = tx
                .fetch_one(
                    "INSERT INTO partners (name, is_house, created_at) VALUES ($1, $2, $3) RETURNING id, name, is_house, created_at",
                    args![name, is_house, now],
                )
                .await
                .map_err(|e| StoreError::unique_of(e, format!("a partner named {name:?} already exists")))?;
            let entry = AuditEntry::of(actor, Some(partner.id), "partner", partner.id, "create")
                .after(serde_json::json!({"name": name, "isHouse": is_house}));
            crate::audit::write(tx, now, &entry).await?;
            Ok(partner)
        })
        .await
    }

    pub async fn list_partners(&self) -> Result<Vec<Partner>> {
        self.read_all::<Partner>(
            "SELECT id, name, is_house, created_at FROM partners ORDER BY id",
            args![],
        )
        .await
    }

    pub async fn get_partner(&self, id: i64) -> Result<Partner> {
        self.read_optional::<Partner>(
            "SELECT id, name, is_house, created_at FROM partners WHERE id = $1",
            args![id],
        )
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn partner_by_name(&self, name: &str) -> Result<Option<Partner>> {
        self.read_optional::<Partner>(
            "SELECT id, name, is_house, created_at FROM partners WHERE name = $1",
            args![name],
        )
        .await
    }
}
