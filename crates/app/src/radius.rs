//! What FreeRADIUS asks of the platform, whatever carries the question
//! (today `rlm_rest` over HTTP): may this subscriber log in, and with what
//! reply; is this password right; what happened after; and the accounting
//! records. `domain::isp` decides; this finds the subscriber and its
//! profile, notes refusals on the subscriber, and stores the records.

use crate::{App, Error, Principal, Result};
use chrono::Duration;
use domain::isp::{AcctKind, AcctTarget, StoredSession};
use domain::{isp, Scope};
use store::isp::{self as store_isp, AcctRecord, AcctWrite, IspUserRow, ProfileRow, SessionRow};

/// A RADIUS verdict: go on, or reject with the reason the subscriber's
/// device is told (already noted on a known subscriber).
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict<T> {
    Accept(T),
    Reject(isp::Refusal),
}

/// How the request proves the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// `User-Password`: checked here, against the Argon2 hash.
    Pap,
    /// `CHAP-Password` or MS-CHAP: checked by FreeRADIUS, which needs the
    /// cleartext.
    Chap,
    /// No password at all.
    None,
}

/// What an admitted subscriber is told, and how FreeRADIUS checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorized {
    /// CHAP: the cleartext FreeRADIUS checks the challenge against.
    pub cleartext: Option<String>,
    /// `Mikrotik-Rate-Limit`.
    pub rate_limit: String,
    pub acct_interim_secs: i64,
    pub framed_pool: Option<String>,
    pub framed_ip: Option<String>,
    /// Seconds left until the subscriber expires.
    pub session_timeout: Option<i64>,
}

impl App {
    /// The ISP a RADIUS server serves, if its token may ask.
    pub fn radius_caller(&self, who: &Principal) -> Result<()> {
        who.require(Scope::Isp)
    }

    /// The subscriber and its profile if it may log in now; else the
    /// refusal, noted on the subscriber.
    async fn admit(
        &self,
        who: &Principal,
        username: &str,
        calling_station: Option<&str>,
    ) -> Result<Verdict<(IspUserRow, ProfileRow)>> {
        let Some(user) = self.store.isp().isp_user_by_username(who.partner_id, username).await?
        else {
            return Ok(Verdict::Reject(isp::Refusal::new(
                isp::RejectReason::UnknownUser,
                "Unknown user",
            )));
        };
        let profile = self.store.isp().get_profile(store::Visibility::All, user.profile_id).await?;
        let why = isp::admission_refusal(
            user.status,
            user.expiration,
            user.mac.as_deref(),
            calling_station,
            self.store.now(),
        );
        match why {
            Some(why) => self.refuse(user.id, why).await,
            None => Ok(Verdict::Accept((user, profile))),
        }
    }

    /// Notes a refusal on the subscriber and answers it.
    async fn refuse<T>(&self, user_id: i64, why: isp::Refusal) -> Result<Verdict<T>> {
        if let Err(e) =
            self.store.isp().record_auth(user_id, &format!("Access-Reject: {}", why.message)).await
        {
            // The reject stands; only the note is lost.
            tracing::warn!(error = %e, user_id, "noting a RADIUS reject");
        }
        Ok(Verdict::Reject(why))
    }

    /// FreeRADIUS's authorize: refuses unknown, disabled, suspended and
    /// expired subscribers, strange devices and those at their session
    /// limit; otherwise the reply of the subscriber's profile and how its
    /// password is checked.
    pub async fn radius_authorize(
        &self,
        who: &Principal,
        username: &str,
        calling_station: Option<&str>,
        proof: Proof,
    ) -> Result<Verdict<Authorized>> {
        self.radius_caller(who)?;
        let (user, profile) = match self.admit(who, username, calling_station).await? {
            Verdict::Accept(x) => x,
            Verdict::Reject(why) => return Ok(Verdict::Reject(why)),
        };
        let now = self.store.now();
        let stale_before =
            now - Duration::seconds(isp::stale_after_secs(profile.acct_interim_secs));
        let open = self.store.isp().open_sessions(user.id, stale_before).await?;
        if let Some(why) = isp::session_limit_refusal(open, profile.simultaneous_use) {
            return self.refuse(user.id, why).await;
        }
        let opened = || {
            user.password_sealed
                .as_deref()
                .and_then(|s| self.sealer.as_ref().and_then(|k| k.open(s)))
        };
        let cleartext = match proof {
            // With a sealed copy FreeRADIUS checks PAP itself, as it does
            // CHAP: one call per login. Without, `/radius/authenticate`
            // checks the Argon2 hash.
            Proof::Pap => opened(),
            Proof::None => return Ok(Verdict::Reject(no_password())),
            Proof::Chap => match opened().filter(|_| profile.chap) {
                Some(c) => Some(c),
                None => {
                    let why = isp::Refusal::new(
                        isp::RejectReason::ChapNotEnabled,
                        "CHAP is not enabled for this account's profile; use PAP",
                    );
                    return self.refuse(user.id, why).await;
                }
            },
        };
        Ok(Verdict::Accept(Authorized {
            cleartext,
            rate_limit: isp::mikrotik_rate_limit(profile.download_kbps, profile.upload_kbps),
            acct_interim_secs: profile.acct_interim_secs,
            framed_pool: profile.framed_pool,
            framed_ip: user.static_ip,
            session_timeout: isp::session_timeout(user.expiration, now),
        }))
    }

    /// FreeRADIUS's authenticate for PAP: the subscriber re-admitted and
    /// the password checked against its Argon2 hash.
    pub async fn radius_authenticate(
        &self,
        who: &Principal,
        username: &str,
        calling_station: Option<&str>,
        password: Option<String>,
    ) -> Result<Verdict<()>> {
        self.radius_caller(who)?;
        let (user, _) = match self.admit(who, username, calling_station).await? {
            Verdict::Accept(x) => x,
            Verdict::Reject(why) => return Ok(Verdict::Reject(why)),
        };
        let Some(password) = password else {
            return Ok(Verdict::Reject(no_password()));
        };
        if !self.pap_password_is_right(&user, &password).await? {
            let why = isp::Refusal::new(isp::RejectReason::WrongPassword, "Wrong password");
            return self.refuse(user.id, why).await;
        }
        Ok(Verdict::Accept(()))
    }

    /// Whether a PAP password is the subscriber's. With the server's
    /// password key and a sealed copy, compared with it in constant time
    /// (CHAP's cost); otherwise against the Argon2 hash, at most one check
    /// per core at once (each holds 19 MiB), and a right password then
    /// gets its sealed copy so the next login is fast. The password as
    /// rlm_rest mangles non-ASCII text is tried too
    /// (`domain::isp::pap_candidates`).
    async fn pap_password_is_right(
        &self,
        user: &store::isp::IspUserRow,
        sent: &str,
    ) -> Result<bool> {
        let candidates = isp::pap_candidates(sent);
        let opened = match (&self.sealer, user.password_sealed.as_deref()) {
            (Some(k), Some(s)) => k.open(s),
            _ => None,
        };
        if let Some(clear) = opened {
            return Ok(candidates
                .iter()
                .any(|c| crate::seal::same_secret(c.as_bytes(), clear.as_bytes())));
        }
        let hash = user.password_hash.clone();
        let right = self
            .with_argon2(move || {
                candidates.into_iter().find(|c| store::credentials::verify_password(c, &hash))
            })
            .await?;
        if let (Some(clear), Some(k)) = (&right, &self.sealer) {
            if let Err(e) = self.store.isp().keep_sealed(user.id, &k.seal(clear)).await {
                // The login stands; the next one checks Argon2 again.
                tracing::warn!(error = %e, user_id = user.id, "keeping a sealed password");
            }
        }
        Ok(right.is_some())
    }

    /// FreeRADIUS's post-auth: notes the outcome on the subscriber. A
    /// reject keeps the reason authorize or authenticate noted just before.
    pub async fn radius_post_auth(
        &self,
        who: &Principal,
        username: &str,
        rejected: bool,
    ) -> Result<()> {
        self.radius_caller(who)?;
        let Some(u) = self.store.isp().isp_user_by_username(who.partner_id, username).await? else {
            return Ok(());
        };
        let noted = u.last_auth_result.as_deref().is_some_and(|r| r.starts_with("Access-Reject"))
            && u.last_auth_at
                .is_some_and(|t| self.store.now() - t < Duration::seconds(isp::REJECT_NOTE_SECS));
        let note = match (rejected, noted) {
            (false, _) => "Access-Accept",
            (true, false) => "Access-Reject",
            (true, true) => return Ok(()),
        };
        if let Err(e) = self.store.isp().record_auth(u.id, note).await {
            tracing::warn!(error = %e, user_id = u.id, "noting a RADIUS outcome");
        }
        Ok(())
    }

    /// FreeRADIUS's accounting: the record stored (idempotently) before
    /// anything is answered. Accounting-On/Off closes the NAS's open
    /// sessions. Otherwise a session is known by its unique id; a NAS may
    /// reuse one after a Stop, and `isp::acct_target` says which session
    /// under that id the record belongs to, or whether it begins a new
    /// one. Within a session Start opens it once, Interim-Update and Stop
    /// raise its counters (never lower them), Stop closes it once, and a
    /// record after Stop changes nothing. Answers the session (none for
    /// On/Off).
    pub async fn radius_accounting(
        &self,
        who: &Principal,
        r: &AcctRecord,
    ) -> Result<Option<SessionRow>> {
        self.radius_caller(who)?;
        let (partner, now) = (who.partner_id, self.store.now());
        if matches!(r.kind, AcctKind::AccountingOn | AcctKind::AccountingOff) {
            self.store.isp().close_nas_sessions(partner, r).await?;
            return Ok(None);
        }
        // Start and stop when they happened; `updated_at` when last heard
        // (what staleness is judged by).
        let at = isp::acct_event_time(now, r.delay_secs, r.event_timestamp);
        let stopped = r.kind == AcctKind::Stop;
        let cause = if stopped { r.terminate_cause.as_deref() } else { None };
        let w = AcctWrite { record: r, at, stop: stopped.then_some(at), cause };
        self.store
            .write(async |tx| -> Result<_> {
                let mut stored =
                    store_isp::sessions_by_unique_id(tx, partner, &r.unique_id).await?;
                let dates: Vec<StoredSession> = stored
                    .iter()
                    .map(|s| StoredSession { started_at: s.started_at, stopped_at: s.stopped_at })
                    .collect();
                let id = match isp::acct_target(r.kind, at, &dates) {
                    AcctTarget::Previous => return Ok(stored.pop()),
                    AcctTarget::Latest => stored.first().map(|s| s.id).ok_or_else(|| {
                        Error::Internal("a latest session that is not there".into())
                    })?,
                    AcctTarget::New => match store_isp::open_session(tx, partner, &w, now).await? {
                        Some(opened) => return Ok(Some(opened)),
                        // Another writer opened it meanwhile (PostgreSQL):
                        // this record belongs to that session.
                        None => store_isp::open_session_id(tx, partner, &r.unique_id).await?,
                    },
                };
                Ok(Some(store_isp::touch_session(tx, id, &w, now).await?))
            })
            .await
    }
}

fn no_password() -> isp::Refusal {
    isp::Refusal::new(isp::RejectReason::NoPassword, "No password was given")
}
