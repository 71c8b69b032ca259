//! Tariffs, Bundles, Bars and Appendix controllers.

mod common;

use common::{Answer, TestApp};
use serde_json::Value;
use test_macros::backend_test;

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap()
}

#[backend_test]
async fn tariffs_for_each_network(app: &TestApp) {
    let token = app.north_token().await;
    for network in ["Vodafone", "o2", "EE"] {
        let list = app
            .get(&token, &format!("/api/Tariffs/ListTariffsForNetwork?network={network}"))
            .await
            .is(200);
        let tariffs = items(&list);
        assert!(tariffs.len() >= 4, "{network}");
        for t in tariffs {
            assert!(t["network"].as_str().unwrap().eq_ignore_ascii_case(network));
            assert!(t["monthlyPence"].as_i64().unwrap() > 0);
            assert!([12, 24, 36].contains(&t["termMonths"].as_i64().unwrap()));
            assert!(t["retailCost"].as_str().unwrap().starts_with('£'));
        }
        let (_, capped) = app
            .get(&token, &format!("/api/Tariffs/BillCapEligibleTariffs?network={network}"))
            .await;
        let capped = items(&capped);
        assert!(!capped.is_empty() && capped.len() < tariffs.len());
        assert!(capped
            .iter()
            .all(|t| t["billCapEligible"] == true && t["billCapMaxPence"].as_i64().unwrap() > 0));
    }
    // Retired tariffs are not on sale.
    let (_, vf) = app.get(&token, "/api/Tariffs/ListTariffsForNetwork?network=Vodafone").await;
    assert!(items(&vf).iter().all(|t| t["name"] != "Red Business 2GB"));
    app.get(&token, "/api/Tariffs/ListTariffsForNetwork?network=Three")
        .await
        .refused(400, "network");
    app.get(&token, "/api/Tariffs/ListTariffsForNetwork")
        .await
        .refused(400, "network: is required");
    app.get(&token, "/api/Tariffs/BillCapEligibleTariffs").await.refused(400, "network");
}

#[backend_test]
async fn bundles_and_bars(app: &TestApp) {
    let token = app.north_token().await;
    let (_, tariffs) = app.get(&token, "/api/Tariffs/ListTariffsForNetwork?network=Vodafone").await;
    let limited = items(&tariffs).iter().find(|t| !t["dataMb"].is_null()).unwrap()["tariffId"]
        .as_i64()
        .unwrap();
    let unlimited = items(&tariffs).iter().find(|t| t["dataMb"].is_null()).unwrap()["tariffId"]
        .as_i64()
        .unwrap();
    let b = app
        .get(&token, &format!("/api/Bundles/ListBundlesForTariff?tariffId={limited}"))
        .await
        .is(200);
    assert!(items(&b).iter().any(|x| x["category"] == "Data"));
    assert!(items(&b).iter().any(|x| x["recurring"] == false), "one-off bundles exist");
    let (_, b) =
        app.get(&token, &format!("/api/Bundles/ListBundlesForTariff?tariffId={unlimited}")).await;
    assert!(items(&b).iter().all(|x| x["category"] != "Data"), "no data add-ons on unlimited data");
    app.get(&token, "/api/Bundles/ListBundlesForTariff?tariffId=99999")
        .await
        .refused(404, "tariff 99999");
    app.get(&token, "/api/Bundles/ListBundlesForTariff?tariffId=x").await.refused(400, "tariffId");

    let (_, nb) = app.get(&token, "/api/Bundles/ListBundlesForNetwork?network=EE").await;
    let names: Vec<&str> = items(&nb).iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"EU Roaming") && names.contains(&"International Minutes 100"),
        "{names:?}"
    );
    assert!(items(&nb).iter().all(|x| x["network"] == "EE"));

    let bars = app.get(&token, "/api/Bars/ListBarsForNetwork?network=O2").await.is(200);
    let suffixes: Vec<&str> =
        items(&bars).iter().map(|x| x["barSuffix"].as_str().unwrap()).collect();
    for want in ["BAOC", "BOIC", "BAIC", "PRM", "ROAM", "DATA", "INT", "STOLEN"] {
        assert!(suffixes.contains(&want), "{want} in {suffixes:?}");
    }
    assert!(items(&bars)
        .iter()
        .all(|b| ["GSM barring", "Operator"].contains(&b["category"].as_str().unwrap())));
    app.get(&token, "/api/Bars/ListBarsForNetwork?network=").await.refused(400, "network");
}

#[backend_test]
async fn tariffs_for_a_contract_follow_the_change_rules(app: &TestApp) {
    let token = app.north_token().await;
    let cli = app.cli_of(app.north).await;
    let (_, conn) =
        app.get(&token, &format!("/api/Connections/GetConnectionByCLI?cli={cli}")).await;
    let contract = conn["contractId"].as_i64().unwrap();
    let current = conn["tariff"]["monthlyPence"].as_i64().unwrap();
    let list = app
        .get(&token, &format!("/api/Tariffs/GetTariffsForContract?contractId={contract}"))
        .await
        .is(200);
    for t in items(&list) {
        assert_eq!(t["network"], conn["network"]);
        assert_ne!(t["tariffId"], conn["tariff"]["tariffId"]);
        assert!(
            t["monthlyPence"].as_i64().unwrap() >= current,
            "no downgrade inside the term: {t}"
        );
        if conn["billCap"]["enabled"] == true {
            assert_eq!(t["billCapEligible"], true);
        }
    }
    let capital = app.capital_token().await;
    app.get(&capital, &format!("/api/Tariffs/GetTariffsForContract?contractId={contract}"))
        .await
        .refused(404, "contract");
    app.get(&token, "/api/Tariffs/GetTariffsForContract").await.refused(400, "contractId");
}

#[backend_test]
async fn appendix_lists(app: &TestApp) {
    let token = app.north_token().await;
    for (list, min) in [
        ("Networks", 3),
        ("ConnectionTypes", 4),
        ("BarSuffixes", 10),
        ("DiaryTypes", 5),
        ("DiaryTasks", 10),
        ("StatusIds", 5),
    ] {
        let (s, body) = app.get(&token, &format!("/api/Appendix/{list}")).await;
        assert_eq!(s, 200, "{list}");
        assert!(items(&body).len() >= min, "{list}: {body}");
        assert_eq!(body["total"].as_i64().unwrap() as usize, items(&body).len());
    }
    let (_, nets) = app.get(&token, "/api/Appendix/Networks").await;
    let vf = items(&nets).iter().find(|n| n["name"] == "Vodafone").unwrap();
    assert_eq!((vf["offersNumbers"].as_bool(), vf["esim"].as_bool()), (Some(true), Some(true)));
    let ee = items(&nets).iter().find(|n| n["name"] == "EE").unwrap();
    assert_eq!(ee["offersNumbers"], false);
    let (_, types) = app.get(&token, "/api/Appendix/ConnectionTypes").await;
    let names: Vec<&str> = items(&types).iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["New", "Port", "Migration", "Disconnection"]);
    let (_, statuses) = app.get(&token, "/api/Appendix/StatusIds").await;
    let names: Vec<&str> = items(&statuses).iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Open", "In progress", "Awaiting customer", "Resolved", "Closed"]);
}
