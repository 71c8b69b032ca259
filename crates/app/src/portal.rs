//! The staff portal's use cases of its own: portal users, logging in
//! (with the lockout `domain::portal` decides), sessions and logging out.
//! Everything a page shows or changes goes through the same use cases as
//! the API faces, as the [`Principal`] a session stands for.

use crate::{App, Error, Principal, Result};
use domain::portal::{self, Role};
use store::portal::{PortalUser, SessionRow};

/// A session started: the cookie's token (shown to the browser only) and
/// the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct Started {
    pub token: String,
    pub csrf: String,
    pub user: PortalUser,
}

/// Why a login failed, as the page says it: never which of user name and
/// password was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefused {
    Wrong,
    /// Locked until this many seconds from now.
    Locked(i64),
}

/// A live session: who it is and the CSRF token its forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub csrf: String,
}

impl Session {
    /// The operator at the command line (`switchboard partner`, `client`,
    /// `token` …): platform staff over every partner, with no partner or
    /// portal user of its own. The CLI runs on the server with the
    /// database's credentials, so it acts as the platform; the same
    /// administration use cases as the portal's then apply to it.
    pub fn operator(actor: &str) -> Session {
        let principal =
            Principal { actor: actor.to_owned(), partner_id: 0, scopes: domain::Scopes::all() };
        let username = actor.to_owned();
        Session { principal, user_id: 0, username, role: Role::PlatformAdmin, csrf: String::new() }
    }
}

impl App {
    /// Creates a portal user (the CLI's `portal-user create`, and a
    /// partner admin's page later).
    pub async fn create_portal_user(
        &self,
        actor: &str,
        partner_id: i64,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<PortalUser> {
        let username = portal::check_username(username)?;
        portal::check_password(password)?;
        let pw = password.to_owned();
        let hash = self.with_argon2(move || store::credentials::hash_password(&pw)).await?;
        self.store
            .portal()
            .create_user(actor, partner_id, &username, &hash, role)
            .await
            .map_err(Error::from)
    }

    /// Logs in: a locked account is refused before its password is
    /// checked; a wrong password counts against the account.
    pub async fn portal_login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<std::result::Result<Started, LoginRefused>> {
        let now = self.store.now();
        let name = username.trim().to_ascii_lowercase();
        let Some(user) = self.store.portal().user(&name).await? else {
            // The same Argon2 work as a real check, so timing tells nothing.
            let pw = password.to_owned();
            self.with_argon2(move || store::credentials::verify_password(&pw, DUMMY_HASH)).await?;
            return Ok(Err(LoginRefused::Wrong));
        };
        if let Some(until) = portal::locked_until(user.failed_logins, user.last_failed_at) {
            if now < until {
                return Ok(Err(LoginRefused::Locked((until - now).num_seconds().max(1))));
            }
        }
        let (pw, hash) = (password.to_owned(), user.password_hash.clone());
        let ok = self.with_argon2(move || store::credentials::verify_password(&pw, &hash)).await?;
        if !ok || user.disabled_at.is_some() {
            self.store.portal().failed_login(user.id).await?;
            return Ok(Err(LoginRefused::Wrong));
        }
        let token = store::credentials::random_hex(32);
        let csrf = store::credentials::random_hex(32);
        let expires = now + chrono::Duration::seconds(portal::MAX_SESSION_SECS);
        self.store.portal().start_session(&user, &token, &csrf, expires).await?;
        Ok(Ok(Started { token, csrf, user }))
    }

    /// The live session of a cookie's token, marked used (at most once a
    /// minute, so pages do not each write).
    pub async fn portal_session(&self, token: &str) -> Result<Option<Session>> {
        let now = self.store.now();
        let idle_since = now - chrono::Duration::seconds(portal::IDLE_SECS);
        let Some(row) = self.store.portal().session(token, idle_since).await? else {
            return Ok(None);
        };
        if now - row.last_seen_at > chrono::Duration::seconds(60) {
            self.store.portal().touch(token).await?;
        }
        Ok(Some(session_of(row)))
    }

    /// Logs out: the session ends for good.
    pub async fn portal_logout(&self, token: &str) -> Result<()> {
        Ok(self.store.portal().revoke(token).await?)
    }
}

fn session_of(row: SessionRow) -> Session {
    Session {
        principal: Principal {
            actor: format!("portal:{}", row.username),
            partner_id: row.partner_id,
            scopes: row.role.scopes(),
        },
        user_id: row.user_id,
        username: row.username,
        role: row.role,
        csrf: row.csrf_token,
    }
}

/// An Argon2id hash of nothing anyone knows, checked when the user name
/// is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9mVjJ0hY0mG4rJ4o1wN3fQ1cYbQ2m4Qe1rX5yS1yZ2A";

impl App {
    /// The dashboard's counts for the caller's records ("alerts today":
    /// since midnight UTC by the store's clock).
    pub async fn dashboard(&self, who: &Principal) -> Result<store::portal::Dashboard> {
        let today = self.store.clock().today();
        let start = today.and_time(chrono::NaiveTime::MIN).and_utc();
        Ok(self.store.portal().dashboard(who.visibility(), start).await?)
    }
}

/// What the search box found, grouped.
#[derive(Debug, Default)]
pub struct Found {
    pub connections: Vec<store::portal::FoundConnection>,
    pub customers: Vec<store::customers::CustomerRow>,
    pub orders: Vec<i64>,
    pub subscribers: Vec<store::portal::FoundSubscriber>,
}

impl Found {
    pub fn len(&self) -> usize {
        self.connections.len() + self.customers.len() + self.orders.len() + self.subscribers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl App {
    /// The portal's search box: a CLI in any format or an ICCID finds
    /// connections; a number, an order and a customer by id; an ISP user
    /// name or IP address, subscribers; any text, customers by name,
    /// company number, postcode or e-mail. Only the caller's records.
    pub async fn search(&self, who: &Principal, q: &str) -> Result<Found> {
        let q = domain::paging::check_search("q", Some(q.trim()))?;
        let q = q.as_str();
        let mut found = Found::default();
        if q.is_empty() {
            return Ok(found);
        }
        let vis = who.visibility();
        let cli = domain::Cli::parse(q).ok().map(|c| c.as_str().to_owned());
        let iccid = domain::sim::parse_iccid(q).ok();
        if cli.is_some() || iccid.is_some() {
            found.connections =
                self.store.portal().find_connections(vis, cli.as_deref(), iccid.as_deref()).await?;
        }
        if let Ok(id) = q.parse::<i64>() {
            if id > 0 {
                if self.store.orders().get_order(vis, id).await.is_ok() {
                    found.orders.push(id);
                }
                if let Ok(c) = self.store.customers().get_customer(vis, id).await {
                    found.customers.push(c);
                }
            }
        }
        found.subscribers = self.store.portal().find_subscribers(vis, q).await?;
        if found.is_empty() {
            // A name typed whole, a postcode or a company number: indexed.
            let postcode = domain::customer::parse_postcode(q).ok();
            let company = domain::customer::parse_company_number(q).ok();
            found.customers = self
                .store
                .customers()
                .find_exact(vis, q, postcode.as_deref(), company.as_deref())
                .await?;
        }
        if found.is_empty() {
            // Part of a name, number, postcode or e-mail: a scan, the last resort.
            found.customers = self.store.customers().find_containing(vis, q, 20).await?;
        }
        Ok(found)
    }
}

impl App {
    /// The dashboard's recent activity: the latest audit rows of the
    /// caller's records.
    pub async fn recent_activity(
        &self,
        who: &Principal,
        limit: i64,
    ) -> Result<Vec<store::audit::AuditRow>> {
        Ok(self.store.audit().recent(who.visibility(), limit).await?)
    }

    /// The audit history of a customer or a connection the caller may see,
    /// oldest first.
    pub async fn history(
        &self,
        who: &Principal,
        of: Audited,
    ) -> Result<Vec<store::audit::AuditRow>> {
        let (entity, id) = match of {
            Audited::Customer(id) => {
                self.customer(who, id).await?;
                ("customer", id)
            }
            Audited::Connection(id) => {
                self.contract(who, id).await?;
                ("connection", id)
            }
        };
        Ok(self.store.audit().audit_for(entity, &id.to_string()).await?)
    }
}

/// A record whose audit history a page shows.
#[derive(Debug, Clone, Copy)]
pub enum Audited {
    Customer(i64),
    Connection(i64),
}
