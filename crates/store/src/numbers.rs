//! Number pools: the new numbers each network lets the reseller hand out.
//! A number is `free`, `reserved` for an order mobile, or `assigned` to a
//! live connection. Vodafone's and O2's pools are offered to integrators
//! (ListAvailableNumbers); EE's numbers come with the SIM, assigned by the
//! network on activation.

use crate::{args, Arg, Numbers, Result};
use domain::paging::PageRequest;
use domain::Network;

impl Numbers<'_> {
    /// Adds numbers to a network's pool (already present ones are kept).
    pub async fn add_pool_numbers(&self, network: Network, clis: &[String]) -> Result<()> {
        let now = self.now();
        self.write(async |tx| {
            for chunk in clis.chunks(300) {
                let sql = format!(
                    "INSERT INTO number_pool (cli, network, status, updated_at) VALUES {} ON CONFLICT (cli) DO NOTHING",
                    (0..chunk.len())
                        .map(|i| format!("(${}, $1, 'free', $2)", i + 3))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                let mut a = args![network.as_str(), now];
                a.extend(chunk.iter().map(Arg::from));
                tx.execute(&sql, a).await?;
            }
            Ok(())
        })
        .await
    }

    /// A page of a network's free numbers, lowest first, with the total.
    pub async fn free_numbers(
        &self,
        network: Network,
        page: PageRequest,
    ) -> Result<(Vec<String>, i64)> {
        let (rows, total): (Vec<(String,)>, i64) = self
            .read_page(
                "SELECT cli FROM number_pool WHERE network = $1 AND status = 'free'",
                "cli",
                args![network.as_str()],
                page,
            )
            .await?;
        Ok((rows.into_iter().map(|(cli,)| cli).collect(), total))
    }

    /// A number's pool status (`free`, `reserved`, `assigned`), if pooled.
    /// The order mobile a pool number is reserved for or was assigned to.
    pub async fn pool_holder(&self, cli: &str) -> Result<Option<i64>> {
        let held: Option<(Option<i64>,)> = self
            .read_optional("SELECT order_mobile_id FROM number_pool WHERE cli = $1", args![cli])
            .await?;
        Ok(held.and_then(|(id,)| id))
    }

    pub async fn pool_status(&self, cli: &str) -> Result<Option<String>> {
        let status: Option<(String,)> =
            self.read_optional("SELECT status FROM number_pool WHERE cli = $1", args![cli]).await?;
        Ok(status.map(|(s,)| s))
    }
}
