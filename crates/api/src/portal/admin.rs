//! Administration: partners, portal users, API clients (the secret shown
//! once; revoke), API tokens at `/Admin/getToken` where the ISP
//! reference sends its readers ("Create API access token", optional
//! description, choose the user; list, revoke), and webhooks with their
//! deliveries. Administrators only; the use cases decide.

use super::{none_row, shown, when, Answer, Notice, Outcome, Posted, Staff};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use domain::paging::PageRequest;
use maud::{html, Markup};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/admin", get(overview))
        .route("/portal/admin/users", get(users).post(add_user))
        .route("/portal/admin/clients", get(clients).post(add_client))
        .route("/portal/admin/clients/revoke", post(revoke_client))
        .route("/Admin/getToken", get(tokens).post(add_token))
        .route("/Admin/getToken/revoke", post(revoke_token))
        .route("/portal/admin/webhooks", get(webhooks))
        .route("/portal/admin/webhooks/{id}", get(deliveries))
}

fn admin_nav() -> Markup {
    html! {
        nav aria-label="Administration" {
            a href="/portal/admin" { "Partners" } " "
            a href="/portal/admin/users" { "Portal users" } " "
            a href="/portal/admin/clients" { "API clients" } " "
            a href="/Admin/getToken" { "API tokens" } " "
            a href="/portal/admin/webhooks" { "Webhooks" }
        }
    }
}

/// The partners the administrator sees.
async fn overview(State(state): State<AppState>, staff: Staff) -> Answer {
    let partners = state.app.partners(&staff.session).await?;
    Ok(staff.page(
        StatusCode::OK,
        "Administration",
        html! {
            (admin_nav())
            h2 { "Partners (" (partners.len()) ")" }
            table {
                thead { tr { th scope="col" { "Partner" } th scope="col" { "Name" } th scope="col" { "House account" } th scope="col" { "Since" } } }
                tbody {
                    @for p in &partners {
                        tr { td { (p.id) } td { (p.name) } td { @if p.is_house { "yes" } @else { "no" } } td { (when(&p.created_at)) } }
                    }
                }
            }
        },
    ))
}

/// Optional partner id from a form (platform staff may name one).
fn partner_field(text: &str) -> Result<Option<i64>, domain::Error> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<i64>().map(Some).map_err(|_| domain::Error::invalid("partner", "a partner's number"))
}

async fn users_page(state: &AppState, staff: &Staff, notice: Notice) -> Answer {
    let status = super::status(&notice);
    let users = state.app.portal_users(&staff.session).await?;
    let platform = staff.session.role == domain::portal::Role::PlatformAdmin;
    Ok(staff.page(
        status,
        "Portal users",
        html! {
            (admin_nav())
            @if let Some((n, _)) = notice { (n) }
            table {
                thead { tr { th scope="col" { "User name" } th scope="col" { "Partner" } th scope="col" { "Role" } th scope="col" { "Since" } th scope="col" { "State" } } }
                tbody {
                    @for u in &users {
                        tr { td { (u.username) } td { (u.partner_id) } td { (u.role) } td { (when(&u.created_at)) } td { @if u.disabled_at.is_some() { "disabled" } @else { "active" } } }
                    }
                }
            }
            h2 { "Add a portal user" }
            form method="post" action="/portal/admin/users" {
                (staff.csrf())
                label for="new_username" { "User name" }
                input id="new_username" name="username" autocomplete="off" required;
                label for="new_password" { "Password (at least 12 characters)" }
                input id="new_password" name="password" type="password" autocomplete="new-password" required;
                label for="role" { "Role" }
                select id="role" name="role" {
                    option value="partner-agent" { "Partner agent" }
                    option value="partner-admin" { "Partner administrator" }
                    @if platform { option value="platform-admin" { "Platform administrator" } }
                }
                @if platform {
                    label for="partner" { "Partner (empty: your own)" }
                    input id="partner" name="partner" inputmode="numeric";
                }
                div { button type="submit" { "Add the user" } }
            }
        },
    ))
}

async fn users(State(state): State<AppState>, staff: Staff) -> Answer {
    users_page(&state, &staff, None).await
}

async fn add_user(State(state): State<AppState>, Posted { staff, form: f }: Posted) -> Answer {
    let done = async {
        let role = domain::portal::Role::parse("role", f.get("role"))?;
        let partner = partner_field(f.get("partner"))?;
        let u = state
            .app
            .add_portal_user(&staff.session, partner, f.get("username"), f.get("password"), role)
            .await?;
        Ok(html! { p.ok role="status" { "Portal user " (u.username) " added." } })
    }
    .await;
    shown(done, Outcome::Created, async |n| users_page(&state, &staff, n).await).await
}

async fn clients_page(state: &AppState, staff: &Staff, notice: Notice) -> Answer {
    let status = super::status(&notice);
    let clients = state.app.api_clients(&staff.session).await?;
    let grantable = staff.session.role.scopes();
    Ok(staff.page(
        status,
        "API clients",
        html! {
            (admin_nav())
            @if let Some((n, _)) = notice { (n) }
            table {
                thead { tr { th scope="col" { "Client id" } th scope="col" { "Partner" } th scope="col" { "Scopes" } th scope="col" { "Description" } th scope="col" { "State" } } }
                tbody {
                    @for c in &clients {
                        tr {
                            td { code { (c.client_id) } } td { (c.partner_id) } td { (c.scopes) } td { (c.description) }
                            td {
                                @if let Some(at) = &c.revoked_at { "revoked " (when(at)) } @else {
                                    form.inline method="post" action="/portal/admin/clients/revoke" {
                                        (staff.csrf())
                                        input type="hidden" name="client_id" value=(c.client_id);
                                        button type="submit" aria-label={"Revoke client " (c.client_id)} { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                    @if clients.is_empty() { (none_row(5, "API clients")) }
                }
            }
            h2 { "Create an API client" }
            form method="post" action="/portal/admin/clients" {
                (staff.csrf())
                fieldset {
                    legend { "Scopes" }
                    @for sc in grantable.iter() {
                        label { input type="checkbox" name="scope" value=(sc.as_str()); " " (sc.as_str()) }
                    }
                }
                label for="client_description" { "Description (optional)" }
                input id="client_description" name="description" maxlength="200";
                div { button type="submit" { "Create the client" } }
            }
        },
    ))
}

async fn clients(State(state): State<AppState>, staff: Staff) -> Answer {
    clients_page(&state, &staff, None).await
}

/// The client form: `scope` repeats, one per ticked box.
async fn add_client(State(state): State<AppState>, Posted { staff, form: f }: Posted) -> Answer {
    let done = state
        .app
        .create_api_client(&staff.session, None, &f.all("scope").join(" "), f.get("description"))
        .await
        .map(|c| html! {
            div role="status" {
                p.ok { "Client created. Copy the secret now: it is shown this once and kept only as a hash." }
                dl {
                    dt { "client_id" } dd { code.secret { (c.client_id) } }
                    dt { "client_secret" } dd { code.secret id="client-secret" { (c.client_secret) } }
                    dt { "scopes" } dd { (c.scopes) }
                }
            }
        });
    shown(done, Outcome::Created, async |n| clients_page(&state, &staff, n).await).await
}

async fn revoke_client(State(state): State<AppState>, Posted { staff, form: f }: Posted) -> Answer {
    let client = f.get("client_id");
    let done = state
        .app
        .revoke_api_client(&staff.session, client)
        .await
        .map(|()| html! { p.ok role="status" { "Client " (client) " revoked: its tokens stop working." } });
    shown(done, Outcome::Ended, async |n| clients_page(&state, &staff, n).await).await
}

async fn tokens_page(state: &AppState, staff: &Staff, notice: Notice) -> Answer {
    let status = super::status(&notice);
    let tokens = state.app.api_tokens(&staff.session).await?;
    let users = state.app.api_users(&staff.session).await?;
    Ok(staff.page(
        status,
        "API access tokens",
        html! {
            (admin_nav())
            @if let Some((n, _)) = notice { (n) }
            p { "A token works on the ISP API as " code { "Authorization: Bearer …" } " or " code { "X-Auth-Token: …" } ", with its user's scopes." }
            form method="post" action="/Admin/getToken" {
                (staff.csrf())
                label for="token_user" { "User" }
                select id="token_user" name="user_id" required {
                    @for u in users.iter().filter(|u| u.disabled_at.is_none()) {
                        option value=(u.id) { (u.username) " (partner " (u.partner_id) ")" }
                    }
                }
                label for="token_description" { "Description (optional)" }
                input id="token_description" name="description" maxlength="200";
                div { button type="submit" { "Create API access token" } }
            }
            h2 { "Tokens (" (tokens.len()) ")" }
            table {
                thead { tr { th scope="col" { "Token" } th scope="col" { "User" } th scope="col" { "Description" } th scope="col" { "Created" } th scope="col" { "Last used" } th scope="col" { "State" } } }
                tbody {
                    @for t in &tokens {
                        tr {
                            td { code { (t.prefix) "…" } } td { (t.username) } td { (t.description) }
                            td { (when(&t.created_at)) } td { (t.last_used_at.as_ref().map(when).unwrap_or_default()) }
                            td {
                                @if let Some(at) = &t.revoked_at { "revoked " (when(at)) } @else {
                                    form.inline method="post" action="/Admin/getToken/revoke" {
                                        (staff.csrf())
                                        input type="hidden" name="token_id" value=(t.id);
                                        button type="submit" aria-label={"Revoke token " (t.prefix)} { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                    @if tokens.is_empty() { (none_row(6, "tokens")) }
                }
            }
        },
    ))
}

async fn tokens(State(state): State<AppState>, staff: Staff) -> Answer {
    tokens_page(&state, &staff, None).await
}

/// "Create API access token": the token is shown this once.
async fn add_token(State(state): State<AppState>, Posted { staff, form: f }: Posted) -> Answer {
    let done = async {
        let user = f
            .get("user_id")
            .parse::<i64>()
            .map_err(|_| domain::Error::invalid("user", "choose one of the API users listed"))?;
        let (row, token) = state
            .app
            .create_api_token(&staff.session, user, f.get("description"))
            .await?;
        Ok(html! {
            div role="status" {
                p.ok { "Token created for " (row.username) ". Copy it now: it is shown this once and kept only as a hash." }
                p { code.secret id="new-token" { (token) } }
            }
        })
    }
    .await;
    shown(done, Outcome::Created, async |n| tokens_page(&state, &staff, n).await).await
}

async fn revoke_token(State(state): State<AppState>, Posted { staff, form: f }: Posted) -> Answer {
    let id = super::id_of("token", f.get("token_id"))?;
    let done = state
        .app
        .revoke_api_token(&staff.session, id)
        .await
        .map(|()| html! { p.ok role="status" { "Token revoked: it stops working at once." } });
    shown(done, Outcome::Ended, async |n| tokens_page(&state, &staff, n).await).await
}

/// The partner's webhook endpoints.
async fn webhooks(State(state): State<AppState>, staff: Staff) -> Answer {
    staff.session.role.check_administers()?;
    let hooks = state.app.webhooks(staff.principal()).await?;
    Ok(staff.page(
        StatusCode::OK,
        "Webhooks",
        html! {
            (admin_nav())
            p { "Endpoints are made with the API (" code { "POST /api/Webhooks/CreateWebhook" } "); here are what they were sent." }
            table {
                thead { tr { th scope="col" { "Endpoint" } th scope="col" { "URL" } th scope="col" { "Events" } th scope="col" { "State" } } }
                tbody {
                    @for h in &hooks {
                        tr {
                            td { a href={"/portal/admin/webhooks/" (h.id)} { (h.id) } } td { (h.url) } td { (h.event_types) }
                            td { @if h.enabled { "enabled" } @else { "disabled: " (h.disabled_reason.clone().unwrap_or_default()) } }
                        }
                    }
                    @if hooks.is_empty() { (none_row(4, "webhooks")) }
                }
            }
        },
    ))
}

/// One endpoint's deliveries and their attempts, newest first.
async fn deliveries(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> Answer {
    staff.session.role.check_administers()?;
    let id = super::id_of("webhook", &id)?;
    let hook = state.app.webhook(staff.principal(), id).await?;
    let (rows, total) =
        state.app.deliveries(staff.principal(), id, PageRequest::new(None, Some(50))?).await?;
    Ok(staff.page(
        StatusCode::OK,
        &format!("Webhook {id}"),
        html! {
            (admin_nav())
            p { (hook.url) }
            h2 { "Deliveries (" (total) ")" }
            table {
                thead { tr { th scope="col" { "Event" } th scope="col" { "Type" } th scope="col" { "Status" } th scope="col" { "Attempts" } th scope="col" { "Last answer" } } }
                tbody {
                    @for (d, attempts) in &rows {
                        tr {
                            td { code { (d.event_id) } } td { (d.event_type) } td { (d.status) } td { (d.attempts) }
                            td {
                                @if let Some(a) = attempts.last() {
                                    (when(&a.at)) " · "
                                    @if let Some(c) = a.status_code { "HTTP " (c) } @else { (a.error.clone().unwrap_or_default()) }
                                }
                            }
                        }
                    }
                    @if rows.is_empty() { (none_row(5, "deliveries")) }
                }
            }
        },
    ))
}
