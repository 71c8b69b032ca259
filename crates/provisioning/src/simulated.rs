//! Simulated networks: one per UK network, with a configurable latency,
//! rejection rate and fault rate, deterministic under a seed (each decision
//! is drawn from the seed, the call's idempotency key and the attempt), and
//! answering as a network would: activations with a network reference,
//! ports completing on their port date, eSIM activation codes, numbers
//! assigned with the SIM on EE, and realistic refusals ("PAC expired",
//! "ICCID already active on the network"). Every final answer is stored
//! under its key, so a retry, even after a restart, answers the same.

use crate::carrier::{
    Carrier, CarrierAnswer, CarrierBatchFuture, CarrierFault, CarrierFuture, ChangeRequest,
    ProvisionRequest,
};
use domain::ordering::ConnectionType;
use domain::status::ConnectionStatus;
use domain::switching::CodeKind;
use domain::Network;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::Duration;
use store::orders::Outcome;
use store::Store;

/// How a simulated network behaves.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// Time each call takes, in milliseconds.
    pub latency_ms: u64,
    /// Share of calls refused (0.0–1.0).
    pub rejection_rate: f64,
    /// Share of attempts that fail on the way (timeout), to be retried.
    pub fault_rate: f64,
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig { latency_ms: 150, rejection_rate: 0.05, fault_rate: 0.02, seed: 2026 }
    }
}

impl SimConfig {
    /// A network that answers at once and always accepts (tests, benchmarks).
    pub fn instant() -> SimConfig {
        SimConfig { latency_ms: 0, rejection_rate: 0.0, fault_rate: 0.0, seed: 1 }
    }

    /// A random source drawn from the seed, the simulated system
    /// (`system`), the call's key and `salt`: the same answer for the same
    /// call, whenever it is asked.
    pub(crate) fn rng(&self, system: &str, key: &str, salt: &str) -> StdRng {
        let digest = Sha256::new()
            .chain_update(self.seed.to_le_bytes())
            .chain_update(system)
            .chain_update(key)
            .chain_update(salt)
            .finalize();
        StdRng::from_seed(digest.into())
    }

    /// Waits the latency, then answers whether this attempt faults (by the
    /// fault rate, drawn from the key and the attempt, so a retry may get
    /// through).
    pub(crate) async fn faults(&self, system: &str, key: &str, attempt: i64) -> bool {
        if self.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.latency_ms)).await;
        }
        self.rng(system, key, &format!("fault-{attempt}")).gen_bool(self.fault_rate)
    }

    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [("rejection_rate", self.rejection_rate), ("fault_rate", self.fault_rate)]
        {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("carrier {name} must be between 0 and 1, got {v}"));
            }
        }
        Ok(())
    }
}

pub struct SimulatedNetwork {
    network: Network,
    config: SimConfig,
    store: Store,
}

impl SimulatedNetwork {
    pub fn new(network: Network, config: SimConfig, store: Store) -> SimulatedNetwork {
        SimulatedNetwork { network, config, store }
    }

    fn rng(&self, key: &str, salt: &str) -> StdRng {
        self.config.rng(self.network.as_str(), key, salt)
    }

    fn smdp(&self) -> &'static str {
        match self.network {
            Network::Vodafone => "rsp.vodafone.smdp.example",
            Network::O2 => "rsp.o2.smdp.example",
            Network::EE => "rsp.ee.smdp.example",
        }
    }

    /// An eSIM activation code: `LPA:1$<SM-DP+ address>$<matching id>`.
    fn activation_code(&self, rng: &mut impl Rng) -> String {
        let chars: Vec<char> = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789".chars().collect();
        let groups: Vec<String> = (0..4)
            .map(|_| (0..4).map(|_| chars[rng.gen_range(0..chars.len())]).collect())
            .collect();
        format!("LPA:1${}${}", self.smdp(), groups.join("-"))
    }

    fn prefix(&self) -> &'static str {
        match self.network {
            Network::Vodafone => "VF",
            Network::O2 => "O2",
            Network::EE => "EE",
        }
    }

    async fn answer(
        &self,
        key: &str,
        req: &ProvisionRequest,
    ) -> Result<CarrierAnswer, CarrierFault> {
        if req.connection_type == ConnectionType::Port {
            if let Some(day) = req.port_date.filter(|d| *d > req.today) {
                return Ok(CarrierAnswer::NotYet(day));
            }
        }
        let stored = |text: String| -> Result<CarrierAnswer, CarrierFault> {
            serde_json::from_str::<Outcome>(&text)
                .map(CarrierAnswer::Done)
                .map_err(|e| CarrierFault(format!("unreadable stored outcome for {key}: {e}")))
        };
        let db = |e: store::StoreError| CarrierFault(format!("network simulator storage: {e}"));
        // Deciding has a side effect only when the network hands out a
        // number (New without one): then look for an earlier answer first.
        // Otherwise the record below keeps the first answer of a key.
        if req.connection_type == ConnectionType::New && req.cli.is_none() {
            if let Some(text) = self.store.carrier_ops().carrier_operation(key).await.map_err(db)? {
                return stored(text);
            }
        }
        self.wait_or_fail(key, req.attempt).await?;
        let outcome = self.decide(key, req).await.map_err(db)?;
        let text = serde_json::to_string(&outcome).expect("outcomes serialise");
        let kept = self
            .store
            .carrier_ops()
            .record_carrier_operation(key, self.network, req.connection_type.as_str(), &text)
            .await
            .map_err(db)?;
        stored(kept)
    }

    /// A batch of calls, as a network's bulk interface would take them: one
    /// wait for the latency, each answer decided as a single call would,
    /// and every final answer recorded in one statement.
    async fn answer_many(
        &self,
        calls: &[(String, ProvisionRequest)],
    ) -> Vec<Result<CarrierAnswer, CarrierFault>> {
        let mut out: Vec<Option<Result<CarrierAnswer, CarrierFault>>> = vec![None; calls.len()];
        // Calls whose decision has a side effect (a number handed out) go
        // one by one, looking for an earlier answer first.
        for (i, (key, req)) in calls.iter().enumerate() {
            if req.connection_type == ConnectionType::New && req.cli.is_none() {
                out[i] = Some(self.answer(key, req).await);
            } else if let Some(day) = req
                .port_date
                .filter(|d| req.connection_type == ConnectionType::Port && *d > req.today)
            {
                out[i] = Some(Ok(CarrierAnswer::NotYet(day)));
            }
        }
        if out.iter().all(Option::is_some) {
            return out.into_iter().map(|o| o.expect("all answered")).collect();
        }
        if self.config.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.config.latency_ms)).await;
        }
        let mut to_record = Vec::new();
        for (i, (key, req)) in calls.iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            if self.rng(key, &format!("fault-{}", req.attempt)).gen_bool(self.config.fault_rate) {
                out[i] = Some(Err(CarrierFault(format!(
                    "{} network timed out after {} ms",
                    self.network,
                    self.config.latency_ms.max(1) * 20
                ))));
                continue;
            }
            match self.decide(key, req).await {
                Ok(outcome) => to_record.push((
                    i,
                    key.clone(),
                    req.connection_type.as_str().to_owned(),
                    serde_json::to_string(&outcome).expect("outcomes serialise"),
                )),
                Err(e) => {
                    out[i] = Some(Err(CarrierFault(format!("network simulator storage: {e}"))))
                }
            }
        }
        let rows: Vec<(String, String, String)> =
            to_record.iter().map(|(_, k, op, o)| (k.clone(), op.clone(), o.clone())).collect();
        match self.store.carrier_ops().record_carrier_operations(self.network, &rows).await {
            Ok(stored) => {
                for (i, key, _, _) in &to_record {
                    out[*i] =
                        Some(match stored.get(key).map(|t| serde_json::from_str::<Outcome>(t)) {
                            Some(Ok(o)) => Ok(CarrierAnswer::Done(o)),
                            Some(Err(e)) => Err(CarrierFault(format!(
                                "unreadable stored outcome for {key}: {e}"
                            ))),
                            None => Err(CarrierFault(format!("no outcome stored for {key}"))),
                        });
                }
            }
            Err(e) => {
                for (i, _, _, _) in &to_record {
                    out[*i] = Some(Err(CarrierFault(format!("network simulator storage: {e}"))));
                }
            }
        }
        out.into_iter().map(|o| o.expect("every call answered")).collect()
    }

    async fn decide(
        &self,
        key: &str,
        req: &ProvisionRequest,
    ) -> Result<Outcome, store::StoreError> {
        let mut rng = self.rng(key, "decision");
        let reject = |reason: &str| Outcome::Rejected { reason: reason.to_owned() };
        // Checks a real network makes whatever the dice say.
        if req.connection_type == ConnectionType::Port {
            if let Some(expiry) = req.pac_expiry_date {
                if expiry < req.today {
                    return Ok(reject(&format!("PAC expired on {expiry}")));
                }
            }
        }
        if rng.gen_bool(self.config.rejection_rate) {
            let reasons: &[&str] = match (req.connection_type, req.esim) {
                (ConnectionType::New | ConnectionType::Port, true) => &[
                    "eSIM profile could not be reserved on the SM-DP+",
                    "credit check declined by the network",
                ],
                (ConnectionType::New, false) => &[
                    "ICCID already active on the network",
                    "SIM card not recognised by the network",
                    "credit check declined by the network",
                ],
                (ConnectionType::Port, false) => &[
                    "PAC expired",
                    "PAC does not match the number",
                    "losing provider refused the port",
                    "ICCID already active on the network",
                ],
                (ConnectionType::Migration, _) => &[
                    "contract change refused: account in arrears",
                    "tariff not available for this account",
                ],
                (ConnectionType::Disconnection, _) => {
                    &["STAC does not match the number", "STAC expired"]
                }
            };
            return Ok(reject(reasons[rng.gen_range(0..reasons.len())]));
        }
        let cli = match (req.connection_type, &req.cli) {
            (ConnectionType::New, None) => {
                match self.store.carrier_ops().network_assign_number(self.network).await? {
                    Some(n) => Some(n),
                    None => return Ok(reject("no numbers available to assign with the SIM")),
                }
            }
            _ => None,
        };
        let esim_activation_code = req.esim.then(|| self.activation_code(&mut rng));
        Ok(Outcome::Activated {
            cli,
            network_reference: format!("{}-{:08X}", self.prefix(), rng.gen::<u32>()),
            esim_activation_code,
            eid: None,
            effective_date: req
                .port_date
                .filter(|_| req.connection_type == ConnectionType::Port)
                .unwrap_or(req.today),
        })
    }

    /// The network's latency, then, by the fault rate, a timeout.
    async fn wait_or_fail(&self, key: &str, attempt: i64) -> Result<(), CarrierFault> {
        if self.config.faults(self.network.as_str(), key, attempt).await {
            return Err(CarrierFault(format!(
                "{} network timed out after {} ms",
                self.network,
                self.config.latency_ms.max(1) * 20
            )));
        }
        Ok(())
    }
}

impl SimulatedNetwork {
    /// A change to a live connection: decided from the seed and key (and a
    /// fault from the attempt), recorded under its key like an activation.
    async fn answer_change(
        &self,
        key: &str,
        req: &ChangeRequest,
    ) -> Result<CarrierAnswer, CarrierFault> {
        let db = |e: store::StoreError| CarrierFault(format!("network simulator storage: {e}"));
        self.wait_or_fail(key, req.attempt).await?;
        let mut rng = self.rng(key, "decision");
        let outcome = if rng.gen_bool(self.config.rejection_rate) {
            let reasons: &[&str] = match req.kind.as_str() {
                "AddBundle" | "RemoveBundle" => &[
                    "bundle not available for this account",
                    "bundle change refused: account in arrears",
                ],
                "CreateEsim" => &[
                    "eSIM profile could not be reserved at the SM-DP+",
                    "eSIM not available for this account",
                ],
                "RequestPac" | "RequestStac" | "RequestInfo" => &[
                    "the account holder could not be verified",
                    "a switch is already in progress for this number",
                ],
                _ => &["bar change refused by the network", "the number is in a port-out window"],
            };
            Outcome::Rejected { reason: reasons[rng.gen_range(0..reasons.len())].to_owned() }
        } else {
            // A switching code is the network's reference for issuing it.
            let network_reference = match req.kind.as_str() {
                "RequestPac" => CodeKind::Pac.make(rng.gen()),
                "RequestStac" => CodeKind::Stac.make(rng.gen()),
                _ => format!("{}-{:08X}", self.prefix(), rng.gen::<u32>()),
            };
            let esim_activation_code =
                (req.kind == "CreateEsim").then(|| self.activation_code(&mut rng));
            Outcome::Activated {
                cli: None,
                network_reference,
                esim_activation_code,
                eid: None,
                effective_date: req.today,
            }
        };
        let text = serde_json::to_string(&outcome).expect("outcomes serialise");
        let kept = self
            .store
            .carrier_ops()
            .record_carrier_operation(key, self.network, &req.kind, &text)
            .await
            .map_err(db)?;
        serde_json::from_str::<Outcome>(&kept)
            .map(CarrierAnswer::Done)
            .map_err(|e| CarrierFault(format!("unreadable stored outcome for {key}: {e}")))
    }
}

impl SimulatedNetwork {
    /// A gaining provider uses one of our switching codes (the network's
    /// event): a PAC ports the number out, a STAC ends the connection.
    pub async fn switch_out(&self, code: &str) -> app::Result<(i64, ConnectionStatus)> {
        app::App::new(self.store.clone()).switch_out(self.network, code).await
    }

    /// A device downloads a connection's eSIM profile (the network's
    /// event): the EID becomes known.
    pub async fn esim_downloaded(&self, cli: &str, eid: &str) -> app::Result<i64> {
        app::App::new(self.store.clone()).esim_downloaded(self.network, cli, eid).await
    }
}

impl Carrier for SimulatedNetwork {
    fn network(&self) -> Network {
        self.network
    }

    fn provision<'a>(&'a self, key: &'a str, req: &'a ProvisionRequest) -> CarrierFuture<'a> {
        Box::pin(self.answer(key, req))
    }

    fn provision_many<'a>(
        &'a self,
        calls: &'a [(String, ProvisionRequest)],
    ) -> CarrierBatchFuture<'a> {
        Box::pin(self.answer_many(calls))
    }

    fn change<'a>(&'a self, key: &'a str, req: &'a ChangeRequest) -> CarrierFuture<'a> {
        Box::pin(self.answer_change(key, req))
    }
}
