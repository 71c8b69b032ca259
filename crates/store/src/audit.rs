//! The audit trail: who changed what, when, from what, to what. Rows are
//! written in the same transaction as the change they describe.

use crate::{args, Audit, Result};
use chrono::{DateTime, Utc};

/// One audit entry to write.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub partner_id: Option<i64>,
    pub entity: &'a str,
    pub entity_id: String,
    pub action: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> AuditEntry<'a> {
    /// `actor` did `action` to `entity` `entity_id` (of `partner_id`).
    pub fn of(
        actor: &'a str,
        partner_id: Option<i64>,
        entity: &'a str,
        entity_id: impl ToString,
        action: &'a str,
    ) -> AuditEntry<'a> {
        AuditEntry {
            actor,
            partner_id,
            entity,
            entity_id: entity_id.to_string(),
            action,
            before: None,
            after: None,
        }
    }

    /// What the entity was.
    pub fn before(mut self, v: serde_json::Value) -> Self {
        self.before = Some(v);
        self
    }

    /// What the entity became.
    pub fn after(mut self, v: serde_json::Value) -> Self {
        self.after = Some(v);
        self
    }
}

/// The SQL that writes one audit row (see [`write`]).
const INSERT_AUDIT_SQL: &str = "INSERT INTO audit_log (at, actor, partner_id, entity, entity_id, action, before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Writes `entry`, stamped `at`, inside the caller's transaction.
pub async fn write(tx: &mut crate::tx::Tx, at: DateTime<Utc>, e: &AuditEntry<'_>) -> Result<()> {
    tx.execute(
        INSERT_AUDIT_SQL,
        crate::args![
            at,
            e.actor,
            e.partner_id,
            e.entity,
            &e.entity_id,
            e.action,
            e.before.as_ref().map(|v| v.to_string()),
            e.after.as_ref().map(|v| v.to_string()),
        ],
    )
    .await?;
    Ok(())
}

/// An audit row as read back.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub partner_id: Option<i64>,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

impl Audit<'_> {
    /// The audit trail of one record, oldest first.
    pub async fn audit_for(&self, entity: &str, entity_id: &str) -> Result<Vec<AuditRow>> {
        let rows = self.read_all::<AuditRow>("SELECT id, at, actor, partner_id, entity, entity_id, action, before_json, after_json FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id", args![entity, entity_id]).await?;
        Ok(rows)
    }

    /// The latest `limit` audit rows of the records visible to the caller,
    /// newest first.
    pub async fn recent(&self, vis: crate::Visibility, limit: i64) -> Result<Vec<AuditRow>> {
        let (all, partner) = vis.binds();
        self.read_all::<AuditRow>("SELECT id, at, actor, partner_id, entity, entity_id, action, before_json, after_json FROM audit_log WHERE ($1 OR partner_id = $2) ORDER BY id DESC LIMIT $3", args![all, partner, limit]).await
    }
}
