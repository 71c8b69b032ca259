//! The SQLite write path: a `Store::write` transaction runs on the store's
//! own rusqlite connection (see `store::tx`). What it writes must read back
//! through sqlx exactly as if sqlx had written it, its placeholders must
//! bind as sqlx binds them, and a failed or abandoned transaction must
//! leave nothing behind.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use store::{args, Db, Store, StoreError};

async fn scratch() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("direct.db").display());
    let store = Store::connect(&url).await.unwrap();
    store
        .write(async |tx| {
            tx.execute(
                "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, at TIMESTAMP, day DATE, flag BOOLEAN, n INTEGER)",
                args![],
            )
            .await
        })
        .await
        .unwrap();
    (dir, store)
}

#[derive(Debug, PartialEq, sqlx::FromRow, store::DirectRow)]
struct Thing {
    id: i64,
    name: String,
    at: Option<DateTime<Utc>>,
    day: Option<NaiveDate>,
    flag: Option<bool>,
    #[sqlx(rename = "n")]
    number: Option<i64>,
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 16, 9, 30, 5).unwrap() + chrono::TimeDelta::microseconds(123_456)
}

#[tokio::test]
async fn what_a_direct_transaction_writes_reads_back_through_sqlx_alike() {
    let (_dir, store) = scratch().await;
    let day = NaiveDate::from_ymd_opt(2030, 2, 1).unwrap();
    let written: Thing = store
        .write(async |tx| {
            tx.fetch_one(
                "INSERT INTO things (name, at, day, flag, n) VALUES ($1, $2, $3, $4, $5) RETURNING id, name, at, day, flag, n",
                args!["a", at(), day, true, None::<i64>],
            )
            .await
        })
        .await
        .unwrap();
    let expected = Thing {
        id: 1,
        name: "a".into(),
        at: Some(at()),
        day: Some(day),
        flag: Some(true),
        number: None,
    };
    assert_eq!(written, expected);
    let Db::Sqlite(pool) = store.db() else { unreachable!() };
    let read: Thing = sqlx::query_as("SELECT id, name, at, day, flag, n FROM things WHERE id = 1")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(read, expected);
    // Stored as sqlx stores it, so text comparisons in SQL order alike.
    let (raw,): (String,) =
        sqlx::query_as("SELECT at FROM things WHERE id = 1").fetch_one(pool).await.unwrap();
    assert_eq!(raw, "2030-01-16T09:30:05.123456+00:00");
    // And sqlx's writes read back through the direct path.
    let Db::Sqlite(writer) = store.writer() else { unreachable!() };
    sqlx::query("INSERT INTO things (name, at, flag) VALUES ($1, $2, $3)")
        .bind("b")
        .bind(at())
        .bind(false)
        .execute(writer)
        .await
        .unwrap();
    let b: Thing = store
        .write(async |tx| {
            tx.fetch_one(
                "SELECT id, name, at, day, flag, n FROM things WHERE name = $1",
                args!["b"],
            )
            .await
        })
        .await
        .unwrap();
    assert_eq!((b.at, b.flag, b.day), (Some(at()), Some(false), None));
}

#[tokio::test]
async fn numbered_placeholders_bind_by_number_wherever_they_appear() {
    let (_dir, store) = scratch().await;
    let rows: Vec<(String, i64)> = store
        .write(async |tx| {
            // $2 before $1, and $1 twice.
            tx.execute(
                "INSERT INTO things (n, name) VALUES ($2, $1), ($2 + 1, $1 || '-x')",
                args!["p", 7],
            )
            .await?;
            tx.fetch_all(
                "SELECT name, n FROM things WHERE name IN ($1, $1 || '-x') ORDER BY n",
                args!["p"],
            )
            .await
        })
        .await
        .unwrap();
    assert_eq!(rows, vec![("p".to_owned(), 7), ("p-x".to_owned(), 8)]);
}

#[tokio::test]
async fn a_failed_or_abandoned_transaction_leaves_nothing() {
    let (_dir, store) = scratch().await;
    // Refused midway: the first insert goes too.
    let err = store
        .write(async |tx| {
            tx.execute("INSERT INTO things (name) VALUES ($1)", args!["x"]).await?;
            tx.execute("INSERT INTO things (name) VALUES ($1)", args!["x"]).await
        })
        .await
        .unwrap_err();
    assert!(err.is_unique_violation(), "{err:?}");
    assert!(matches!(StoreError::unique_of(err, "name"), StoreError::Conflict(w) if w == "name"));
    // Abandoned midway (a cancelled request): dropped at its await point.
    let abandoned = store.write(async |tx| {
        tx.execute("INSERT INTO things (name) VALUES ($1)", args!["y"]).await?;
        std::future::pending::<()>().await;
        Ok::<_, StoreError>(())
    });
    assert!(tokio::time::timeout(std::time::Duration::from_millis(50), abandoned).await.is_err());
    // The writer is free again and nothing was kept.
    let names: Vec<(String,)> = store
        .write(async |tx| {
            tx.execute("INSERT INTO things (name) VALUES ($1)", args!["z"]).await?;
            tx.fetch_all("SELECT name FROM things ORDER BY name", args![]).await
        })
        .await
        .unwrap();
    assert_eq!(names, vec![("z".to_owned(),)]);
}

#[tokio::test]
async fn an_in_memory_database_is_refused_in_plain_words() {
    let err = Store::connect("sqlite::memory:").await.unwrap_err();
    assert!(err.to_string().contains("give a file"), "{err}");
}

async fn names(store: &Store) -> Vec<String> {
    let Db::Sqlite(pool) = store.db() else { unreachable!() };
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM things ORDER BY id").fetch_all(pool).await.unwrap();
    rows.into_iter().map(|(n,)| n).collect()
}

/// Writes queued together commit as one group: each answers only once its
/// work is durable and readable by anyone, and one that fails takes back
/// only its own work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_writes_commit_together_and_a_failure_takes_back_only_its_own() {
    let (_dir, store) = scratch().await;
    let before = store.write_counts().unwrap();
    let tasks: Vec<_> = (0..120)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let name = format!("w{i}");
                let out = store
                    .write(async |tx| {
                        tx.execute("INSERT INTO things (name) VALUES ($1)", args![&name]).await?;
                        // Others queue meanwhile.
                        tokio::task::yield_now().await;
                        if i % 7 == 0 {
                            return Err(StoreError::Conflict(format!("{name} refused")));
                        }
                        tx.execute("UPDATE things SET n = $1 WHERE name = $2", args![i, &name])
                            .await?;
                        Ok(())
                    })
                    .await;
                if out.is_ok() {
                    // Answered means committed: a reader sees it at once.
                    assert!(
                        names(&store).await.contains(&name),
                        "{name} answered before its commit"
                    );
                }
                (i, out.is_ok())
            })
        })
        .collect();
    let mut ok = Vec::new();
    for t in tasks {
        let (i, done) = t.await.unwrap();
        assert_eq!(done, i % 7 != 0, "write {i}");
        if done {
            ok.push(format!("w{i}"));
        }
    }
    let mut stored = names(&store).await;
    stored.sort();
    ok.sort();
    assert_eq!(stored, ok, "every answered write, and no refused one");
    let (writes, commits) = store.write_counts().unwrap();
    let (writes, commits) = (writes - before.0, commits - before.1);
    assert_eq!(writes, ok.len() as u64);
    assert!(commits < writes, "{writes} writes in {commits} commits: none grouped");
}

/// A write whose caller went away while its group waited to commit is
/// still committed, even when no other write comes to do it.
#[tokio::test]
async fn a_group_whose_callers_went_away_still_commits() {
    let (_dir, store) = scratch().await;
    let (open_first, first_gate) = tokio::sync::oneshot::channel::<()>();
    let (_keep_second, second_gate) = tokio::sync::oneshot::channel::<()>();
    let first = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .write(async |tx| {
                    tx.execute("INSERT INTO things (name) VALUES ('first')", args![]).await?;
                    let _ = first_gate.await;
                    Ok::<_, StoreError>(())
                })
                .await
        })
    };
    tokio::task::yield_now().await;
    let second = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .write(async |tx| {
                    tx.execute("INSERT INTO things (name) VALUES ('second')", args![]).await?;
                    let _ = second_gate.await; // never opened
                    Ok::<_, StoreError>(())
                })
                .await
        })
    };
    // The first holds the writer; the second queues behind it.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    // The first finishes while the second is queued, so it waits for the
    // group; the second runs and stops inside its work.
    open_first.send(()).unwrap();
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(names(&store).await.is_empty(), "nothing is committed yet");
    first.abort();
    second.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    assert!(second.await.unwrap_err().is_cancelled());
    for _ in 0..200 {
        if !names(&store).await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(names(&store).await, ["first"], "the first's work commits; the second's rolls back");
}
