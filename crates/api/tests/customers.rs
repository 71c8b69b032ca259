//! Customers controller: CreateCustomer's checks, GetCustomerDetails, the
//! searched list, idempotency, bad bodies and cross-partner isolation.

mod common;

use common::{Answer, TestApp};
use serde_json::{json, Value};
use test_macros::backend_test;

fn acme() -> Value {
    json!({
        "companyName": "Acme Widgets Ltd",
        "coRegNumber": "01234567",
        "contact": {"name": "Jane Smith", "email": "jane@acme.example", "phone": "07700900123"},
        "address": {"lines": ["1 High Street"], "town": "Leeds", "postcode": "ls1 4ap"},
        "billingEmail": "accounts@acme.example"
    })
}

#[backend_test]
async fn create_then_read_back(app: &TestApp) {
    let token = app.north_token().await;
    let body = app.post(&token, "/api/Customers/CreateCustomer", &acme()).await.is(201);
    let id = body["customerId"].as_i64().unwrap();
    let c = app
        .get(&token, &format!("/api/Customers/GetCustomerDetails?customerId={id}"))
        .await
        .is(200);
    assert_eq!(c["companyName"], "Acme Widgets Ltd");
    assert_eq!(c["coRegNumber"], "01234567");
    assert_eq!(c["address"]["postcode"], "LS1 4AP", "postcode normalised");
    assert_eq!(c["contact"]["email"], "jane@acme.example");
    assert_eq!(c["billingEmail"], "accounts@acme.example");
    // Written with an audit row naming the caller.
    let audit = app.store.audit().audit_for("customer", &id.to_string()).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert!(audit[0].actor.starts_with("client:sb_"));
    assert_eq!(audit[0].action, "create");
}

#[backend_test]
async fn each_bad_field_is_a_400_naming_it(app: &TestApp) {
    let token = app.north_token().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/companyName", json!(""), "companyName"),
        ("/coRegNumber", json!("AB12"), "coRegNumber"),
        ("/contact/email", json!("not-an-email"), "contact.email"),
        ("/contact/phone", json!("12345"), "contact.phone"),
        ("/address/postcode", json!("XX"), "address.postcode"),
        ("/address/lines", json!([]), "address.lines"),
        ("/address/town", json!(" "), "address.town"),
        ("/billingEmail", json!("a@b"), "billingEmail"),
    ];
    let before = customers(app).await;
    for (pointer, value, field) in cases {
        let mut body = acme();
        *body.pointer_mut(pointer).unwrap() = value;
        let got = app.post(&token, "/api/Customers/CreateCustomer", &body).await;
        got.refused(400, field);
        assert_eq!(got.1["field"], field);
    }
    let after = customers(app).await;
    assert_eq!(before, after, "nothing half-written");
}

/// How many customers the store holds, of every partner.
async fn customers(app: &TestApp) -> i64 {
    let every = domain::paging::PageRequest::new(None, None).unwrap();
    app.store.customers().list_customers(store::Visibility::All, "", every).await.unwrap().1
}

#[backend_test]
async fn malformed_bodies_are_4xx_never_500(app: &TestApp) {
    let token = app.north_token().await;
    let post_raw = |body: Vec<u8>, ctype: &'static str| {
        let req = app
            .http
            .post(app.url("/api/Customers/CreateCustomer"))
            .bearer_auth(&token)
            .header("content-type", ctype)
            .body(body);
        async move {
            let r = req.send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap())
        }
    };
    post_raw(b"{\"companyName\": ".to_vec(), "application/json")
        .await
        .refused(400, "not valid JSON: it ends too soon");
    post_raw(b"[]".to_vec(), "application/json")
        .await
        .refused(400, "the request body must be a JSON object");
    post_raw(b"".to_vec(), "application/json").await.refused(400, "the request body is empty");
    // Trailing data after the object is refused, and nothing is made.
    let before = app.get(&token, "/api/Customers").await.1["total"].clone();
    assert!(before.is_i64(), "a count of customers: {before}");
    for trailing in [format!("{}xyz", acme()), format!("{} {}", acme(), acme())] {
        post_raw(trailing.into_bytes(), "application/json")
            .await
            .refused(400, "must be one JSON value, but more follows it");
    }
    assert_eq!(app.get(&token, "/api/Customers").await.1["total"], before);
    // A field at fault is named in `field`, in plain words.
    let field_error = |got: (u16, Value), field: &str, message: &str| {
        assert_eq!(got.0, 400, "{}", got.1);
        assert_eq!(got.1["field"], field, "{}", got.1);
        assert_eq!(got.1["response_message"], format!("{field}: {message}"), "{}", got.1);
    };
    let mut wrong_type = acme();
    wrong_type["companyName"] = json!(42);
    field_error(
        post_raw(wrong_type.to_string().into_bytes(), "application/json").await,
        "companyName",
        "must be text (a JSON string)",
    );
    let mut nested = acme();
    nested["contact"]["name"] = json!({"first": "Jane"});
    field_error(
        post_raw(nested.to_string().into_bytes(), "application/json").await,
        "contact.name",
        "must be text (a JSON string)",
    );
    let mut unknown = acme();
    unknown["vatNumber"] = json!("GB123");
    let got = post_raw(unknown.to_string().into_bytes(), "application/json").await;
    assert_eq!(got.1["field"], "vatNumber", "{}", got.1);
    got.refused(400, "vatNumber: is not a field of this request; the fields are companyName");
    let mut missing = acme();
    missing.as_object_mut().unwrap().remove("address");
    field_error(
        post_raw(missing.to_string().into_bytes(), "application/json").await,
        "address",
        "is required",
    );
    let mut missing_inner = acme();
    missing_inner["contact"].as_object_mut().unwrap().remove("email");
    field_error(
        post_raw(missing_inner.to_string().into_bytes(), "application/json").await,
        "contact.email",
        "is required",
    );
    post_raw(acme().to_string().into_bytes(), "text/plain").await.refused(415, "application/json");
    let mut huge = acme();
    huge["companyName"] = json!("x".repeat(2 * 1024 * 1024));
    post_raw(huge.to_string().into_bytes(), "application/json").await.refused(413, "limit");
    let mut long = acme();
    long["companyName"] = json!("x".repeat(500));
    post_raw(long.to_string().into_bytes(), "application/json").await.refused(400, "companyName");
}

#[backend_test]
async fn idempotency_key_replays_and_refuses_another_body(app: &TestApp) {
    let token = app.north_token().await;
    let send = |body: Value, key: &'static str| {
        let req = app
            .http
            .post(app.url("/api/Customers/CreateCustomer"))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            let replayed = r.headers().contains_key("idempotent-replayed");
            (r.status().as_u16(), r.json::<Value>().await.unwrap(), replayed)
        }
    };
    let first = send(acme(), "k-1").await;
    assert_eq!(first.0, 201);
    let again = send(acme(), "k-1").await;
    assert_eq!(
        (again.0, &again.1, again.2),
        (201, &first.1, true),
        "same key and body: same answer"
    );
    let mut other = acme();
    other["companyName"] = json!("Other Ltd");
    let conflict = send(other, "k-1").await;
    assert_eq!(conflict.0, 409);
    assert!(conflict.1["response_message"].as_str().unwrap().contains("different request body"));
    let n = app
        .store
        .customers()
        .list_customers(
            store::Visibility::All,
            "Acme Widgets",
            domain::paging::PageRequest::new(None, None).unwrap(),
        )
        .await
        .unwrap()
        .1;
    assert_eq!(n, 2, "the demo Acme and exactly one created");
    // A refused request is answered the same way again.
    let mut bad = acme();
    bad["address"]["postcode"] = json!("nope");
    let r1 = send(bad.clone(), "k-2").await;
    let r2 = send(bad, "k-2").await;
    assert_eq!((r1.0, r2.0), (400, 400));
    assert_eq!(r1.1, r2.1);
}

#[backend_test]
async fn list_search_and_paging(app: &TestApp) {
    let token = app.north_token().await;
    let (s, all) = app.get(&token, "/api/Customers").await;
    assert_eq!(s, 200);
    assert_eq!(all["total"], 3, "Northern's three demo customers: {all}");
    assert_eq!(all["page"], 1);
    assert!(all["nextPage"].is_null());

    let (_, found) = app.get(&token, "/api/Customers?search=PLUMBING").await;
    assert_eq!(found["total"], 1, "search is case-insensitive");
    assert_eq!(found["items"][0]["companyName"], "Pennine Plumbing & Heating Ltd");
    let (_, by_postcode) = app.get(&token, "/api/Customers?search=hg1").await;
    assert_eq!(by_postcode["total"], 1);

    // SQL metacharacters are text, not SQL or wildcards.
    for nasty in ["%25", "_", "'%20OR%20'1'%3D'1", "%5C", "%22%3B%20DROP%20TABLE%20customers%3B--"]
    {
        let (s, r) = app.get(&token, &format!("/api/Customers?search={nasty}")).await;
        assert_eq!((s, r["total"].as_i64()), (200, Some(0)), "search {nasty}: {r}");
    }
    let (s, _) = app.get(&token, "/api/Customers?search=acme").await;
    assert_eq!(s, 200, "the table is still there");

    let (_, p1) = app.get(&token, "/api/Customers?pageSize=2").await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    assert_eq!(p1["nextPage"], 2);
    let (_, p2) = app.get(&token, "/api/Customers?pageSize=2&page=2").await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    assert!(p2["nextPage"].is_null());
    assert_ne!(p1["items"][0]["customerId"], p2["items"][0]["customerId"]);

    app.get(&token, "/api/Customers?page=0").await.refused(400, "page");
    app.get(&token, "/api/Customers?pageSize=1000").await.refused(400, "pageSize");
    app.get(&token, "/api/Customers?page=abc").await.refused(400, "page");
}

#[backend_test]
async fn another_partners_customer_is_404_everywhere(app: &TestApp) {
    let north = app.north_token().await;
    let capital = app.capital_token().await;
    let theirs = app.customer_of(app.capital).await;
    app.get(&north, &format!("/api/Customers/GetCustomerDetails?customerId={theirs}"))
        .await
        .refused(404, "not found");
    assert_eq!(
        app.get(&capital, &format!("/api/Customers/GetCustomerDetails?customerId={theirs}"))
            .await
            .0,
        200
    );
    let (_, list) = app.get(&north, "/api/Customers?search=thames").await;
    assert_eq!(list["total"], 0, "not in searches either");
    assert_eq!(app.get(&north, "/api/Customers/GetCustomerDetails?customerId=999999").await.0, 404);
    app.get(&north, "/api/Customers/GetCustomerDetails").await.refused(400, "customerId");
    app.get(&north, "/api/Customers/GetCustomerDetails?customerId=abc")
        .await
        .refused(400, "customerId");

    // Platform staff (admin) see every partner.
    let house = app.store.partners().partner_by_name("House").await.unwrap().unwrap().id;
    let admin = app.token(house, "customers admin").await;
    assert_eq!(
        app.get(&admin, &format!("/api/Customers/GetCustomerDetails?customerId={theirs}")).await.0,
        200
    );
    let (_, all) = app.get(&admin, "/api/Customers").await;
    assert_eq!(all["total"], 7, "six mobile customers and the ISP's one");
}
