//! The staff portal's first pages over HTTP (the browser tests come with
//! the rest of the portal): login with its CSRF token, refusals and the
//! lockout, the session cookie's attributes, the dashboard, logout that
//! ends the session, CSRF on logout, the security headers, and a partner
//! user kept from another partner's customer.

mod common;

use common::TestApp;
use test_macros::backend_test;

/// A client that follows no redirects: each answer is looked at.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn value(cookie: &str) -> String {
    cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned()
}

/// The login form's CSRF cookie value (the hidden field carries the same).
async fn login_csrf(app: &TestApp, http: &reqwest::Client) -> String {
    let r = http.get(app.url("/portal/login")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let c = set_cookie(&r, "sb_login_csrf").expect("a CSRF cookie");
    let csrf = value(&c);
    let body = r.text().await.unwrap();
    assert!(body.contains(&csrf), "the form carries it");
    csrf
}

async fn login(
    app: &TestApp,
    http: &reqwest::Client,
    user: &str,
    password: &str,
) -> reqwest::Response {
    let csrf = login_csrf(app, http).await;
    http.post(app.url("/portal/login"))
        .header("cookie", format!("sb_login_csrf={csrf}"))
        .form(&[("csrf", csrf.as_str()), ("username", user), ("password", password)])
        .send()
        .await
        .unwrap()
}

/// A GET with the signed-in session's cookie.
async fn signed_get(
    app: &TestApp,
    http: &reqwest::Client,
    session: &str,
    path: &str,
) -> reqwest::Response {
    http.get(app.url(path)).header("cookie", session).send().await.unwrap()
}

const PASSWORD: &str = "correct horse battery";

async fn agent(app: &TestApp, name: &str, partner: i64) {
    app::App::new(app.store.clone())
        .create_portal_user("test", partner, name, PASSWORD, domain::portal::Role::PartnerAgent)
        .await
        .unwrap();
}

#[backend_test]
async fn staff_log_in_see_the_dashboard_and_log_out(app: &TestApp) {
    agent(app, "north.agent", app.north).await;
    let http = browser();
    // Not logged in: to the login page.
    let r = http.get(app.url("/portal")).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.headers()["location"].to_str().unwrap()),
        (303, "/portal/login")
    );

    let r = login(app, &http, "north.agent", PASSWORD).await;
    assert_eq!(r.status(), 303);
    let cookie = set_cookie(&r, "sb_session").expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP on loopback");
    let session = format!("sb_session={}", value(&cookie));
    let r = signed_get(app, &http, &session, "/portal").await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let page = r.text().await.unwrap();
    assert!(page.contains("north.agent") && page.contains("live connections"), "{page}");

    // Logout needs the session's CSRF token.
    let r = http
        .post(app.url("/portal/logout"))
        .header("cookie", &session)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let r = http
        .post(app.url("/portal/logout"))
        .header("cookie", &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // The session is over on the server, whatever the browser keeps.
    let r = signed_get(app, &http, &session, "/portal").await;
    assert_eq!(r.status(), 303);
}

#[backend_test]
async fn wrong_passwords_are_refused_and_then_locked_out(app: &TestApp) {
    agent(app, "locked.agent", app.north).await;
    let http = browser();
    // A login form posted without its CSRF cookie is refused.
    let r = http
        .post(app.url("/portal/login"))
        .form(&[("csrf", "x"), ("username", "locked.agent"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = login(app, &http, "nobody.here", PASSWORD).await;
    assert_eq!(r.status(), 401);
    let body = r.text().await.unwrap();
    assert!(body.contains("Wrong user name or password"), "never which one");
    for _ in 0..5 {
        assert_eq!(login(app, &http, "locked.agent", "wrong password!").await.status(), 401);
    }
    // Locked: even the right password waits.
    let r = login(app, &http, "locked.agent", PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // After the back-off it works (and the count starts again).
    app.clock.set(app.now() + chrono::Duration::seconds(31));
    assert_eq!(login(app, &http, "locked.agent", PASSWORD).await.status(), 303);
}

#[backend_test]
async fn a_partner_user_cannot_open_another_partners_customer(app: &TestApp) {
    agent(app, "capital.agent", app.capital).await;
    let http = browser();
    let r = login(app, &http, "capital.agent", PASSWORD).await;
    let session = format!("sb_session={}", value(&set_cookie(&r, "sb_session").unwrap()));
    let north_customer = app.customer_of(app.north).await;
    let capital_customer = app.customer_of(app.capital).await;
    let r = signed_get(app, &http, &session, &format!("/portal/customers/{north_customer}")).await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("not found"));
    let r =
        signed_get(app, &http, &session, &format!("/portal/customers/{capital_customer}")).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Connections"));
}

#[backend_test]
async fn the_search_box_goes_straight_to_one_match_and_lists_several(app: &TestApp) {
    agent(app, "search.agent", app.north).await;
    let http = browser();
    let r = login(app, &http, "search.agent", PASSWORD).await;
    let session = format!("sb_session={}", value(&set_cookie(&r, "sb_session").unwrap()));
    let find = |q: &str| {
        http.get(app.url("/portal/search")).query(&[("q", q)]).header("cookie", &session).send()
    };
    // A CLI in international format: straight to the connection.
    let c = app.connection_on(app.north, domain::Network::Vodafone).await;
    let intl = format!("+44{}", &c.cli[1..]);
    let r = find(&intl).await.unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/portal/connections/{}", c.id));
    let r = signed_get(app, &http, &session, &to).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains(&c.cli));
    // A company name: straight to the customer.
    let r = find("acme").await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/portal/customers/"));
    // Several: a grouped list.
    let r = find("ltd").await.unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("Customers ("), "{body}");
    // Another partner's number is not found.
    let other = app.connection_on(app.capital, domain::Network::Vodafone).await;
    let r = find(&other.cli).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("0 found"));
    let r = signed_get(app, &http, &session, &format!("/portal/connections/{}", other.id)).await;
    assert_eq!(r.status(), 404);
}

#[backend_test]
async fn a_bar_is_added_and_removed_after_a_confirmation(app: &TestApp) {
    agent(app, "bar.agent", app.north).await;
    let http = browser();
    let r = login(app, &http, "bar.agent", PASSWORD).await;
    let session = format!("sb_session={}", value(&set_cookie(&r, "sb_session").unwrap()));
    let c = app.connection_on(app.north, domain::Network::Vodafone).await;
    let path = format!("/portal/connections/{}", c.id);
    let page = signed_get(app, &http, &session, &path).await.text().await.unwrap();
    let csrf =
        page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let bars = app.store.catalogue().bars_for_network(domain::Network::Vodafone).await.unwrap();
    let roam = bars.iter().find(|b| b.bar_suffix == "ROAM").unwrap();
    let post = |fields: Vec<(&'static str, String)>| {
        http.post(app.url(&format!("{path}/bars"))).header("cookie", &session).form(&fields).send()
    };
    let base = |action: &str| {
        vec![("csrf", csrf.clone()), ("bar_id", roam.id.to_string()), ("action", action.to_owned())]
    };
    // First a confirmation, which changes nothing.
    let r = post(base("add")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Add the bar"));
    let mut confirmed = base("add");
    confirmed.push(("confirmed", "yes".into()));
    let r = post(confirmed.clone()).await.unwrap();
    assert_eq!(r.status(), 202);
    assert!(r.text().await.unwrap().contains("(AddBar) is Pending"));
    app.drain().await;
    let page = signed_get(app, &http, &session, &path).await.text().await.unwrap();
    assert!(page.contains("Roaming (ROAM)") && page.contains("Completed"), "{page}");
    // Twice is refused with the reason, on the page.
    let r = post(confirmed).await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("already on"));
    let mut remove = base("remove");
    remove.push(("confirmed", "yes".into()));
    assert_eq!(post(remove).await.unwrap().status(), 202);
    app.drain().await;
    let page = signed_get(app, &http, &session, &path).await.text().await.unwrap();
    assert!(page.contains("RemoveBar"), "{page}");
    // A forged form does nothing; another partner's connection is not found.
    let mut forged = base("add");
    forged[0].1 = "forged".into();
    assert_eq!(post(forged).await.unwrap().status(), 403);
    let other = app.connection_on(app.capital, domain::Network::Vodafone).await;
    let r = http
        .post(app.url(&format!("/portal/connections/{}/bars", other.id)))
        .header("cookie", &session)
        .form(&[
            ("csrf", csrf.as_str()),
            ("bar_id", &roam.id.to_string()),
            ("action", "add"),
            ("confirmed", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// A logged-in portal session over plain HTTP: its cookie and CSRF token.
struct Staff {
    http: reqwest::Client,
    cookie: String,
    csrf: String,
    base: String,
}

impl Staff {
    async fn new(app: &TestApp, name: &str, partner: i64, role: domain::portal::Role) -> Staff {
        app::App::new(app.store.clone())
            .create_portal_user("test", partner, name, PASSWORD, role)
            .await
            .unwrap();
        let http = browser();
        let r = login(app, &http, name, PASSWORD).await;
        assert_eq!(r.status(), 303);
        let cookie = format!("sb_session={}", value(&set_cookie(&r, "sb_session").unwrap()));
        let mut s = Staff { http, cookie, csrf: String::new(), base: app.base.clone() };
        let page = s.get("/portal").await.1;
        s.csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        s
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let mut f: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        f.extend_from_slice(form);
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&f)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// The first subscriber of `partner` (demo data), of `status` when given.
async fn first_subscriber(
    app: &TestApp,
    partner: i64,
    status: Option<domain::isp::ReadStatus>,
) -> store::isp::IspUserRow {
    let (users, _) = app
        .store
        .isp()
        .list_isp_users(
            store::Visibility::Partner(partner),
            &store::isp::UserFilter { status, ..Default::default() },
            app.now(),
            domain::paging::PageRequest::new(None, Some(1)).unwrap(),
        )
        .await
        .unwrap();
    users.into_iter().next().expect("the demo ISP has subscribers")
}

async fn fibrewave(app: &TestApp) -> i64 {
    app.store.partners().partner_by_name(store::demo::DEMO_ISP_PARTNER).await.unwrap().unwrap().id
}

#[backend_test]
async fn every_page_shows_the_partners_own_records_and_another_partners_are_not_found(
    app: &TestApp,
) {
    use domain::portal::Role;
    let north = Staff::new(app, "north.pages", app.north, Role::PartnerAgent).await;
    let isp = fibrewave(app).await;
    let isp_staff = Staff::new(app, "fibre.pages", isp, Role::PartnerAgent).await;
    let customer = app.customer_of(app.north).await;
    let theirs = app.customer_of(app.capital).await;
    let conn = app.connection_on(app.north, domain::Network::Vodafone).await;
    let their_conn = app.connection_on(app.capital, domain::Network::Vodafone).await;
    let token = app.north_token().await;
    let (s, t) = app
        .post(
            &token,
            "/api/Tasks/CreateTask",
            &serde_json::json!({"customerId": customer, "diaryTypeId": 2, "diaryTaskId": 201, "subject": "No service", "body": "No signal in Leeds."}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let task = t["taskId"].as_i64().unwrap();
    let (s, o) = app
        .post(&token, "/api/Orders/CreateDraftOrder", &serde_json::json!({"customerId": customer}))
        .await;
    assert_eq!(s, 201, "{o}");
    let order = o["orderId"].as_i64().unwrap();
    let first = first_subscriber(app, isp, None).await;
    let sub = first.id;

    for (path, shows) in [
        (format!("/portal/customers/{customer}"), "Save details"),
        (format!("/portal/customers/{customer}?tab=connections"), "Connections ("),
        (format!("/portal/customers/{customer}?tab=orders"), "Build a new order"),
        (format!("/portal/customers/{customer}?tab=tasks"), "No service"),
        (format!("/portal/customers/{customer}?tab=agreements"), "/portal/agreements/"),
        (format!("/portal/customers/{customer}?tab=history"), "create"),
        (format!("/portal/connections/{}", conn.id), "Switching"),
        (format!("/portal/orders/{order}"), "Add a mobile"),
        (format!("/portal/tasks/{task}"), "Take it myself"),
        ("/portal/tasks?status=1".to_owned(), "No service"),
        (format!("/portal/agreements/{}", 5538579), "Offers ("),
    ] {
        let (s, page) = north.get(&path).await;
        assert_eq!(s, 200, "{path}: {page}");
        assert!(page.contains(shows), "{path} lacks {shows:?}");
    }
    for path in [
        format!("/portal/customers/{theirs}"),
        format!("/portal/connections/{}", their_conn.id),
        format!("/portal/subscribers/{sub}"),
        format!("/portal/agreements/{}", 5538581),
        "/portal/customers/abc".to_owned(),
    ] {
        let (s, page) = north.get(&path).await;
        assert_eq!(s, 404, "{path}: {page}");
        // Still the caller's portal: its search box and account.
        assert!(page.contains("role=\"search\"") && page.contains("north.pages"), "{path}: {page}");
    }
    for path in [
        format!("/portal/orders/{order}"),
        format!("/portal/tasks/{task}"),
        format!("/portal/customers/{customer}"),
    ] {
        assert_eq!(isp_staff.get(&path).await.0, 404, "{path}");
    }
    let (s, page) = isp_staff.get(&format!("/portal/subscribers/{sub}")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("Renew"));
    let (s, page) = isp_staff.get("/portal/subscribers?status=active").await;
    assert_eq!(s, 200);
    assert!(page.contains(&first.username));
    let (s, page) = isp_staff.get("/portal/subscribers?online=1").await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("sessions open"));
    // An agent is not an administrator.
    assert_eq!(north.get("/portal/admin").await.0, 403);
    assert_eq!(north.get("/Admin/getToken").await.0, 403);
}

#[backend_test]
async fn fragments_answer_htmx_and_send_a_browser_to_the_page(app: &TestApp) {
    let north = Staff::new(app, "north.frag", app.north, domain::portal::Role::PartnerAgent).await;
    let conn = app.connection_on(app.north, domain::Network::Vodafone).await;
    let path = format!("/portal/connections/{}/requests", conn.id);
    let r = north.http.get(app.url(&path)).header("cookie", &north.cookie).send().await.unwrap();
    assert_eq!(r.status(), 303, "a fragment-only route is not a page");
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("/portal/connections/{}", conn.id)
    );
    let r = north
        .http
        .get(app.url(&path))
        .header("cookie", &north.cookie)
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["vary"].to_str().unwrap().contains("HX-Request"));
    let body = r.text().await.unwrap();
    assert!(body.starts_with("<div id=\"requests-table\""), "{body}");
    // htmx itself, from the binary.
    let r = app.http.get(app.url("/portal/assets/htmx-2.0.11.min.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(r.text().await.unwrap().contains("htmx"));
}

#[backend_test]
async fn a_task_is_commented_moved_and_assigned_within_its_partner(app: &TestApp) {
    use domain::portal::Role;
    let north = Staff::new(app, "north.tasks", app.north, Role::PartnerAgent).await;
    Staff::new(app, "north.colleague", app.north, Role::PartnerAgent).await;
    Staff::new(app, "capital.person", app.capital, Role::PartnerAgent).await;
    let customer = app.customer_of(app.north).await;
    let (_, t) = app
        .post(
            &app.north_token().await,
            "/api/Tasks/CreateTask",
            &serde_json::json!({"customerId": customer, "diaryTypeId": 2, "diaryTaskId": 201, "subject": "Slow data", "body": "Since Monday."}),
        )
        .await;
    let task = t["taskId"].as_i64().unwrap();
    let path = format!("/portal/tasks/{task}");
    let (s, page) = north
        .post(
            &format!("{path}/comments"),
            &[("comment", "Called the customer."), ("status_id", "2")],
        )
        .await;
    assert_eq!(s, 201, "{page}");
    assert!(page.contains("Called the customer.") && page.contains("In progress"));
    let (s, page) = north.post(&format!("{path}/assign"), &[("assignee", "north.colleague")]).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("Assigned to north.colleague"));
    let (s, page) = north.get("/portal/tasks?assignee=north.colleague").await;
    assert_eq!(s, 200);
    assert!(page.contains("Slow data"));
    let (s, page) = north.get("/portal/tasks?assignee=none").await;
    assert_eq!(s, 200);
    assert!(!page.contains("Slow data"), "assigned, so not in the unassigned list");
    // Another partner's user is no one here.
    let (s, page) = north.post(&format!("{path}/assign"), &[("assignee", "capital.person")]).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("no portal user named"));
    // An empty comment names the field.
    let (s, page) =
        north.post(&format!("{path}/comments"), &[("comment", " "), ("status_id", "2")]).await;
    assert_eq!(s, 422);
    assert!(page.contains("comment"), "{page}");
    // Closed: no more assigning.
    north.post(&format!("{path}/comments"), &[("comment", "Fixed."), ("status_id", "5")]).await;
    let (s, _) = north.post(&format!("{path}/assign"), &[("assignee", "north.tasks")]).await;
    assert_eq!(s, 422);
}

#[backend_test]
async fn a_subscriber_is_suspended_activated_and_renewed(app: &TestApp) {
    let isp = fibrewave(app).await;
    let staff = Staff::new(app, "fibre.ops", isp, domain::portal::Role::PartnerAgent).await;
    let user = first_subscriber(app, isp, Some(domain::isp::ReadStatus::Active)).await;
    let path = format!("/portal/subscribers/{}/status", user.id);
    let (s, page) = staff.post(&path, &[("action", "suspend")]).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("<dd id=\"subscriber-status\">suspended</dd>"), "{page}");
    let (_, page) = staff.post(&path, &[("action", "activate")]).await;
    assert!(page.contains("<dd id=\"subscriber-status\">active</dd>"));
    let (s, page) = staff.post(&path, &[("action", "renew")]).await;
    assert_eq!(s, 200, "{page}");
    let (s, page) = staff.post(&path, &[("action", "explode")]).await;
    assert_eq!(s, 422);
    assert!(page.contains("suspend, activate or renew"));
}

#[backend_test]
async fn the_search_box_finds_iccids_orders_user_names_ips_and_postcodes(app: &TestApp) {
    use domain::portal::Role;
    let north = Staff::new(app, "north.find", app.north, Role::PartnerAgent).await;
    let isp = fibrewave(app).await;
    let fibre = Staff::new(app, "fibre.find", isp, Role::PartnerAgent).await;
    let to = |s: &Staff, q: &str| {
        let req = s
            .http
            .get(format!("{}/portal/search", s.base))
            .query(&[("q", q)])
            .header("cookie", &s.cookie);
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let loc = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
            (status, loc, r.text().await.unwrap())
        }
    };
    let c = app.connection_on(app.north, domain::Network::Vodafone).await;
    let iccid = c.iccid.clone().unwrap();
    assert_eq!(to(&north, &iccid).await.1, Some(format!("/portal/connections/{}", c.id)));
    let (_, o) = app
        .post(
            &app.north_token().await,
            "/api/Orders/CreateDraftOrder",
            &serde_json::json!({"customerId": c.customer_id}),
        )
        .await;
    let order = o["orderId"].as_i64().unwrap();
    let (_, loc, body) = to(&north, &order.to_string()).await;
    assert!(
        loc == Some(format!("/portal/orders/{order}"))
            || body.contains(&format!("/portal/orders/{order}")),
        "{loc:?} {body}"
    );
    let customer =
        app.store.customers().get_customer(store::Visibility::All, c.customer_id).await.unwrap();
    let (_, loc, body) = to(&north, &customer.postcode).await;
    assert!(
        loc.is_some() || body.contains(&format!("/portal/customers/{}", customer.id)),
        "{body}"
    );

    let u = &first_subscriber(app, isp, None).await;
    let page = format!("/portal/subscribers/{}", u.id);
    assert_eq!(to(&fibre, &u.username.to_uppercase()).await.1, Some(page.clone()));
    app.store
        .execute("UPDATE isp_users SET static_ip = '100.64.9.9' WHERE id = $1", store::args![u.id])
        .await
        .unwrap();
    assert_eq!(to(&fibre, "100.64.9.9").await.1, Some(page));
    // Not another partner's subscriber.
    let (s, loc, body) = to(&north, "100.64.9.9").await;
    assert_eq!((s, loc), (200, None));
    assert!(body.contains("0 found"), "{body}");
}

#[backend_test]
async fn the_connection_page_charts_this_periods_data_day_by_day(app: &TestApp) {
    use common::usage::{import, known_line, record, MB};
    let north = Staff::new(app, "north.chart", app.north, domain::portal::Role::PartnerAgent).await;
    let c = known_line(app).await;
    let token = app.token(app.north, "usage").await;
    import(
        app,
        &token,
        &serde_json::json!([
            record("chart-1", &c.cli, "Data", "UK", "2030-01-12T08:00:00Z", 100 * MB),
            record("chart-2", &c.cli, "Data", "UK", "2030-01-13T09:00:00Z", 150 * MB),
            record("chart-3", &c.cli, "Data", "UK", "2030-01-13T23:00:00Z", 50 * MB),
            record("chart-4", &c.cli, "Voice", "UK", "2030-01-13T10:00:00Z", 600),
        ]),
    )
    .await;
    let (s, page) = north.get(&format!("/portal/connections/{}", c.id)).await;
    assert_eq!(s, 200);
    for shows in [
        "2030-01-10: 0.0 MB that day, 0.0 MB so far",
        "2030-01-12: 100.0 MB that day, 100.0 MB so far",
        "2030-01-13: 200.0 MB that day, 300.0 MB so far",
        "allowance 1024 MB",
        "Data used so far this period: 300 MB of a 1024 MB allowance",
    ] {
        assert!(page.contains(shows), "no {shows:?} in {page}");
    }
    // A day after today is not drawn yet.
    assert!(!page.contains("2030-01-17:"), "{page}");
}

#[backend_test]
async fn thresholds_the_bill_cap_and_consent_are_set_from_the_connection_page(app: &TestApp) {
    let north =
        Staff::new(app, "north.limits", app.north, domain::portal::Role::PartnerAgent).await;
    let c = app.connection_on(app.north, domain::Network::Vodafone).await;
    let base = format!("/portal/connections/{}", c.id);
    let (s, page) = north
        .post(
            &format!("{base}/alerting"),
            &[
                ("measure", "dataMb"),
                ("value", "500"),
                ("action", "notify"),
                ("measure", "spendPence"),
                ("value", ""),
                ("action", "bar"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("1 thresholds saved."), "{page}");
    let (s, page) = north
        .post(
            &format!("{base}/alerting"),
            &[("measure", "dataMb"), ("value", "lots"), ("action", "notify")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(page.contains("thresholds[0].value"), "{page}");
    let (s, page) = north.post(&format!("{base}/bill-cap"), &[("cap", "30.00")]).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("Bill cap set to £30.00."), "{page}");
    let (s, page) = north
        .post(
            &format!("{base}/consent"),
            &[("consented_by", "Jo Bloggs"), ("method", "phone"), ("note", "called in")],
        )
        .await;
    // No notice yet this period: the rule says so on the page.
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("consent counts only after a bill-limit notice"), "{page}");
    let (s, page) = north
        .post(&format!("{base}/consent"), &[("consented_by", "Jo"), ("method", "pigeon")])
        .await;
    assert_eq!(s, 422);
    assert!(page.contains("method"), "{page}");
    // Another partner's connection: not found, nothing written.
    let theirs = app.connection_on(app.capital, domain::Network::Vodafone).await;
    let (s, _) = north
        .post(&format!("/portal/connections/{}/bill-cap", theirs.id), &[("cap", "10.00")])
        .await;
    assert_eq!(s, 404);
}

#[backend_test]
async fn after_logging_in_staff_land_on_the_page_they_asked_for_and_never_elsewhere(app: &TestApp) {
    agent(app, "next.agent", app.north).await;
    let http = browser();
    let customer = app.customer_of(app.north).await;
    let asked = format!("/portal/customers/{customer}?tab=orders");
    let r = http.get(app.url(&asked)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/portal/login?next="), "{to}");
    let page = http.get(app.url(&to)).send().await.unwrap();
    let csrf = value(&set_cookie(&page, "sb_login_csrf").unwrap());
    let body = page.text().await.unwrap();
    assert!(
        body.contains(&format!("name=\"next\" value=\"/portal/customers/{customer}?tab=orders\"")),
        "{body}"
    );
    for (next, lands) in [(asked.as_str(), asked.as_str()), ("https://evil.example/", "/portal")] {
        let r = http
            .post(app.url("/portal/login"))
            .header("cookie", format!("sb_login_csrf={csrf}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "next.agent"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"].to_str().unwrap(), lands);
    }
}
