//! The real binary with `--demo`: every system endpoint, the kernel API and its error envelope.

use serde_json::{Value, json};

use crate::support::{Server, backends, client, demo_credentials, demo_key};

#[tokio::test]
async fn every_endpoint_of_a_demo_server_answers() {
    for backend in backends().await {
        let server = Server::start(&backend, &["--demo"], &[]);
        let http = client();
        let name = backend.name;

        let r = http.get(server.url("/healthz")).send().await.expect("healthz");
        assert_eq!(r.status(), 200, "{name}");
        assert_eq!(r.text().await.expect("body"), "ok");

        let ready: Value = http.get(server.url("/readyz")).send().await.expect("readyz").json().await.expect("json");
        assert_eq!(ready["status"], "ready", "{name}");
        assert_eq!(ready["database"], name);

        let doc: Value =
            http.get(server.url("/openapi/kernel.json")).send().await.expect("openapi").json().await.expect("json");
        assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"), "{doc}");
        assert!(doc["paths"]["/api/kernel/v1/members"]["post"].is_object());
        let missing = http.get(server.url("/openapi/nope.json")).send().await.expect("openapi");
        assert_eq!(missing.status(), 404);
        assert_eq!(missing.headers()["content-type"], "application/problem+json");

        // Unknown paths: a page for browsers, problem+json for API clients.
        let page = http
            .get(server.url("/no/such/page"))
            .header("accept", "text/html")
            .header("accept-language", "fr")
            .send()
            .await
            .expect("404");
        assert_eq!(page.status(), 404);
        assert!(page.headers()["content-type"].to_str().expect("type").starts_with("text/html"));
        assert!(page.text().await.expect("html").contains("Page introuvable"));
        let api = http.get(server.url("/api/kernel/v1/nothing")).send().await.expect("404");
        assert_eq!(api.status(), 404);
        assert_eq!(api.headers()["content-type"], "application/problem+json");

        let reference = http.get(server.url("/docs/api")).send().await.expect("docs");
        assert_eq!(reference.status(), 200);
        let html = reference.text().await.expect("html");
        assert!(html.contains("/api/kernel/v1/members") && html.contains("<table>"), "rendered as HTML");

        let demo = http.get(server.url("/demo")).send().await.expect("demo").text().await.expect("html");
        assert!(demo.contains("Ministry of the Interior"), "{name}: demo page lists the agencies");
        let creds = demo_credentials(&backend);
        assert!(creds["kernel"]["organisations"].as_array().expect("orgs").len() >= 5);

        let jwks: Value =
            http.get(server.url("/.well-known/jwks.json")).send().await.expect("jwks").json().await.expect("json");
        let mut algs: Vec<&str> =
            jwks["keys"].as_array().expect("keys").iter().filter_map(|k| k["alg"].as_str()).collect();
        algs.sort_unstable();
        assert_eq!(algs, ["ES256", "EdDSA", "RS256"]);
        assert!(jwks["keys"].as_array().expect("keys").iter().all(|k| k.get("d").is_none()), "no private parts");

        // Request ids: echoed when sent, generated when absent.
        let r = http.get(server.url("/healthz")).header("x-request-id", "test-123").send().await.expect("healthz");
        assert_eq!(r.headers()["x-request-id"], "test-123");
        let r = http.get(server.url("/")).send().await.expect("home");
        assert!(!r.headers()["x-request-id"].is_empty());
        for header in ["content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"] {
            assert!(r.headers().contains_key(header), "{header} missing");
        }
        assert!(!r.headers().contains_key("strict-transport-security"), "no HSTS over plain HTTP");
        let api = http.get(server.url("/healthz")).send().await.expect("healthz");
        assert_eq!(api.headers()["x-content-type-options"], "nosniff");
        assert_eq!(api.headers()["content-security-policy"], "frame-ancestors 'none'");
        let r = http.get(server.url("/")).header("x-forwarded-proto", "https").send().await.expect("home");
        assert!(r.headers().contains_key("strict-transport-security"), "HSTS behind TLS");

        let metrics = http.get(server.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
        for needle in [
            "publica_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}",
            "publica_http_request_duration_seconds_bucket{method=\"GET\",route=\"/\",status=\"200\"",
            "publica_jobs{state=\"queued\"}",
            "publica_db_pool_connections{state=\"open\"}",
        ] {
            assert!(metrics.contains(needle), "{name}: /metrics lacks {needle}:\n{metrics}");
        }
        assert!(
            !metrics.contains("publica_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\""),
            "{name}: health probes are counted, not timed"
        );
        server.stop();
    }
}

#[tokio::test]
async fn the_kernel_api_speaks_problem_json_and_manages_keys() {
    for backend in backends().await {
        let server = Server::start(&backend, &["--demo"], &[]);
        let http = client();
        let interior = demo_key(&backend, "interior");
        let platform = demo_key(&backend, "demoland-digital");
        let members = server.url("/api/kernel/v1/members");

        let r = http.get(&members).send().await.expect("members");
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem: Value = r.json().await.expect("problem");
        assert_eq!(problem["status"], 401);
        assert!(problem["type"].as_str().expect("type").ends_with("/unauthenticated"));

        let list: Value =
            http.get(&members).bearer_auth(&interior).send().await.expect("members").json().await.expect("json");
        assert!(
            list["members"]
                .as_array()
                .expect("members")
                .iter()
                .any(|m| m["email"] == "registrar@interior.demoland.example")
        );

        let bad = post(&http, &members, &interior, json!({"email": "nope", "name": "X", "roles": ["member"]})).await;
        assert_eq!(bad.status(), 422);
        let problem: Value = bad.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["field"], "email", "{problem}");

        let bad = post(
            &http,
            &members,
            &interior,
            json!({"email": "a@b.example", "name": "X", "roles": ["member", "Bad Role"]}),
        )
        .await;
        let problem: Value = bad.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["field"], "roles/1", "{problem}");

        let bad = http
            .post(&members)
            .bearer_auth(&interior)
            .header("content-type", "application/json")
            .body("{\"email\": ")
            .send()
            .await
            .expect("post");
        assert_eq!(bad.status(), 422);
        let bad =
            post(&http, &members, &interior, json!({"email": "a@b.example", "name": "X", "roles": "member"})).await;
        let problem: Value = bad.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["field"], "roles", "{problem}");

        let ok = post(
            &http,
            &members,
            &interior,
            json!({"email": "New.Clerk@Interior.demoland.example", "name": "New Clerk", "roles": ["member"]}),
        )
        .await;
        assert_eq!(ok.status(), 201);
        let again = post(
            &http,
            &members,
            &interior,
            json!({"email": "new.clerk@interior.demoland.example", "name": "New Clerk", "roles": ["member"]}),
        )
        .await;
        assert_eq!(again.status(), 409);

        // A new key works until it is revoked; its token is never listed.
        let created: Value = http
            .post(server.url("/api/kernel/v1/api-keys"))
            .bearer_auth(&interior)
            .json(&json!({"name": "ci", "block": "kernel"}))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("json");
        let token = created["token"].as_str().expect("token").to_string();
        let id = created["api_key"]["id"].as_str().expect("id").to_string();
        assert_eq!(http.get(&members).bearer_auth(&token).send().await.expect("use").status(), 200);
        let listed = http
            .get(server.url("/api/kernel/v1/api-keys"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("list")
            .text()
            .await
            .expect("text");
        assert!(!listed.contains(&token));
        let bad_block = http
            .post(server.url("/api/kernel/v1/api-keys"))
            .bearer_auth(&interior)
            .json(&json!({"name": "x", "block": "nonsense"}))
            .send()
            .await
            .expect("create");
        assert_eq!(bad_block.json::<Value>().await.expect("json")["errors"][0]["field"], "block");
        let revoked = http
            .delete(server.url(&format!("/api/kernel/v1/api-keys/{id}")))
            .bearer_auth(&interior)
            .send()
            .await
            .expect("revoke");
        assert_eq!(revoked.status(), 204);
        assert_eq!(http.get(&members).bearer_auth(&token).send().await.expect("use").status(), 401);

        // Only the platform operator manages organisations.
        let orgs = server.url("/api/kernel/v1/organisations");
        let denied = post(&http, &orgs, &interior, json!({"slug": "x-office", "name": "X", "kind": "agency"})).await;
        assert_eq!(denied.status(), 403);
        let created =
            post(&http, &orgs, &platform, json!({"slug": "x-office", "name": "X Office", "kind": "agency"})).await;
        assert_eq!(created.status(), 201);
        let dup =
            post(&http, &orgs, &platform, json!({"slug": "x-office", "name": "X Office", "kind": "agency"})).await;
        assert_eq!(dup.status(), 409);

        // Every change above is in the organisation's audit log, with its request id.
        let audit: Value = http
            .get(server.url("/api/kernel/v1/audit?limit=50"))
            .bearer_auth(&interior)
            .header("x-request-id", "audit-probe")
            .send()
            .await
            .expect("audit")
            .json()
            .await
            .expect("json");
        let actions: Vec<&str> =
            audit["entries"].as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
        for action in ["kernel.member.added", "kernel.api_key.created", "kernel.api_key.revoked"] {
            assert!(actions.contains(&action), "{action} not audited: {actions:?}");
        }
        assert!(audit["entries"][0]["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        let bad_limit =
            http.get(server.url("/api/kernel/v1/audit?limit=0")).bearer_auth(&interior).send().await.expect("audit");
        assert_eq!(bad_limit.json::<Value>().await.expect("json")["errors"][0]["field"], "limit");
        server.stop();
    }
}

async fn post(http: &reqwest::Client, url: &str, token: &str, body: Value) -> reqwest::Response {
    http.post(url).bearer_auth(token).json(&body).send().await.expect("POST")
}
