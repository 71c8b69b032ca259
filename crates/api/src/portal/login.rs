//! Logging in (with the lockout the use case decides) and out.

use super::{
    cookie, failure, over_tls, page, secured, set_cookie, Answer, Posted, LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
};
use crate::AppState;
use app::portal::LoginRefused;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/login", get(login_page).post(login))
        .route("/portal/logout", post(logout))
}

fn login_form(csrf: &str, message: Option<&str>, username: &str, next: &str) -> Markup {
    html! {
        @if let Some(m) = message { p.error role="alert" { (m) } }
        form method="post" action="/portal/login" {
            input type="hidden" name="csrf" value=(csrf);
            @if !next.is_empty() { input type="hidden" name="next" value=(next); }
            label for="username" { "User name" }
            input id="username" name="username" autocomplete="username" required value=(username);
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            div { button type="submit" { "Log in" } }
        }
    }
}

/// The login page: a fresh double-submit CSRF token in a cookie and the form.
async fn login_page(headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    let csrf = store::credentials::random_hex(32);
    let next = super::after_login(&q.next);
    let next = if next == "/portal" { "" } else { next };
    let mut resp = page(StatusCode::OK, "Log in", None, login_form(&csrf, None, "", next));
    resp.headers_mut()
        .append(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, &csrf, over_tls(&headers), None));
    resp
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    next: String,
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
                &f.next,
            ),
        );
    }
    match state.app.portal_login(&f.username, &f.password).await {
        Ok(Ok(started)) => {
            let mut resp = secured(Redirect::to(super::after_login(&f.next)).into_response());
            let tls = over_tls(&headers);
            resp.headers_mut()
                .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &started.token, tls, None));
            resp.headers_mut()
                .append(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, "", tls, Some(0)));
            resp
        }
        Ok(Err(LoginRefused::Wrong)) => page(
            StatusCode::UNAUTHORIZED,
            "Log in",
            None,
            login_form(&expected, Some("Wrong user name or password."), &f.username, &f.next),
        ),
        Ok(Err(LoginRefused::Locked(secs))) => {
            let mut resp = page(
                StatusCode::TOO_MANY_REQUESTS,
                "Log in",
                None,
                login_form(
                    &expected,
                    Some(&format!("Too many failed logins: try again in {secs} seconds.")),
                    &f.username,
                    &f.next,
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

/// Logs out (a form with the session's CSRF token): the session ends for good.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Posted { staff, .. }: Posted,
) -> Answer {
    state.app.portal_logout(&staff.token).await?;
    let mut resp = secured(Redirect::to("/portal/login").into_response());
    resp.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", over_tls(&headers), Some(0)));
    Ok(resp)
}
