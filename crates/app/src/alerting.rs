//! CapZ alerting settings: a connection's thresholds, read and replaced.

use crate::{App, Error, Principal, Result};
use domain::alerting::{self, Threshold};
use domain::Scope;
use store::connections::ConnectionRow;

/// A connection's alerting settings as stored (the JSON GetConnectionByCLI
/// shows under `alerting`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    #[serde(default)]
    pub thresholds: Vec<Threshold>,
    #[serde(default)]
    pub alert_bar: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_bar_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl Settings {
    fn of(row: &ConnectionRow) -> Result<Settings> {
        serde_json::from_str(&row.alerting).map_err(|e| {
            Error::Internal(format!(
                "connection {}: stored alerting is not readable: {e}",
                row.id
            ))
        })
    }
}

impl App {
    /// GetAlertingSettings: a visible contract's thresholds and bar.
    pub async fn alerting_settings(&self, who: &Principal, contract_id: i64) -> Result<Settings> {
        who.require(Scope::Usage)?;
        let row = self
            .store
            .connections()
            .connection_by_id(who.visibility(), contract_id)
            .await
            .map_err(|e| Error::store(e, || format!("contract {contract_id}")))?;
        Settings::of(&row)
    }

    /// SetAlertingSettings: replaces a visible contract's thresholds
    /// (checked by `domain::alerting::check_thresholds`); the bar stays as
    /// it is.
    pub async fn set_alerting_settings(
        &self,
        who: &Principal,
        contract_id: i64,
        thresholds: Vec<Threshold>,
    ) -> Result<Settings> {
        who.require(Scope::Usage)?;
        let thresholds = alerting::check_thresholds(thresholds)?;
        let mut settings = self.alerting_settings(who, contract_id).await?;
        settings.thresholds = thresholds;
        let json = serde_json::to_value(&settings)
            .map_err(|e| Error::Internal(format!("alerting settings: {e}")))?;
        let row = self
            .store
            .connections()
            .set_alerting(&who.actor, who.visibility(), contract_id, &json)
            .await
            .map_err(|e| Error::store(e, || format!("contract {contract_id}")))?;
        Settings::of(&row)
    }
}
