//! The ISP face's records: speed profiles, subscribers (`isp_users`) and
//! their RADIUS accounting sessions. A subscriber's stored status is what
//! staff set; `expired` is derived from its expiration when read, in SQL
//! for filters and in `domain::isp` for answers.

use crate::audit::AuditEntry;
use crate::tx::Tx;
use crate::{args, Isp, Result, StoreError, Visibility};
use chrono::{DateTime, Utc};
use domain::isp::AcctKind;
use domain::isp::ReadStatus;
use domain::paging::{like_contains, PageRequest};
use domain::status::SubscriberStatus;
use serde_json::{json, Value};

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct ProfileRow {
    pub id: i64,
    pub partner_id: i64,
    pub name: String,
    pub download_kbps: i64,
    pub upload_kbps: i64,
    pub price_pence: i64,
    pub period_days: i64,
    pub framed_pool: Option<String>,
    pub acct_interim_secs: i64,
    pub simultaneous_use: i64,
    pub chap: bool,
    pub created_at: DateTime<Utc>,
}

/// A profile to create.
#[derive(Debug, Clone)]
pub struct NewProfile {
    pub partner_id: i64,
    pub name: String,
    pub download_kbps: i64,
    pub upload_kbps: i64,
    pub price_pence: i64,
    pub period_days: i64,
    pub framed_pool: Option<String>,
    pub acct_interim_secs: i64,
    pub simultaneous_use: i64,
    pub chap: bool,
}

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct IspUserRow {
    pub id: i64,
    pub partner_id: i64,
    pub customer_id: Option<i64>,
    pub profile_id: i64,
    pub profile_name: String,
    /// Whether the profile authenticates with CHAP / MS-CHAP.
    pub profile_chap: bool,
    pub username: String,
    pub password_hash: String,
    pub password_sealed: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: SubscriberStatus,
    pub expiration: Option<DateTime<Utc>>,
    pub mac: Option<String>,
    pub static_ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub last_auth_at: Option<DateTime<Utc>>,
    pub last_auth_result: Option<String>,
}

/// A subscriber to create (fields checked by `domain::isp`).
#[derive(Debug, Clone)]
pub struct NewIspUser {
    pub partner_id: i64,
    pub customer_id: Option<i64>,
    pub profile_id: i64,
    pub username: String,
    pub password_hash: String,
    pub password_sealed: Option<String>,
    pub expiration: Option<DateTime<Utc>>,
    pub mac: Option<String>,
    pub static_ip: Option<String>,
}

/// A change to a subscriber: each `Some` is applied (`Some(None)` clears).
#[derive(Debug, Clone, Default)]
pub struct IspUserPatch {
    pub profile_id: Option<i64>,
    /// Argon2 hash, and the sealed password when the profile needs CHAP.
    pub password: Option<(String, Option<String>)>,
    pub mac: Option<Option<String>>,
    pub expiration: Option<Option<DateTime<Utc>>>,
    pub static_ip: Option<Option<String>>,
    pub customer_id: Option<Option<i64>>,
}

/// Filters of the subscriber list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// A status as read (expired derived from the expiration).
    pub status: Option<ReadStatus>,
    pub profile_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Part of the username, MAC or static IP.
    pub q: String,
}

#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow, serde::Serialize)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: Option<i64>,
    pub username: String,
    pub unique_id: String,
    pub acct_session_id: String,
    pub nas_ip: Option<String>,
    pub nas_identifier: Option<String>,
    pub nas_port: Option<String>,
    pub framed_ip: Option<String>,
    pub calling_station_id: Option<String>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub session_time: i64,
    pub input_bytes: i64,
    pub output_bytes: i64,
    pub terminate_cause: Option<String>,
}

/// One accounting record from the NAS.
#[derive(Debug, Clone)]
pub struct AcctRecord {
    pub kind: AcctKind,
    pub username: String,
    pub unique_id: String,
    pub acct_session_id: String,
    pub nas_ip: Option<String>,
    pub nas_identifier: Option<String>,
    pub nas_port: Option<String>,
    pub framed_ip: Option<String>,
    pub calling_station_id: Option<String>,
    pub session_time: i64,
    pub input_bytes: i64,
    pub output_bytes: i64,
    pub terminate_cause: Option<String>,
    /// `Acct-Delay-Time`: seconds the NAS held the record.
    pub delay_secs: i64,
    /// `Event-Timestamp`, when sent and readable.
    pub event_timestamp: Option<DateTime<Utc>>,
}

const PROFILE_COLS: &str = "id, partner_id, name, download_kbps, upload_kbps, price_pence, period_days, framed_pool, acct_interim_secs, simultaneous_use, chap, created_at";
const USER_SELECT: &str = "SELECT u.id, u.partner_id, u.customer_id, u.profile_id, p.name AS profile_name, p.chap AS profile_chap, u.username, u.password_hash, u.password_sealed, \
    u.status, u.expiration, u.mac, u.static_ip, u.created_at, u.activated_at, u.updated_at, u.disabled_at, u.last_auth_at, u.last_auth_result \
    FROM isp_users u JOIN isp_profiles p ON p.id = u.profile_id";
const SESSION_COLS: &str = "id, user_id, username, unique_id, acct_session_id, nas_ip, nas_identifier, nas_port, framed_ip, calling_station_id, started_at, updated_at, stopped_at, session_time, input_bytes, output_bytes, terminate_cause";
/// The status a subscriber reads as, in SQL ($1 = now).
const EFFECTIVE_STATUS: &str =
    "CASE WHEN u.status = 'active' AND u.expiration IS NOT NULL AND u.expiration <= $1 THEN 'expired' ELSE u.status END";

/// The refusal of a static IP another live subscriber of the partner has.
fn ip_given(ip: &str) -> StoreError {
    StoreError::Conflict(format!("static_ip: {ip} is already given to another subscriber"))
}

/// A refusal by the one-live-subscriber-per-static-IP index (PostgreSQL,
/// by the index's name: a write that raced the check below), said plainly.
fn static_ip_taken(e: StoreError, ip: Option<&str>) -> StoreError {
    if e.violates_unique("isp_users_static_ip") {
        ip_given(ip.unwrap_or(""))
    } else {
        e
    }
}

/// Refuses a static IP another live subscriber of the partner has (other
/// than `except`), read inside the write: on SQLite, whose one writer
/// holds the lock, nothing can take it before the write, and any unique
/// violation left is the username's; on PostgreSQL a concurrent write is
/// refused by the index, recognised by its name ([`static_ip_taken`]).
async fn check_static_ip(
    tx: &mut Tx,
    partner_id: i64,
    ip: Option<&str>,
    except: Option<i64>,
) -> Result<()> {
    let Some(ip) = ip else { return Ok(()) };
    let holder: Option<(i64,)> = tx
        .fetch_optional(
            "SELECT id FROM isp_users WHERE partner_id = $1 AND static_ip = $2 AND status <> 'disabled' AND id <> $3",
            args![partner_id, ip, except.unwrap_or(0)],
        )
        .await?;
    match holder {
        Some(_) => Err(ip_given(ip)),
        None => Ok(()),
    }
}

impl Isp<'_> {
    /// Creates a speed profile.
    /// The use case has checked it (`domain::isp::check_profile`).
    pub async fn create_profile(&self, actor: &str, p: &NewProfile) -> Result<ProfileRow> {
        let now = self.now();
        self.write(async |tx| {
            let row: ProfileRow = tx
                .fetch_one(
                    &format!(
                        "INSERT INTO isp_profiles (partner_id, name, download_kbps, upload_kbps, price_pence, period_days, framed_pool, acct_interim_secs, simultaneous_use, chap, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {PROFILE_COLS}"
                    ),
                    args![p.partner_id, &p.name, p.download_kbps, p.upload_kbps, p.price_pence, p.period_days,
                          &p.framed_pool, p.acct_interim_secs, p.simultaneous_use, p.chap, now],
                )
                .await
                .map_err(|e| StoreError::unique_of(e, format!("name: a profile named {:?} already exists", p.name)))?;
            let entry = AuditEntry::of(actor, Some(p.partner_id), "isp_profile", row.id, "create")
                .after(serde_json::json!({"name": p.name, "downloadKbps": p.download_kbps, "uploadKbps": p.upload_kbps}));
            crate::audit::write(tx, now, &entry).await?;
            Ok(row)
        })
        .await
    }

    /// A page of visible profiles, with the total.
    pub async fn list_profiles(
        &self,
        vis: Visibility,
        page: PageRequest,
    ) -> Result<(Vec<ProfileRow>, i64)> {
        let (all, partner) = vis.binds();
        self.read_page(
            &format!("SELECT {PROFILE_COLS} FROM isp_profiles WHERE ($1 OR partner_id = $2)"),
            "id",
            args![all, partner],
            page,
        )
        .await
    }

    /// A visible profile.
    pub async fn get_profile(&self, vis: Visibility, id: i64) -> Result<ProfileRow> {
        self.read_visible::<ProfileRow>(
            &format!("SELECT {PROFILE_COLS} FROM isp_profiles"),
            "",
            id,
            vis,
        )
        .await
    }

    /// Creates a subscriber (active from now).
    pub async fn create_isp_user(&self, actor: &str, u: &NewIspUser) -> Result<IspUserRow> {
        let now = self.now();
        let id: i64 = self
            .write(async |tx| {
                check_static_ip(tx, u.partner_id, u.static_ip.as_deref(), None).await?;
                let (id,): (i64,) = tx
                    .fetch_one(
                        "INSERT INTO isp_users (partner_id, customer_id, profile_id, username, password_hash, password_sealed, status, expiration, mac, static_ip, created_at, activated_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $10, $10) RETURNING id",
                        args![u.partner_id, u.customer_id, u.profile_id, &u.username, &u.password_hash, &u.password_sealed,
                              u.expiration, &u.mac, &u.static_ip, now],
                    )
                    .await
                    .map_err(|e| static_ip_taken(e, u.static_ip.as_deref()))
                    .map_err(|e| StoreError::unique_of(e, format!("username: {:?} is already taken", u.username)))?;
                let entry = AuditEntry::of(actor, Some(u.partner_id), "isp_user", id, "create")
                    .after(serde_json::json!({"username": u.username, "profileId": u.profile_id, "expiration": u.expiration, "mac": u.mac, "staticIp": u.static_ip}));
                crate::audit::write(tx, now, &entry).await?;
                Ok::<_, StoreError>(id)
            })
            .await?;
        self.get_isp_user(Visibility::All, id).await
    }

    /// A visible subscriber by id.
    pub async fn get_isp_user(&self, vis: Visibility, id: i64) -> Result<IspUserRow> {
        self.read_visible::<IspUserRow>(USER_SELECT, "u.", id, vis).await
    }

    /// A visible subscriber that is not deleted (disabled), to change.
    async fn live_isp_user(&self, vis: Visibility, id: i64) -> Result<IspUserRow> {
        let user = self.get_isp_user(vis, id).await?;
        domain::isp::check_changeable(id, user.status)?;
        Ok(user)
    }

    /// A partner's subscriber by username.
    pub async fn isp_user_by_username(
        &self,
        partner_id: i64,
        username: &str,
    ) -> Result<Option<IspUserRow>> {
        self.read_optional::<IspUserRow>(
            &format!("{USER_SELECT} WHERE u.partner_id = $1 AND u.username = $2"),
            args![partner_id, username],
        )
        .await
    }

    /// A page of visible subscribers matching `f`, by id, with the total.
    pub async fn list_isp_users(
        &self,
        vis: Visibility,
        f: &UserFilter,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<(Vec<IspUserRow>, i64)> {
        let (all, partner) = vis.binds();
        let q = if f.q.trim().is_empty() {
            String::new()
        } else {
            like_contains(&f.q.trim().to_lowercase())
        };
        // Only the filters asked for, so the planner sees each as it is
        // (a customer's subscribers by its index, not by reading them all).
        let mut filter = "($1 OR u.partner_id = $2)".to_owned();
        let mut a = args![all, partner];
        if let Some(s) = f.status {
            a.extend(args![now, s.as_str()]);
            let n = a.len();
            let status = EFFECTIVE_STATUS.replace("$1", &format!("${}", n - 1));
            filter.push_str(&format!(" AND {status} = ${n}"));
        }
        if let Some(p) = f.profile_id {
            a.extend(args![p]);
            filter.push_str(&format!(" AND u.profile_id = ${}", a.len()));
        }
        if let Some(c) = f.customer_id {
            a.extend(args![c]);
            filter.push_str(&format!(" AND u.customer_id = ${}", a.len()));
        }
        if !q.is_empty() {
            a.extend(args![&q]);
            let n = a.len();
            filter.push_str(&format!(
                " AND (LOWER(u.username) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(u.mac, '')) LIKE ${n} ESCAPE '\\' OR COALESCE(u.static_ip, '') LIKE ${n} ESCAPE '\\')"
            ));
        }
        self.read_page(&format!("{USER_SELECT} WHERE {filter}"), "u.id", a, page).await
    }

    /// One change to a visible subscriber that is not disabled, in one
    /// write: `change` runs its statements and answers the audit entry's
    /// before and after (entity `isp_user`, `action`); the subscriber is
    /// read back.
    async fn change_isp_user(
        &self,
        actor: &str,
        vis: Visibility,
        id: i64,
        action: &str,
        change: impl AsyncFnOnce(&mut Tx, &IspUserRow, DateTime<Utc>) -> Result<(Value, Value)>,
    ) -> Result<IspUserRow> {
        let before = self.live_isp_user(vis, id).await?;
        let now = self.now();
        self.write(async |tx| {
            let (was, is) = change(tx, &before, now).await?;
            let entry = AuditEntry::of(actor, Some(before.partner_id), "isp_user", id, action)
                .before(was)
                .after(is);
            crate::audit::write(tx, now, &entry).await
        })
        .await?;
        self.get_isp_user(vis, id).await
    }

    /// Applies a patch to a visible subscriber (not a disabled one).
    pub async fn update_isp_user(
        &self,
        actor: &str,
        vis: Visibility,
        id: i64,
        patch: &IspUserPatch,
    ) -> Result<IspUserRow> {
        self.change_isp_user(actor, vis, id, "update", async |tx, before, now| {
            let (hash, sealed) = match &patch.password {
                Some((h, s)) => (Some(h.clone()), s.clone()),
                None => (None, before.password_sealed.clone()),
            };
            let mac = patch.mac.clone().unwrap_or(before.mac.clone());
            let static_ip = patch.static_ip.clone().unwrap_or(before.static_ip.clone());
            let expiration = patch.expiration.unwrap_or(before.expiration);
            let customer = patch.customer_id.unwrap_or(before.customer_id);
            check_static_ip(tx, before.partner_id, static_ip.as_deref(), Some(id)).await?;
            tx.execute(
                "UPDATE isp_users SET profile_id = COALESCE($1, profile_id), password_hash = COALESCE($2, password_hash), password_sealed = $3, \
                 mac = $4, static_ip = $5, expiration = $6, customer_id = $7, updated_at = $8 WHERE id = $9",
                args![patch.profile_id, &hash, &sealed, &mac, &static_ip, expiration, customer, now, id],
            )
            .await
            .map_err(|e| static_ip_taken(e, static_ip.as_deref()))?;
            Ok((
                json!({"profileId": before.profile_id, "mac": before.mac, "staticIp": before.static_ip, "expiration": before.expiration, "customerId": before.customer_id}),
                json!({"profileId": patch.profile_id.unwrap_or(before.profile_id), "mac": mac, "staticIp": static_ip, "expiration": expiration, "customerId": customer, "passwordChanged": patch.password.is_some()}),
            ))
        })
        .await
    }

    /// Sets a visible subscriber's stored status: `active`, `suspended` or
    /// `disabled` (delete: kept with its history, the static IP freed).
    pub async fn set_isp_user_status(
        &self,
        actor: &str,
        vis: Visibility,
        id: i64,
        status: SubscriberStatus,
    ) -> Result<IspUserRow> {
        self.change_isp_user(actor, vis, id, status.as_str(), async |tx, before, now| {
            tx.execute(
                "UPDATE isp_users SET status = $1, updated_at = $2, \
                 activated_at = CASE WHEN $1 = 'active' AND status <> 'active' THEN $2 ELSE activated_at END, \
                 disabled_at = CASE WHEN $1 = 'disabled' THEN $2 ELSE disabled_at END WHERE id = $3",
                args![status, now, id],
            )
            .await?;
            Ok((json!({"status": before.status}), json!({"status": status})))
        })
        .await
    }

    /// Renews a visible subscriber: its expiration becomes what `renewed`
    /// (the use case's rule) makes of the current one, read under the write
    /// lock so two renewals add two periods, and its profile's period days.
    pub async fn renew_isp_user(
        &self,
        actor: &str,
        vis: Visibility,
        id: i64,
        renewed: impl FnOnce(Option<DateTime<Utc>>, i64) -> DateTime<Utc>,
    ) -> Result<IspUserRow> {
        let profile_id = self.get_isp_user(vis, id).await?.profile_id;
        let period_days = self.get_profile(Visibility::All, profile_id).await?.period_days;
        self.change_isp_user(actor, vis, id, "renew", async |tx, _, now| {
            // Read again under the write lock so two renewals add two periods.
            let (current,): (Option<DateTime<Utc>>,) = tx
                .fetch_one(
                    "UPDATE isp_users SET updated_at = $1 WHERE id = $2 RETURNING expiration",
                    args![now, id],
                )
                .await?;
            let next = renewed(current, period_days);
            tx.execute("UPDATE isp_users SET expiration = $1 WHERE id = $2", args![next, id])
                .await?;
            Ok((
                json!({"expiration": current}),
                json!({"expiration": next, "periodDays": period_days}),
            ))
        })
        .await
    }

    /// Keeps a subscriber's password sealed (the server's key), where it
    /// had no sealed copy yet.
    pub async fn keep_sealed(&self, user_id: i64, sealed: &str) -> Result<()> {
        self.execute(
            "UPDATE isp_users SET password_sealed = $1 WHERE id = $2 AND password_sealed IS NULL",
            args![sealed, user_id],
        )
        .await?;
        Ok(())
    }

    /// Notes the last RADIUS decision on a subscriber.
    pub async fn record_auth(&self, user_id: i64, result: &str) -> Result<()> {
        self.execute(
            "UPDATE isp_users SET last_auth_at = $1, last_auth_result = $2 WHERE id = $3",
            args![self.now(), result, user_id],
        )
        .await?;
        Ok(())
    }

    /// Closes a subscriber's sessions not updated since `stale_before`
    /// (`Stale-Session`), then answers how many are open. A read on the
    /// hot path; the writer only when something is stale.
    pub async fn open_sessions(&self, user_id: i64, stale_before: DateTime<Utc>) -> Result<i64> {
        let (open, fresh): (i64, i64) = self.read_one(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN updated_at >= $2 THEN 1 ELSE 0 END), 0) FROM radius_sessions WHERE user_id = $1 AND stopped_at IS NULL",
            args![user_id, stale_before]).await?;
        if open > fresh {
            self.execute(
                "UPDATE radius_sessions SET stopped_at = updated_at, terminate_cause = 'Stale-Session' WHERE user_id = $1 AND stopped_at IS NULL AND updated_at < $2",
                args![user_id, stale_before],
            )
            .await?;
        }
        Ok(fresh)
    }

    /// Closes the open sessions of the NAS an Accounting-On or -Off record
    /// comes from (it rebooted): `NAS-Reboot`.
    pub async fn close_nas_sessions(&self, partner_id: i64, r: &AcctRecord) -> Result<()> {
        self.execute(
            "UPDATE radius_sessions SET stopped_at = $1, terminate_cause = 'NAS-Reboot' WHERE partner_id = $2 AND stopped_at IS NULL \
             AND CASE WHEN CAST($3 AS TEXT) IS NOT NULL THEN nas_ip = $3 ELSE nas_identifier = $4 END",
            args![self.now(), partner_id, &r.nas_ip, &r.nas_identifier],
        )
        .await?;
        Ok(())
    }

    /// The sessions open now of the partners the caller sees, newest
    /// first, with the total (the portal's "online now").
    pub async fn online_sessions(
        &self,
        vis: Visibility,
        page: PageRequest,
    ) -> Result<(Vec<SessionRow>, i64)> {
        let (all, partner) = vis.binds();
        self.read_page(
            &format!(
                "SELECT {SESSION_COLS} FROM radius_sessions \
                 WHERE ($1 OR partner_id = $2) AND stopped_at IS NULL"
            ),
            "id DESC",
            args![all, partner],
            page,
        )
        .await
    }
}

/// The sessions stored under an accounting record's unique id, newest
/// first: the two latest, which is all `domain::isp::acct_target` reads.
pub async fn sessions_by_unique_id(
    tx: &mut Tx,
    partner_id: i64,
    unique_id: &str,
) -> Result<Vec<SessionRow>> {
    tx.fetch_all(
        &format!("SELECT {SESSION_COLS} FROM radius_sessions WHERE partner_id = $1 AND unique_id = $2 ORDER BY id DESC LIMIT 2"),
        args![partner_id, unique_id],
    )
    .await
}

/// What an accounting record writes to its session: when it happened
/// (`at`), and the stop time and cause when it is a Stop.
pub struct AcctWrite<'a> {
    pub record: &'a AcctRecord,
    pub at: DateTime<Utc>,
    pub stop: Option<DateTime<Utc>>,
    pub cause: Option<&'a str>,
}

/// Opens the session a record begins (its subscriber looked up by name
/// inside the statement). `None` when another writer opened a session
/// under that id meanwhile (PostgreSQL); see [`open_session_id`].
pub async fn open_session(
    tx: &mut Tx,
    partner_id: i64,
    w: &AcctWrite<'_>,
    now: DateTime<Utc>,
) -> Result<Option<SessionRow>> {
    let r = w.record;
    tx.fetch_optional(
        &format!(
            "INSERT INTO radius_sessions (partner_id, user_id, username, unique_id, acct_session_id, nas_ip, nas_identifier, nas_port, framed_ip, calling_station_id, \
             started_at, updated_at, stopped_at, session_time, input_bytes, output_bytes, terminate_cause) \
             VALUES ($1, (SELECT id FROM isp_users WHERE partner_id = $1 AND username = $2), $2, $3, $4, $5, $6, $7, $8, $9, $16, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (partner_id, unique_id) WHERE stopped_at IS NULL DO NOTHING RETURNING {SESSION_COLS}"
        ),
        args![partner_id, &r.username, &r.unique_id, &r.acct_session_id, &r.nas_ip, &r.nas_identifier, &r.nas_port,
              &r.framed_ip, &r.calling_station_id, now, w.stop, r.session_time, r.input_bytes, r.output_bytes, w.cause, w.at],
    )
    .await
}

/// The open session under a unique id (one another writer opened).
pub async fn open_session_id(tx: &mut Tx, partner_id: i64, unique_id: &str) -> Result<i64> {
    let (open,): (i64,) = tx
        .fetch_one(
            "SELECT id FROM radius_sessions WHERE partner_id = $1 AND unique_id = $2 AND stopped_at IS NULL",
            args![partner_id, unique_id],
        )
        .await?;
    Ok(open)
}

/// Applies a record to session `id`: while the session is open its
/// counters only rise and a Stop closes it, once; a closed session is
/// left as it was.
pub async fn touch_session(
    tx: &mut Tx,
    id: i64,
    w: &AcctWrite<'_>,
    now: DateTime<Utc>,
) -> Result<SessionRow> {
    let r = w.record;
    tx.fetch_one(
        &format!(
            "UPDATE radius_sessions SET \
               updated_at = CASE WHEN stopped_at IS NULL THEN $2 ELSE updated_at END, \
               session_time = CASE WHEN stopped_at IS NULL AND $3 > session_time THEN $3 ELSE session_time END, \
               input_bytes = CASE WHEN stopped_at IS NULL AND $4 > input_bytes THEN $4 ELSE input_bytes END, \
               output_bytes = CASE WHEN stopped_at IS NULL AND $5 > output_bytes THEN $5 ELSE output_bytes END, \
               framed_ip = COALESCE(framed_ip, $6), \
               terminate_cause = COALESCE(terminate_cause, $7), \
               stopped_at = COALESCE(stopped_at, $8) \
             WHERE id = $1 RETURNING {SESSION_COLS}"
        ),
        args![id, now, r.session_time, r.input_bytes, r.output_bytes, &r.framed_ip, w.cause, w.stop],
    )
    .await
}

impl crate::read::Listing for SessionRow {
    const PARENT: crate::read::Parent = crate::read::Parent::Subscriber;
    const ORDER: &'static str = "id DESC";
    fn rows() -> String {
        format!("SELECT {SESSION_COLS} FROM radius_sessions WHERE user_id = $1")
    }
}
