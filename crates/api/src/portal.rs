//! The staff portal (`/portal`): server-rendered pages (maud) over the
//! same use cases as the API faces. A session cookie (`HttpOnly`,
//! `SameSite=Lax`, `Secure` when the request came over TLS) names a
//! session kept server-side; every form carries a CSRF token (the
//! session's; before login, a double-submitted one). Every answer has a
//! `Content-Security-Policy` allowing nothing from elsewhere.
//!
//! This first step: login (with lockout), logout, the dashboard and a
//! customer page; the rest of the portal builds on these.

use crate::AppState;
use app::portal::{LoginRefused, Session};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

const SESSION_COOKIE: &str = "sb_session";
const LOGIN_CSRF_COOKIE: &str = "sb_login_csrf";

/// The portal's routes (not in the OpenAPI document: pages, not an API).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(dashboard))
        .route("/portal/login", get(login_page).post(login))
        .route("/portal/logout", post(logout))
        .route("/portal/customers/{id}", get(customer_page))
        .route("/portal/connections/{id}", get(connection_page))
        .route("/portal/connections/{id}/bars", post(change_bar))
        .route("/portal/search", get(search))
}

/// The security headers every portal answer carries.
fn secured(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::VARY, HeaderValue::from_static("HX-Request, Cookie"));
    resp
}

fn page(status: StatusCode, title: &str, session: Option<&Session>, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Switchboard" }
                style { (STYLE) }
            }
            body {
                header {
                    a href="/portal" { strong { "Switchboard" } }
                    @if session.is_some() {
                        form role="search" method="get" action="/portal/search" {
                            label for="q" { "Search" }
                            " "
                            input id="q" name="q" type="search" placeholder="CLI, customer, order, ICCID, user, IP, postcode";
                            " "
                            button type="submit" { "Find" }
                        }
                    }
                    @if let Some(s) = session {
                        nav aria-label="Account" {
                            span { (s.username) " (" (s.role) ")" }
                            form method="post" action="/portal/logout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    };
    secured((status, axum::response::Html(markup.into_string())).into_response())
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;max-width:60rem;padding:0 1rem}\
header{display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:1rem;padding:.75rem 0;border-bottom:1px solid #ccc}\
nav form{display:inline}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}\
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:1rem;list-style:none;padding:0}\
.tiles li{border:1px solid #ccc;border-radius:.5rem;padding:1rem}.tiles b{display:block;font-size:2rem}\
.error{color:#a00}label{display:block;margin-top:.75rem}input{font-size:1rem;padding:.4rem}button{font-size:1rem;padding:.4rem .8rem;margin-top:.75rem}";

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

fn set_cookie(name: &str, value: &str, tls: bool, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/portal; HttpOnly; SameSite=Lax");
    if tls {
        c.push_str("; Secure");
    }
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    HeaderValue::from_str(&c).expect("cookie values are hex")
}

/// The caller's session, or the answer to give instead (to the login page).
async fn session(state: &AppState, headers: &HeaderMap) -> Result<(Session, String), Response> {
    let to_login = || secured(Redirect::to("/portal/login").into_response());
    let Some(token) = cookie(headers, SESSION_COOKIE).filter(|t| t.len() == 64) else {
        return Err(to_login());
    };
    match state.app.portal_session(&token).await {
        Ok(Some(s)) => Ok((s, token)),
        Ok(None) => Err(to_login()),
        Err(e) => Err(failure(e)),
    }
}

fn failure(e: app::Error) -> Response {
    match e {
        app::Error::Rule(domain::Error::NotFound(m)) => page(
            StatusCode::NOT_FOUND,
            "Not found",
            None,
            html! { p { (m) } p { a href="/portal" { "Back to the dashboard" } } },
        ),
        app::Error::Forbidden(scope) => page(
            StatusCode::FORBIDDEN,
            "Not allowed",
            None,
            html! { p { "Your role does not include " (scope) "." } },
        ),
        other => {
            tracing::error!(error = %other, "portal page failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                None,
                html! { p { "Try again; if it goes on, tell support the time it happened." } },
            )
        }
    }
}

/// Refuses a form whose CSRF token is not the session's: `None` when it is.
fn forged(s: &Session, csrf: &str) -> Option<Response> {
    (!store::credentials::constant_time_eq(&s.csrf, csrf)).then(|| {
        page(
            StatusCode::FORBIDDEN,
            "Not allowed",
            Some(s),
            html! { p { "The form did not come from this session: nothing was done." } },
        )
    })
}

fn login_form(csrf: &str, message: Option<&str>, username: &str) -> Markup {
    html! {
        @if let Some(m) = message { p.error role="alert" { (m) } }
        form method="post" action="/portal/login" {
            input type="hidden" name="csrf" value=(csrf);
            label for="username" { "User name" }
            input id="username" name="username" autocomplete="username" required value=(username);
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            div { button type="submit" { "Log in" } }
        }
    }
}

/// The login page: a fresh double-submit CSRF token in a cookie and the form.
async fn login_page(headers: HeaderMap) -> Response {
    let csrf = store::credentials::random_hex(32);
    let mut resp = page(StatusCode::OK, "Log in", None, login_form(&csrf, None, ""));
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, over_tls(&headers), None),
    );
    resp
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// Logs in: the form's CSRF token must match its cookie; a lockout
/// answers 429 with `Retry-After`.
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !store::credentials::constant_time_eq(&expected, &f.csrf) {
        return page(
            StatusCode::FORBIDDEN,
            "Log in",
            None,
            login_form(
                &expected,
                Some("The form had expired: please log in again."),
                &f.username,
            ),
        );
    }
    match state.app.portal_login(&f.username, &f.password).await {
        Ok(Ok(started)) => {
            let mut resp = secured(Redirect::to("/portal").into_response());
            let tls = over_tls(&headers);
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &started.token, tls, None),
            );
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", tls, Some(0)),
            );
            resp
        }
        Ok(Err(LoginRefused::Wrong)) => page(
            StatusCode::UNAUTHORIZED,
            "Log in",
            None,
            login_form(&expected, Some("Wrong user name or password."), &f.username),
        ),
        Ok(Err(LoginRefused::Locked(secs))) => {
            let mut resp = page(
                StatusCode::TOO_MANY_REQUESTS,
                "Log in",
                None,
                login_form(
                    &expected,
                    Some(&format!(
                        "Too many failed logins: try again in {secs} seconds."
                    )),
                    &f.username,
                ),
            );
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(e) => failure(e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Logs out (a form with the session's CSRF token): the session ends for good.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (s, token) = match session(&state, &headers).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    if let Some(refused) = forged(&s, &f.csrf) {
        return refused;
    }
    if let Err(e) = state.app.portal_logout(&token).await {
        return failure(e);
    }
    let mut resp = secured(Redirect::to("/portal/login").into_response());
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", over_tls(&headers), Some(0)),
    );
    resp
}

/// The dashboard: the caller's records at a glance.
async fn dashboard(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (s, _) = match session(&state, &headers).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let d = match state.app.dashboard(&s.principal).await {
        Ok(d) => d,
        Err(e) => return failure(e),
    };
    page(
        StatusCode::OK,
        "Dashboard",
        Some(&s),
        html! {
            ul.tiles {
                li { b { (d.live_connections) } "live connections" }
                li { b { (d.orders_in_progress) } "orders in progress" }
                li { b { (d.open_tasks) } "open tasks" }
                li { b { (d.alerts_today) } "alerts today" }
                li { b { (d.sessions_online) } "RADIUS sessions online" }
            }
        },
    )
}

/// A customer and its connections.
async fn customer_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (s, _) = match session(&state, &headers).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let Ok(id) = id.parse::<i64>() else {
        return failure(app::Error::Rule(domain::Error::NotFound(format!(
            "customer {id} not found"
        ))));
    };
    let c = match state.app.customer(&s.principal, id).await {
        Ok(c) => c,
        Err(e) => return failure(e),
    };
    let page_req = domain::paging::PageRequest::new(None, Some(200)).expect("a valid page");
    let (conns, total) = match state
        .app
        .connections_for_customer(&s.principal, id, page_req)
        .await
    {
        Ok(x) => x,
        Err(e) => return failure(e),
    };
    page(
        StatusCode::OK,
        &c.company_name,
        Some(&s),
        html! {
            dl {
                dt { "Customer" } dd { (c.id) }
                dt { "Company number" } dd { (c.co_reg_number.clone().unwrap_or_default()) }
                dt { "Contact" } dd { (c.contact_name) " · " (c.contact_email) }
                dt { "Postcode" } dd { (c.postcode) }
            }
            h2 { "Connections (" (total) ")" }
            table {
                thead { tr { th scope="col" { "CLI" } th scope="col" { "Network" } th scope="col" { "Tariff" } th scope="col" { "Status" } } }
                tbody {
                    @for k in &conns {
                        tr { td { (k.cli) } td { (k.network) } td { (k.tariff_name) } td { (k.status) } }
                    }
                }
            }
        },
    )
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// The search box: straight to the record when there is one match, a
/// grouped list otherwise.
async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<SearchQuery>,
) -> Response {
    let (s, _) = match session(&state, &headers).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let found = match state.app.search(&s.principal, &q.q).await {
        Ok(f) => f,
        Err(app::Error::Rule(e @ domain::Error::Invalid { .. })) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Search",
                Some(&s),
                html! { p.error role="alert" { (e) } },
            )
        }
        Err(e) => return failure(e),
    };
    // One match with a page of its own: straight there. (Orders and
    // subscribers get their pages in the portal's next steps.)
    if found.len() == 1 {
        let to = if let Some(c) = found.connections.first() {
            Some(format!("/portal/connections/{}", c.id))
        } else {
            found
                .customers
                .first()
                .map(|c| format!("/portal/customers/{}", c.id))
        };
        if let Some(to) = to {
            return secured(Redirect::to(&to).into_response());
        }
    }
    page(
        StatusCode::OK,
        "Search",
        Some(&s),
        html! {
            p { (found.len()) " found for “" (q.q) "”." }
            @if !found.connections.is_empty() {
                h2 { "Connections (" (found.connections.len()) ")" }
                ul { @for c in &found.connections { li { a href={"/portal/connections/" (c.id)} { (c.cli) } " · " (c.network) " · " (c.status) } } }
            }
            @if !found.customers.is_empty() {
                h2 { "Customers (" (found.customers.len()) ")" }
                ul { @for c in &found.customers { li { a href={"/portal/customers/" (c.id)} { (c.company_name) } " · " (c.postcode) } } }
            }
            @if !found.orders.is_empty() {
                h2 { "Orders (" (found.orders.len()) ")" }
                ul { @for o in &found.orders { li { "Order " (o) } } }
            }
            @if !found.subscribers.is_empty() {
                h2 { "Subscribers (" (found.subscribers.len()) ")" }
                ul { @for u in &found.subscribers { li { (u.username) " · " (u.status) } } }
            }
        },
    )
}

/// A connection: its tariff, bars (added and removed here, each after a
/// confirmation, as a request object the worker carries out), this
/// period's use and its latest requests.
async fn connection_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (s, _) = match session(&state, &headers).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let Ok(id) = id.parse::<i64>() else {
        return failure(app::Error::Rule(domain::Error::NotFound(format!(
            "contract {id} not found"
        ))));
    };
    connection_view(&state, &s, id, None).await
}

async fn connection_view(
    state: &AppState,
    s: &Session,
    id: i64,
    notice: Option<Markup>,
) -> Response {
    let c = match state.app.contract(&s.principal, id).await {
        Ok(c) => c,
        Err(e) => return failure(e),
    };
    let (period, reading) = match state.app.usage_so_far(&c).await {
        Ok(x) => x,
        Err(e) => return failure(e),
    };
    let catalogue = match app::requests::network_of(&c) {
        Ok(n) => state.app.bars(n).await.unwrap_or_default(),
        Err(_) => vec![],
    };
    let page_req = domain::paging::PageRequest::new(None, Some(10)).expect("a valid page");
    let requests = state
        .app
        .requests_for_contract(&s.principal, id, page_req)
        .await
        .map(|r| r.0)
        .unwrap_or_default();
    let bars: Vec<domain::request::ConnectionBar> =
        serde_json::from_str(&c.bars).unwrap_or_default();
    let addable: Vec<_> = catalogue
        .iter()
        .filter(|b| !bars.iter().any(|on| on.bar_id == b.id))
        .collect();
    page(
        StatusCode::OK,
        &c.cli,
        Some(s),
        html! {
            @if let Some(n) = notice { (n) }
            dl {
                dt { "Contract" } dd { (c.id) }
                dt { "Customer" } dd { a href={"/portal/customers/" (c.customer_id)} { (c.customer_id) } }
                dt { "Network" } dd { (c.network) }
                dt { "Tariff" } dd { (c.tariff_name) }
                dt { "Status" } dd { (c.status) }
                dt { "This period" } dd { "from " (period.start) ": " ((reading.data_bytes + (1 << 20) - 1) >> 20) " MB of data, " (reading.spend_pence) "p out of bundle" }
            }
            h2 { "Bars (" (bars.len()) ")" }
            ul {
                @for b in &bars {
                    li {
                        (b.name) " (" (b.bar_suffix) ") "
                        form method="post" action={"/portal/connections/" (c.id) "/bars"} style="display:inline" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            input type="hidden" name="bar_id" value=(b.bar_id);
                            input type="hidden" name="action" value="remove";
                            button type="submit" { "Remove…" }
                        }
                    }
                }
            }
            @if !addable.is_empty() {
                form method="post" action={"/portal/connections/" (c.id) "/bars"} {
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="action" value="add";
                    label for="bar_id" { "Add a bar" }
                    select id="bar_id" name="bar_id" {
                        @for b in &addable { option value=(b.id) { (b.name) " (" (b.bar_suffix) ")" } }
                    }
                    " "
                    button type="submit" { "Add…" }
                }
            }
            h2 { "Requests" }
            table {
                thead { tr { th scope="col" { "Request" } th scope="col" { "Type" } th scope="col" { "Status" } th scope="col" { "Reason" } } }
                tbody {
                    @for r in &requests {
                        tr { td { (r.id) } td { (r.kind) } td { (r.status) } td { (r.reason.clone().unwrap_or_default()) } }
                    }
                }
            }
        },
    )
}

#[derive(Deserialize)]
struct BarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bar_id: String,
    #[serde(default)]
    action: String,
    /// Set by the confirmation page's button.
    #[serde(default)]
    confirmed: String,
}

/// Adds or removes a bar: first a confirmation page, then (confirmed) the
/// request object, shown on the connection page.
async fn change_bar(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<BarForm>,
) -> Response {
    let (s, _) = match session(&state, &headers).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    if let Some(refused) = forged(&s, &f.csrf) {
        return refused;
    }
    let (Ok(id), Ok(bar_id)) = (id.parse::<i64>(), f.bar_id.parse::<i64>()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Bars",
            Some(&s),
            html! { p.error role="alert" { "Choose a bar." } },
        );
    };
    let add = match f.action.as_str() {
        "add" => true,
        "remove" => false,
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "Bars",
                Some(&s),
                html! { p.error role="alert" { "Add or remove?" } },
            )
        }
    };
    if f.confirmed != "yes" {
        let c = match state.app.contract(&s.principal, id).await {
            Ok(c) => c,
            Err(e) => return failure(e),
        };
        let name = match app::requests::network_of(&c) {
            Ok(n) => state
                .app
                .bars(n)
                .await
                .unwrap_or_default()
                .into_iter()
                .find(|b| b.id == bar_id)
                .map(|b| format!("{} ({})", b.name, b.bar_suffix))
                .unwrap_or_else(|| format!("bar {bar_id}")),
            Err(_) => format!("bar {bar_id}"),
        };
        let verb = if add { "Add" } else { "Remove" };
        return page(
            StatusCode::OK,
            &format!("{verb} a bar"),
            Some(&s),
            html! {
                p { (verb) " " strong { (name) } (if add { " to " } else { " from " }) (c.cli) "? The network is asked at once." }
                form method="post" action={"/portal/connections/" (id) "/bars"} {
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="bar_id" value=(bar_id);
                    input type="hidden" name="action" value=(f.action);
                    input type="hidden" name="confirmed" value="yes";
                    button type="submit" { (verb) " the bar" }
                    " "
                    a href={"/portal/connections/" (id)} { "Cancel" }
                }
            },
        );
    }
    match state.app.change_bar(&s.principal, id, bar_id, add).await {
        Ok(r) => {
            let notice = html! { p role="status" { "Request " (r.id) " (" (r.kind) ") is " (r.status) "." } };
            let mut resp = connection_view(&state, &s, id, Some(notice)).await;
            *resp.status_mut() = StatusCode::ACCEPTED;
            resp
        }
        Err(app::Error::Rule(e @ (domain::Error::Invalid { .. } | domain::Error::Conflict(_)))) => {
            let notice = html! { p.error role="alert" { (e) } };
            let mut resp = connection_view(&state, &s, id, Some(notice)).await;
            *resp.status_mut() = StatusCode::CONFLICT;
            resp
        }
        Err(e) => failure(e),
    }
}
