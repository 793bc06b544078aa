//! Agreement and purpose lifecycles through the management API: who may take which step,
//! automatic approval by attributes, suspensions by either side, quotas deciding whether a
//! purpose waits for approval, and the full history and audit trail of every step.

use serde_json::{Value, json};

use super::{World, audit_actions, worlds};

const API: &str = "/api/exchange/v1";

/// A provider subsystem of the chamber of commerce with an HTTP e-service; its id.
async fn eservice(world: &World, code: &str, extra: Value) -> Value {
    let chamber = world.api_key("chamber-of-commerce");
    let (status, body) = world
        .app
        .json(
            "POST",
            &format!("{API}/subsystems"),
            &chamber,
            Some(json!({"code": format!("sys-{code}"), "title": "Registry API"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mut new = json!({
        "subsystem_id": body["subsystem"]["id"],
        "code": code,
        "title": format!("Service {code}"),
        "backend": {"kind": "http", "base_url": "http://127.0.0.1:9/api"},
    });
    for (k, v) in extra.as_object().expect("object") {
        new[k] = v.clone();
    }
    let (status, body) = world.app.json("POST", &format!("{API}/eservices"), &chamber, Some(new)).await;
    assert_eq!(status, 201, "{body}");
    body["eservice"].clone()
}

async fn tax_subsystem(world: &World) -> String {
    let (status, body) = world.app.json("GET", &format!("{API}/subsystems"), &world.api_key("tax-office"), None).await;
    assert_eq!(status, 200);
    body["subsystems"].as_array().expect("list").iter().find(|s| s["code"] == "tax-assessment").expect("tax-assessment")
        ["id"]
        .as_str()
        .expect("id")
        .to_string()
}

fn states(history: &Value) -> Vec<(Option<String>, String)> {
    history
        .as_array()
        .expect("history")
        .iter()
        .map(|t| (t["from"].as_str().map(str::to_string), t["to"].as_str().expect("to").to_string()))
        .collect()
}

fn step_of(from: Option<&str>, to: &str) -> (Option<String>, String) {
    (from.map(str::to_string), to.to_string())
}

#[tokio::test]
async fn agreements_go_through_their_lifecycle_with_history() {
    for world in worlds().await {
        let app = &world.app;
        let (tax, chamber) = (world.api_key("tax-office"), world.api_key("chamber-of-commerce"));
        let service = eservice(&world, "manual", json!({"approval": "manual"})).await;
        let consumer = tax_subsystem(&world).await;
        let request = json!({"eservice_id": service["id"], "consumer_subsystem_id": consumer});

        let (status, body) = app.json("POST", &format!("{API}/agreements"), &tax, Some(request.clone())).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["agreement"]["state"], "pending", "manual approval waits for the provider");
        let id = body["agreement"]["id"].as_str().expect("id").to_string();
        let (status, _) = app.json("POST", &format!("{API}/agreements"), &tax, Some(request.clone())).await;
        assert_eq!(status, 409, "one live agreement per consumer and e-service");

        let (_, inbox) =
            app.json("GET", &format!("{API}/agreements?role=provider&state=pending"), &chamber, None).await;
        assert!(inbox["agreements"].as_array().expect("inbox").iter().any(|a| a["id"] == id.as_str()), "{inbox}");
        let (_, mine) = app.json("GET", &format!("{API}/agreements"), &tax, None).await;
        assert!(mine["agreements"].as_array().expect("list").iter().any(|a| a["id"] == id.as_str()));

        let (status, body) = app.json("POST", &format!("{API}/agreements/{id}/approve"), &tax, None).await;
        assert_eq!(status, 403, "the consumer cannot approve: {body}");
        let (status, body) = app
            .json("POST", &format!("{API}/agreements/{id}/approve"), &chamber, Some(json!({"reason": "checked"})))
            .await;
        assert_eq!((status, body["agreement"]["state"].as_str()), (200, Some("active")), "{body}");

        // Both sides suspend; each suspension holds until its own party lifts it.
        let (status, body) = app.json("POST", &format!("{API}/agreements/{id}/suspend"), &chamber, None).await;
        assert_eq!((status, body["agreement"]["state"].as_str()), (200, Some("suspended")));
        let (status, body) = app.json("POST", &format!("{API}/agreements/{id}/suspend"), &tax, None).await;
        assert_eq!((status, body["agreement"]["suspended_by_consumer"].as_bool()), (200, Some(true)), "{body}");
        let (status, _) = app.json("POST", &format!("{API}/agreements/{id}/suspend"), &tax, None).await;
        assert_eq!(status, 409, "already suspended by the consumer");
        let (status, body) = app.json("POST", &format!("{API}/agreements/{id}/reactivate"), &chamber, None).await;
        assert_eq!(
            (status, body["agreement"]["state"].as_str()),
            (200, Some("suspended")),
            "the consumer's suspension holds"
        );
        let (status, body) = app.json("POST", &format!("{API}/agreements/{id}/reactivate"), &tax, None).await;
        assert_eq!((status, body["agreement"]["state"].as_str()), (200, Some("active")), "{body}");
        let (status, _) = app.json("POST", &format!("{API}/agreements/{id}/archive"), &chamber, None).await;
        assert_eq!(status, 403, "only the consumer archives");
        let (status, body) = app
            .json("POST", &format!("{API}/agreements/{id}/archive"), &tax, Some(json!({"reason": "no longer needed"})))
            .await;
        assert_eq!((status, body["agreement"]["state"].as_str()), (200, Some("archived")));
        let (status, _) = app.json("POST", &format!("{API}/agreements/{id}/reactivate"), &tax, None).await;
        assert_eq!(status, 409);

        let (status, detail) = app.json("GET", &format!("{API}/agreements/{id}"), &chamber, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            states(&detail["history"]),
            vec![
                step_of(None, "pending"),
                step_of(Some("pending"), "active"),
                step_of(Some("active"), "suspended"),
                step_of(Some("suspended"), "suspended"),
                step_of(Some("suspended"), "suspended"),
                step_of(Some("suspended"), "active"),
                step_of(Some("active"), "archived"),
            ]
        );
        let history = detail["history"].as_array().expect("history");
        assert_eq!(history[1]["reason"], "checked");
        assert_eq!(history[6]["reason"], "no longer needed");
        assert!(history.iter().all(|t| t["actor"].as_str().is_some_and(|a| a.starts_with("api-key:"))), "{detail}");
        assert!(history.windows(2).all(|w| w[0]["at"].as_str() <= w[1]["at"].as_str()));

        // A new request after archiving; rejecting needs a reason.
        let (_, body) = app.json("POST", &format!("{API}/agreements"), &tax, Some(request)).await;
        let second = body["agreement"]["id"].as_str().expect("id").to_string();
        let (status, body) = app.json("POST", &format!("{API}/agreements/{second}/reject"), &chamber, None).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["field"], "reason");
        let (status, body) = app
            .json(
                "POST",
                &format!("{API}/agreements/{second}/reject"),
                &chamber,
                Some(json!({"reason": "not entitled"})),
            )
            .await;
        assert_eq!((status, body["agreement"]["state"].as_str()), (200, Some("rejected")));

        let (status, _) =
            app.json("GET", &format!("{API}/agreements/{id}"), &world.api_key("civil-registry"), None).await;
        assert_eq!(status, 404, "a third party does not see the agreement");

        let actions = audit_actions(app).await;
        for action in [
            "exchange.agreement.requested",
            "exchange.agreement.approved",
            "exchange.agreement.suspended",
            "exchange.agreement.reactivated",
            "exchange.agreement.archived",
            "exchange.agreement.rejected",
        ] {
            assert!(actions.iter().any(|a| a == action), "{action} is audited");
        }
    }
}

#[tokio::test]
async fn automatic_approval_needs_the_required_attributes() {
    for world in worlds().await {
        let app = &world.app;
        let tax = world.api_key("tax-office");
        let service =
            eservice(&world, "auto", json!({"approval": "automatic", "required_attributes": ["revenue-authority"]}))
                .await;
        let consumer = tax_subsystem(&world).await;
        let request = json!({"eservice_id": service["id"], "consumer_subsystem_id": consumer});
        let (status, body) = app.json("POST", &format!("{API}/agreements"), &tax, Some(request.clone())).await;
        assert_eq!(status, 201);
        assert_eq!(body["agreement"]["state"], "pending", "the attribute is missing: the provider decides");
        let id = body["agreement"]["id"].as_str().expect("id").to_string();
        let (_, detail) = app.json("GET", &format!("{API}/agreements/{id}"), &tax, None).await;
        assert!(detail["history"][0]["reason"].as_str().is_some_and(|r| r.contains("revenue-authority")), "{detail}");
        let (status, _) = app.json("POST", &format!("{API}/agreements/{id}/archive"), &tax, None).await;
        assert_eq!(status, 200);

        // Only the platform operator certifies attributes.
        let tax_org = world.org_id("tax-office").await;
        let path = format!("{API}/members/{tax_org}/attributes/revenue-authority");
        let (status, _) = app.json("PUT", &path, &tax, None).await;
        assert_eq!(status, 403);
        let platform = publica_kernel::demo::api_key(
            &app.kernel,
            world.org_id("demoland-digital").await,
            "exchange",
            "test",
            "exchange:test-platform",
        )
        .await
        .expect("platform key");
        let (status, body) = app.json("PUT", &path, &platform, None).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["member"]["attributes"].as_array().expect("attributes").iter().any(|a| a == "revenue-authority"));

        let (status, body) = app.json("POST", &format!("{API}/agreements"), &tax, Some(request)).await;
        assert_eq!((status, body["agreement"]["state"].as_str()), (201, Some("active")), "{body}");
        let id = body["agreement"]["id"].as_str().expect("id");
        let (_, detail) = app.json("GET", &format!("{API}/agreements/{id}"), &tax, None).await;
        assert_eq!(states(&detail["history"]), vec![step_of(None, "pending"), step_of(Some("pending"), "active")]);
        assert_eq!(detail["history"][1]["actor"], "system:exchange");
    }
}

#[tokio::test]
async fn purposes_wait_for_approval_beyond_the_quotas_and_keep_their_history() {
    for world in worlds().await {
        let app = &world.app;
        let (tax, chamber) = (world.api_key("tax-office"), world.api_key("chamber-of-commerce"));
        let service = eservice(
            &world,
            "quota",
            json!({"approval": "automatic", "daily_quota_per_consumer": 100, "daily_quota_total": 500}),
        )
        .await;
        let consumer = tax_subsystem(&world).await;
        let purpose = |title: &str, calls: i64| {
            json!({"eservice_id": service["id"], "consumer_subsystem_id": consumer, "title": title,
                "legal_basis": "Demoland Income Tax Act, s. 12", "daily_calls": calls})
        };
        let (status, body) = app.json("POST", &format!("{API}/purposes"), &tax, Some(purpose("Early", 10))).await;
        assert_eq!(status, 422, "no agreement yet: {body}");
        assert_eq!(body["errors"][0]["field"], "eservice_id");

        let (status, _) = app
            .json(
                "POST",
                &format!("{API}/agreements"),
                &tax,
                Some(json!({"eservice_id": service["id"], "consumer_subsystem_id": consumer})),
            )
            .await;
        assert_eq!(status, 201);
        let (status, body) = app.json("POST", &format!("{API}/purposes"), &tax, Some(purpose("Assessment", 60))).await;
        assert_eq!((status, body["purpose"]["state"].as_str()), (201, Some("active")), "60 of 100 fit: {body}");
        let first = body["purpose"]["id"].as_str().expect("id").to_string();
        let (status, body) = app.json("POST", &format!("{API}/purposes"), &tax, Some(purpose("Audit", 50))).await;
        assert_eq!(
            (status, body["purpose"]["state"].as_str()),
            (201, Some("waiting-for-approval")),
            "only 40 remain: {body}"
        );
        let second = body["purpose"]["id"].as_str().expect("id").to_string();
        let (status, body) = app.json("POST", &format!("{API}/purposes"), &tax, Some(purpose("Bad", 0))).await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"][0]["field"], "daily_calls");

        let (status, _) = app.json("POST", &format!("{API}/purposes/{second}/approve"), &tax, None).await;
        assert_eq!(status, 403, "the consumer cannot approve its own purpose");
        let (status, body) = app.json("POST", &format!("{API}/purposes/{second}/approve"), &chamber, None).await;
        assert_eq!((status, body["purpose"]["state"].as_str()), (200, Some("active")));
        let (_, inbox) = app.json("GET", &format!("{API}/purposes?role=provider&state=active"), &chamber, None).await;
        let mine =
            inbox["purposes"].as_array().expect("list").iter().filter(|p| p["eservice_id"] == service["id"]).count();
        assert_eq!(mine, 2, "the provider's inbox: {inbox}");

        let (status, body) =
            app.json("POST", &format!("{API}/purposes/{first}/suspend"), &tax, Some(json!({"reason": "paused"}))).await;
        assert_eq!((status, body["purpose"]["state"].as_str()), (200, Some("suspended")));
        let (status, _) = app.json("POST", &format!("{API}/purposes/{first}/activate"), &chamber, None).await;
        assert_eq!(status, 409, "the provider cannot lift the consumer's suspension");
        let (status, body) = app.json("POST", &format!("{API}/purposes/{first}/activate"), &tax, None).await;
        assert_eq!((status, body["purpose"]["state"].as_str()), (200, Some("active")));
        let (status, body) = app.json("POST", &format!("{API}/purposes/{first}/archive"), &tax, None).await;
        assert_eq!((status, body["purpose"]["state"].as_str()), (200, Some("archived")));

        let (_, detail) = app.json("GET", &format!("{API}/purposes/{first}"), &chamber, None).await;
        assert_eq!(
            states(&detail["history"]),
            vec![
                step_of(None, "active"),
                step_of(Some("active"), "suspended"),
                step_of(Some("suspended"), "active"),
                step_of(Some("active"), "archived"),
            ]
        );
        assert_eq!(detail["history"][1]["reason"], "paused");
        let (_, detail) = app.json("GET", &format!("{API}/purposes/{second}"), &tax, None).await;
        assert_eq!(
            states(&detail["history"]),
            vec![step_of(None, "waiting-for-approval"), step_of(Some("waiting-for-approval"), "active")]
        );
        assert!(detail["history"][0]["reason"].as_str().is_some_and(|r| r.contains("40")), "{detail}");

        let actions = audit_actions(app).await;
        for action in [
            "exchange.purpose.created",
            "exchange.purpose.approved",
            "exchange.purpose.suspended",
            "exchange.purpose.activated",
            "exchange.purpose.archived",
        ] {
            assert!(actions.iter().any(|a| a == action), "{action} is audited");
        }
    }
}
