//! The OpenAPI document (`/openapi.json`) and a docs page (`/docs`)
//! rendered from it by the server itself: plain HTML and CSS, no script and
//! nothing fetched from elsewhere, so it works offline. Both are rendered
//! once at start-up.

use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use std::fmt::Write;

/// The rendered document and page.
pub struct Docs {
    json: String,
    html: String,
}

impl Docs {
    pub fn new(spec: utoipa::openapi::OpenApi) -> Docs {
        let json = spec.to_pretty_json().expect("the OpenAPI document serialises");
        let value: Value = serde_json::from_str(&json).expect("just serialised");
        Docs { html: render(&value), json }
    }
}

pub async fn openapi_json(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], state.docs.json.clone()).into_response()
}

pub async fn page(State(state): State<AppState>) -> Response {
    let mut resp = Html(state.docs.html.clone()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    resp
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Follows a `$ref` to a component schema's name.
fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?.as_str()?.rsplit('/').next()
}

fn schema_text(v: &Value) -> String {
    if let Some(name) = ref_name(v) {
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(one) = v.get("oneOf").and_then(Value::as_array) {
        return one.iter().map(schema_text).collect::<Vec<_>>().join(" | ");
    }
    match v.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!("[{}]", v.get("items").map(schema_text).unwrap_or_default())
        }
        Some(Value::String(t)) => esc(t),
        Some(Value::Array(ts)) => {
            esc(&ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "))
        }
        _ => "object".into(),
    }
}

fn render(spec: &Value) -> String {
    let title = spec.pointer("/info/title").and_then(Value::as_str).unwrap_or("API");
    let intro = spec.pointer("/info/description").and_then(Value::as_str).unwrap_or("");
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>\
body{{font:15px/1.5 system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}}\
code,.path{{font-family:ui-monospace,monospace}}.op{{border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.6em 1em}}\
.m{{display:inline-block;min-width:4em;font-weight:bold;color:#fff;border-radius:4px;text-align:center;margin-right:.6em}}\
.get{{background:#2b7bb9}}.post{{background:#2a9d5c}}.patch{{background:#b9822b}}.delete{{background:#b92b2b}}.put{{background:#7b2bb9}}\
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #eee;padding:.2em .8em;text-align:left;vertical-align:top}}\
</style></head><body><h1>{t}</h1><p>{i}</p><p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1).</p>",
        t = esc(title),
        i = esc(intro)
    );
    let paths = spec.get("paths").and_then(Value::as_object);
    let mut by_tag: std::collections::BTreeMap<String, Vec<(String, String, &Value)>> =
        Default::default();
    for (path, item) in paths.into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tag = op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("Other").to_owned();
            by_tag.entry(tag).or_default().push((method.clone(), path.clone(), op));
        }
    }
    h.push_str("<nav><ul>");
    for tag in by_tag.keys() {
        let _ = write!(h, "<li><a href=\"#tag-{0}\">{0}</a></li>", esc(tag));
    }
    h.push_str("<li><a href=\"#schemas\">Schemas</a></li></ul></nav>");
    for (tag, ops) in &by_tag {
        let _ = write!(h, "<h2 id=\"tag-{0}\">{0}</h2>", esc(tag));
        for (method, path, op) in ops {
            let _ = write!(h, "<div class=\"op\"><div><span class=\"m {m}\">{M}</span><span class=\"path\">{p}</span></div>", m = esc(method), M = esc(&method.to_uppercase()), p = esc(path));
            for key in ["summary", "description"] {
                if let Some(s) = op.get(key).and_then(Value::as_str) {
                    let _ = write!(h, "<p>{}</p>", esc(s));
                }
            }
            if let Some(params) = op.get("parameters").and_then(Value::as_array) {
                h.push_str("<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th><th></th></tr>");
                for p in params {
                    let _ = write!(
                        h,
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(p.get("name").and_then(Value::as_str).unwrap_or("")),
                        esc(p.get("in").and_then(Value::as_str).unwrap_or("")),
                        p.get("schema").map(schema_text).unwrap_or_default(),
                        if p.get("required").and_then(Value::as_bool).unwrap_or(false) { "yes" } else { "" },
                        esc(p.get("description").and_then(Value::as_str).unwrap_or("")),
                    );
                }
                h.push_str("</table>");
            }
            if let Some(content) = op.pointer("/requestBody/content").and_then(Value::as_object) {
                for (ctype, media) in content {
                    let _ = write!(
                        h,
                        "<p>Body (<code>{}</code>): {}</p>",
                        esc(ctype),
                        media.get("schema").map(schema_text).unwrap_or_default()
                    );
                }
            }
            if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                h.push_str("<table><tr><th>status</th><th>meaning</th><th>body</th></tr>");
                for (status, r) in responses {
                    let body = r
                        .pointer("/content/application~1json/schema")
                        .map(schema_text)
                        .unwrap_or_default();
                    let _ = write!(
                        h,
                        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(status),
                        esc(r.get("description").and_then(Value::as_str).unwrap_or("")),
                        body
                    );
                }
                h.push_str("</table>");
            }
            h.push_str("</div>");
        }
    }
    h.push_str("<h2 id=\"schemas\">Schemas</h2>");
    if let Some(schemas) = spec.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, schema) in schemas {
            let _ = write!(h, "<h3 id=\"schema-{0}\">{0}</h3>", esc(name));
            if let Some(d) = schema.get("description").and_then(Value::as_str) {
                let _ = write!(h, "<p>{}</p>", esc(d));
            }
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                h.push_str("<table><tr><th>field</th><th>type</th><th>required</th><th></th></tr>");
                for (field, p) in props {
                    let _ = write!(
                        h,
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(field),
                        schema_text(p),
                        if required.contains(&field.as_str()) { "yes" } else { "" },
                        esc(p.get("description").and_then(Value::as_str).unwrap_or("")),
                    );
                }
                h.push_str("</table>");
            }
        }
    }
    h.push_str("</body></html>");
    h
}

/// The error bodies each face answers, as component schemas.
fn error_schemas() -> Value {
    serde_json::json!({
        "MobileError": {
            "type": "object",
            "description": "An error of the mobile reseller API.",
            "required": ["response_message"],
            "properties": {
                "response_message": {"type": "string", "description": "What is wrong, in plain words; starts with the field at fault when one is."},
                "field": {"type": "string", "description": "The parameter or body field at fault (a path such as `contact.email`)."},
                "errors": {"type": "array", "description": "SubmitOrder: every problem found at once.", "items": {
                    "type": "object", "required": ["field", "message"],
                    "properties": {"orderMobileId": {"type": ["integer", "null"]}, "field": {"type": "string"}, "message": {"type": "string"}}}}
            }
        },
        "OAuthError": {
            "type": "object",
            "description": "An OAuth 2.0 error (RFC 6749 section 5.2, RFC 6750 section 3.1): `/token`, and authentication on the mobile API.",
            "required": ["error"],
            "properties": {
                "error": {"type": "string", "enum": ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_token", "insufficient_scope"]},
                "error_description": {"type": "string"}
            }
        },
        "IspError": {
            "type": "object",
            "description": "An error of the ISP API.",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "string", "enum": ["error"]},
                "message": {"type": "string"},
                "field": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object"}}
            }
        },
        "AgreementsError": {
            "type": "object",
            "description": "An error of the corporate agreements API: 40001 a missing or invalid parameter, 400001 the agreement, 400002 the product or offer, 40102 no authorization header, 40105 an invalid access token, 40106 an expired one, 40107 Basic authentication on an API call, 40108 an invalid client id or secret, 40301 the agreements scope missing, 404001 no such agreement, 40401 no such path, method or order, 40901 an Idempotency-Key reused, 42901 the quota spent, 42902 spike arrest, 50001 a fault of ours, 503200 at capacity.",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "integer", "enum": [40001, 400001, 400002, 40102, 40105, 40106, 40107, 40108, 40301, 404001, 40401, 40901, 42901, 42902, 50001, 503200]},
                "message": {"type": "string"}
            }
        },
        "RadiusReply": {
            "type": "object",
            "description": "Attributes for rlm_rest; a refusal carries `reply:Reply-Message`.",
            "additionalProperties": true,
            "properties": {"reply:Reply-Message": {"type": "string"}}
        }
    })
}

/// Which API an operation belongs to, by its path.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    Mobile,
    Agreements,
    Isp,
    Radius,
    Token,
    Ops,
}

pub(crate) fn face(path: &str) -> Face {
    if path.starts_with("/corporate-agreements/") || path.starts_with("/oauth/v2/") {
        Face::Agreements
    } else if path == "/api/v1" || path.starts_with("/api/v1/") {
        Face::Isp
    } else if path.starts_with("/api/") {
        Face::Mobile
    } else if path.starts_with("/radius/") {
        Face::Radius
    } else if path == "/token" {
        Face::Token
    } else {
        Face::Ops
    }
}

/// Completes the document from the code's own routes: every operation
/// lists every status the server can answer it with (the shared layers'
/// 400, 401, 403, 408, 413, 415 and 500 as well as the handler's own), each
/// error with its face's schema, so a client generator and a fuzzer see
/// the truth.
pub fn complete(spec: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut doc = serde_json::to_value(&spec).expect("the OpenAPI document serialises");
    let schemas = &mut doc["components"]["schemas"];
    if let (Some(all), Value::Object(mine)) = (schemas.as_object_mut(), error_schemas()) {
        all.extend(mine);
    }
    let Some(paths) = doc["paths"].as_object_mut() else {
        return spec;
    };
    for (path, item) in paths.iter_mut() {
        let face = face(path);
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            complete_operation(face, op);
        }
    }
    serde_json::from_value(doc).expect("the completed document reads back")
}

fn complete_operation(face: Face, op: &mut Value) {
    if face == Face::Ops {
        return;
    }
    let has_body = op.get("requestBody").is_some() || face == Face::Radius;
    let json_body = has_body && face != Face::Token && face != Face::Radius;
    let has_input = has_body
        || op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["in"] != "header"));
    let keyed = op["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["name"] == "Idempotency-Key"));
    let error = match face {
        Face::Mobile => "MobileError",
        Face::Agreements => "AgreementsError",
        Face::Isp => "IspError",
        Face::Radius => "RadiusReply",
        Face::Token | Face::Ops => "OAuthError",
    };
    // Authentication failures: OAuth's shape on the mobile API and /token.
    let auth_error = match face {
        Face::Mobile | Face::Token => "OAuthError",
        _ => error,
    };
    let mut add: Vec<(&str, &str, &str)> = Vec::new();
    if has_input {
        add.push((
            "400",
            "a parameter or the body is missing or wrong; the answer names it",
            error,
        ));
    }
    if face != Face::Token {
        add.push((
            "401",
            "no credentials, or credentials that are invalid, expired or revoked",
            auth_error,
        ));
        add.push(("403", "the credentials lack the scope this call needs", auth_error));
    } else {
        add.push((
            "401",
            "invalid_client: the client is unknown, revoked or its secret wrong",
            auth_error,
        ));
    }
    if keyed {
        add.push(("409", "the Idempotency-Key was used with another body, or its first request is still being processed (retry after Retry-After)", error));
    }
    if has_body {
        add.push(("408", "the request body did not arrive within the body-read timeout", error));
        add.push(("413", "the request body is larger than 1 MiB", error));
    }
    if json_body {
        add.push(("415", "the body is not JSON: send Content-Type: application/json", error));
    }
    let limited = matches!(face, Face::Mobile | Face::Isp | Face::Agreements);
    add.push(("500", "a fault of ours; quote the response's x-request-id to support", error));
    add.push(("503", "the server is at capacity; retry after Retry-After", error));
    let responses = op["responses"].as_object_mut();
    let Some(responses) = responses else { return };
    if limited {
        let header = |description: &str| serde_json::json!({"description": description, "schema": {"type": "string"}});
        let limit_headers = serde_json::json!({
            "RateLimit-Policy": header("this client's policies (IETF draft-ietf-httpapi-ratelimit-headers): \"spike\";q=N;w=1, \"quota\";q=N;w=SECONDS"),
            "RateLimit": header("where this client stands: \"spike\";r=LEFT;t=SECONDS, \"quota\";r=LEFT;t=SECONDS"),
        });
        for (status, r) in responses.iter_mut() {
            if status.starts_with('2') {
                if let Some(r) = r.as_object_mut() {
                    r.insert("headers".into(), limit_headers.clone());
                }
            }
        }
        let mut on_429 = limit_headers;
        on_429["Retry-After"] = header("seconds until the same request would pass");
        let (description, schema) = ("this client's rate limit: a spike arrest (too many requests a second) or its quota spent; retry after Retry-After", error);
        responses.entry("429").or_insert_with(|| {
            serde_json::json!({"description": description, "headers": on_429, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
        });
    }
    for (status, description, schema) in add {
        responses.entry(status).or_insert_with(|| {
            serde_json::json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
        });
    }
    // Every error answer carries its face's error body.
    for (status, response) in responses.iter_mut() {
        if !status.starts_with('4') && !status.starts_with('5') {
            continue;
        }
        if response.get("content").is_none() {
            let schema = if status == "401" || status == "403" { auth_error } else { error };
            response["content"] = serde_json::json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}});
        }
    }
}
