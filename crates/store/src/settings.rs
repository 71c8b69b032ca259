//! Platform settings kept in the database (e.g. the token signing key
//! generated on first start, so every server of a deployment shares it).

use crate::{Result, Settings};

impl Settings<'_> {
    /// Reads `key`, or stores `make()` under it if it is not set yet. Two
    /// servers starting at once agree on one value (`ON CONFLICT DO NOTHING`
    /// then read back).
    pub async fn setting_or_init(
        &self,
        key: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String> {
        let value = make();
        self.execute(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            crate::args![key, &value],
        )
        .await?;
        let (stored,): (String,) =
            self.read_one("SELECT value FROM settings WHERE key = $1", crate::args![key]).await?;
        Ok(stored)
    }
}
