//! The schema's migrations: one SQL text per version for both engines,
//! in `migrations/NNNN_name.sql`, with the lines where the engines differ
//! marked side by side. A line `-- [sqlite]` starts lines only SQLite
//! runs, `-- [postgres]` lines only PostgreSQL runs, and `-- [both]` lines
//! both run again; the marker lines themselves are run by neither.
//!
//! Each engine's text is, byte for byte, what it ran from its own tree
//! before the trees were merged, so the checksums that existing databases
//! hold in `_sqlx_migrations` still match (a test pins them). A new
//! migration is a new file here and a line in [`SOURCES`].

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator};

/// A database engine the migrations are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Every migration, in order: its file name and its text.
pub const SOURCES: &[(&str, &str)] = &[
    ("0001_foundation.sql", include_str!("../migrations/0001_foundation.sql")),
    ("0002_orders.sql", include_str!("../migrations/0002_orders.sql")),
    ("0003_tasks.sql", include_str!("../migrations/0003_tasks.sql")),
    ("0004_requests.sql", include_str!("../migrations/0004_requests.sql")),
    ("0005_switching.sql", include_str!("../migrations/0005_switching.sql")),
    ("0006_isp.sql", include_str!("../migrations/0006_isp.sql")),
    ("0007_rules_in_rust.sql", include_str!("../migrations/0007_rules_in_rust.sql")),
    ("0008_status_checks.sql", include_str!("../migrations/0008_status_checks.sql")),
    ("0009_reused_session_ids.sql", include_str!("../migrations/0009_reused_session_ids.sql")),
    ("0010_usage.sql", include_str!("../migrations/0010_usage.sql")),
    ("0011_alerts_webhooks.sql", include_str!("../migrations/0011_alerts_webhooks.sql")),
    ("0012_agreements.sql", include_str!("../migrations/0012_agreements.sql")),
    ("0013_portal.sql", include_str!("../migrations/0013_portal.sql")),
    ("0014_portal_work.sql", include_str!("../migrations/0014_portal_work.sql")),
];

const MARK_SQLITE: &str = "-- [sqlite]";
const MARK_POSTGRES: &str = "-- [postgres]";
const MARK_BOTH: &str = "-- [both]";

/// The SQL `engine` runs for a migration's `text`.
pub fn render(text: &str, engine: Engine) -> String {
    let mut out = String::with_capacity(text.len());
    let mut runs = true;
    for line in text.split_inclusive('\n') {
        match line.trim_end_matches('\n') {
            MARK_SQLITE => runs = engine == Engine::Sqlite,
            MARK_POSTGRES => runs = engine == Engine::Postgres,
            MARK_BOTH => runs = true,
            _ if runs => out.push_str(line),
            _ => {}
        }
    }
    out
}

/// `engine`'s migrations, as sqlx reads a migrations folder: the version
/// and description from the file name, `-- no-transaction` honoured.
pub fn migrations(engine: Engine) -> Vec<Migration> {
    SOURCES
        .iter()
        .map(|(name, text)| {
            let (version, rest) = name.split_once('_').expect("NNNN_name.sql");
            let sql = render(text, engine);
            let no_tx = sql.starts_with("-- no-transaction");
            Migration::new(
                version.parse().expect("a numbered migration"),
                Cow::Owned(rest.trim_end_matches(".sql").replace('_', " ")),
                MigrationType::Simple,
                Cow::Owned(sql),
                no_tx,
            )
        })
        .collect()
}

/// The migrator for `engine`.
pub async fn migrator(engine: Engine) -> Result<Migrator, MigrateError> {
    Migrator::new(Embedded(engine)).await
}

/// The embedded migrations of one engine, as a source sqlx resolves.
#[derive(Debug)]
struct Embedded(Engine);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async move { Ok(migrations(self.0)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first 16 hex digits of each engine's SHA-384 checksum, as
    /// recorded in databases migrated before the trees were merged.
    #[test]
    fn each_engine_runs_the_bytes_it_always_ran() {
        let pinned = [
            ("0001_foundation.sql", "72a06ac9370ea634", "bdada8e5cf7b08ba"),
            ("0002_orders.sql", "cf938a896f76d6c0", "f12e22038c22349e"),
            ("0003_tasks.sql", "b0ee9895d63929f2", "4395dacd56324616"),
            ("0004_requests.sql", "bbfeb7a8e8a76693", "a5a56ff111ddac40"),
            ("0005_switching.sql", "bff3b5f0ea6f6332", "78846cec7893f04a"),
            ("0006_isp.sql", "edc3bce7597a3e1d", "fb17593667269660"),
            ("0007_rules_in_rust.sql", "a86c564ce23524df", "abe1363c61c11739"),
            ("0008_status_checks.sql", "c1d587248b58eb04", "d9d7e064b37c1bd3"),
            ("0009_reused_session_ids.sql", "746d0901623aa34a", "e13537c50609e7a7"),
            ("0010_usage.sql", "595839e348519176", "965c27a03ba9b167"),
            ("0011_alerts_webhooks.sql", "02a75764f6756b0d", "ef7a9e2b05516d00"),
            ("0012_agreements.sql", "0c3ce53b1b08fbcf", "2057f1a974c1df19"),
            ("0013_portal.sql", "bc8303e2421e6c85", "9dbc518e31c9f96e"),
            ("0014_portal_work.sql", "dc3681c1fc9e2c18", "dc3681c1fc9e2c18"),
        ];
        let hex = |m: &Migration| -> String {
            m.checksum[..8].iter().map(|b| format!("{b:02x}")).collect()
        };
        let sqlite = migrations(Engine::Sqlite);
        let postgres = migrations(Engine::Postgres);
        assert_eq!(sqlite.len(), pinned.len());
        for (i, (name, s, p)) in pinned.iter().enumerate() {
            assert_eq!(SOURCES[i].0, *name);
            assert_eq!(sqlite[i].version, i as i64 + 1, "{name}");
            assert_eq!(hex(&sqlite[i]), *s, "{name} on SQLite");
            assert_eq!(hex(&postgres[i]), *p, "{name} on PostgreSQL");
        }
    }

    #[test]
    fn every_file_in_the_folder_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let listed: Vec<&str> = SOURCES.iter().map(|(name, _)| *name).collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn markers_choose_the_lines_each_engine_runs() {
        let text = "a\n-- [sqlite]\nb\n-- [postgres]\nc\n-- [both]\nd\n";
        assert_eq!(render(text, Engine::Sqlite), "a\nb\nd\n");
        assert_eq!(render(text, Engine::Postgres), "a\nc\nd\n");
        assert_eq!(
            render("-- [sqlite] x\n", Engine::Postgres),
            "-- [sqlite] x\n",
            "only a whole line marks"
        );
    }
}
