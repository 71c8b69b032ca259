//! The staff portal (`/portal`, and `/Admin/getToken` where the ISP
//! reference sends its readers): server-rendered pages (maud) with htmx,
//! over the same use cases as the API faces; a page holds no rule of its
//! own.
//!
//! - A session cookie (`HttpOnly`, `SameSite=Lax`, `Secure` when the
//!   request came over TLS) names a session kept server-side; the
//!   [`Staff`] extractor turns it into the caller, or sends the browser to
//!   the login page.
//! - Every form carries a CSRF token (the session's; before login, a
//!   double-submitted one) and [`Staff::checked`] refuses one without it.
//! - Every answer has a `Content-Security-Policy` allowing nothing from
//!   elsewhere; the only script is htmx, vendored from its npm package and
//!   served from the binary. Every control is also a plain link or form.
//! - Where a page and a fragment share a URL the answer says
//!   `Vary: HX-Request`; a fragment-only route sends a browser that asks
//!   for it as a page to the page it belongs to.

mod admin;
mod agreements;
mod connections;
mod customers;
mod home;
mod isp;
mod login;
mod orders;
mod tasks;

use crate::AppState;
use app::portal::Session;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, PreEscaped, DOCTYPE};

const SESSION_COOKIE: &str = "sb_session";
const LOGIN_CSRF_COOKIE: &str = "sb_login_csrf";

/// htmx, from the `htmx.org` npm package (`scripts/vendor-htmx`), served
/// from the binary under a versioned name so it can be cached for good.
const HTMX: &str = include_str!("../../assets/htmx-2.0.11.min.js");
const HTMX_PATH: &str = "/portal/assets/htmx-2.0.11.min.js";

/// The portal's routes (not in the OpenAPI document: pages, not an API).
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(HTMX_PATH, get(htmx))
        .merge(login::router())
        .merge(home::router())
        .merge(customers::router())
        .merge(connections::router())
        .merge(orders::router())
        .merge(tasks::router())
        .merge(isp::router())
        .merge(admin::router())
        .merge(agreements::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), with_session))
}

/// A failure page as made without knowing the caller ([`failure`]), kept
/// on the answer so [`with_session`] can dress it for a logged-in caller.
#[derive(Clone)]
struct Bare {
    status: StatusCode,
    title: &'static str,
    body: String,
}

/// Gives a failure page (not found, not allowed, not done) the header,
/// search box and navigation of the caller's session, when there is one:
/// the use case's refusal is made without it.
async fn with_session(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let token = cookie(req.headers(), SESSION_COOKIE).filter(|t| t.len() == 64);
    let resp = next.run(req).await;
    let (Some(bare), Some(token)) = (resp.extensions().get::<Bare>().cloned(), token) else {
        return resp;
    };
    match state.app.portal_session(&token).await {
        Ok(Some(s)) => page(bare.status, bare.title, Some(&s), PreEscaped(bare.body)),
        _ => resp,
    }
}

async fn htmx() -> Response {
    let mut resp =
        ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], HTMX).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    resp.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

/// The security headers every portal answer carries.
fn secured(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::VARY, HeaderValue::from_static("HX-Request, Cookie"));
    resp
}

/// A whole page: the header (search box, navigation, account) around `body`.
fn page(status: StatusCode, title: &str, session: Option<&Session>, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="htmx-config" content=r#"{"allowEval":false,"includeIndicatorStyles":false,"historyCacheSize":0}"#;
                title { (title) " · Switchboard" }
                style { (PreEscaped(STYLE)) }
                script src=(HTMX_PATH) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    a href="/portal" { strong { "Switchboard" } }
                    @if let Some(s) = session {
                        form role="search" method="get" action="/portal/search" {
                            label for="q" { "Search" }
                            " "
                            input id="q" name="q" type="search" placeholder="CLI, customer, order, ICCID, user, IP, postcode";
                            " "
                            button type="submit" { "Find" }
                        }
                        nav aria-label="Main" {
                            a href="/portal" { "Dashboard" }
                            " " a href="/portal/tasks" { "Tasks" }
                            " " a href="/portal/subscribers" { "Subscribers" }
                            @if s.role.administers() {
                                " " a href="/portal/admin" { "Admin" }
                            }
                        }
                        nav aria-label="Account" {
                            span { (s.username) " (" (s.role) ")" }
                            " "
                            form method="post" action="/portal/logout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main id="main" { h1 { (title) } (body) }
            }
        }
    };
    secured((status, axum::response::Html(markup.into_string())).into_response())
}

/// A fragment for htmx to swap in (no header, no layout).
fn fragment(markup: Markup) -> Response {
    secured(axum::response::Html(markup.into_string()).into_response())
}

/// Whether htmx asked (and wants a fragment rather than a page).
fn from_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:64rem;padding:0 1rem;line-height:1.4}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.25rem}\
header{display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:.5rem 1rem;padding:.75rem 0;border-bottom:1px solid #ccc}\
header form,nav form,form.inline{display:inline}header label{display:inline}nav a{margin-right:.5rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}\
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:1rem;list-style:none;padding:0}\
.tiles li{border:1px solid #ccc;border-radius:.5rem;padding:1rem}.tiles b{display:block;font-size:2rem}\
.tabs{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;padding:0;border-bottom:1px solid #ccc}\
.tabs a{display:block;padding:.4rem .8rem;border:1px solid #ccc;border-bottom:0;border-radius:.4rem .4rem 0 0;text-decoration:none}\
.tabs a[aria-current=page]{background:#eef;font-weight:bold}\
table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #eee}\
.error{color:#a00}.ok{color:#060}label{display:block;margin-top:.75rem}\
input,select,textarea{font-size:1rem;padding:.4rem;max-width:100%}button{font-size:1rem;padding:.4rem .8rem;margin-top:.5rem}\
:focus-visible{outline:3px solid #36c;outline-offset:2px}fieldset{margin-top:1rem}\
ol.timeline li{margin:.25rem 0}.secret{font-family:monospace;background:#ffd;padding:.5rem;word-break:break-all}\
@media (max-width:40rem){header{flex-direction:column;align-items:flex-start}dl{grid-template-columns:1fr}}";

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Whether the request came over TLS (directly or through a proxy that
/// says so), for the cookies' `Secure`.
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// A cookie for the whole site: the portal lives under `/portal`, and
/// the ISP reference's `/Admin/getToken` page needs the session too.
fn set_cookie(name: &str, value: &str, tls: bool, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if tls {
        c.push_str("; Secure");
    }
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    HeaderValue::from_str(&c).expect("cookie values are hex")
}

/// A logged-in caller. As an extractor it answers for the handler with
/// the login page (or, for htmx, a full reload to it) when there is no
/// live session.
pub struct Staff {
    pub session: Session,
    /// The cookie's token (logging out ends this session).
    pub token: String,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Staff, Response> {
        // Back to the page asked for after logging in (a GET's; the
        // dashboard otherwise).
        let target = match parts.uri.path_and_query() {
            Some(pq) if parts.method == axum::http::Method::GET && pq.as_str() != "/portal" => {
                serde_urlencoded::to_string([("next", pq.as_str())])
                    .map(|q| format!("/portal/login?{q}"))
                    .unwrap_or_else(|_| "/portal/login".into())
            }
            _ => "/portal/login".into(),
        };
        let to_login = || {
            let mut r = secured(Redirect::to(&target).into_response());
            if let Ok(v) = HeaderValue::from_str(&target) {
                r.headers_mut().insert("hx-redirect", v);
            }
            r
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| t.len() == 64) else {
            return Err(to_login());
        };
        match state.app.portal_session(&token).await {
            Ok(Some(session)) => Ok(Staff { session, token }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(failure(e)),
        }
    }
}

impl Staff {
    /// Refuses a form whose CSRF token is not the session's.
    fn checked(&self, csrf: &str) -> Result<(), Refusal> {
        if store::credentials::constant_time_eq(&self.session.csrf, csrf) {
            return Ok(());
        }
        Err(Refusal(Box::new(page(
            StatusCode::FORBIDDEN,
            "Not allowed",
            Some(&self.session),
            html! { p.error role="alert" { "The form did not come from this session: nothing was done." } },
        ))))
    }

    /// A page for this caller.
    fn page(&self, status: StatusCode, title: &str, body: Markup) -> Response {
        page(status, title, Some(&self.session), body)
    }

    fn principal(&self) -> &app::Principal {
        &self.session.principal
    }

    /// The hidden CSRF field every form carries.
    fn csrf(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.session.csrf); }
    }
}

/// An answer instead of the page asked for: from a use case's error, or
/// a refused form. Handlers return `Result<Response, Refusal>`.
pub struct Refusal(Box<Response>);

impl From<app::Error> for Refusal {
    fn from(e: app::Error) -> Refusal {
        Refusal(Box::new(failure(e)))
    }
}

impl From<domain::Error> for Refusal {
    fn from(e: domain::Error) -> Refusal {
        Refusal(Box::new(failure(app::Error::Rule(e))))
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

type Answer = Result<Response, Refusal>;

/// A record's id from the path: anything but a positive number is a
/// record that is not there.
fn id_of(kind: &str, raw: &str) -> Result<i64, Refusal> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| not_found(&format!("{kind} {raw} not found")))
}

fn not_found(m: &str) -> Refusal {
    Refusal(Box::new(failure(app::Error::Rule(domain::Error::not_found(m.to_owned())))))
}

fn failure(e: app::Error) -> Response {
    let back = html! { p { a href="/portal" { "Back to the dashboard" } } };
    let (status, title, body) = match e {
        app::Error::Rule(domain::Error::NotFound(m)) => {
            (StatusCode::NOT_FOUND, "Not found", html! { p { (m) } (back) })
        }
        app::Error::Forbidden(scope) => (
            StatusCode::FORBIDDEN,
            "Not allowed",
            html! { p { "Your role does not include " (scope) "." } (back) },
        ),
        app::Error::Rule(e @ domain::Error::Refused { .. }) => {
            (StatusCode::FORBIDDEN, "Not allowed", html! { p.error role="alert" { (e) } (back) })
        }
        app::Error::Rule(e @ (domain::Error::Invalid { .. } | domain::Error::Conflict(_))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not done",
            html! { p.error role="alert" { (e) } (back) },
        ),
        other => {
            tracing::error!(error = %other, "portal page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                html! { p { "Try again; if it goes on, tell support the time it happened." } },
            )
        }
    };
    let mut resp = page(status, title, None, body.clone());
    resp.extensions_mut().insert(Bare { status, title, body: body.into_string() });
    resp
}

/// The refusal of a form's input, shown on the page it came from.
fn problem(e: &app::Error) -> Option<Markup> {
    match e {
        // SubmitOrder's: every problem, each with its mobile.
        app::Error::Rule(domain::Error::Problems { message, problems }) => Some(html! {
            div.error role="alert" {
                p { (message) }
                ul {
                    @for p in problems {
                        li { @if let Some(m) = p.order_mobile_id { "Mobile " (m) ", " } (p.field) ": " (p.message) }
                    }
                }
            }
        }),
        app::Error::Rule(e @ (domain::Error::Invalid { .. } | domain::Error::Conflict(_))) => {
            Some(html! { p.error role="alert" { (e) } })
        }
        _ => None,
    }
}

/// Tabs as links (each a page of its own; the current one marked).
fn tabs(base: &str, current: &str, items: &[(&str, &str, Option<usize>)]) -> Markup {
    html! {
        nav aria-label="Sections" {
            ul.tabs {
                @for (slug, label, count) in items {
                    li {
                        a href={(base) "?tab=" (slug)} aria-current=[(*slug == current).then_some("page")] {
                            (label) @if let Some(n) = count { " (" (n) ")" }
                        }
                    }
                }
            }
        }
    }
}

/// A date and time as staff read it (UTC, to the minute).
fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An empty-state row for a table of `cols` columns.
fn none_row(cols: usize, what: &str) -> Markup {
    html! { tr { td colspan=(cols) { "No " (what) "." } } }
}

/// The portal page of an audited record, where it has one.
fn link_of(entity: &str, id: &str) -> Option<String> {
    let path = match entity {
        "customer" => "customers",
        "connection" => "connections",
        "order" => "orders",
        "task" => "tasks",
        "isp_user" => "subscribers",
        _ => return None,
    };
    Some(format!("/portal/{path}/{id}"))
}

/// An audit trail as a table, oldest first.
fn history(rows: &[store::audit::AuditRow]) -> Markup {
    html! {
        table {
            thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Details" } } }
            tbody {
                @for a in rows {
                    tr {
                        td { (when(&a.at)) } td { (a.actor) } td { (a.action) }
                        td { code { (a.after_json.clone().unwrap_or_default()) } }
                    }
                }
                @if rows.is_empty() { (none_row(4, "history")) }
            }
        }
    }
}

/// A form read as its pairs, in order: for forms whose fields repeat
/// (checkboxes, rows) or whose buttons send a value of their own.
struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `k`, trimmed ("" when absent).
    fn get(&self, k: &str) -> &str {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim()).unwrap_or("")
    }

    /// The last value of `k` (a pressed button's after the field it
    /// stands for), trimmed.
    fn last(&self, k: &str) -> &str {
        self.0.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.trim()).unwrap_or("")
    }

    /// The first value of `k`, `None` when absent or empty.
    fn opt(&self, k: &str) -> Option<String> {
        Some(self.get(k).to_owned()).filter(|v| !v.is_empty())
    }

    /// Every value of `k`, in order, trimmed.
    fn all(&self, k: &str) -> Vec<&str> {
        self.0.iter().filter(|(n, _)| n == k).map(|(_, v)| v.trim()).collect()
    }

    /// Every value of `k` that is a number (ticked boxes of ids).
    fn ids(&self, k: &str) -> Vec<i64> {
        self.all(k).iter().filter_map(|v| v.parse().ok()).collect()
    }
}

/// A form posted by a logged-in caller, its CSRF token checked: every
/// portal form but the login's is read through this, so none can skip
/// the check. Must be a handler's last argument (it reads the body).
struct Posted {
    staff: Staff,
    form: Fields,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Posted, Response> {
        let (mut parts, body) = req.into_parts();
        let staff = Staff::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = Fields(pairs);
        staff.checked(form.get("csrf")).map_err(IntoResponse::into_response)?;
        Ok(Posted { staff, form })
    }
}

/// A form's outcome shown above the page it came from, with the page's
/// status; `None` is the page as first asked for (200).
type Notice = Option<(Markup, StatusCode)>;

/// The status of a page showing `notice`.
fn status(notice: &Notice) -> StatusCode {
    notice.as_ref().map_or(StatusCode::OK, |(_, s)| *s)
}

/// The statuses a form answers with: done, and refused by a rule.
#[derive(Clone, Copy)]
enum Outcome {
    /// A request queued at the network (202); refused, 409.
    Queued,
    /// An order submitted (202); refused, 422.
    Submitted,
    /// A record changed (200); refused, 422.
    Saved,
    /// A record created (201); refused, 422.
    Created,
    /// A record ended: cancelled or revoked (200); refused, 409.
    Ended,
}

impl Outcome {
    fn statuses(self) -> (StatusCode, StatusCode) {
        use StatusCode as S;
        match self {
            Outcome::Queued => (S::ACCEPTED, S::CONFLICT),
            Outcome::Submitted => (S::ACCEPTED, S::UNPROCESSABLE_ENTITY),
            Outcome::Saved => (S::OK, S::UNPROCESSABLE_ENTITY),
            Outcome::Created => (S::CREATED, S::UNPROCESSABLE_ENTITY),
            Outcome::Ended => (S::OK, S::CONFLICT),
        }
    }
}

/// What a form's use case came to, shown on the page it came from: the
/// notice, or the refusal (a rule's, naming the field), with `how`'s
/// statuses; anything else is a failure page.
async fn shown(
    done: app::Result<Markup>,
    how: Outcome,
    view: impl AsyncFnOnce(Notice) -> Answer,
) -> Answer {
    let (ok, refused) = how.statuses();
    match done {
        Ok(notice) => view(Some((notice, ok))).await,
        Err(e) => match problem(&e) {
            Some(p) => view(Some((p, refused))).await,
            None => Err(e.into()),
        },
    }
}

/// Where to go after logging in: a portal page named by the login form's
/// `next`, never another site (no scheme, no `//`, no backslash).
fn after_login(next: &str) -> &str {
    let ours = next.starts_with("/portal") || next.starts_with("/Admin/");
    if ours && !next.contains("//") && !next.contains('\\') && !next.contains(':') {
        next
    } else {
        "/portal"
    }
}

#[cfg(test)]
mod tests {
    use super::after_login;

    #[test]
    fn after_login_goes_only_to_our_own_pages() {
        assert_eq!(after_login("/portal/customers/7?tab=orders"), "/portal/customers/7?tab=orders");
        assert_eq!(after_login("/Admin/getToken"), "/Admin/getToken");
        for elsewhere in [
            "https://evil.example/",
            "//evil.example/portal",
            "/\\evil.example",
            "",
            "/api/v1/users",
            "/portal/x?u=javascript:alert(1)",
        ] {
            assert_eq!(after_login(elsewhere), "/portal", "{elsewhere}");
        }
    }
}
