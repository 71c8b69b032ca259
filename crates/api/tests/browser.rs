//! The staff portal in a real browser: headless Chromium driven over
//! WebDriver (Debian's `chromium` and `chromium-driver`; fantoccini)
//! against the real server on loopback, once per engine. Every wait is an
//! explicit wait for something on the page (no fixed sleeps). A failing
//! test leaves a screenshot in `target/browser-failures/`; with
//! `SWITCHBOARD_SCREENSHOTS=DIR` the tests also save the main pages there
//! (the README's pictures come from this).
//!
//! Without `chromedriver` the tests say so and pass, unless
//! `SWITCHBOARD_REQUIRE_BROWSER` is set (as `.ci/run` does).

mod common;

use common::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use test_macros::backend_test;

const PASSWORD: &str = "correct horse battery";

/// A chromedriver of this test's own (in a process group of its own, so
/// the browsers it starts go with it) and a browser session on it.
struct Browser {
    client: Client,
    driver: Child,
    base: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ =
            Command::new("kill").args(["-KILL", "--", &format!("-{}", self.driver.id())]).status();
        let _ = self.driver.wait();
    }
}

fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    async fn start(app: &TestApp) -> Option<Browser> {
        let Some(path) = chromedriver() else {
            assert!(
                std::env::var_os("SWITCHBOARD_REQUIRE_BROWSER").is_none(),
                "SWITCHBOARD_REQUIRE_BROWSER is set but chromedriver is not installed (apt-get install chromium chromium-driver)"
            );
            eprintln!("browser tests skipped: chromedriver is not installed");
            return None;
        };
        use std::os::unix::process::CommandExt;
        let port = free_port();
        let driver = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let wd = format!("http://127.0.0.1:{port}");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1280,1000", "--no-first-run"],
            }),
        );
        // chromedriver takes a moment to listen: retry the session until it does.
        let mut tries = 0;
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&wd).await {
                Ok(c) => break c,
                Err(e) if tries < 100 => {
                    tries += 1;
                    if tries % 20 == 0 {
                        eprintln!("waiting for chromedriver: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no WebDriver session: {e}"),
            }
        };
        Some(Browser { client, driver, base: app.base.clone() })
    }

    async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// Waits (up to 15 s) for an element.
    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    /// Waits (up to 15 s) until the page shows `text`.
    async fn wait_text(&self, text: &str) {
        let xpath = format!("//*[contains(normalize-space(.), {})]", xpath_literal(text));
        if let Err(e) = self
            .client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(&xpath))
            .await
        {
            let src = self.client.source().await.unwrap_or_default();
            panic!("the page never showed {text:?} ({e}):\n{src}");
        }
    }

    async fn fill(&self, css: &str, value: &str) {
        let e = self.wait_for(css).await;
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.unwrap();
    }

    /// Clicks the button whose text is `label`.
    async fn press(&self, label: &str) {
        let xpath = format!("//button[normalize-space(.)={}]", xpath_literal(label));
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button {label:?}: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn title(&self) -> String {
        self.wait_for("h1").await.text().await.unwrap()
    }

    async fn log_in(&self, user: &str, password: &str) {
        self.goto("/portal/login").await;
        self.fill("#username", user).await;
        self.fill("#password", password).await;
        self.press("Log in").await;
    }

    /// Saves the page as `name`.png in `$SWITCHBOARD_SCREENSHOTS`, when set.
    async fn picture(&self, name: &str) {
        if let Some(dir) = std::env::var_os("SWITCHBOARD_SCREENSHOTS") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        }
    }
}

fn xpath_literal(s: &str) -> String {
    if s.contains('"') {
        format!("'{s}'")
    } else {
        format!("\"{s}\"")
    }
}

/// Runs `body` in a fresh browser; on failure saves a screenshot of the
/// page to `target/browser-failures/NAME-ENGINE.png` before failing.
async fn in_browser(name: &str, app: &TestApp, body: impl AsyncFnOnce(&Browser)) {
    let Some(b) = Browser::start(app).await else {
        return;
    };
    let outcome = AssertUnwindSafe(body(&b)).catch_unwind().await;
    if let Err(panic) = outcome {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-failures");
        if let Ok(png) = b.client.screenshot().await {
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{name}-{}.png", app.backend));
            let _ = std::fs::write(&file, png);
            eprintln!("screenshot of the failure: {}", file.display());
        }
        let _ = b.client.clone().close().await;
        std::panic::resume_unwind(panic);
    }
    let _ = b.client.clone().close().await;
}

async fn staff(app: &TestApp, name: &str, partner: i64, role: domain::portal::Role) {
    app::App::new(app.store.clone())
        .create_portal_user("test", partner, name, PASSWORD, role)
        .await
        .unwrap();
}

#[backend_test]
async fn a_wrong_password_is_refused_and_repeated_failures_lock_the_account(app: &TestApp) {
    staff(app, "lock.agent", app.north, domain::portal::Role::PartnerAgent).await;
    in_browser("lockout", app, async |b| {
        b.log_in("lock.agent", "not the password").await;
        b.wait_text("Wrong user name or password.").await;
        for _ in 0..4 {
            b.log_in("lock.agent", "still not it").await;
            b.wait_text("Wrong user name or password.").await;
        }
        // Five failures: now even the right password waits.
        b.log_in("lock.agent", PASSWORD).await;
        b.wait_text("Too many failed logins").await;
        // After the back-off the right password works.
        app.clock.set(app.now() + chrono::Duration::seconds(31));
        b.log_in("lock.agent", PASSWORD).await;
        b.wait_text("live connections").await;
        assert_eq!(b.title().await, "Dashboard");
        b.picture("dashboard").await;
    })
    .await;
}

#[backend_test]
async fn a_cli_is_found_by_search_and_a_bar_added_and_removed_completes(app: &TestApp) {
    staff(app, "bars.agent", app.north, domain::portal::Role::PartnerAgent).await;
    let c = app.connection_on(app.north, domain::Network::Vodafone).await;
    let roam = app
        .store
        .catalogue()
        .bars_for_network(domain::Network::Vodafone)
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.bar_suffix == "ROAM")
        .unwrap()
        .id;
    // Typed as people type it: spaces, national format.
    let national = c.cli.strip_prefix("44").unwrap_or(&c.cli).trim_start_matches('0');
    let typed = format!("+44 {} {} {}", &national[..4], &national[4..7], &national[7..]);
    // Some data this period, for the connection page's chart.
    let usage = app.token(app.north, "usage").await;
    let records: Vec<serde_json::Value> = [(3, 700), (5, 1500), (8, 300), (11, 2200), (14, 900)]
        .iter()
        .enumerate()
        .map(|(i, (day, mb))| {
            common::usage::record(
                &format!("shot-{i}"),
                &c.cli,
                "Data",
                "UK",
                &format!("2030-01-{day:02}T12:00:00Z"),
                mb * common::usage::MB,
            )
        })
        .collect();
    common::usage::import(app, &usage, &serde_json::Value::Array(records)).await;
    in_browser("bars", app, async |b| {
        b.log_in("bars.agent", PASSWORD).await;
        b.wait_text("live connections").await;
        b.fill("#q", &typed).await;
        b.press("Find").await;
        b.wait_text("Bars (0)").await;
        assert_eq!(b.title().await, c.cli);
        b.picture("connection").await;
        b.client
            .execute("document.getElementById('usage').scrollIntoView()", vec![])
            .await
            .unwrap();
        b.picture("connection-usage").await;

        // Add the roaming bar: a confirmation first.
        let select = b.wait_for("#bar_id").await;
        select.select_by_value(&roam.to_string()).await.unwrap();
        b.press("Add…").await;
        b.wait_text("The network is asked at once.").await;
        b.press("Add the bar").await;
        b.wait_text("is Pending").await;
        // The worker carries it out; the page sees it complete by itself.
        app.drain().await;
        b.wait_for("#requests-table tr[data-request] td:nth-child(3)").await;
        b.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(
                "//div[@id='requests-table']//tr[td[2]='AddBar' and td[3]='Completed']",
            ))
            .await
            .expect("the AddBar request shows Completed without a reload");

        // And remove it again.
        b.goto(&format!("/portal/connections/{}", c.id)).await;
        b.click("button[aria-label^='Remove the bar']").await;
        b.press("Remove the bar").await;
        b.wait_text("is Pending").await;
        app.drain().await;
        b.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(
                "//div[@id='requests-table']//tr[td[2]='RemoveBar' and td[3]='Completed']",
            ))
            .await
            .expect("the RemoveBar request shows Completed without a reload");
    })
    .await;
}

#[backend_test]
async fn a_partner_user_cannot_open_another_partners_customer(app: &TestApp) {
    staff(app, "north.only", app.north, domain::portal::Role::PartnerAdmin).await;
    let theirs = app.customer_of(app.capital).await;
    let ours = app.customer_of(app.north).await;
    in_browser("other-partner", app, async |b| {
        b.log_in("north.only", PASSWORD).await;
        b.wait_text("live connections").await;
        b.goto(&format!("/portal/customers/{ours}")).await;
        b.wait_text("Save details").await;
        b.picture("customer").await;
        b.goto(&format!("/portal/customers/{theirs}")).await;
        assert_eq!(b.title().await, "Not found");
        b.wait_text(&format!("customer {theirs} not found")).await;
    })
    .await;
}

#[backend_test]
async fn a_form_posted_without_its_csrf_token_is_refused(app: &TestApp) {
    staff(app, "csrf.agent", app.north, domain::portal::Role::PartnerAgent).await;
    let customer = app.customer_of(app.north).await;
    in_browser("csrf", app, async |b| {
        b.log_in("csrf.agent", PASSWORD).await;
        b.wait_text("live connections").await;
        b.goto(&format!("/portal/customers/{customer}")).await;
        b.fill("#town", "Forgedton").await;
        // What a forged cross-site form would lack: the session's token.
        b.client
            .execute("document.querySelector('main form input[name=csrf]').remove()", vec![])
            .await
            .unwrap();
        b.press("Save details").await;
        b.wait_text("The form did not come from this session").await;
        assert_eq!(b.title().await, "Not allowed");
    })
    .await;
    let c = app.store.customers().get_customer(store::Visibility::All, customer).await.unwrap();
    assert_ne!(c.town, "Forgedton", "nothing was saved");
}

#[backend_test]
async fn an_api_token_made_on_admin_get_token_works_on_the_isp_api_until_revoked(app: &TestApp) {
    staff(app, "north.admin", app.north, domain::portal::Role::PartnerAdmin).await;
    staff(app, "north.agent", app.north, domain::portal::Role::PartnerAgent).await;
    let user = app
        .store
        .credentials()
        .create_user(
            "test",
            app.north,
            "north-isp",
            "a long enough password",
            domain::Scopes::parse("isp").unwrap(),
        )
        .await
        .unwrap();
    let token = std::cell::RefCell::new(String::new());
    in_browser("get-token", app, async |b| {
        // An agent is not an administrator.
        b.log_in("north.agent", PASSWORD).await;
        b.wait_text("live connections").await;
        b.goto("/Admin/getToken").await;
        b.wait_text("only an administrator manages users and credentials").await;
        b.client.delete_all_cookies().await.unwrap();

        b.log_in("north.admin", PASSWORD).await;
        b.wait_text("live connections").await;
        b.click("a[href='/portal/admin']").await;
        b.click("a[href='/Admin/getToken']").await;
        b.wait_for("#token_user").await.select_by_value(&user.id.to_string()).await.unwrap();
        b.fill("#token_description", "billing system").await;
        b.press("Create API access token").await;
        let shown = b.wait_for("#new-token").await.text().await.unwrap();
        assert!(shown.starts_with("sbt_"), "{shown}");
        b.picture("get-token").await;
        *token.borrow_mut() = shown;
    })
    .await;
    let token = token.into_inner();
    if token.is_empty() {
        return; // no browser here
    }
    let list = app.http.get(app.url("/api/v1/users")).bearer_auth(&token);
    assert_eq!(list.send().await.unwrap().status(), 200, "the token works");

    // Revoked from the same page, it stops working.
    in_browser("revoke-token", app, async |b| {
        b.log_in("north.admin", PASSWORD).await;
        b.wait_text("live connections").await;
        b.goto("/Admin/getToken").await;
        b.click("button[aria-label^='Revoke token']").await;
        b.wait_text("Token revoked").await;
    })
    .await;
    let list = app.http.get(app.url("/api/v1/users")).header("X-Auth-Token", &token);
    assert_eq!(list.send().await.unwrap().status(), 401, "revoked");
}

#[backend_test]
async fn an_order_is_built_submitted_and_watched_to_completion(app: &TestApp) {
    staff(app, "orders.agent", app.north, domain::portal::Role::PartnerAgent).await;
    let customer = app.customer_of(app.north).await;
    in_browser("order", app, async |b| {
        b.log_in("orders.agent", PASSWORD).await;
        b.wait_text("live connections").await;
        b.goto(&format!("/portal/customers/{customer}?tab=orders")).await;
        b.click("a[href^='/portal/orders/new']").await;
        b.fill("#reference", "PO-BROWSER-1").await;
        b.press("Start the order").await;
        b.wait_text("Add a mobile").await;

        // Nothing on it yet: submitting says what is wrong and changes nothing.
        b.press("Submit the order").await;
        b.wait_for("[role=alert]").await;
        assert_eq!(b.wait_for("#order-status").await.text().await.unwrap(), "Draft");

        // A port with a malformed PAC is refused, naming the field.
        b.click("input[name=connection_type][value=Port]").await;
        b.fill("#port_cli", "07700 900123").await;
        b.fill("#pac", "NOT-A-PAC").await;
        b.wait_for("#sim_type").await.select_by_value("eSIM").await.unwrap();
        b.press("Add the mobile").await;
        b.wait_text("pac").await;
        b.wait_for("[role=alert]").await;

        // A new eSIM, any free number.
        b.click("input[name=connection_type][value=New]").await;
        b.wait_for("#sim_type").await.select_by_value("eSIM").await.unwrap();
        b.press("Add the mobile").await;
        b.wait_text("added with").await;
        b.picture("order-builder").await;

        b.press("Submit the order").await;
        b.wait_text("Order submitted").await;
        // The worker provisions it; the page follows by itself.
        app.drain().await;
        b.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::XPath("//strong[@id='order-status' and text()='Completed']"))
            .await
            .expect("the order shows Completed without a reload");
        b.wait_text("Completed").await;
        b.picture("order").await;
    })
    .await;
}

/// Every control a sighted keyboard or screen-reader user meets has a
/// label, the first Tab reaches "Skip to content", and the pages fit a
/// phone's width (tables scroll inside themselves, the page does not).
#[backend_test]
async fn pages_fit_a_phone_and_every_control_is_labelled(app: &TestApp) {
    staff(app, "phone.admin", app.north, domain::portal::Role::PartnerAdmin).await;
    let c = app.connection_on(app.north, domain::Network::Vodafone).await;
    let customer = c.customer_id;
    let (_, o) = app
        .post(
            &app.north_token().await,
            "/api/Orders/CreateDraftOrder",
            &serde_json::json!({"customerId": customer}),
        )
        .await;
    let order = o["orderId"].as_i64().unwrap();
    in_browser("phone", app, async |b| {
        b.client.set_window_size(390, 844).await.unwrap();
        b.log_in("phone.admin", PASSWORD).await;
        b.wait_text("live connections").await;
        for path in [
            "/portal".to_owned(),
            format!("/portal/customers/{customer}"),
            format!("/portal/connections/{}", c.id),
            format!("/portal/orders/{order}"),
            "/portal/tasks".to_owned(),
            "/portal/admin/clients".to_owned(),
            "/Admin/getToken".to_owned(),
        ] {
            b.goto(&path).await;
            b.wait_for("h1").await;
            let unlabelled = b
                .client
                .execute(
                    "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]\
                       .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())\
                       .map(e => e.outerHTML.slice(0, 120));",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(unlabelled, serde_json::json!([]), "{path}: controls without a label");
            let fits = b
                .client
                .execute(
                    "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(fits, serde_json::json!(true), "{path} is wider than a phone");
            if path == format!("/portal/connections/{}", c.id) {
                b.picture("connection-phone").await;
            }
        }
        // The first Tab lands on the skip link.
        b.client
            .active_element()
            .await
            .unwrap()
            .send_keys("\u{e004}")
            .await
            .unwrap();
        let first = b
            .client
            .execute("return document.activeElement.textContent;", vec![])
            .await
            .unwrap();
        assert_eq!(first, serde_json::json!("Skip to content"));
    })
    .await;
}
