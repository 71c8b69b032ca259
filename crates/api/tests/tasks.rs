//! Tasks controller (the diary) and the Orders controller's tickets: tasks
//! raised by hand and by refused orders, comments and statuses, bulk
//! calls, bad input and cross-partner isolation.

mod common;

use common::{Answer, TestApp};
use domain::Network;
use serde_json::{json, Value};
use test_macros::backend_test;

async fn task(app: &TestApp, token: &str, body: Value) -> i64 {
    let (s, r) = app.post(token, "/api/Tasks/CreateTask", &body).await;
    assert_eq!(s, 201, "{body} -> {r}");
    r["taskId"].as_i64().unwrap()
}

fn fault(customer: i64) -> Value {
    json!({"customerId": customer, "diaryTypeId": 2, "diaryTaskId": 201, "subject": "No service", "body": "Customer reports no signal in Leeds."})
}

#[backend_test]
async fn tasks_comments_and_statuses(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let cli = app.cli_of(app.north).await;
    let (_, conn) =
        app.get(&token, &format!("/api/Connections/GetConnectionByCLI?cli={cli}")).await;
    let mut on_contract = fault(customer);
    on_contract["contractId"] = conn["contractId"].clone();
    let id = task(app, &token, on_contract).await;
    assert!(id >= 700_000);

    let (_, list) =
        app.get(&token, &format!("/api/Tasks/GetTasksForCustomer?customerId={customer}")).await;
    let t = &list["items"][0];
    assert_eq!(
        (t["taskId"].as_i64(), t["status"].as_str(), t["statusId"].as_i64()),
        (Some(id), Some("Open"), Some(1))
    );
    assert_eq!(t["contractId"], conn["contractId"]);
    assert!(t["createdBy"].as_str().unwrap().starts_with("client:"));

    let (s, c) = app
        .post(
            &token,
            "/api/Tasks/AddComment",
            &json!({"taskId": id, "comment": "Engineer booked for Tuesday.", "statusId": 2}),
        )
        .await;
    assert_eq!((s, c["statusId"].as_i64()), (201, Some(2)));
    app.post(
        &token,
        "/api/Tasks/AddComment",
        &json!({"taskId": id, "comment": "Waiting for the customer to confirm."}),
    )
    .await;
    let (_, comments) =
        app.get(&token, &format!("/api/Tasks/GetCommentsForTask?taskId={id}")).await;
    let items = comments["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!((items[0]["statusId"].as_i64(), items[1]["statusId"].as_i64()), (Some(2), None));
    assert_eq!(items[0]["comment"], "Engineer booked for Tuesday.");

    // Closed is final.
    app.post(
        &token,
        "/api/Tasks/AddComment",
        &json!({"taskId": id, "comment": "Fixed.", "statusId": 5}),
    )
    .await;
    app.post(
        &token,
        "/api/Tasks/AddComment",
        &json!({"taskId": id, "comment": "Again?", "statusId": 1}),
    )
    .await
    .refused(409, "Closed");
    let audit = app.store.audit().audit_for("task", &id.to_string()).await.unwrap();
    assert_eq!(
        audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["create", "status", "status"]
    );

    // Bulk calls answer per id.
    let bulk = app
        .post(&token, "/api/Tasks/ViewTaskStatusBulk", &json!({"taskIds": [id, 1]}))
        .await
        .is(200);
    assert_eq!(
        (bulk["items"][0]["statusId"].as_i64(), bulk["items"][0]["status"].as_str()),
        (Some(5), Some("Closed"))
    );
    assert_eq!(bulk["items"][1], json!({"taskId": 1, "error": "not found"}));
    let (_, bulk) =
        app.post(&token, "/api/Tasks/GetCommentsForTaskBulk", &json!({"taskIds": [id]})).await;
    assert_eq!(bulk["items"][0]["comments"].as_array().unwrap().len(), 3);
    app.post(&token, "/api/Tasks/ViewTaskStatusBulk", &json!({"taskIds": []}))
        .await
        .refused(400, "taskIds");
    app.post(&token, "/api/Tasks/GetCommentsForTaskBulk", &json!({"taskIds": [0]}))
        .await
        .refused(400, "taskIds");
}

#[backend_test]
async fn bad_tasks_name_the_field(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let with = |k: &str, v: Value| {
        let mut b = fault(customer);
        b[k] = v;
        b
    };
    for (body, status, field) in [
        (with("diaryTypeId", json!(99)), 400, "diaryTypeId"),
        (with("diaryTaskId", json!(101)), 400, "diaryTaskId"),
        (with("subject", json!("")), 400, "subject"),
        (with("body", json!("x".repeat(4001))), 400, "body"),
        (with("subject", json!(5)), 400, "subject"),
        (with("priority", json!("high")), 400, "priority"),
        (with("customerId", json!(999999)), 404, "customer 999999"),
        (with("contractId", json!(999999)), 404, "contract 999999"),
        (with("orderId", json!(999999)), 404, "order 999999"),
    ] {
        app.post(&token, "/api/Tasks/CreateTask", &body).await.refused(status, field);
    }
    // A contract of another customer of the same partner.
    let (_, customers) = app.get(&token, "/api/Customers").await;
    let other = customers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customerId"].as_i64().unwrap())
        .find(|c| *c != customer)
        .unwrap();
    let (_, theirs) = app
        .get(&token, &format!("/api/Connections/GetConnectionByCustomerId?customerId={other}"))
        .await;
    app.post(
        &token,
        "/api/Tasks/CreateTask",
        &with("contractId", theirs["items"][0]["contractId"].clone()),
    )
    .await
    .refused(400, "contractId");

    let id = task(app, &token, fault(customer)).await;
    app.post(&token, "/api/Tasks/AddComment", &json!({"taskId": id, "comment": " "}))
        .await
        .refused(400, "comment");
    app.post(
        &token,
        "/api/Tasks/AddComment",
        &json!({"taskId": id, "comment": "ok", "statusId": 9}),
    )
    .await
    .refused(400, "statusId");
    app.post(&token, "/api/Tasks/AddComment", &json!({"taskId": 1, "comment": "ok"}))
        .await
        .refused(404, "task 1");
    app.get(&token, "/api/Tasks/GetCommentsForTask").await.refused(400, "taskId");
    app.get(&token, "/api/Tasks/GetTasksForCustomer?customerId=x").await.refused(400, "customerId");
    let no_scope = app.token(app.north, "customers").await;
    assert_eq!(
        app.get(&no_scope, &format!("/api/Tasks/GetTasksForCustomer?customerId={customer}"))
            .await
            .0,
        403
    );
}

#[backend_test]
async fn another_partners_tasks_are_404(app: &TestApp) {
    let north = app.north_token().await;
    let capital = app.capital_token().await;
    let theirs = app.customer_of(app.capital).await;
    let id = task(app, &capital, fault(theirs)).await;
    app.post(&north, "/api/Tasks/CreateTask", &fault(theirs)).await.refused(404, "customer");
    app.get(&north, &format!("/api/Tasks/GetTasksForCustomer?customerId={theirs}"))
        .await
        .refused(404, "customer");
    app.get(&north, &format!("/api/Tasks/GetCommentsForTask?taskId={id}"))
        .await
        .refused(404, "task");
    app.post(&north, "/api/Tasks/AddComment", &json!({"taskId": id, "comment": "hello"}))
        .await
        .refused(404, "task");
    let (_, bulk) =
        app.post(&north, "/api/Tasks/ViewTaskStatusBulk", &json!({"taskIds": [id]})).await;
    assert_eq!(bulk["items"][0]["error"], "not found");
}

#[backend_test]
async fn a_refused_order_raises_a_ticket(app: &TestApp) {
    let token = app.north_token().await;
    let customer = app.customer_of(app.north).await;
    let (_, tariffs) = app.get(&token, "/api/Tariffs/ListTariffsForNetwork?network=O2").await;
    let tariff = tariffs["items"][0]["tariffId"].as_i64().unwrap();
    let (_, o) =
        app.post(&token, "/api/Orders/CreateDraftOrder", &json!({"customerId": customer})).await;
    let order = o["orderId"].as_i64().unwrap();
    let iccid = domain::sim::make_iccid(Network::O2, 880_001);
    app.post(&token, "/api/Orders/AddMobileToOrder", &json!({"orderId": order, "connectionType": "New", "network": "O2", "tariffId": tariff, "iccid": iccid, "billCapOffered": true})).await;
    app.post(&token, "/api/Orders/SubmitOrder", &json!({"orderId": order})).await;
    let (_, before) =
        app.get(&token, &format!("/api/Orders/GetTicketsForOrder?orderId={order}")).await;
    assert_eq!(before["total"], 0);
    app.drain_refused().await;

    let (s, tickets) =
        app.get(&token, &format!("/api/Orders/GetTicketsForOrder?orderId={order}")).await;
    assert_eq!(s, 200);
    assert_eq!(tickets["total"], 1, "one ticket for the one refused mobile: {tickets}");
    let t = &tickets["items"][0];
    let (_, d) = app.get(&token, &format!("/api/Orders/GetOrderDetails?orderId={order}")).await;
    let mobile = &d["mobiles"][0];
    let which = match mobile["cli"].as_str().filter(|c| !c.is_empty()) {
        Some(cli) => cli.to_owned(),
        None => mobile["orderMobileId"].to_string(),
    };
    assert_eq!(t["subject"], format!("Order {order}: mobile {which} was rejected"));
    assert_eq!(t["body"], mobile["reason"], "the ticket names the mobile's own reason");
    assert_eq!(
        (t["diaryTypeId"].as_i64(), t["diaryTaskId"].as_i64(), t["statusId"].as_i64()),
        (Some(1), Some(101), Some(1))
    );
    assert_eq!((t["customerId"].as_i64(), t["orderId"].as_i64()), (Some(customer), Some(order)));
    // The ticket is in the customer's diary too, and takes comments.
    let (_, diary) =
        app.get(&token, &format!("/api/Tasks/GetTasksForCustomer?customerId={customer}")).await;
    assert!(diary["items"].as_array().unwrap().iter().any(|x| x["taskId"] == t["taskId"]));
    app.post(&token, "/api/Tasks/AddComment", &json!({"taskId": t["taskId"], "comment": "Called the customer for a new SIM.", "statusId": 3})).await.is(201);

    let (_, bulk) = app
        .post(&token, "/api/Orders/GetTicketsForOrderBulk", &json!({"orderIds": [order, 1]}))
        .await;
    assert_eq!(bulk["items"][0]["tickets"][0]["taskId"], t["taskId"]);
    assert_eq!(bulk["items"][1], json!({"orderId": 1, "error": "not found"}));
    let capital = app.capital_token().await;
    app.get(&capital, &format!("/api/Orders/GetTicketsForOrder?orderId={order}"))
        .await
        .refused(404, "order");
    app.post(&token, "/api/Orders/GetTicketsForOrderBulk", &json!({"orderIds": []}))
        .await
        .refused(400, "orderIds");
}
