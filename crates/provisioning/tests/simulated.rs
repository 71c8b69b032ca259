//! The simulated networks answer deterministically under a seed, answer a
//! repeated key with the first answer, and wait for a port's date.

use chrono::NaiveDate;
use domain::ordering::ConnectionType;
use domain::Network;
use provisioning::{Carrier, CarrierAnswer, ProvisionRequest, SimConfig, SimulatedNetwork};
use store::orders::Outcome;
use store::Store;

async fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s =
        Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
    s.migrate().await.unwrap();
    (s, dir)
}

fn req(kind: ConnectionType, esim: bool) -> ProvisionRequest {
    ProvisionRequest {
        connection_type: kind,
        network: Network::Vodafone,
        cli: Some("07700900500".into()),
        iccid: (!esim).then(|| domain::sim::make_iccid(Network::Vodafone, 9)),
        esim,
        pac_code: None,
        pac_expiry_date: None,
        port_date: None,
        stac_code: None,
        today: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        attempt: 1,
    }
}

async fn run(seed: u64, rate: f64, keys: &[String]) -> Vec<CarrierAnswer> {
    let (s, _dir) = store().await;
    let net = SimulatedNetwork::new(
        Network::Vodafone,
        SimConfig { latency_ms: 0, rejection_rate: rate, fault_rate: 0.0, seed },
        s,
    );
    let mut out = Vec::new();
    for k in keys {
        out.push(net.provision(k, &req(ConnectionType::New, false)).await.unwrap());
    }
    out
}

#[tokio::test]
async fn deterministic_under_a_seed() {
    let keys: Vec<String> = (0..60).map(|i| format!("order-mobile-{i}")).collect();
    let a = run(7, 0.3, &keys).await;
    let b = run(7, 0.3, &keys).await;
    assert_eq!(a, b, "same seed, same answers, on a fresh database");
    let c = run(8, 0.3, &keys).await;
    assert_ne!(a, c, "another seed, other answers");
    let refused =
        a.iter().filter(|x| matches!(x, CarrierAnswer::Done(Outcome::Rejected { .. }))).count();
    assert!((8..=30).contains(&refused), "about 30% of 60 refused, got {refused}");
}

#[tokio::test]
async fn a_repeated_key_answers_the_first_answer() {
    let (s, _dir) = store().await;
    let net = SimulatedNetwork::new(Network::Vodafone, SimConfig::instant(), s.clone());
    let first = net.provision("k", &req(ConnectionType::New, true)).await.unwrap();
    // Even a different request under the same key: the network already did it.
    let again = net.provision("k", &req(ConnectionType::New, false)).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(s.carrier_ops().count_carrier_operations().await.unwrap(), 1);
    let CarrierAnswer::Done(Outcome::Activated {
        esim_activation_code: Some(code),
        network_reference,
        ..
    }) = first
    else {
        panic!("{first:?}")
    };
    assert!(code.starts_with("LPA:1$rsp.vodafone.smdp.example$"), "{code}");
    assert!(network_reference.starts_with("VF-"));
}

#[tokio::test]
async fn ports_wait_for_their_date_and_expired_pacs_are_refused() {
    let (s, _dir) = store().await;
    let net = SimulatedNetwork::new(Network::Vodafone, SimConfig::instant(), s.clone());
    let mut port = req(ConnectionType::Port, false);
    let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    port.port_date = Some(day);
    assert_eq!(net.provision("p", &port).await.unwrap(), CarrierAnswer::NotYet(day));
    assert_eq!(
        s.carrier_ops().count_carrier_operations().await.unwrap(),
        0,
        "nothing done before the date"
    );
    port.today = day;
    let CarrierAnswer::Done(Outcome::Activated { effective_date, .. }) =
        net.provision("p", &port).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(effective_date, day);
    let mut expired = port.clone();
    expired.pac_expiry_date = NaiveDate::from_ymd_opt(2026, 11, 24);
    assert_eq!(
        net.provision("q", &expired).await.unwrap(),
        CarrierAnswer::Done(Outcome::Rejected { reason: "PAC expired on 2026-11-24".into() })
    );
}

#[tokio::test]
async fn faults_are_retryable_and_not_recorded() {
    let (s, _dir) = store().await;
    let net = SimulatedNetwork::new(
        Network::Vodafone,
        SimConfig { fault_rate: 1.0, ..SimConfig::instant() },
        s.clone(),
    );
    let err = net.provision("f", &req(ConnectionType::New, false)).await.unwrap_err();
    assert!(err.0.contains("timed out"));
    assert_eq!(s.carrier_ops().count_carrier_operations().await.unwrap(), 0);
}

#[tokio::test]
async fn a_batch_answers_as_single_calls_would_and_once_per_key() {
    let keys: Vec<String> = (0..30).map(|i| format!("order-mobile-{i}")).collect();
    let singles = run(11, 0.3, &keys).await;
    let (s, _dir) = store().await;
    let net = SimulatedNetwork::new(
        Network::Vodafone,
        SimConfig { latency_ms: 0, rejection_rate: 0.3, fault_rate: 0.0, seed: 11 },
        s.clone(),
    );
    let calls: Vec<(String, ProvisionRequest)> =
        keys.iter().map(|k| (k.clone(), req(ConnectionType::New, false))).collect();
    let batch: Vec<CarrierAnswer> =
        net.provision_many(&calls).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(batch, singles, "the same decisions in a batch");
    let again: Vec<CarrierAnswer> =
        net.provision_many(&calls).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(again, batch, "a repeated batch answers the first answers");
    assert_eq!(
        s.carrier_ops().count_carrier_operations().await.unwrap(),
        30,
        "recorded once per key"
    );
}
