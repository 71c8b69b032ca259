//! The boundary with a mobile network: one call per mobile of an order,
//! carrying an idempotency key so a retried call never provisions twice.

use chrono::NaiveDate;
use domain::ordering::ConnectionType;
use domain::Network;
use std::future::Future;
use std::pin::Pin;
use store::orders::Outcome;

/// One mobile to provision.
#[derive(Debug, Clone)]
pub struct ProvisionRequest {
    pub connection_type: ConnectionType,
    pub network: Network,
    /// The number: chosen or reserved (New on Vodafone/O2), kept (Port),
    /// existing (Migration, Disconnection); `None` for EE New.
    pub cli: Option<String>,
    pub iccid: Option<String>,
    pub esim: bool,
    pub pac_code: Option<String>,
    pub pac_expiry_date: Option<NaiveDate>,
    pub port_date: Option<NaiveDate>,
    pub stac_code: Option<String>,
    /// The network's calendar day.
    pub today: NaiveDate,
    /// Which attempt of the job this is (from 1).
    pub attempt: i64,
}

/// A change to a live connection (a request object).
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    pub network: Network,
    pub cli: String,
    /// `AddBar`, `RemoveBar`, `AddBundle`, `RemoveBundle`, `ChangeTariff`,
    /// `ChangeSIM`, `CreateEsim`, `SetDivert`, `RemoveDivert`, `RequestPac`,
    /// `RequestStac`, `RequestInfo`. For `RequestPac` and `RequestStac` the
    /// network's reference in its answer is the code it issued; for
    /// `CreateEsim` the answer carries the activation code.
    pub kind: String,
    /// What is added or removed, as the network names it (bar suffix, bundle name).
    pub item: String,
    pub today: NaiveDate,
    pub attempt: i64,
}

/// The network's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarrierAnswer {
    /// Done: activated (or changed, or ceased) or refused, for good.
    Done(Outcome),
    /// Accepted, to happen on a later day (a port on its port date).
    NotYet(NaiveDate),
}

/// A fault on the way to the network (timeout, unavailable): try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierFault(pub String);

pub type CarrierFuture<'a> =
    Pin<Box<dyn Future<Output = Result<CarrierAnswer, CarrierFault>> + Send + 'a>>;
pub type CarrierBatchFuture<'a> =
    Pin<Box<dyn Future<Output = Vec<Result<CarrierAnswer, CarrierFault>>> + Send + 'a>>;

/// A mobile network as the worker sees it.
pub trait Carrier: Send + Sync {
    fn network(&self) -> Network;

    /// Provisions one mobile. The same `key` always answers the same
    /// `Done` result and never provisions twice.
    fn provision<'a>(&'a self, key: &'a str, req: &'a ProvisionRequest) -> CarrierFuture<'a>;

    /// Changes a live connection. The same `key` always answers the same
    /// `Done` result and never changes it twice. A network integration that
    /// does not take changes yet answers a fault (retried, then refused).
    fn change<'a>(&'a self, key: &'a str, req: &'a ChangeRequest) -> CarrierFuture<'a> {
        let _ = key;
        Box::pin(async move {
            Err(CarrierFault(format!(
                "{} changes ({}) are not supported by this network integration",
                req.network, req.kind
            )))
        })
    }

    /// Several calls at once, answered in order: by default each on its
    /// own, concurrently; a network that takes batches overrides it.
    fn provision_many<'a>(
        &'a self,
        calls: &'a [(String, ProvisionRequest)],
    ) -> CarrierBatchFuture<'a> {
        Box::pin(futures_util::future::join_all(
            calls.iter().map(|(key, req)| self.provision(key, req)),
        ))
    }
}
