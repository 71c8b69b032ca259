//! Configuration in layers: built-in defaults, then a TOML file
//! (`--config`), then `SWITCHBOARD_*` environment variables and flags
//! (clap gives a flag precedence over its variable). Secrets are never
//! printed.

use domain::Network;
use provisioning::SimConfig;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// The TOML file's keys (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
    pub jwt_secret: Option<String>,
    pub auth_cache_ttl_secs: Option<u64>,
    /// AES-256 key (64 hex digits) sealing CHAP subscribers' passwords.
    pub password_key: Option<String>,
    /// Whether `serve` runs the provisioning worker too (default true).
    pub worker: Option<bool>,
    pub worker_concurrency: Option<usize>,
    /// Seconds a client has to send a request's head (and the idle limit).
    pub header_timeout_secs: Option<u64>,
    /// Seconds a client has to send a request's body.
    pub body_timeout_secs: Option<u64>,
    /// Seconds requests in flight get to finish at shutdown.
    pub shutdown_grace_secs: Option<u64>,
    /// The simulated networks: defaults for all, and per network.
    pub carriers: Option<CarriersConfig>,
    /// Requests handled at once; beyond, 503 at once (default 32 per core).
    pub max_in_flight: Option<usize>,
    /// A listener of its own for `/metrics` (e.g. `127.0.0.1:9464`).
    pub metrics_listen: Option<String>,
    /// `/metrics` on the main listener with `Authorization: Bearer TOKEN`.
    pub metrics_token: Option<String>,
    /// Rate limits per API client: defaults, and `[rate_limits.clients."client:sb_…"]`.
    pub rate_limits: Option<RateLimitsConfig>,
    /// Let partners register webhooks on loopback and private addresses
    /// (default false).
    pub webhooks_allow_private: Option<bool>,
}

/// `[rate_limits]`: every client's limits, overridden per client.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsConfig {
    pub per_second: Option<u32>,
    pub quota: Option<u32>,
    pub quota_window_secs: Option<u32>,
    /// By the client's audit name: `client:sb_…`, `user:NAME`, `token:N`.
    pub clients: Option<HashMap<String, RateLimitOverride>>,
}

#[derive(Debug, Default, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct RateLimitOverride {
    pub per_second: Option<u32>,
    pub quota: Option<u32>,
    pub quota_window_secs: Option<u32>,
}

impl RateLimitOverride {
    fn over(self, base: &api::guard::Limits) -> api::guard::Limits {
        api::guard::Limits {
            per_second: self.per_second.unwrap_or(base.per_second),
            quota: self.quota.unwrap_or(base.quota),
            quota_window_secs: self.quota_window_secs.unwrap_or(base.quota_window_secs),
        }
    }
}

/// `[carriers]`: settings every simulated network takes, overridden per
/// network in `[carriers.vodafone]`, `[carriers.o2]`, `[carriers.ee]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarriersConfig {
    pub latency_ms: Option<u64>,
    pub rejection_rate: Option<f64>,
    pub fault_rate: Option<f64>,
    pub seed: Option<u64>,
    pub vodafone: Option<CarrierOverride>,
    pub o2: Option<CarrierOverride>,
    pub ee: Option<CarrierOverride>,
}

#[derive(Debug, Default, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct CarrierOverride {
    pub latency_ms: Option<u64>,
    pub rejection_rate: Option<f64>,
    pub fault_rate: Option<f64>,
    pub seed: Option<u64>,
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))
    }
}

/// The settings in force after layering.
#[derive(Clone)]
pub struct Settings {
    pub database_url: String,
    pub listen: String,
    pub log_json: bool,
    pub log_level: String,
    pub jwt_secret: Option<String>,
    pub auth_cache_ttl: Duration,
    pub password_key: Option<String>,
    pub worker: bool,
    pub worker_concurrency: usize,
    pub limits: api::ServerLimits,
    pub carriers: HashMap<Network, SimConfig>,
    pub guard: api::guard::GuardConfig,
    pub metrics_listen: Option<String>,
    pub metrics_token: Option<String>,
    pub webhooks_allow_private: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("log_json", &self.log_json)
            .field("log_level", &self.log_level)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<set>"))
            .field("auth_cache_ttl", &self.auth_cache_ttl)
            .field("password_key", &self.password_key.as_ref().map(|_| "<set>"))
            .field("worker", &self.worker)
            .field("limits", &self.limits)
            .field("carriers", &self.carriers)
            .field("guard", &self.guard)
            .field("metrics_listen", &self.metrics_listen)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// Values from flags or the environment (clap merges those two).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
    pub jwt_secret: Option<String>,
    pub auth_cache_ttl_secs: Option<u64>,
    pub password_key: Option<String>,
    pub no_worker: bool,
    pub worker_concurrency: Option<usize>,
    pub header_timeout_secs: Option<u64>,
    pub body_timeout_secs: Option<u64>,
    pub shutdown_grace_secs: Option<u64>,
    /// Flags that apply to every simulated network.
    pub carrier: CarrierOverride,
    pub max_in_flight: Option<usize>,
    pub metrics_listen: Option<String>,
    pub metrics_token: Option<String>,
    pub webhooks_allow_private: Option<bool>,
    /// Flags for every client's rate limits.
    pub rate: RateLimitOverride,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Settings {
    pub fn layer(file: FileConfig, over: Overrides) -> anyhow::Result<Settings> {
        let log_format = over.log_format.or(file.log_format).unwrap_or_else(|| "text".into());
        let log_json = match log_format.as_str() {
            "json" => true,
            "text" => false,
            other => anyhow::bail!("log format {other:?} is not one of text, json"),
        };
        Ok(Settings {
            database_url: over
                .database_url
                .or(file.database_url)
                .unwrap_or_else(|| store::DEFAULT_DATABASE_URL.into()),
            listen: over.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into()),
            log_json,
            log_level: over.log_level.or(file.log_level).unwrap_or_else(|| "info".into()),
            jwt_secret: over.jwt_secret.or(file.jwt_secret),
            auth_cache_ttl: Duration::from_secs(
                over.auth_cache_ttl_secs.or(file.auth_cache_ttl_secs).unwrap_or(5),
            ),
            password_key: over.password_key.or(file.password_key),
            worker: !over.no_worker && file.worker.unwrap_or(true),
            worker_concurrency: over
                .worker_concurrency
                .or(file.worker_concurrency)
                .unwrap_or(2)
                .max(1),
            limits: {
                let d = api::ServerLimits::default();
                let secs = |flag: Option<u64>, file: Option<u64>, default: Duration, name: &str| {
                    match flag.or(file) {
                        Some(0) => anyhow::bail!("{name} must be at least 1 second"),
                        Some(n) => Ok(Duration::from_secs(n)),
                        None => Ok(default),
                    }
                };
                api::ServerLimits {
                    header_read_timeout: secs(
                        over.header_timeout_secs,
                        file.header_timeout_secs,
                        d.header_read_timeout,
                        "header_timeout_secs",
                    )?,
                    body_read_timeout: secs(
                        over.body_timeout_secs,
                        file.body_timeout_secs,
                        d.body_read_timeout,
                        "body_timeout_secs",
                    )?,
                    shutdown_grace: secs(
                        over.shutdown_grace_secs,
                        file.shutdown_grace_secs,
                        d.shutdown_grace,
                        "shutdown_grace_secs",
                    )?,
                }
            },
            carriers: carriers(file.carriers.unwrap_or_default(), over.carrier)?,
            guard: guard(
                over.max_in_flight.or(file.max_in_flight),
                file.rate_limits.unwrap_or_default(),
                over.rate,
            )?,
            metrics_listen: over.metrics_listen.or(file.metrics_listen),
            metrics_token: over.metrics_token.or(file.metrics_token).filter(|t| !t.is_empty()),
            webhooks_allow_private: over
                .webhooks_allow_private
                .or(file.webhooks_allow_private)
                .unwrap_or(false),
        })
    }
}

/// The in-flight bound and rate limits: built-in defaults, then
/// `[rate_limits]`, then the flags; each client's override over that.
fn guard(
    max_in_flight: Option<usize>,
    file: RateLimitsConfig,
    flags: RateLimitOverride,
) -> anyhow::Result<api::guard::GuardConfig> {
    let d = api::guard::GuardConfig::default();
    let from_file = RateLimitOverride {
        per_second: file.per_second,
        quota: file.quota,
        quota_window_secs: file.quota_window_secs,
    };
    let limits = flags.over(&from_file.over(&d.limits));
    limits.check().map_err(|e| anyhow::anyhow!(e))?;
    let mut clients = HashMap::new();
    for (name, o) in file.clients.unwrap_or_default() {
        let l = o.over(&limits);
        l.check().map_err(|e| anyhow::anyhow!("rate_limits.clients.{name:?}: {e}"))?;
        clients.insert(name, l);
    }
    let max_in_flight = max_in_flight.unwrap_or(d.max_in_flight);
    if max_in_flight == 0 {
        anyhow::bail!("max_in_flight must be at least 1");
    }
    Ok(api::guard::GuardConfig { max_in_flight, limits, clients })
}

/// Each network's simulator settings: built-in defaults, then `[carriers]`,
/// then `[carriers.NETWORK]`, then the `--carrier-*` flags.
fn carriers(
    file: CarriersConfig,
    flags: CarrierOverride,
) -> anyhow::Result<HashMap<Network, SimConfig>> {
    let base = CarrierOverride {
        latency_ms: file.latency_ms,
        rejection_rate: file.rejection_rate,
        fault_rate: file.fault_rate,
        seed: file.seed,
    };
    let mut out = HashMap::new();
    for (network, own) in
        [(Network::Vodafone, file.vodafone), (Network::O2, file.o2), (Network::EE, file.ee)]
    {
        let mut c = SimConfig::default();
        for layer in [Some(base), own, Some(flags)].into_iter().flatten() {
            c.latency_ms = layer.latency_ms.unwrap_or(c.latency_ms);
            c.rejection_rate = layer.rejection_rate.unwrap_or(c.rejection_rate);
            c.fault_rate = layer.fault_rate.unwrap_or(c.fault_rate);
            c.seed = layer.seed.unwrap_or(c.seed);
        }
        c.check().map_err(|e| anyhow::anyhow!("{network}: {e}"))?;
        out.insert(network, c);
    }
    Ok(out)
}

/// A database URL with any password replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_defaults_file_then_overrides() {
        let s = Settings::layer(FileConfig::default(), Overrides::default()).unwrap();
        assert_eq!(s.listen, DEFAULT_LISTEN);
        assert_eq!(s.database_url, "sqlite://switchboard.db");
        let file: FileConfig = toml::from_str(
            "listen = \"127.0.0.1:9000\"\nlog_format = \"json\"\ndatabase_url = \"sqlite://a.db\"",
        )
        .unwrap();
        let s = Settings::layer(
            file,
            Overrides { database_url: Some("sqlite://b.db".into()), ..Default::default() },
        )
        .unwrap();
        assert_eq!(s.listen, "127.0.0.1:9000");
        assert!(s.log_json);
        assert_eq!(s.database_url, "sqlite://b.db");
        assert!(toml::from_str::<FileConfig>("lisen = 1").is_err(), "unknown keys are refused");
        assert!(Settings::layer(
            FileConfig::default(),
            Overrides { log_format: Some("xml".into()), ..Default::default() }
        )
        .is_err());
    }

    #[test]
    fn carrier_settings_layer_per_network() {
        let file: FileConfig = toml::from_str(
            "[carriers]\nlatency_ms = 10\nseed = 7\n[carriers.ee]\nrejection_rate = 0.5\n",
        )
        .unwrap();
        let flags = CarrierOverride { fault_rate: Some(0.0), ..Default::default() };
        let s = Settings::layer(file, Overrides { carrier: flags, ..Default::default() }).unwrap();
        let ee = s.carriers[&Network::EE];
        let vf = s.carriers[&Network::Vodafone];
        assert_eq!((ee.latency_ms, ee.seed, ee.rejection_rate, ee.fault_rate), (10, 7, 0.5, 0.0));
        assert_eq!(vf.rejection_rate, SimConfig::default().rejection_rate);
        assert!(s.worker, "serve runs the worker by default");
        let bad: FileConfig = toml::from_str("[carriers]\nrejection_rate = 2.0\n").unwrap();
        assert!(Settings::layer(bad, Overrides::default()).is_err());
    }

    #[test]
    fn secrets_are_not_printed() {
        assert_eq!(redact_url("postgres://sb:hunter2@db:5432/sb"), "postgres://sb:***@db:5432/sb");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
        let s = Settings::layer(
            FileConfig::default(),
            Overrides { jwt_secret: Some("topsecret".into()), ..Default::default() },
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("topsecret"));
    }
}
