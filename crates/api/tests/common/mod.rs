//! Test harness: starts the real app on 127.0.0.1:0 over a database of its
//! own (a temp SQLite file, and a fresh PostgreSQL schema when
//! `TEST_POSTGRES_URL` is set), seeded with the demo data.

#![allow(dead_code)]

pub mod usage;

/// The AES-256 key sealing CHAP passwords in tests.
pub const PASSWORD_KEY: &str = "5b1f0e3c2a4d6e8f00112233445566778899aabbccddeeff0123456789abcdef";

use provisioning::{ManualClock, SimConfig, Worker, WorkerConfig};
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use store::Store;

/// The signing key tests configure, so they can forge and expire tokens.
pub const JWT_SECRET: &str = "test-signing-key-0123456789abcdef0123456789";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub store: Store,
    pub backend: &'static str,
    /// Partner ids of the two demo partners.
    pub north: i64,
    pub capital: i64,
    /// The worker's clock: tests move it to reach port dates and leases.
    pub clock: Arc<ManualClock>,
    /// A worker over instant, always-accepting simulated networks.
    pub worker: Worker,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<Server>,
    /// What the server serves, to start it again after `halt`.
    state: api::AppState,
    addr: std::net::SocketAddr,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

type Server = tokio::task::JoinHandle<std::io::Result<()>>;

/// Serves `state` on `listener` until the sender is used or dropped.
fn serve(
    listener: tokio::net::TcpListener,
    state: api::AppState,
) -> (tokio::sync::oneshot::Sender<()>, Server) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(api::serve(listener, state, async {
        let _ = rx.await;
    }));
    (tx, server)
}

/// The backends this run covers.
pub fn backends() -> Vec<&'static str> {
    let mut b = vec!["sqlite"];
    if std::env::var("TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        b.push("postgres");
    }
    b
}

/// Runs `test` once per backend, each on a fresh app.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = TestApp>,
{
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let app = test(app).await;
        app.stop().await;
    }
}

/// The instant every test app's clock starts at: a Wednesday morning in a
/// week with no bank holiday, so "the next working day" is always the next
/// day and the next Saturday is three days on.
pub fn pinned_now() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2030, 1, 16, 10, 0, 0).single().expect("a valid instant")
}

fn unique_name() -> String {
    use rand::Rng;
    format!("t{:016x}", rand::thread_rng().gen::<u64>())
}

impl TestApp {
    pub async fn start(backend: &'static str) -> TestApp {
        TestApp::start_with(backend, api::ServerLimits::default()).await
    }

    /// An app whose server has these timeouts.
    pub async fn start_with(backend: &'static str, limits: api::ServerLimits) -> TestApp {
        TestApp::start_configured(backend, |c| c.limits = limits).await
    }

    /// An app whose server is configured by `configure` (from the tests'
    /// defaults: rate limits out of the way, since the clock is pinned).
    pub async fn start_configured(
        backend: &'static str,
        configure: impl FnOnce(&mut api::ApiConfig),
    ) -> TestApp {
        let (store, dir, pg_schema) = match backend {
            "sqlite" => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                (Store::connect(&url).await.expect("sqlite"), Some(dir), None)
            }
            _ => {
                let url = std::env::var("TEST_POSTGRES_URL").expect("TEST_POSTGRES_URL");
                let schema = unique_name();
                let admin =
                    sqlx::PgPool::connect(&url).await.expect("connect to TEST_POSTGRES_URL");
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&admin)
                    .await
                    .expect("create schema");
                admin.close().await;
                let opts = PgConnectOptions::from_str(&url)
                    .expect("postgres URL")
                    .options([("search_path", schema.as_str())]);
                (Store::connect_postgres(opts).await.expect("postgres"), None, Some((url, schema)))
            }
        };
        // One clock for the store, the API and the worker, pinned to an
        // ordinary Wednesday: no test depends on the day it runs.
        let clock = Arc::new(ManualClock::new(pinned_now()));
        let store = store.with_clock(clock.clone());
        store.migrate().await.expect("migrate");
        store.seed_demo(domain::Clock::today(&*clock)).await.expect("seed demo");
        let north = store
            .partners()
            .partner_by_name("Northern Mobile Solutions Ltd")
            .await
            .unwrap()
            .unwrap()
            .id;
        let capital =
            store.partners().partner_by_name("Capital Connect Partners").await.unwrap().unwrap().id;
        let config = api::ApiConfig {
            jwt_secret: Some(JWT_SECRET.into()),
            auth_cache_ttl: Duration::ZERO,
            sealer: Some(Arc::new(api::seal::Sealer::from_hex(PASSWORD_KEY).expect("test key"))),
            limits: api::ServerLimits::default(),
            guard: api::guard::GuardConfig {
                max_in_flight: 10_000,
                limits: api::guard::Limits {
                    per_second: u32::MAX,
                    quota: u32::MAX,
                    quota_window_secs: 1,
                },
                ..Default::default()
            },
            metrics_token: None,
            webhooks_allow_private: true,
        };
        let mut config = config;
        configure(&mut config);
        let state = api::AppState::new(store.clone(), &config).await.expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let (tx, server) = serve(listener, state.clone());
        let worker = worker_with(&store, &clock, SimConfig::instant());
        TestApp {
            clock,
            worker,
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            store,
            backend,
            north,
            capital,
            shutdown: Some(tx),
            server: Some(server),
            state,
            addr,
            _dir: dir,
            pg_schema,
        }
    }

    /// Stops the HTTP server (an outage); the database stays.
    pub async fn halt(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            h.await.expect("server task").expect("server");
        }
    }

    /// Starts the server again after `halt`, on the same address.
    pub async fn restart(&mut self) {
        assert!(self.server.is_none(), "the server is running");
        let listener =
            tokio::net::TcpListener::bind(self.addr).await.expect("bind the same address again");
        let (tx, server) = serve(listener, self.state.clone());
        (self.shutdown, self.server) = (Some(tx), Some(server));
    }

    pub async fn stop(mut self) {
        self.halt().await;
        self.store.close().await;
        if let Some((url, schema)) = self.pg_schema.take() {
            let admin = sqlx::PgPool::connect(&url).await.expect("connect");
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&admin)
                .await
                .expect("drop schema");
            admin.close().await;
        }
    }

    /// Now by the app's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.store.now()
    }

    /// Today by the app's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        domain::Clock::today(&*self.clock)
    }

    /// Runs every job due on the test clock; answers how many ran.
    pub async fn drain(&self) -> usize {
        self.worker.drain().await.expect("drain the queue")
    }

    /// Runs the queue through networks that refuse everything.
    pub async fn drain_refused(&self) -> usize {
        self.worker_with(refusing()).drain().await.expect("drain the queue")
    }

    /// Another worker on this app's store and clock, with other networks.
    pub fn worker_with(&self, config: SimConfig) -> Worker {
        worker_with(&self.store, &self.clock, config)
    }

    /// A worker whose networks differ per network.
    pub fn worker_per_network(&self, configs: HashMap<domain::Network, SimConfig>) -> Worker {
        Worker::simulated(self.store.clone(), &configs, self.clock.clone(), test_worker_config())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates a client for `partner` with `scopes`; answers (id, secret).
    pub async fn client(&self, partner: i64, scopes: &str) -> (String, String) {
        let c = self
            .store
            .credentials()
            .create_client("test", partner, domain::Scopes::parse(scopes).unwrap(), "test")
            .await
            .unwrap();
        (c.client_id, c.client_secret)
    }

    /// A bearer token for a fresh client of `partner` with `scopes`.
    pub async fn token(&self, partner: i64, scopes: &str) -> String {
        let (id, secret) = self.client(partner, scopes).await;
        let grant = [("grant_type", "client_credentials")];
        let (status, body, _) = self.token_call("/token", Some((&id, &secret)), &grant).await;
        assert_eq!(status, 200, "token for partner {partner}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A POST of `form` to a token path (`/token` or the agreements face's
    /// `/oauth/v2/token`), with HTTP Basic credentials when `creds` are
    /// given: the status, the JSON body and any `WWW-Authenticate`.
    pub async fn token_call(
        &self,
        path: &str,
        creds: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> (u16, Value, Option<String>) {
        let mut req = self.http.post(self.url(path)).form(form);
        if let Some((id, secret)) = creds {
            req = req.basic_auth(id, Some(secret));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let challenge =
            resp.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
        (status, resp.json().await.unwrap(), challenge)
    }

    /// A token of the demo partner Northern with every non-admin scope.
    pub async fn north_token(&self) -> String {
        self.token(self.north, "customers connections orders tasks usage").await
    }

    pub async fn capital_token(&self) -> String {
        self.token(self.capital, "customers connections orders tasks usage").await
    }

    /// GET with a bearer token; answers (status, JSON body).
    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.send(self.http.get(self.url(path)).bearer_auth(token), path).await
    }

    /// POST JSON with a bearer token; answers (status, JSON body).
    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        self.send(self.http.post(self.url(path)).bearer_auth(token).json(body), path).await
    }

    /// An API token for a new user of `partner` with `scopes`.
    pub async fn api_token(&self, partner: i64, scopes: &str) -> String {
        let name = format!("isp-{partner}-{}", store::credentials::random_hex(6));
        let user = self
            .store
            .credentials()
            .create_user(
                "test",
                partner,
                &name,
                "a long enough password",
                domain::Scopes::parse(scopes).unwrap(),
            )
            .await
            .unwrap();
        self.store.tokens().create_api_token("test", &user, "tests").await.unwrap().1
    }

    /// Drops a subscriber's sealed password, as if it had been set before
    /// the server had a password key.
    pub async fn forget_sealed_password(&self, username: &str) {
        self.store
            .execute(
                "UPDATE isp_users SET password_sealed = NULL WHERE username = $1",
                store::args![username],
            )
            .await
            .unwrap();
    }

    /// A call to the ISP face with `X-Auth-Token`; answers (status, JSON body).
    pub async fn isp(
        &self,
        method: &str,
        token: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), self.url(path))
            .header("X-Auth-Token", token);
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req, path).await
    }

    pub async fn send(&self, req: reqwest::RequestBuilder, path: &str) -> (u16, Value) {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{path} answered {status} non-JSON: {text}")),
        )
    }

    /// The first customer id of a partner (demo data).
    pub async fn customer_of(&self, partner: i64) -> i64 {
        let (rows, _) = self
            .store
            .customers()
            .list_customers(
                store::Visibility::Partner(partner),
                "",
                domain::paging::PageRequest::new(None, None).unwrap(),
            )
            .await
            .unwrap();
        rows.last().expect("demo partner has customers").id
    }

    /// An Active connection of a partner on a network (demo data), with no
    /// bars on it.
    pub async fn connection_on(
        &self,
        partner: i64,
        network: domain::Network,
    ) -> store::connections::ConnectionRow {
        let vis = store::Visibility::Partner(partner);
        let page = domain::paging::PageRequest::new(None, Some(200)).unwrap();
        let (customers, _) = self.store.customers().list_customers(vis, "", page).await.unwrap();
        for c in customers {
            let (rows, _) = self.connections_of(vis, c.id, page).await;
            if let Some(r) = rows.into_iter().find(|r| {
                r.network == network.as_str()
                    && r.status == domain::status::ConnectionStatus::Active
                    && r.bars == "[]"
            }) {
                return r;
            }
        }
        panic!("partner {partner} has no {network} connection without bars");
    }

    /// A CLI of a connection of a partner (demo data).
    pub async fn cli_of(&self, partner: i64) -> String {
        let customer = self.customer_of(partner).await;
        let page = domain::paging::PageRequest::new(None, None).unwrap();
        let (rows, _) =
            self.connections_of(store::Visibility::Partner(partner), customer, page).await;
        rows[0].cli.clone()
    }

    /// A page of a customer's connections, read from the store.
    pub async fn connections_of(
        &self,
        vis: store::Visibility,
        customer: i64,
        page: domain::paging::PageRequest,
    ) -> (Vec<store::connections::ConnectionRow>, i64) {
        self.store.page_under(vis, customer, page).await.unwrap()
    }
}

/// The `key` of the item of a list answer whose `field` is `value`.
pub fn item_id(
    list: &Value,
    field: &str,
    value: impl PartialEq<Value> + std::fmt::Debug,
    key: &str,
) -> i64 {
    let items = list["items"].as_array().expect("a list answer");
    let item = items
        .iter()
        .find(|i| value == i[field])
        .unwrap_or_else(|| panic!("no item with {field} = {value:?} in {list}"));
    item[key].as_i64().expect("a numeric id")
}

/// The `key` of every item of a list answer.
pub fn ids(list: &Value, key: &str) -> Vec<i64> {
    let items = list["items"].as_array().expect("a list answer");
    items.iter().map(|i| i[key].as_i64().expect("a numeric id")).collect()
}

/// An answer's checks, read after the call: `app.get(..).await.refused(404, "order")`.
pub trait Answer {
    /// Asserts a mobile-face error: status and a message containing `needle`.
    fn refused(&self, status: u16, needle: &str);
    /// Asserts the status and gives the body.
    fn is(self, status: u16) -> Value;
}

impl Answer for (u16, Value) {
    #[track_caller]
    fn refused(&self, status: u16, needle: &str) {
        assert_eq!(self.0, status, "body: {}", self.1);
        let msg = self.1["response_message"]
            .as_str()
            .unwrap_or_else(|| panic!("no response_message in {}", self.1));
        assert!(msg.contains(needle), "{msg:?} does not mention {needle:?}");
    }

    #[track_caller]
    fn is(self, status: u16) -> Value {
        assert_eq!(self.0, status, "body: {}", self.1);
        self.1
    }
}

/// A simulated network that answers at once and refuses everything.
pub fn refusing() -> SimConfig {
    SimConfig { rejection_rate: 1.0, ..SimConfig::instant() }
}

pub fn test_worker_config() -> WorkerConfig {
    WorkerConfig { id: "test-worker".into(), webhooks_allow_private: true, ..Default::default() }
}

fn worker_with(store: &Store, clock: &Arc<ManualClock>, config: SimConfig) -> Worker {
    let configs = domain::Network::ALL.iter().map(|n| (*n, config)).collect();
    Worker::simulated(store.clone(), &configs, clock.clone(), test_worker_config())
}
