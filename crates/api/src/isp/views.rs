//! What the ISP face answers, typed so the OpenAPI document describes it:
//! the envelope, a page, and each resource with its `_links`.

use super::Base;
use chrono::{DateTime, Utc};
use domain::paging::PageRequest;
use domain::{isp, Money};
use serde::Serialize;
use store::customers::CustomerRow;
use store::isp::{IspUserRow, ProfileRow, SessionRow};
use utoipa::ToSchema;

/// `{"success": "true", "data": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always the text `"true"`, as the ISP CRM writes it.
    #[schema(value_type = String, example = "true")]
    pub success: &'static str,
    pub data: T,
}

impl<T> Envelope<T> {
    pub fn of(data: T) -> Envelope<T> {
        Envelope { success: "true", data }
    }
}

/// A page of a collection: the items, paging facts and links to this, the
/// first, the next and the previous page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    #[schema(value_type = String, example = "true")]
    pub success: &'static str,
    pub data: Vec<T>,
    pub meta: PageMeta,
    #[serde(rename = "_links")]
    pub links: PageLinks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageMeta {
    /// This page's number, from 1.
    pub page: i64,
    pub per_page: i64,
    /// Items in the whole collection (with the filters).
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageLinks {
    #[serde(rename = "self")]
    pub this: String,
    pub first: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

impl<T> Page<T> {
    /// `query` is the filter part of the query string, kept in every link.
    pub fn new(
        base: &Base,
        path: &str,
        query: &str,
        p: PageRequest,
        total: i64,
        data: Vec<T>,
    ) -> Page<T> {
        let link = |n: i64| {
            let sep = if query.is_empty() { "" } else { "&" };
            base.url(&format!("{path}?{query}{sep}page={n}&per_page={}", p.limit()))
        };
        let number = p.offset() / p.limit() + 1;
        Page {
            success: "true",
            data,
            meta: PageMeta { page: number, per_page: p.limit(), total },
            links: PageLinks {
                this: link(number),
                first: link(1),
                next: (p.offset() + p.limit() < total).then(|| link(number + 1)),
                prev: (number > 1).then(|| link(number - 1)),
            },
        }
    }
}

/// Times as the ISP dialect writes them: `2025-03-31 00:00:00` (UTC).
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A subscriber.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub customer_id: Option<i64>,
    /// As read now: an active subscriber past its expiration is `expired`.
    pub status: UserStatus,
    /// `YYYY-MM-DD HH:MM:SS` UTC; null: never expires.
    #[schema(example = "2026-12-31 00:00:00")]
    pub expiration: Option<String>,
    pub created_at: String,
    pub activated_at: Option<String>,
    pub updated_at: String,
    pub disabled_at: Option<String>,
    pub mac: Option<String>,
    pub static_ip: Option<String>,
    pub profile_id: i64,
    pub profile_name: String,
    pub auth_type: AuthType,
    /// The id RADIUS knows the subscriber by.
    pub radius_id: i64,
    pub last_auth_at: Option<String>,
    /// The last RADIUS decision, with its reason when rejected.
    pub last_auth_result: Option<String>,
    #[serde(rename = "_links")]
    pub links: UserLinks,
}

/// A subscriber's status.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    Suspended,
    Expired,
    Disabled,
}

/// How a profile's subscribers prove their password.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthType {
    Pap,
    Chap,
}

impl AuthType {
    fn of(chap: bool) -> AuthType {
        if chap {
            AuthType::Chap
        } else {
            AuthType::Pap
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserLinks {
    #[serde(rename = "self")]
    pub this: String,
    pub profile: String,
    pub sessions: String,
    pub suspend: String,
    pub activate: String,
    pub renew: String,
    pub collection: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
}

impl User {
    pub fn of(base: &Base, u: &IspUserRow, now: DateTime<Utc>) -> User {
        let status = match isp::effective_status(u.status, u.expiration, now) {
            isp::ReadStatus::Active => UserStatus::Active,
            isp::ReadStatus::Suspended => UserStatus::Suspended,
            isp::ReadStatus::Expired => UserStatus::Expired,
            isp::ReadStatus::Disabled => UserStatus::Disabled,
        };
        let at = |path: &str| base.url(&format!("/users/{}{path}", u.id));
        User {
            id: u.id,
            username: u.username.clone(),
            customer_id: u.customer_id,
            status,
            expiration: u.expiration.map(time),
            created_at: time(u.created_at),
            activated_at: u.activated_at.map(time),
            updated_at: time(u.updated_at),
            disabled_at: u.disabled_at.map(time),
            mac: u.mac.clone(),
            static_ip: u.static_ip.clone(),
            profile_id: u.profile_id,
            profile_name: u.profile_name.clone(),
            auth_type: AuthType::of(u.profile_chap),
            radius_id: u.id,
            last_auth_at: u.last_auth_at.map(time),
            last_auth_result: u.last_auth_result.clone(),
            links: UserLinks {
                this: at(""),
                profile: base.url(&format!("/profiles/{}", u.profile_id)),
                sessions: at("/sessions"),
                suspend: at("/suspend"),
                activate: at("/activate"),
                renew: at("/renew"),
                collection: base.url("/users"),
                customer: u.customer_id.map(|c| base.url(&format!("/customers/{c}"))),
            },
        }
    }
}

/// A RADIUS accounting session of a subscriber.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub id: i64,
    /// `Acct-Session-Id`.
    pub session_id: String,
    /// `Acct-Unique-Session-Id`, or the NAS and session id.
    pub unique_id: String,
    pub username: String,
    pub start: String,
    pub last_update: String,
    pub stop: Option<String>,
    pub open: bool,
    /// Seconds.
    pub session_time: i64,
    pub bytes_in: i64,
    pub bytes_out: i64,
    pub nas_ip: Option<String>,
    pub nas_identifier: Option<String>,
    pub nas_port: Option<String>,
    pub framed_ip: Option<String>,
    pub calling_station_id: Option<String>,
    pub terminate_cause: Option<String>,
}

impl From<&SessionRow> for Session {
    fn from(s: &SessionRow) -> Session {
        Session {
            id: s.id,
            session_id: s.acct_session_id.clone(),
            unique_id: s.unique_id.clone(),
            username: s.username.clone(),
            start: time(s.started_at),
            last_update: time(s.updated_at),
            stop: s.stopped_at.map(time),
            open: s.stopped_at.is_none(),
            session_time: s.session_time,
            bytes_in: s.input_bytes,
            bytes_out: s.output_bytes,
            nas_ip: s.nas_ip.clone(),
            nas_identifier: s.nas_identifier.clone(),
            nas_port: s.nas_port.clone(),
            framed_ip: s.framed_ip.clone(),
            calling_station_id: s.calling_station_id.clone(),
            terminate_cause: s.terminate_cause.clone(),
        }
    }
}

/// A speed profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    pub id: i64,
    pub name: String,
    pub download_kbps: i64,
    pub upload_kbps: i64,
    /// As RADIUS writes it: `100M`, `512k`.
    pub download: String,
    pub upload: String,
    pub price_pence: i64,
    /// `£30.00`.
    pub price: String,
    pub period_days: i64,
    pub framed_pool: Option<String>,
    /// Seconds between interim accounting updates.
    pub acct_interim_interval: i64,
    pub simultaneous_use: i64,
    pub auth_type: AuthType,
    /// The reply attributes RADIUS gives the profile's subscribers.
    pub radius: RadiusAttributes,
    pub created_at: String,
    #[serde(rename = "_links")]
    pub links: ProfileLinks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RadiusAttributes {
    #[serde(rename = "Mikrotik-Rate-Limit")]
    pub rate_limit: String,
    #[serde(rename = "Acct-Interim-Interval")]
    pub acct_interim_interval: i64,
    #[serde(rename = "Simultaneous-Use")]
    pub simultaneous_use: i64,
    #[serde(rename = "Framed-Pool", skip_serializing_if = "Option::is_none")]
    pub framed_pool: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileLinks {
    #[serde(rename = "self")]
    pub this: String,
    pub users: String,
    pub collection: String,
}

impl Profile {
    pub fn of(base: &Base, p: &ProfileRow) -> Profile {
        Profile {
            id: p.id,
            name: p.name.clone(),
            download_kbps: p.download_kbps,
            upload_kbps: p.upload_kbps,
            download: isp::rate(p.download_kbps),
            upload: isp::rate(p.upload_kbps),
            price_pence: p.price_pence,
            price: Money::gbp(p.price_pence).to_string(),
            period_days: p.period_days,
            framed_pool: p.framed_pool.clone(),
            acct_interim_interval: p.acct_interim_secs,
            simultaneous_use: p.simultaneous_use,
            auth_type: AuthType::of(p.chap),
            radius: RadiusAttributes {
                rate_limit: isp::mikrotik_rate_limit(p.download_kbps, p.upload_kbps),
                acct_interim_interval: p.acct_interim_secs,
                simultaneous_use: p.simultaneous_use,
                framed_pool: p.framed_pool.clone(),
            },
            created_at: time(p.created_at),
            links: ProfileLinks {
                this: base.url(&format!("/profiles/{}", p.id)),
                users: base.url(&format!("/users?profile_id={}", p.id)),
                collection: base.url("/profiles"),
            },
        }
    }
}

/// A customer subscribers may belong to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Customer {
    pub id: i64,
    pub company_name: String,
    pub company_number: Option<String>,
    pub contact: Contact,
    pub address: Address,
    pub billing_email: String,
    pub created_at: String,
    #[serde(rename = "_links")]
    pub links: CustomerLinks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Address {
    pub lines: Vec<String>,
    pub town: String,
    pub postcode: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerLinks {
    #[serde(rename = "self")]
    pub this: String,
    pub users: String,
}

impl Customer {
    pub fn of(base: &Base, c: &CustomerRow) -> Customer {
        Customer {
            id: c.id,
            company_name: c.company_name.clone(),
            company_number: c.co_reg_number.clone(),
            contact: Contact {
                name: c.contact_name.clone(),
                email: c.contact_email.clone(),
                phone: c.contact_phone.clone(),
            },
            address: Address {
                lines: c.address_lines(),
                town: c.town.clone(),
                postcode: c.postcode.clone(),
            },
            billing_email: c.billing_email.clone(),
            created_at: time(c.created_at),
            links: CustomerLinks {
                this: base.url(&format!("/customers/{}", c.id)),
                users: base.url(&format!("/users?customer_id={}", c.id)),
            },
        }
    }
}

/// The API root's links: to every collection, and a URI template for a
/// customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RootLinks {
    pub list_users: String,
    pub list_profiles: String,
    #[serde(rename = "_links")]
    pub links: RootHal,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RootHal {
    #[serde(rename = "self")]
    pub this: Href,
    pub users: Href,
    pub profiles: Href,
    pub customer: Href,
}

/// A HAL link; `templated` when `href` is a URI template.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Href {
    pub href: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub templated: bool,
}

/// The root: the links in the envelope (`data`) and, as the ISP CRM's own
/// introduction shows them, at the top level too.
#[derive(Debug, Serialize, ToSchema)]
pub struct Root {
    #[schema(value_type = String, example = "true")]
    pub success: &'static str,
    pub data: RootLinks,
    #[serde(flatten)]
    pub top: RootLinks,
}
