//! The ISP's subscribers and speed profiles: find, list, create, change,
//! suspend, activate, renew, delete, and their RADIUS sessions. Field
//! rules live in `domain::isp`; this checks scope and tenancy, hashes and
//! seals passwords, and calls the store.

use crate::error::missing;
use crate::{App, Principal, Result};
use chrono::{DateTime, Duration, Utc};
use domain::paging::PageRequest;
use domain::status::SubscriberStatus;
use domain::{isp, Scope};
use store::customers::CustomerRow;
use store::isp::{
    IspUserPatch, IspUserRow, NewIspUser, NewProfile, ProfileRow, SessionRow, UserFilter,
};
use store::Visibility;

/// A new speed profile, as sent (defaults filled here).
#[derive(Debug, Clone)]
pub struct NewProfileCommand {
    pub name: String,
    pub download_kbps: i64,
    pub upload_kbps: i64,
    pub price_pence: i64,
    pub period_days: Option<i64>,
    pub framed_pool: Option<String>,
    pub acct_interim_secs: Option<i64>,
    pub simultaneous_use: Option<i64>,
    pub auth_type: Option<String>,
}

/// A new subscriber, as sent.
#[derive(Debug, Clone)]
pub struct NewUserCommand {
    pub username: String,
    pub password: String,
    pub profile_id: i64,
    pub customer_id: Option<i64>,
    /// Default: one period of the profile from now.
    pub expiration: Option<DateTime<Utc>>,
    pub mac: Option<String>,
    pub static_ip: Option<String>,
}

/// A change to a subscriber: each `Some` is applied (`Some(None)` clears).
#[derive(Debug, Clone, Default)]
pub struct UserPatchCommand {
    pub profile_id: Option<i64>,
    pub password: Option<String>,
    pub mac: Option<Option<String>>,
    pub expiration: Option<Option<DateTime<Utc>>>,
    pub static_ip: Option<Option<String>>,
    pub customer_id: Option<Option<i64>>,
}

impl App {
    /// A page of the caller's speed profiles.
    pub async fn isp_profiles(
        &self,
        who: &Principal,
        page: PageRequest,
    ) -> Result<(Vec<ProfileRow>, i64)> {
        who.require(Scope::Isp)?;
        Ok(self.store.isp().list_profiles(who.visibility(), page).await?)
    }

    /// A profile the caller may see.
    pub async fn isp_profile(&self, who: &Principal, id: i64) -> Result<ProfileRow> {
        who.require(Scope::Isp)?;
        self.profile(who.visibility(), id).await
    }

    async fn profile(&self, vis: Visibility, id: i64) -> Result<ProfileRow> {
        self.store.isp().get_profile(vis, id).await.map_err(missing("profile", id))
    }

    /// Creates a speed profile of the caller's.
    pub async fn create_isp_profile(
        &self,
        who: &Principal,
        c: NewProfileCommand,
    ) -> Result<ProfileRow> {
        who.require(Scope::Isp)?;
        let name = isp::parse_profile_name(&c.name)?;
        let chap = isp::parse_auth_type(c.auth_type.as_deref())?;
        let framed_pool = isp::parse_framed_pool(c.framed_pool.as_deref())?;
        let profile = NewProfile {
            partner_id: who.partner_id,
            name,
            download_kbps: c.download_kbps,
            upload_kbps: c.upload_kbps,
            price_pence: c.price_pence,
            period_days: c.period_days.unwrap_or(isp::DEFAULT_PERIOD_DAYS),
            framed_pool,
            acct_interim_secs: c.acct_interim_secs.unwrap_or(isp::DEFAULT_ACCT_INTERIM_SECS),
            simultaneous_use: c.simultaneous_use.unwrap_or(isp::DEFAULT_SIMULTANEOUS_USE),
            chap,
        };
        isp::check_profile(
            profile.download_kbps,
            profile.upload_kbps,
            profile.price_pence,
            profile.period_days,
            profile.acct_interim_secs,
            profile.simultaneous_use,
        )?;
        Ok(self.store.isp().create_profile(&who.actor, &profile).await?)
    }

    /// A page of the caller's subscribers.
    pub async fn isp_users(
        &self,
        who: &Principal,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<(Vec<IspUserRow>, i64)> {
        who.require(Scope::Isp)?;
        Ok(self
            .store
            .isp()
            .list_isp_users(who.visibility(), filter, self.store.now(), page)
            .await?)
    }

    /// A subscriber the caller may see, by id (digits) or username.
    pub async fn isp_user(&self, who: &Principal, key: &str) -> Result<IspUserRow> {
        who.require(Scope::Isp)?;
        let key = key.trim();
        let found = if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
            match key.parse::<i64>() {
                Ok(id) => self.store.isp().get_isp_user(who.visibility(), id).await.map(Some),
                Err(_) => Ok(None),
            }
        } else {
            self.store.isp().isp_user_by_username(who.partner_id, key).await
        };
        match found {
            Ok(Some(u)) => Ok(u),
            Ok(None) | Err(store::StoreError::NotFound) => {
                Err(domain::Error::not_found(format!("user {key} not found")).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A customer of the caller's, as the ISP face shows it (subscribers
    /// may belong to one).
    pub async fn isp_customer(&self, who: &Principal, id: i64) -> Result<CustomerRow> {
        let vis = who.visibility_for(Scope::Isp)?;
        self.store.customers().get_customer(vis, id).await.map_err(missing("customer", id))
    }

    async fn owner(&self, who: &Principal, id: i64) -> Result<i64> {
        self.isp_customer(who, id).await.map(|c| c.id)
    }

    /// The Argon2 hash of a password already checked, and, when the server
    /// has a password key, its sealed copy: CHAP needs it, and PAP checks
    /// against it at CHAP's speed. A CHAP profile without a key is refused.
    async fn secrets(
        &self,
        password: &str,
        profile: &ProfileRow,
    ) -> Result<(String, Option<String>)> {
        let sealed = match (profile.chap, &self.sealer) {
            (_, Some(s)) => Some(s.seal(password)),
            (false, None) => None,
            (true, None) => {
                return Err(domain::Error::Conflict(format!(
                    "profile {} uses CHAP, which needs the server's password_key (SWITCHBOARD_PASSWORD_KEY) to keep passwords encrypted; none is configured",
                    profile.id
                ))
                .into())
            }
        };
        let pw = password.to_owned();
        let hash = self.with_argon2(move || store::credentials::hash_password(&pw)).await?;
        Ok((hash, sealed))
    }

    /// Creates a subscriber, active now, until its expiration (default: one
    /// period of its profile).
    pub async fn create_isp_user(&self, who: &Principal, c: NewUserCommand) -> Result<IspUserRow> {
        who.require(Scope::Isp)?;
        let username = isp::parse_username(&c.username)?;
        let mac = c.mac.as_deref().map(isp::parse_mac).transpose()?;
        let static_ip = c.static_ip.as_deref().map(isp::parse_static_ip).transpose()?;
        isp::check_password(&c.password)?;
        let profile = self.profile(who.visibility(), c.profile_id).await?;
        let customer_id = match c.customer_id {
            Some(id) => Some(self.owner(who, id).await?),
            None => None,
        };
        let (password_hash, password_sealed) = self.secrets(&c.password, &profile).await?;
        let expiration = c.expiration.unwrap_or_else(|| {
            isp::renewed_expiration(None, self.store.now(), profile.period_days)
        });
        let user = NewIspUser {
            partner_id: profile.partner_id,
            customer_id,
            profile_id: profile.id,
            username,
            password_hash,
            password_sealed,
            expiration: Some(expiration),
            mac,
            static_ip,
        };
        Ok(self.store.isp().create_isp_user(&who.actor, &user).await?)
    }

    /// Changes a subscriber's profile, password, MAC, expiration, static
    /// IP or customer. Moving to a CHAP profile needs the password again;
    /// leaving one drops the sealed copy.
    pub async fn patch_isp_user(
        &self,
        who: &Principal,
        key: &str,
        c: UserPatchCommand,
    ) -> Result<IspUserRow> {
        let u = self.isp_user(who, key).await?;
        let mut patch = IspUserPatch {
            mac: c.mac.map(|m| m.as_deref().map(isp::parse_mac).transpose()).transpose()?,
            static_ip: c
                .static_ip
                .map(|m| m.as_deref().map(isp::parse_static_ip).transpose())
                .transpose()?,
            expiration: c.expiration,
            ..IspUserPatch::default()
        };
        if let Some(customer) = c.customer_id {
            patch.customer_id = Some(match customer {
                Some(id) => Some(self.owner(who, id).await?),
                None => None,
            });
        }
        let current = self.profile(Visibility::All, u.profile_id).await?;
        let target = match c.profile_id {
            Some(p) => self.profile(Visibility::Partner(u.partner_id), p).await?,
            None => current.clone(),
        };
        match &c.password {
            Some(pw) => {
                isp::check_password(pw)?;
                patch.password = Some(self.secrets(pw, &target).await?)
            }
            // Kept encrypted for every subscriber once the server has a
            // password key; one made before has none.
            None if target.chap && !current.chap && u.password_sealed.is_none() => {
                return Err(domain::Error::invalid(
                    "password",
                    format!("moving to CHAP profile {} needs the password again: this subscriber's was set before the server kept passwords encrypted", target.id),
                )
                .into())
            }
            None => {}
        }
        patch.profile_id = c.profile_id.map(|_| target.id);
        Ok(self.store.isp().update_isp_user(&who.actor, who.visibility(), u.id, &patch).await?)
    }

    /// Suspends, activates or deletes (disables for good) a subscriber.
    pub async fn set_isp_user_status(
        &self,
        who: &Principal,
        key: &str,
        status: SubscriberStatus,
    ) -> Result<IspUserRow> {
        let u = self.isp_user(who, key).await?;
        Ok(self.store.isp().set_isp_user_status(&who.actor, who.visibility(), u.id, status).await?)
    }

    /// The RADIUS sessions open now, of the caller's subscribers.
    pub async fn sessions_online(
        &self,
        who: &Principal,
        page: PageRequest,
    ) -> Result<(Vec<SessionRow>, i64)> {
        who.require(Scope::Isp)?;
        Ok(self.store.isp().online_sessions(who.visibility(), page).await?)
    }

    /// Renews a subscriber: its profile's period added to the later of now
    /// and its expiration.
    pub async fn renew_isp_user(&self, who: &Principal, key: &str) -> Result<IspUserRow> {
        let u = self.isp_user(who, key).await?;
        let now = self.store.now();
        let renewed = |current, days| domain::isp::renewed_expiration(current, now, days);
        Ok(self.store.isp().renew_isp_user(&who.actor, who.visibility(), u.id, renewed).await?)
    }

    /// A page of a subscriber's sessions, newest first, sessions the NAS
    /// stopped updating closed first (Stale-Session). Answers the
    /// subscriber's id too.
    pub async fn isp_user_sessions(
        &self,
        who: &Principal,
        key: &str,
        page: PageRequest,
    ) -> Result<(i64, Vec<SessionRow>, i64)> {
        let u = self.isp_user(who, key).await?;
        let interim = self.profile(Visibility::All, u.profile_id).await?.acct_interim_secs;
        let stale_before = self.store.now() - Duration::seconds(isp::stale_after_secs(interim));
        self.store.isp().open_sessions(u.id, stale_before).await?;
        let (rows, total) = self.store.page_under(who.visibility(), u.id, page).await?;
        Ok((u.id, rows, total))
    }
}
