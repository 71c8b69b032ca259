//! The simulated B2B network that carries out orders on corporate
//! agreements: it takes its time, refuses some orders with a reason and
//! fails some attempts on the way (to be retried), like the simulated
//! mobile networks, and answers the same for the same order and attempt.

use crate::carrier::CarrierFault;
use crate::simulated::SimConfig;
use app::agreements::B2bChange;
use domain::agreement::OrderType;
use rand::rngs::StdRng;
use rand::Rng;

/// The B2B operator's order system, simulated.
#[derive(Debug, Clone, Copy)]
pub struct SimulatedB2b {
    config: SimConfig,
}

impl SimulatedB2b {
    pub fn new(config: SimConfig) -> SimulatedB2b {
        SimulatedB2b { config }
    }

    fn rng(&self, key: &str, salt: &str) -> StdRng {
        self.config.rng("b2b", key, salt)
    }

    /// Carries out an order: `Ok(None)` done, `Ok(Some(reason))` refused,
    /// `Err` a fault on the way (retry).
    pub async fn carry_out(
        &self,
        key: &str,
        change: &B2bChange,
        attempt: i64,
    ) -> Result<Option<String>, CarrierFault> {
        if self.config.faults("b2b", key, attempt).await {
            return Err(CarrierFault(format!(
                "the B2B order system timed out on order {}",
                change.order_id
            )));
        }
        let mut rng = self.rng(key, "decision");
        if !rng.gen_bool(self.config.rejection_rate) {
            return Ok(None);
        }
        let reasons: &[&str] = match change.kind {
            OrderType::AddProduct => &[
                "the product cannot be added: the agreement's product limit is reached",
                "the invoice account is closed",
            ],
            OrderType::UpdateProduct => &[
                "the product is locked by another order in progress",
                "the invoice account is closed",
            ],
            OrderType::RemoveProduct => &[
                "the product is within its minimum term and cannot be removed",
                "the product is locked by another order in progress",
            ],
        };
        Ok(Some(reasons[rng.gen_range(0..reasons.len())].to_owned()))
    }
}
