//! Usage controller: a network feed's records imported once and rated
//! against the plan, bad records refused one by one, late records adjusting
//! their period, and another partner's numbers out of reach.

mod common;

use common::{Answer, TestApp};
use serde_json::{json, Value};
use test_macros::backend_test;

use common::usage::{import, known_line, record, MB};

fn statuses(result: &Value) -> Vec<String> {
    result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect()
}

#[backend_test]
async fn records_are_stored_once_and_rated_against_the_plan(app: &TestApp) {
    let token = app.token(app.north, "usage").await;
    let cli = known_line(app).await.cli;
    let records = json!([
        record("vf-1", &cli, "Data", "UK", "2030-01-12T08:00:00Z", 1000 * MB),
        record("vf-2", &cli, "Data", "ROAMING-1", "2030-01-13T09:00:00Z", 100 * MB),
        record("vf-3", &cli, "Voice", "UK", "2030-01-14T10:00:00Z", 6000),
        record("vf-4", &cli, "Voice", "UK", "2030-01-14T11:00:00Z", 61),
        {"network": "Vodafone", "recordId": "vf-5", "cli": cli, "kind": "Voice", "direction": "Incoming",
         "destination": "UK", "eventTime": "2030-01-14T12:00:00Z", "quantity": 3600},
    ]);
    let first = import(app, &token, &records).await;
    assert_eq!(
        (first["stored"].as_i64(), first["rejected"].as_i64()),
        (Some(5), Some(0)),
        "{first}"
    );
    // The same records again, in another order: stored once.
    let mut again = records.as_array().unwrap().clone();
    again.reverse();
    let second = import(app, &token, &Value::Array(again)).await;
    assert_eq!(statuses(&second), vec!["Duplicate"; 5], "{second}");

    let data = app.get(&token, &format!("/api/Usage/GetDataUsage?cli={cli}")).await;
    let data = (data.0, data.1).is(200);
    assert_eq!(
        data["usedBytes"],
        1000 * MB,
        "roaming without a pass draws on no allowance: {data}"
    );
    assert_eq!(
        (data["usedMb"].as_i64(), data["allowanceMb"].as_i64(), data["remainingMb"].as_i64()),
        (Some(1000), Some(1024), Some(24))
    );
    assert_eq!(
        (data["percentageUsed"].as_i64(), data["unlimited"].as_bool()),
        (Some(97), Some(false))
    );
    assert_eq!(
        (data["periodStart"].as_str(), data["periodEnd"].as_str()),
        (Some("2030-01-10"), Some("2030-02-10"))
    );
    assert_eq!(data["lastRecordAt"], "2030-01-14T12:00:00Z");

    let info = app.get(&token, &format!("/api/Usage/GetUsageInformationForCli?cli={cli}")).await;
    let info = (info.0, info.1).is(200);
    let period = &info["periods"][0];
    let line = |kind: &str, direction: &str, to: &str| {
        period["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| {
                l["usageType"] == kind && l["direction"] == direction && l["destination"] == to
            })
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} {direction} {to} in {period}"))
    };
    assert_eq!(line("Data", "Outgoing", "UK")["costPence"], 0);
    let roaming = line("Data", "Outgoing", "ROAMING-1");
    assert_eq!(
        (roaming["outOfBundle"].as_i64(), roaming["costPence"].as_i64()),
        (Some(100 * MB), Some(100 * 50))
    );
    let calls = line("Voice", "Outgoing", "UK");
    assert_eq!(
        (calls["inBundle"].as_i64(), calls["outOfBundle"].as_i64(), calls["costPence"].as_i64()),
        (Some(6000), Some(61), Some(20))
    );
    assert_eq!(line("Voice", "Incoming", "UK")["costPence"], 0);
    assert_eq!(
        (period["totalPence"].as_i64(), info["totalPence"].as_i64()),
        (Some(5020), Some(5020))
    );
    assert_eq!(
        (period["records"].as_i64(), period["lateAdjustmentPence"].as_i64()),
        (Some(5), Some(0))
    );

    // A CSV body (as networks deliver files) works alike.
    let csv = format!("network,record_id,cli,kind,destination,event_time,quantity\nVodafone,vf-6,{cli},SMS,INTERNATIONAL-1,2030-01-15 09:00:00,2\n");
    let sent = app
        .send(
            app.http
                .post(app.url("/api/Usage/ImportRecords"))
                .bearer_auth(&token)
                .header("content-type", "text/csv")
                .body(csv),
            "/api/Usage/ImportRecords",
        )
        .await
        .is(200);
    assert_eq!(statuses(&sent), ["Stored"], "{sent}");
    let info = app.get(&token, &format!("/api/Usage/GetUsageInformationForCli?cli={cli}")).await.1;
    assert_eq!(info["totalPence"], 5020 + 2 * 25, "{info}");
}

#[backend_test]
async fn bad_records_are_refused_one_by_one(app: &TestApp) {
    let token = app.token(app.north, "usage").await;
    let cli = known_line(app).await.cli;
    let theirs = app.connection_on(app.capital, domain::Network::Vodafone).await.cli;
    let at = "2030-01-15T09:00:00Z";
    let mut extra = record("x-9", &cli, "Data", "UK", at, 1);
    extra["colour"] = json!("red");
    let cases = json!([
        record("x-1", &cli, "Data", "UK", at, 5 * MB),
        record("x-2", "07700900999", "Data", "UK", at, 1),
        record("x-3", &theirs, "Data", "UK", at, 1),
        record("x-4", &cli, "Data", "UK", at, -1),
        record("x-5", &cli, "Data", "UK", "2030-01-17T09:00:00Z", 1),
        record("x-6", &cli, "Data", "UK", "2029-11-09T23:00:00Z", 1),
        record("x-7", &cli, "Data", "UK", "15/01/2030", 1),
        record("", &cli, "Data", "UK", at, 1),
        record("x-8", &cli, "Data", "PREMIUM", at, 1),
        extra,
        record("x-10", &cli, "Fax", "UK", at, 1),
    ]);
    let r = import(app, &token, &cases).await;
    let fields: Vec<Value> =
        r["results"].as_array().unwrap().iter().map(|x| x["field"].clone()).collect();
    assert_eq!(
        fields,
        vec![
            Value::Null,
            json!("cli"),
            json!("cli"),
            json!("quantity"),
            json!("eventTime"),
            json!("eventTime"),
            json!("eventTime"),
            json!("recordId"),
            json!("destination"),
            json!("colour"),
            json!("kind")
        ],
        "{r}"
    );
    assert_eq!((r["stored"].as_i64(), r["rejected"].as_i64()), (Some(1), Some(10)));
    assert!(
        r["results"][2]["message"]
            .as_str()
            .unwrap()
            .contains("no Vodafone connection has the number"),
        "another partner's number is unknown here: {r}"
    );
    assert!(r["results"][5]["message"].as_str().unwrap().contains("before the connection started"));
    // Nothing of the refused ones counted.
    let data = app.get(&token, &format!("/api/Usage/GetDataUsage?cli={cli}")).await.1;
    assert_eq!(data["usedBytes"], 5 * MB, "{data}");

    // The body as a whole.
    let url = "/api/Usage/ImportRecords";
    let post = |body: String, kind: &'static str| {
        app.http.post(app.url(url)).bearer_auth(&token).header("content-type", kind).body(body)
    };
    app.send(post("{}".into(), "application/json"), url).await.refused(400, "must be a list");
    app.send(post("a,b\n1,2\n".into(), "text/csv"), url)
        .await
        .refused(400, "the header lacks the columns");
    app.send(post("hello".into(), "text/plain"), url).await.refused(415, "text/csv");
    let many: Vec<Value> =
        (0..10_001).map(|i| record(&format!("m-{i}"), &cli, "SMS", "UK", at, 1)).collect();
    app.post(&token, url, &Value::Array(many)).await.refused(400, "at most 10000 records");
}

#[backend_test]
async fn a_late_record_adjusts_its_period_and_one_too_late_is_refused(app: &TestApp) {
    let token = app.token(app.north, "usage").await;
    let cli = known_line(app).await.cli;
    let r = import(
        app,
        &token,
        &json!([record("l-1", &cli, "Data", "UK", "2030-01-15T09:00:00Z", 1000 * MB)]),
    )
    .await;
    assert_eq!(statuses(&r), ["Stored"]);
    // Into the next period; a record of the last one arrives.
    app.clock.advance(chrono::Duration::days(30));
    let r = import(
        app,
        &token,
        &json!([record("l-2", &cli, "Data", "UK", "2030-02-09T23:00:00Z", 30 * MB)]),
    )
    .await;
    assert_eq!(statuses(&r), ["Stored"], "{r}");
    let info = app
        .get(
            &token,
            &format!(
                "/api/Usage/GetUsageInformationForCli?cli={cli}&from=2030-01-15&to=2030-02-15"
            ),
        )
        .await
        .1;
    let (january, february) = (&info["periods"][0], &info["periods"][1]);
    assert_eq!(january["periodStart"], "2030-01-10", "{info}");
    // 1,030 MB against 1,024: 6 MB beyond, all of it from the late record.
    assert_eq!(
        (january["totalPence"].as_i64(), january["lateAdjustmentPence"].as_i64()),
        (Some(30), Some(30)),
        "{january}"
    );
    assert_eq!(
        (february["periodStart"].as_str(), february["totalPence"].as_i64()),
        (Some("2030-02-10"), Some(0))
    );
    // 91 days after that period ended, it is closed.
    app.clock.advance(chrono::Duration::days(91));
    let r = import(
        app,
        &token,
        &json!([record("l-3", &cli, "Data", "UK", "2030-02-01T09:00:00Z", MB)]),
    )
    .await;
    assert_eq!(r["results"][0]["field"], "eventTime", "{r}");
    assert!(r["results"][0]["message"].as_str().unwrap().contains("it is closed"), "{r}");
    app.get(
        &token,
        &format!("/api/Usage/GetUsageInformationForCli?cli={cli}&from=2030-03-01&to=2030-01-01"),
    )
    .await
    .refused(400, "from");
    app.get(&token, &format!("/api/Usage/GetUsageInformationForCli?cli={cli}&from=2030-13-01"))
        .await
        .refused(400, "from");
}

#[backend_test]
async fn another_partners_numbers_and_missing_scopes(app: &TestApp) {
    let theirs = app.connection_on(app.capital, domain::Network::Vodafone).await.cli;
    let mine = app.token(app.north, "usage").await;
    for path in ["GetDataUsage", "GetUsageInformationForCli"] {
        app.get(&mine, &format!("/api/Usage/{path}?cli={theirs}")).await.refused(404, "not found");
        app.get(&mine, &format!("/api/Usage/{path}?cli=123")).await.refused(400, "cli");
        app.get(&mine, &format!("/api/Usage/{path}")).await.refused(400, "cli");
    }
    let no_usage = app.token(app.north, "connections").await;
    let cli = app.cli_of(app.north).await;
    let (s, _) = app.get(&no_usage, &format!("/api/Usage/GetDataUsage?cli={cli}")).await;
    assert_eq!(s, 403);
    let (s, _) = app.post(&no_usage, "/api/Usage/ImportRecords", &json!([])).await;
    assert_eq!(s, 403);
}
