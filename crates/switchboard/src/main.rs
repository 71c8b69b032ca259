//! The one Switchboard binary: `serve`, `migrate`, `demo` and the admin
//! commands (`partner`, `client`, `user`).

mod config;
mod usage_cmd;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use config::{FileConfig, Overrides, Settings};
use domain::Scopes;
use std::path::PathBuf;
use store::Store;

#[derive(Parser)]
#[command(name = "switchboard", version, about = "CRM/ERP for telecom resellers")]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH (default sqlite://switchboard.db) or postgres://…
    #[arg(long, global = true, env = "SWITCHBOARD_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Log format: text or json.
    #[arg(long, global = true, env = "SWITCHBOARD_LOG_FORMAT")]
    log_format: Option<String>,
    /// Log filter, e.g. info, warn, switchboard_api=debug.
    #[arg(long, global = true, env = "SWITCHBOARD_LOG")]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (runs migrations first).
    Serve(Box<ServeArgs>),
    /// Run the provisioning worker alone (several may share one PostgreSQL).
    Worker(WorkerArgs),
    /// Run the embedded database migrations.
    Migrate,
    /// Seed demo data into the configured database.
    Demo {
        /// Instead, add N synthetic connections for load tests.
        #[arg(long)]
        connections: Option<u64>,
        /// Instead, add N synthetic numbers to each network's pool.
        #[arg(long)]
        numbers: Option<u64>,
        /// Instead, add N synthetic ISP subscribers for load tests.
        #[arg(long)]
        subscribers: Option<u64>,
    },
    /// Manage partners.
    #[command(subcommand)]
    Partner(PartnerCmd),
    /// Manage API clients (OAuth client credentials).
    #[command(subcommand)]
    Client(ClientCmd),
    /// Manage API users (HTTP Basic on the mobile API).
    #[command(subcommand)]
    User(UserCmd),
    /// Manage staff portal users (`/portal`).
    #[command(subcommand, name = "portal-user")]
    PortalUser(PortalUserCmd),
    /// Manage API tokens (the ISP API and FreeRADIUS).
    #[command(subcommand)]
    Token(TokenCmd),
    /// Play a network's events against the platform (the simulated
    /// networks' side of switching and eSIM; for demos and testing).
    #[command(subcommand)]
    Network(NetworkCmd),
    /// Usage records (CDRs): import networks' files, generate test files.
    #[command(subcommand)]
    Usage(usage_cmd::UsageCmd),
}

#[derive(Subcommand)]
enum NetworkCmd {
    /// A gaining provider uses one of our codes: a PAC ports the number out, a STAC ends the connection.
    SwitchOut {
        /// Vodafone, O2 or EE: the network the code was issued on.
        #[arg(long)]
        network: String,
        #[arg(long)]
        code: String,
    },
    /// A device downloads a connection's eSIM profile: its EID becomes known.
    EsimDownloaded {
        #[arg(long)]
        network: String,
        #[arg(long)]
        cli: String,
        #[arg(long)]
        eid: String,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SWITCHBOARD_LISTEN")]
    listen: Option<String>,
    /// Seed demo data on an empty database and print a demo client's credentials.
    #[arg(long)]
    demo: bool,
    /// Token signing key (default: generated on first start and kept in the database).
    #[arg(long, env = "SWITCHBOARD_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Seconds a client's revocation status and an API user's password check are cached.
    #[arg(long, env = "SWITCHBOARD_AUTH_CACHE_TTL")]
    auth_cache_ttl: Option<u64>,
    /// AES-256 key, 64 hex digits, sealing the passwords of subscribers on CHAP profiles.
    #[arg(long, env = "SWITCHBOARD_PASSWORD_KEY", hide_env_values = true)]
    password_key: Option<String>,
    /// Do not run the provisioning worker in this process.
    #[arg(long, env = "SWITCHBOARD_NO_WORKER")]
    no_worker: bool,
    /// Seconds a client has to send a request's head (also the keep-alive idle limit).
    #[arg(long, env = "SWITCHBOARD_HEADER_TIMEOUT")]
    header_timeout: Option<u64>,
    /// Seconds a client has to send a request's body once its head has arrived.
    #[arg(long, env = "SWITCHBOARD_BODY_TIMEOUT")]
    body_timeout: Option<u64>,
    /// Seconds requests in flight get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "SWITCHBOARD_SHUTDOWN_GRACE")]
    shutdown_grace: Option<u64>,
    #[command(flatten)]
    worker: WorkerArgs,
    #[command(flatten)]
    guard: GuardArgs,
}

#[derive(Args, Clone, Default)]
struct GuardArgs {
    /// Requests handled at once; beyond, 503 with Retry-After at once (default 32 per core).
    #[arg(long, env = "SWITCHBOARD_MAX_IN_FLIGHT")]
    max_in_flight: Option<usize>,
    /// Every API client: at most this many requests a second (default 100).
    #[arg(long, env = "SWITCHBOARD_RATE_PER_SECOND")]
    rate_per_second: Option<u32>,
    /// Every API client: at most this many requests per quota window (default 100000).
    #[arg(long, env = "SWITCHBOARD_RATE_QUOTA")]
    rate_quota: Option<u32>,
    /// The quota window in seconds (default 3600).
    #[arg(long, env = "SWITCHBOARD_RATE_QUOTA_WINDOW")]
    rate_quota_window: Option<u32>,
    /// Serve /metrics on a listener of its own (e.g. 127.0.0.1:9464).
    #[arg(long, env = "SWITCHBOARD_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Serve /metrics on the main listener to this bearer token.
    #[arg(long, env = "SWITCHBOARD_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Let partners register webhooks on loopback and private addresses.
    #[arg(long, env = "SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE")]
    webhooks_allow_private: Option<bool>,
}

#[derive(Args, Clone)]
struct WorkerArgs {
    /// Provisioning lanes (each claims up to 16 due jobs at a time).
    #[arg(long, env = "SWITCHBOARD_WORKER_CONCURRENCY")]
    worker_concurrency: Option<usize>,
    /// Simulated networks: milliseconds each call takes.
    #[arg(long, env = "SWITCHBOARD_CARRIER_LATENCY_MS")]
    carrier_latency_ms: Option<u64>,
    /// Simulated networks: share of calls refused (0–1).
    #[arg(long, env = "SWITCHBOARD_CARRIER_REJECTION_RATE")]
    carrier_rejection_rate: Option<f64>,
    /// Simulated networks: share of attempts that time out and are retried (0–1).
    #[arg(long, env = "SWITCHBOARD_CARRIER_FAULT_RATE")]
    carrier_fault_rate: Option<f64>,
    /// Simulated networks: the seed every decision is drawn from.
    #[arg(long, env = "SWITCHBOARD_CARRIER_SEED")]
    carrier_seed: Option<u64>,
}

#[derive(Subcommand)]
enum PartnerCmd {
    /// Create a partner.
    Create {
        name: String,
        /// Platform house account.
        #[arg(long)]
        house: bool,
        #[arg(long)]
        json: bool,
    },
    /// List partners.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ClientCmd {
    /// Create a client; prints client_id and client_secret once.
    Create {
        #[arg(long)]
        partner: i64,
        /// Comma-separated: customers,connections,orders,tasks,usage,isp,agreements,admin
        #[arg(long)]
        scopes: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        json: bool,
    },
    /// List clients (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a client by client_id; its tokens stop working.
    Revoke { client_id: String },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create an API user; a password is generated and printed once unless given on stdin.
    Create {
        #[arg(long)]
        partner: i64,
        #[arg(long)]
        username: String,
        #[arg(long)]
        scopes: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PortalUserCmd {
    /// Create a portal user; a password is generated and printed once unless given on stdin.
    Create {
        /// The partner the user works for (platform admins: the House partner).
        #[arg(long)]
        partner: i64,
        #[arg(long)]
        username: String,
        /// platform-admin, partner-admin or partner-agent.
        #[arg(long)]
        role: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Create an API token for a user; printed once, stored hashed.
    Create {
        /// The user (see `user create`) whose partner and scopes the token carries.
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        json: bool,
    },
    /// List tokens (never the tokens themselves).
    List {
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id.
    Revoke { id: i64 },
}

const CLI_ACTOR: &str = "cli:admin";

/// The command line acting as the platform's operator: the portal's
/// administration use cases, over every partner.
fn operator() -> app::portal::Session {
    app::portal::Session::operator(CLI_ACTOR)
}

/// Large allocations always straight from the kernel and back: glibc
/// otherwise raises its mmap threshold once a big block is freed, and each
/// Argon2 check's 19 MiB then stays in a thread's heap arena, so a burst of
/// password hashing would leave the RSS hundreds of MB up for good.
fn keep_large_allocations_out_of_the_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any
    // other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

fn main() -> std::process::ExitCode {
    keep_large_allocations_out_of_the_heap();
    let cli = Cli::parse();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = FileConfig::load(cli.config.as_deref())?;
    let (listen, jwt_secret, ttl, no_worker, password_key, timeouts) = match &cli.command {
        Command::Serve(a) => (
            a.listen.clone(),
            a.jwt_secret.clone(),
            a.auth_cache_ttl,
            a.no_worker,
            a.password_key.clone(),
            [a.header_timeout, a.body_timeout, a.shutdown_grace],
        ),
        _ => (None, None, None, false, None, [None; 3]),
    };
    let guard_args = match &cli.command {
        Command::Serve(a) => a.guard.clone(),
        _ => GuardArgs::default(),
    };
    let worker_args = match &cli.command {
        Command::Serve(a) => Some(a.worker.clone()),
        Command::Worker(w) => Some(w.clone()),
        _ => None,
    };
    let carrier = worker_args
        .as_ref()
        .map(|w| config::CarrierOverride {
            latency_ms: w.carrier_latency_ms,
            rejection_rate: w.carrier_rejection_rate,
            fault_rate: w.carrier_fault_rate,
            seed: w.carrier_seed,
        })
        .unwrap_or_default();
    let settings = Settings::layer(
        file,
        Overrides {
            database_url: cli.database_url,
            listen,
            log_format: cli.log_format,
            log_level: cli.log_level,
            jwt_secret,
            auth_cache_ttl_secs: ttl,
            password_key,
            no_worker,
            worker_concurrency: worker_args.as_ref().and_then(|w| w.worker_concurrency),
            header_timeout_secs: timeouts[0],
            body_timeout_secs: timeouts[1],
            shutdown_grace_secs: timeouts[2],
            carrier,
            max_in_flight: guard_args.max_in_flight,
            metrics_listen: guard_args.metrics_listen,
            metrics_token: guard_args.metrics_token,
            webhooks_allow_private: guard_args.webhooks_allow_private,
            rate: config::RateLimitOverride {
                per_second: guard_args.rate_per_second,
                quota: guard_args.rate_quota,
                quota_window_secs: guard_args.rate_quota_window,
            },
        },
    )?;
    init_logging(&settings)?;
    let store = Store::connect(&settings.database_url)
        .await
        .with_context(|| format!("connecting to {}", config::redact_url(&settings.database_url)))?;
    store.migrate().await.context("running migrations")?;
    match cli.command {
        Command::Serve(args) => serve(store, settings, args.demo).await,
        Command::Worker(_) => {
            let signal = shutdown_signal();
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let worker = tokio::spawn(worker(&store, &settings).run(stopped));
            println!(
                "provisioning worker running ({} database); stop with SIGINT or SIGTERM",
                store.backend()
            );
            signal.await;
            let _ = stop.send(true);
            worker.await?;
            store.close().await;
            Ok(())
        }
        Command::Migrate => {
            println!("migrations are up to date ({})", store.backend());
            Ok(())
        }
        Command::Demo { subscribers: Some(n), .. } => {
            let (first, last) = store.seed_synthetic_subscribers(n).await?;
            println!(
                "added {n} synthetic subscribers, {first} to {last} (partner {:?})",
                store::demo::LOAD_PARTNER
            );
            Ok(())
        }
        Command::Demo { numbers: Some(n), .. } => {
            for (network, free) in store.seed_synthetic_pool(n).await? {
                println!("{network}: {free} free numbers in the pool");
            }
            Ok(())
        }
        Command::Demo { connections: Some(n), .. } => {
            let (first, last) = store.seed_synthetic(n, store.clock().today()).await?;
            println!(
                "added {n} synthetic connections, CLIs {first} to {last} (partner {:?})",
                store::demo::LOAD_PARTNER
            );
            Ok(())
        }
        Command::Demo { connections: None, numbers: None, subscribers: None } => {
            match store.seed_demo(store.clock().today()).await? {
                Some(summary) => print_demo(&summary),
                None => println!("the database already has partners; demo data not seeded"),
            }
            Ok(())
        }
        Command::Partner(cmd) => partner(store, cmd).await,
        Command::Client(cmd) => client(store, cmd).await,
        Command::User(cmd) => user(store, cmd).await,
        Command::PortalUser(cmd) => portal_user(store, cmd).await,
        Command::Network(cmd) => network_event(store, cmd).await,
        Command::Token(cmd) => token(store, cmd).await,
        Command::Usage(cmd) => usage_cmd::run(store, cmd).await,
    }
}

async fn token(store: Store, cmd: TokenCmd) -> anyhow::Result<()> {
    match cmd {
        TokenCmd::Create { user, description, json } => {
            let (row, token) = app::App::new(store.clone())
                .create_token(CLI_ACTOR, &user, &description)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                let mut v = serde_json::to_value(&row)?;
                v["token"] = serde_json::Value::String(token);
                println!("{v}");
            } else {
                println!(
                    "created API token {} for user {} (partner {}); shown once:",
                    row.id, row.username, row.partner_id
                );
                println!("  token: {token}");
                println!("  use:   curl -H 'X-Auth-Token: {token}' http://127.0.0.1:8080/api/v1");
            }
        }
        TokenCmd::List { user, json } => {
            let mut rows = app::App::new(store.clone()).api_tokens(&operator()).await?;
            rows.retain(|t| user.as_deref().is_none_or(|u| t.username == u));
            if json {
                println!("{}", serde_json::to_string(&rows)?);
            } else {
                for t in rows {
                    println!(
                        "{}\t{}…\t{}\tpartner {}\t{}\t{}",
                        t.id,
                        t.prefix,
                        t.username,
                        t.partner_id,
                        if t.revoked_at.is_some() { "revoked" } else { "live" },
                        t.description
                    );
                }
            }
        }
        TokenCmd::Revoke { id } => {
            app::App::new(store.clone()).revoke_api_token(&operator(), id).await?;
            println!("revoked API token {id}");
        }
    }
    store.close().await;
    Ok(())
}

async fn network_event(store: Store, cmd: NetworkCmd) -> anyhow::Result<()> {
    let parse = |n: &str| {
        n.parse::<domain::Network>()
            .map_err(|_| anyhow::anyhow!("network: {n:?} is not Vodafone, O2 or EE"))
    };
    match cmd {
        NetworkCmd::SwitchOut { network, code } => {
            let network = parse(&network)?;
            let (contract, status) =
                app::App::new(store.clone()).switch_out(network, &code).await?;
            println!("contract {contract} is now {status}");
        }
        NetworkCmd::EsimDownloaded { network, cli, eid } => {
            let network = parse(&network)?;
            let cli = domain::Cli::parse_field(&cli, "cli")?;
            let contract =
                app::App::new(store.clone()).esim_downloaded(network, cli.as_str(), &eid).await?;
            println!("contract {contract}: EID {eid} recorded");
        }
    }
    store.close().await;
    Ok(())
}

fn init_logging(s: &Settings) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&s.log_level)
        .map_err(|e| anyhow::anyhow!("log level {:?}: {e}", s.log_level))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if s.log_json {
        builder.json().flatten_event(true).with_current_span(true).init();
    } else {
        builder.init();
    }
    Ok(())
}

fn print_demo(s: &store::demo::DemoSummary) {
    println!(
        "seeded demo data: {} partners, {} customers, {} connections (07700 900000 upwards)",
        s.partners.len(),
        s.customers,
        s.connections
    );
    for (id, name) in &s.partners {
        println!("  partner {id}: {name}");
    }
}

async fn serve(store: Store, settings: Settings, demo: bool) -> anyhow::Result<()> {
    let signal = shutdown_signal();
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("binding {}", settings.listen))?;
    let addr = listener.local_addr()?;
    if demo {
        if let Some(summary) = store.seed_demo(store.clock().today()).await? {
            print_demo(&summary);
        }
        let partner = store
            .partners()
            .partner_by_name("Northern Mobile Solutions Ltd")
            .await?
            .context("the demo partner is missing: this database was not seeded by --demo")?;
        if store.portal().user("north.agent").await?.is_none() {
            let password = store::credentials::random_hex(12);
            app::App::new(store.clone())
                .create_portal_user(
                    CLI_ACTOR,
                    partner.id,
                    "north.agent",
                    &password,
                    domain::portal::Role::PartnerAgent,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "\ndemo portal login (partner agent of {}), shown once: http://{addr}/portal/login",
                partner.name
            );
            println!("  user name: north.agent");
            println!("  password:  {password}");
        }
        let client = store.demo_client(partner.id).await?;
        println!("\ndemo API client for partner {} ({}), shown once:", partner.id, partner.name);
        println!("  client_id:     {}", client.client_id);
        println!("  client_secret: {}", client.client_secret);
        println!("  scopes:        {}", client.scopes);
        println!(
            "\n  curl -s -u {}:{} -d grant_type=client_credentials http://{addr}/token",
            client.client_id, client.client_secret
        );
        println!(
            "  (the same client on the corporate agreements face: POST http://{addr}/oauth/v2/token, then /corporate-agreements/v2/agreements)"
        );
        if let Some(user) = store.credentials().user_by_name(store::demo::DEMO_ISP_USER).await? {
            let (row, token) =
                store.tokens().create_api_token(CLI_ACTOR, &user, "serve --demo").await?;
            println!(
                "\ndemo ISP API token for partner {} ({}), shown once:",
                row.partner_id,
                store::demo::DEMO_ISP_PARTNER
            );
            println!("  token: {token}");
            println!("\n  curl -s -H 'X-Auth-Token: {token}' http://{addr}/api/v1");
            println!(
                "  (subscribers alice, bob, carol, dalesview-office; password {})",
                store::demo::DEMO_SUBSCRIBER_PASSWORD
            );
        }
    }
    let config = api::ApiConfig {
        jwt_secret: settings.jwt_secret.clone(),
        auth_cache_ttl: settings.auth_cache_ttl,
        sealer: match &settings.password_key {
            Some(k) => Some(std::sync::Arc::new(
                api::seal::Sealer::from_hex(k).map_err(|e| anyhow::anyhow!("password_key: {e}"))?,
            )),
            None => None,
        },
        limits: settings.limits,
        guard: settings.guard.clone(),
        metrics_token: settings.metrics_token.clone(),
        webhooks_allow_private: settings.webhooks_allow_private,
    };
    let state = api::AppState::new(store.clone(), &config).await?;
    if let Some(at) = &settings.metrics_listen {
        let l = tokio::net::TcpListener::bind(at)
            .await
            .with_context(|| format!("binding the metrics listener {at}"))?;
        println!("  Metrics:  http://{}/metrics", l.local_addr()?);
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = api::metrics::serve(l, state).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    println!("\nSwitchboard listening on http://{addr} ({} database)", store.backend());
    println!("  API:      http://{addr}/api/");
    println!("  OpenAPI:  http://{addr}/openapi.json");
    println!("  Docs:     http://{addr}/docs");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = settings.worker.then(|| {
        println!(
            "  Worker:   provisioning in this process ({} at once)",
            settings.worker_concurrency
        );
        tokio::spawn(worker(&store, &settings).run(stopped))
    });
    tracing::info!(%addr, database = %config::redact_url(&settings.database_url), "serving");
    api::serve(listener, state, signal).await?;
    let _ = stop.send(true);
    if let Some(w) = worker {
        w.await?;
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// A provisioning worker over the simulated networks, on the system clock.
fn worker(store: &Store, settings: &Settings) -> provisioning::Worker {
    let config = provisioning::WorkerConfig {
        concurrency: settings.worker_concurrency,
        webhooks_allow_private: settings.webhooks_allow_private,
        ..Default::default()
    };
    tracing::info!(carriers = ?settings.carriers, "provisioning worker");
    provisioning::Worker::simulated(
        store.clone(),
        &settings.carriers,
        store.clock().clone(),
        config,
    )
}

/// Installs the SIGINT and SIGTERM handlers now (so a signal that comes
/// right after start-up is caught) and answers a future that resolves on
/// the first of them.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    #[cfg(unix)]
    let int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    async move {
        #[cfg(unix)]
        match (term, int) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing work in flight");
    }
}

/// A new account's password: a line of standard input, or (`false`)
/// `bytes` random bytes in hex, generated to be shown once.
fn password(from_stdin: bool, bytes: usize) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok((line.trim_end_matches(['\r', '\n']).to_owned(), false))
    } else {
        Ok((store::credentials::random_hex(bytes), true))
    }
}

async fn partner(store: Store, cmd: PartnerCmd) -> anyhow::Result<()> {
    match cmd {
        PartnerCmd::Create { name, house, json } => {
            let p = app::App::new(store).create_partner(&operator(), &name, house).await?;
            if json {
                println!("{}", serde_json::to_string(&p)?);
            } else {
                println!("created partner {}: {}", p.id, p.name);
            }
        }
        PartnerCmd::List { json } => {
            let all = app::App::new(store).partners(&operator()).await?;
            if json {
                println!("{}", serde_json::to_string(&all)?);
            } else {
                for p in all {
                    println!(
                        "{:>6}  {}{}",
                        p.id,
                        p.name,
                        if p.is_house { "  (house)" } else { "" }
                    );
                }
            }
        }
    }
    Ok(())
}

async fn client(store: Store, cmd: ClientCmd) -> anyhow::Result<()> {
    match cmd {
        ClientCmd::Create { partner, scopes: s, description, json } => {
            let c = app::App::new(store)
                .create_client(CLI_ACTOR, partner, Scopes::parse(&s)?, &description)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                println!("{}", serde_json::to_string(&c)?);
            } else {
                println!("client_id:     {}\nclient_secret: {}\nscopes:        {}\n(the secret is shown once and stored only as a hash)", c.client_id, c.client_secret, c.scopes);
            }
        }
        ClientCmd::List { json } => {
            let all = app::App::new(store).api_clients(&operator()).await?;
            if json {
                println!("{}", serde_json::to_string(&all)?);
            } else {
                for c in all {
                    let state = if c.revoked_at.is_some() { "revoked" } else { "active" };
                    println!(
                        "{}  partner {:<5} {:<8} {}  {}",
                        c.client_id, c.partner_id, state, c.scopes, c.description
                    );
                }
            }
        }
        ClientCmd::Revoke { client_id } => {
            app::App::new(store).revoke_api_client(&operator(), &client_id).await?;
            println!("revoked {client_id}");
        }
    }
    Ok(())
}

async fn portal_user(store: Store, cmd: PortalUserCmd) -> anyhow::Result<()> {
    let PortalUserCmd::Create { partner, username, role, password_stdin } = cmd;
    let role = domain::portal::Role::parse("role", &role)?;
    let (password, generated) = password(password_stdin, 12)?;
    let app = app::App::new(store);
    let u = app
        .create_portal_user(CLI_ACTOR, partner, &username, &password, role)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "created portal user {} ({}) for partner {}; log in at /portal/login",
        u.username, u.role, u.partner_id
    );
    if generated {
        println!("  password: {password}  (shown once)");
    }
    Ok(())
}

async fn user(store: Store, cmd: UserCmd) -> anyhow::Result<()> {
    let UserCmd::Create { partner, username, scopes: s, password_stdin, json } = cmd;
    let (password, generated) = password(password_stdin, 16)?;
    let u = app::App::new(store)
        .create_api_user(CLI_ACTOR, partner, &username, &password, Scopes::parse(&s)?)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if json {
        let mut v = serde_json::to_value(&u)?;
        if generated {
            v["password"] = serde_json::Value::String(password);
        }
        println!("{v}");
    } else {
        println!("created API user {} for partner {}", u.username, u.partner_id);
        if generated {
            println!("password: {password}\n(shown once; stored only as an Argon2id hash)");
        }
    }
    Ok(())
}
