//! CapZ alerting and bill limits: a connection's thresholds and bill cap,
//! and the watch that reads its period against them whenever its usage,
//! thresholds, cap or consent change. The watch runs inside the
//! transaction that made the change: alerts are raised once per period
//! and threshold, each with its event (the webhook outbox), and the usage
//! bar is placed or lifted as a request object the provisioning worker
//! carries out. A period's start lifts the bar (a job queued when the bar
//! is placed).

use crate::{App, Error, Principal, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::alerting::{self, Reading, Threshold, Verdict};
use domain::bill_limit::{self, Method};
use domain::rating::{self, Total};
use domain::usage::{self, Period};
use domain::Scope;
use std::collections::BTreeMap;
use store::alerts::{AlertRow, LogEntry, LogRow, Watched};
use store::connections::ConnectionRow;
use store::tx::Tx;
use store::webhooks::emit;

/// Who the watch acts as, in audit entries and request objects.
const WATCH: &str = "system:alerting";

/// A connection's alerting settings as stored (the JSON GetConnectionByCLI
/// shows under `alerting`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    #[serde(default)]
    pub thresholds: Vec<Threshold>,
    /// The usage bar: on while any reason holds.
    #[serde(default)]
    pub alert_bar: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_bar_since: Option<DateTime<Utc>>,
    /// Why the bar is on: the Bar thresholds reached, the bill cap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alert_bar_reasons: Vec<alerting::BarReason>,
    /// The request object that placed (or last lifted) the bar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_bar_request_id: Option<i64>,
}

impl Settings {
    pub fn of(row: &ConnectionRow) -> Result<Settings> {
        serde_json::from_str(&row.alerting).map_err(|e| {
            Error::Internal(format!("connection {}: stored alerting is not readable: {e}", row.id))
        })
    }

    fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("settings serialise")
    }
}

/// A connection's bill cap, if it has one.
pub fn cap_of(conn: &ConnectionRow) -> Option<i64> {
    conn.bill_cap_pence.filter(|_| conn.bill_cap_enabled)
}

/// A period read: its usage so far, and what the reading is.
#[derive(Debug, Clone)]
pub struct Judged {
    pub period: Period,
    pub reading: Reading,
    pub verdict: Verdict,
    pub settings: Settings,
    /// The spend when the customer consented to go beyond the cap.
    pub consent_at: Option<i64>,
}

/// GetBillLimit's answer.
#[derive(Debug, Clone)]
pub struct BillLimit {
    pub conn: ConnectionRow,
    pub period: Period,
    pub cap: Option<i64>,
    pub spend_pence: i64,
    pub billed: bill_limit::Billed,
    pub barred: bool,
    pub consent_at: Option<i64>,
    pub log: Vec<LogRow>,
}

impl App {
    /// GetAlertingSettings: a visible contract's thresholds and bar.
    pub async fn alerting_settings(&self, who: &Principal, contract_id: i64) -> Result<Settings> {
        Settings::of(&self.usage_contract(who, contract_id).await?)
    }

    /// A visible contract, for the usage scope.
    async fn usage_contract(&self, who: &Principal, contract_id: i64) -> Result<ConnectionRow> {
        who.require(Scope::Usage)?;
        self.visible_contract(who, contract_id).await
    }

    /// SetAlertingSettings: replaces a visible contract's thresholds
    /// (checked by `domain::alerting::check_thresholds`), then reads this
    /// period against them: a threshold now below usage raises its alert,
    /// and a bar whose thresholds were raised above usage is lifted.
    pub async fn set_alerting_settings(
        &self,
        who: &Principal,
        contract_id: i64,
        thresholds: Vec<Threshold>,
    ) -> Result<Settings> {
        let thresholds = alerting::check_thresholds(thresholds)?;
        let conn = self.usage_contract(who, contract_id).await?;
        let now = self.store.now();
        let actor = who.actor.clone();
        let settings = self
            .store
            .write(async |tx| -> Result<Settings> {
                let conn = fresh(tx, conn.id).await?;
                let mut settings = Settings::of(&conn)?;
                let before = settings.json();
                settings.thresholds = thresholds;
                store::alerts::set_alerting_in(tx, conn.id, &settings.json(), now).await?;
                store::audit::write(
                    tx,
                    now,
                    &store::audit::AuditEntry::of(
                        &actor,
                        Some(conn.partner_id),
                        "connection",
                        conn.id,
                        "alerting",
                    )
                    .before(before)
                    .after(settings.json()),
                )
                .await?;
                let period = usage::period_of(conn.start_date, now.date_naive());
                let data = one(tx, conn.id, period.start).await?;
                Ok(self.judge(tx, &conn, settings, period.start, &data, now).await?.settings)
            })
            .await?;
        Ok(settings)
    }

    /// After an import, inside its transaction: reads every connection and
    /// period whose sums changed against its thresholds and cap.
    pub(crate) async fn watch_usage(
        &self,
        tx: &mut Tx,
        touched: &[(i64, NaiveDate)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut periods: BTreeMap<i64, Vec<NaiveDate>> = BTreeMap::new();
        for (c, p) in touched {
            periods.entry(*c).or_default().push(*p);
        }
        let ids: Vec<i64> = periods.keys().copied().collect();
        let mut conns = store::alerts::watched_in(tx, &ids).await?;
        conns.retain(|c| {
            Settings::of(c).is_ok_and(|s| !s.thresholds.is_empty() || s.alert_bar)
                || cap_of(c).is_some()
        });
        if conns.is_empty() {
            return Ok(());
        }
        // What the watch reads, for every connection at once.
        let watched: Vec<i64> = conns.iter().map(|c| c.id).collect();
        let first = touched.iter().map(|t| t.1).min().expect("not empty");
        let last = touched.iter().map(|t| t.1).max().expect("not empty");
        let data = store::alerts::watched_data(tx, &watched, first, last).await?;
        for conn in conns {
            let mut settings = Settings::of(&conn)?;
            for p in &periods[&conn.id] {
                settings = self.judge(tx, &conn, settings, *p, &data, now).await?.settings;
            }
        }
        Ok(())
    }

    /// Judges a connection's period again after a change to its settings,
    /// cap or consent: its sums read afresh, inside the transaction.
    async fn judge_again(
        &self,
        tx: &mut Tx,
        conn: &ConnectionRow,
        period_start: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let data = one(tx, conn.id, period_start).await?;
        let settings = Settings::of(conn)?;
        self.judge(tx, conn, settings, period_start, &data, now).await?;
        Ok(())
    }

    /// Reads one period of a connection against its thresholds and cap:
    /// raises what is due (once), and in the current period places or
    /// lifts the usage bar. Answers the settings as they now are.
    async fn judge(
        &self,
        tx: &mut Tx,
        conn: &ConnectionRow,
        mut settings: Settings,
        period_start: NaiveDate,
        data: &Watched,
        now: DateTime<Utc>,
    ) -> Result<Judged> {
        let period = usage::period_of(conn.start_date, period_start);
        let reading = reading_of(data, conn.id, period.start);
        let consent_at = data.consents.get(&(conn.id, period.start)).copied();
        let cap = cap_of(conn);
        let verdict = alerting::verdict(&settings.thresholds, cap, consent_at.is_some(), &reading);
        for r in &verdict.raises {
            let key =
                (conn.id, period.start, r.kind.to_owned(), r.measure.as_str().to_owned(), r.value);
            if data.raised.contains(&key) {
                continue;
            }
            let Some(alert) = store::alerts::raise(tx, conn, period.start, r, now).await? else {
                continue;
            };
            if r.kind == "threshold" {
                emit(tx, conn.partner_id, "alert.raised", alert_json(&alert), now).await?;
            } else {
                store::alerts::log(
                    tx,
                    &LogEntry {
                        conn,
                        period_start: period.start,
                        event: "notice",
                        cap_before: None,
                        cap_pence: cap,
                        spend_pence: reading.spend_pence,
                        by_whom: WATCH,
                        method: None,
                        detail: r.kind,
                    },
                    now,
                )
                .await?;
                emit(tx, conn.partner_id, "billLimit.notice", alert_json(&alert), now).await?;
            }
        }
        let current = usage::period_of(conn.start_date, now.date_naive());
        if period.start == current.start {
            settings = self
                .reconcile_bar(tx, conn, settings, &verdict.bar_reasons, &reading, period, now)
                .await?;
        }
        Ok(Judged { period, reading, verdict, settings, consent_at })
    }

    /// Places the usage bar when a reason holds and it is off; lifts it
    /// when none holds and it is on. The bar is the CAPZ bar, added or
    /// removed by a request object the provisioning worker carries out.
    #[allow(clippy::too_many_arguments)]
    async fn reconcile_bar(
        &self,
        tx: &mut Tx,
        conn: &ConnectionRow,
        mut settings: Settings,
        reasons: &[alerting::BarReason],
        reading: &Reading,
        period: Period,
        now: DateTime<Utc>,
    ) -> Result<Settings> {
        let want = !reasons.is_empty();
        if want == settings.alert_bar {
            if want && settings.alert_bar_reasons != reasons {
                settings.alert_bar_reasons = reasons.to_vec();
                store::alerts::set_alerting_in(tx, conn.id, &settings.json(), now).await?;
            }
            return Ok(settings);
        }
        if domain::request::check_takes_changes(conn.id, conn.status).is_err() {
            // A connection that no longer takes changes is not barred.
            return Ok(settings);
        }
        let bar_id = store::alerts::usage_bar_id(tx, &conn.network).await?;
        let (kind, event) =
            if want { ("AddBar", "usageBar.placed") } else { ("RemoveBar", "usageBar.lifted") };
        let details = serde_json::json!({"barId": bar_id, "barSuffix": "CAPZ", "name": "Usage alert or bill cap (chargeable use)"});
        let group = format!("usage-bar:{}:{kind}", now.timestamp_millis());
        let request = store::requests::insert_request(
            tx,
            WATCH,
            conn,
            kind,
            &group,
            &details,
            now.timestamp_millis(),
            now,
        )
        .await?;
        let cap_involved =
            reasons.iter().chain(&settings.alert_bar_reasons).any(alerting::BarReason::is_bill_cap);
        let why = if want { reasons.to_vec() } else { settings.alert_bar_reasons.clone() };
        settings.alert_bar = want;
        settings.alert_bar_since = want.then_some(now);
        settings.alert_bar_reasons = reasons.to_vec();
        settings.alert_bar_request_id = Some(request.id);
        store::alerts::set_alerting_in(tx, conn.id, &settings.json(), now).await?;
        if want {
            // The next period starts without the bar.
            let job = store::jobs::ReviewUsageBar { connection_id: conn.id };
            store::jobs::enqueue(tx, now, &job, crate::work::start_of(period.end)).await?;
        }
        if cap_involved {
            store::alerts::log(
                tx,
                &LogEntry {
                    conn,
                    period_start: period.start,
                    event: if want { "barred" } else { "lifted" },
                    cap_before: None,
                    cap_pence: cap_of(conn),
                    spend_pence: reading.spend_pence,
                    by_whom: WATCH,
                    method: None,
                    detail: &why.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
                },
                now,
            )
            .await?;
        }
        emit(
            tx,
            conn.partner_id,
            event,
            serde_json::json!({
                "contractId": conn.id, "customerId": conn.customer_id, "cli": conn.cli,
                "reasons": why, "requestId": request.id, "periodStart": period.start,
            }),
            now,
        )
        .await?;
        Ok(settings)
    }

    /// The worker's job at a period's start: read the new period (with
    /// nothing used yet, the bar comes off).
    pub async fn review_usage_bar(&self, connection_id: i64) -> Result<()> {
        let now = self.store.now();
        self.store
            .write(async |tx| -> Result<()> {
                let Some(conn) =
                    store::alerts::connections_in(tx, &[connection_id]).await?.into_iter().next()
                else {
                    return Ok(());
                };
                let period = usage::period_of(conn.start_date, now.date_naive());
                self.judge_again(tx, &conn, period.start, now).await
            })
            .await
    }

    /// GetCliAlertingBarStatus: the usage bar of the caller's connection
    /// with this number.
    pub async fn alerting_bar_status(
        &self,
        who: &Principal,
        cli: &str,
    ) -> Result<(ConnectionRow, Settings, Option<store::requests::RequestRow>)> {
        who.require(Scope::Usage)?;
        let conn = self.visible_connection_by_cli(who, cli).await?;
        let settings = Settings::of(&conn)?;
        let request = match settings.alert_bar_request_id {
            Some(id) => self.store.requests().get_request(who.visibility(), id).await.ok(),
            None => None,
        };
        Ok((conn, settings, request))
    }

    /// SetBillCap: sets, changes or removes (`None`) a visible contract's
    /// bill cap. It applies at once, to this period's spend so far.
    pub async fn set_bill_cap(
        &self,
        who: &Principal,
        contract_id: i64,
        cap: Option<i64>,
    ) -> Result<BillLimit> {
        let cap = cap.map(|c| bill_limit::check_cap("valuePence", c)).transpose()?;
        let conn = self.usage_contract(who, contract_id).await?;
        let now = self.store.now();
        let actor = who.actor.clone();
        self.store
            .write(async |tx| -> Result<()> {
                let conn = fresh(tx, conn.id).await?;
                let before = cap_of(&conn);
                if before == cap {
                    return Ok(());
                }
                store::alerts::set_cap_in(tx, conn.id, cap, now).await?;
                let period = usage::period_of(conn.start_date, now.date_naive());
                let data = one(tx, conn.id, period.start).await?;
                let spend = reading_of(&data, conn.id, period.start).spend_pence;
                store::alerts::log(
                    tx,
                    &LogEntry {
                        conn: &conn,
                        period_start: period.start,
                        event: if cap.is_some() { "capSet" } else { "capRemoved" },
                        cap_before: before,
                        cap_pence: cap,
                        spend_pence: spend,
                        by_whom: &actor,
                        method: None,
                        detail: "",
                    },
                    now,
                )
                .await?;
                let conn = fresh(tx, conn.id).await?;
                self.judge_again(tx, &conn, period.start, now).await
            })
            .await?;
        self.bill_limit(who, contract_id).await
    }

    /// RecordBillCapConsent: the customer agreed, after a notice this
    /// period, to go beyond the cap until the period ends. Continued use
    /// is never consent: only this call records it, with who and how.
    pub async fn record_consent(
        &self,
        who: &Principal,
        contract_id: i64,
        consented_by: &str,
        method: Method,
        note: &str,
    ) -> Result<BillLimit> {
        bill_limit::check_note(note)?;
        let conn = self.usage_contract(who, contract_id).await?;
        let now = self.store.now();
        let actor = who.actor.clone();
        self.store
            .write(async |tx| -> Result<()> {
                let conn = fresh(tx, conn.id).await?;
                let period = usage::period_of(conn.start_date, now.date_naive());
                let noticed = store::alerts::noticed_in(tx, conn.id, period.start).await?;
                bill_limit::check_consent(cap_of(&conn), noticed, consented_by)?;
                let data = one(tx, conn.id, period.start).await?;
                if data.consents.contains_key(&(conn.id, period.start)) {
                    return Ok(());
                }
                let spend = reading_of(&data, conn.id, period.start).spend_pence;
                let detail = format!(
                    "recorded by {actor}{}{}",
                    if note.is_empty() { "" } else { ": " },
                    note.trim()
                );
                let row = store::alerts::log(
                    tx,
                    &LogEntry {
                        conn: &conn,
                        period_start: period.start,
                        event: "consent",
                        cap_before: None,
                        cap_pence: cap_of(&conn),
                        spend_pence: spend,
                        by_whom: consented_by.trim(),
                        method: Some(method.as_str()),
                        detail: &detail,
                    },
                    now,
                )
                .await?;
                emit(
                    tx,
                    conn.partner_id,
                    "billLimit.consent",
                    serde_json::json!({
                        "contractId": conn.id, "customerId": conn.customer_id, "cli": conn.cli,
                        "consentedBy": row.by_whom, "method": row.method, "at": row.at,
                        "capPence": row.cap_pence, "spendPence": row.spend_pence,
                    }),
                    now,
                )
                .await?;
                self.judge_again(tx, &conn, period.start, now).await
            })
            .await?;
        self.bill_limit(who, contract_id).await
    }

    /// A connection's current period and its use so far (the caller has
    /// the connection already: GetConnectionByCLI shows this).
    pub async fn usage_so_far(&self, conn: &ConnectionRow) -> Result<(Period, Reading)> {
        let period = usage::period_of(conn.start_date, self.store.clock().today());
        let plan = self.store.usage().plan(conn.id).await?;
        let rows = self.store.usage().totals(conn.id, period.start, period.start).await?;
        let totals: Vec<Total> = rows.iter().filter_map(|r| r.total(false)).collect();
        let data = rating::data_use(&plan, &totals);
        Ok((
            period,
            Reading {
                data_bytes: data.used,
                data_allowance_bytes: data.allowance,
                spend_pence: rating::rate(&plan, &totals).pence,
            },
        ))
    }

    /// GetBillLimit: a visible contract's cap, this period's spend against
    /// it (billed and not billed), whether it is barred, and every notice,
    /// decision and consent on record.
    pub async fn bill_limit(&self, who: &Principal, contract_id: i64) -> Result<BillLimit> {
        let conn = self.usage_contract(who, contract_id).await?;
        let (period, reading) = self.usage_so_far(&conn).await?;
        let spend = reading.spend_pence;
        let consent_at = self.store.alerts().consent(conn.id, period.start).await?;
        let cap = cap_of(&conn);
        let settings = Settings::of(&conn)?;
        let log = self.store.alerts().bill_limit_log(who.visibility(), conn.id).await?;
        Ok(BillLimit {
            period,
            cap,
            spend_pence: spend,
            billed: bill_limit::billable(spend, cap, consent_at),
            barred: settings.alert_bar
                && settings.alert_bar_reasons.iter().any(alerting::BarReason::is_bill_cap),
            consent_at,
            log,
            conn,
        })
    }
}

/// The connection as it is now, inside the transaction.
async fn fresh(tx: &mut Tx, id: i64) -> Result<ConnectionRow> {
    store::alerts::connections_in(tx, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Rule(domain::Error::not_found(format!("contract {id} not found"))))
}

/// What the watch reads of one connection's period.
async fn one(tx: &mut Tx, connection_id: i64, period: NaiveDate) -> Result<Watched> {
    Ok(store::alerts::watched_data(tx, &[connection_id], period, period).await?)
}

/// A period's data use and out-of-bundle spend so far.
fn reading_of(data: &Watched, connection_id: i64, period: NaiveDate) -> Reading {
    let plan = data.plans.get(&connection_id).copied().unwrap_or_default();
    let totals: &[Total] = data.sums.get(&(connection_id, period)).map_or(&[], Vec::as_slice);
    let used = rating::data_use(&plan, totals);
    Reading {
        data_bytes: used.used,
        data_allowance_bytes: used.allowance,
        spend_pence: rating::rate(&plan, totals).pence,
    }
}

/// An alert as its event carries it.
pub fn alert_json(a: &AlertRow) -> serde_json::Value {
    serde_json::json!({
        "alertId": a.id, "contractId": a.connection_id, "customerId": a.customer_id, "cli": a.cli,
        "periodStart": a.period_start, "kind": a.kind, "measure": a.measure, "value": a.value,
        "action": a.action, "reading": a.reading, "raisedAt": a.raised_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_without_thresholds_or_bar_are_stored_as_the_watch_expects() {
        // The import reads only connections whose alerting is not one of
        // these (or that have a cap): settings with no thresholds and no
        // bar must be stored as one of them.
        let stored = Settings::default().json().to_string();
        assert!(store::alerts::NO_ALERTING.contains(&stored.as_str()), "{stored}");
        let on = Settings { alert_bar: true, ..Settings::default() };
        assert!(!store::alerts::NO_ALERTING.contains(&on.json().to_string().as_str()));
    }
}
