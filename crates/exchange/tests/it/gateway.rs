//! The gateway: X-Road headers and errors, vouchers checked against the current state, the
//! built-in registry back ends and an HTTP back end, quotas, the message log and usage log,
//! and refusal when the log cannot be written.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::db::{Db, Timestamp};
use serde_json::{Value, json};

use super::{ADULT, BUSINESS, World, call, header, json_of, voucher, worlds};

const API: &str = "/api/exchange/v1";

fn sha512(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, data).as_ref().to_vec()
}

async fn usage_of(world: &World, national_id: &str) -> Vec<Value> {
    publica_exchange::log::usage(world.app.kernel.db(), national_id, None, 100, Timestamp::now())
        .await
        .expect("usage")
        .entries
}

async fn log_count(world: &World) -> i64 {
    publica_kernel::on_db!(world.app.kernel.db(), pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM exchange_log")
        .fetch_one(pool).await.expect("count"))
}

fn xroad_error(status: StatusCode, headers: &axum::http::HeaderMap, body: &axum::body::Bytes) -> (u16, String, String) {
    let body = json_of(body);
    assert_eq!(
        header(headers, "x-road-error"),
        body["type"].as_str().unwrap_or(""),
        "the header names the body's type"
    );
    assert!(body["detail"].as_str().is_some_and(|d| uuid::Uuid::try_parse(d).is_ok()), "{body}");
    (
        status.as_u16(),
        body["type"].as_str().unwrap_or("").to_string(),
        body["message"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn a_person_lookup_answers_the_record_with_x_road_headers_and_logs_it() {
    for world in worlds().await {
        let voucher = voucher(&world, &world.purpose("person_lookup")).await;
        let path = world.path("person_lookup", ADULT);
        let client = world.client_header();
        let user = format!("DL{}", world.other);
        let extra = [("x-road-id", "req-0001"), ("x-road-userid", user.as_str()), ("x-road-issue", "case-42")];
        let (status, headers, body) = call(&world.app, "GET", &path, Some(&client), Some(&voucher), &extra).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let record = json_of(&body);
        assert_eq!(record["national_id"], ADULT);
        assert_eq!(record["family_name"], "Martin");
        assert_eq!(header(&headers, "x-road-client"), client);
        assert!(header(&headers, "x-road-service").ends_with("/population/persons"));
        assert!(path.contains(header(&headers, "x-road-service")));
        assert_eq!(header(&headers, "x-road-id"), "req-0001");
        assert!(headers.get("x-road-error").is_none());
        let message = format!(
            "GET\r\n{path}\r\nx-road-client:{client}\r\nauthorization:Bearer {voucher}\r\nx-road-id:req-0001\r\nx-road-userid:{user}\r\nx-road-issue:case-42\r\n"
        );
        assert_eq!(header(&headers, "x-road-request-hash"), STANDARD.encode(sha512(message.as_bytes())));
        assert_eq!(header(&headers, "ratelimit-limit"), "5000000");
        assert_eq!(header(&headers, "ratelimit-remaining"), "4999999");
        assert!(header(&headers, "ratelimit-reset").parse::<i64>().is_ok_and(|s| (1..=86_400).contains(&s)));

        assert_eq!(log_count(&world).await, 1);
        let entries = usage_of(&world, ADULT).await;
        assert_eq!(entries.len(), 1, "{entries:?}");
        let text = entries[0].to_string();
        for expected in
            ["Income tax assessment", "Demoland Income Tax Act, s. 12", "Person lookup", "birth_date", "family_name"]
        {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        assert_eq!(
            usage_of(&world, &world.other).await.len(),
            1,
            "the user behind the call (X-Road-UserId) is concerned too"
        );

        // Without an X-Road-Id one is made up, returned and part of the hash.
        let (status, headers, _) = call(&world.app, "GET", &path, Some(&client), Some(&voucher), &[]).await;
        assert_eq!(status, StatusCode::OK);
        let id = header(&headers, "x-road-id").to_string();
        assert!(uuid::Uuid::try_parse(&id).is_ok());
        let message =
            format!("GET\r\n{path}\r\nx-road-client:{client}\r\nauthorization:Bearer {voucher}\r\nx-road-id:{id}\r\n");
        assert_eq!(header(&headers, "x-road-request-hash"), STANDARD.encode(sha512(message.as_bytes())));

        let (status, _, body) =
            call(&world.app, "GET", &world.path("person_lookup", "19850612345"), Some(&client), Some(&voucher), &[])
                .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "a bad check digit is the provider's 400");
        assert_eq!(json_of(&body)["error"], "invalid-id");
        let unknown = publica_registry::national_id::with_check("1999123100").expect("id");
        let (status, headers, _) =
            call(&world.app, "GET", &world.path("person_lookup", &unknown), Some(&client), Some(&voucher), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(headers.get("x-road-error").is_none(), "the provider's answer, not an X-Road error");
        assert_eq!(usage_of(&world, &unknown).await.len(), 0, "nothing was read");
        assert_eq!(log_count(&world).await, 4, "every call that reached the back end is logged");
    }
}

#[tokio::test]
async fn calls_without_the_right_voucher_or_headers_are_refused() {
    for world in worlds().await {
        let app = &world.app;
        let client = world.client_header();
        let path = world.path("person_lookup", ADULT);
        let lookup = voucher(&world, &world.purpose("person_lookup")).await;
        let checks = voucher(&world, &world.purpose("person_checks")).await;

        let (status, headers, body) = call(app, "GET", &path, None, Some(&lookup), &[]).await;
        let (code, kind, message) = xroad_error(status, &headers, &body);
        assert_eq!((code, kind.as_str()), (400, "Client.BadRequest"));
        assert!(message.contains("X-Road-Client"), "{message}");
        let (status, headers, body) = call(app, "GET", &path, Some("DL/GOV/nonsense"), Some(&lookup), &[]).await;
        assert_eq!(xroad_error(status, &headers, &body).1, "Client.BadRequest");

        let (status, headers, body) = call(app, "GET", &path, Some(&client), None, &[]).await;
        let (code, kind, _) = xroad_error(status, &headers, &body);
        assert_eq!((code, kind.as_str()), (401, "Server.ServerProxy.AccessDenied"), "no voucher");
        let (status, headers, body) = call(app, "GET", &path, Some(&client), Some(&checks), &[]).await;
        let (_, kind, message) = xroad_error(status, &headers, &body);
        assert_eq!(kind, "Server.ServerProxy.AccessDenied", "a voucher for another e-service");
        assert!(message.contains("another e-service"), "{message}");
        let mut forged = lookup.clone();
        forged.pop();
        forged.push(if lookup.ends_with('A') { 'B' } else { 'A' });
        let (status, headers, body) = call(app, "GET", &path, Some(&client), Some(&forged), &[]).await;
        let (_, kind, message) = xroad_error(status, &headers, &body);
        assert_eq!(kind, "Server.ServerProxy.AccessDenied");
        assert!(message.contains("signature"), "{message}");
        let (_, body) = app.json("GET", &format!("{API}/member"), &world.api_key("civil-registry"), None).await;
        let impostor = format!("{}/population", body["member"]["xroad_id"].as_str().expect("xroad_id"));
        let (status, headers, body) = call(app, "GET", &path, Some(&impostor), Some(&lookup), &[]).await;
        let (_, kind, message) = xroad_error(status, &headers, &body);
        assert_eq!(kind, "Server.ServerProxy.AccessDenied", "the voucher belongs to another subsystem");
        assert!(message.contains("X-Road-Client"), "{message}");

        let unknown = path.replace("/persons/", "/people/");
        let (status, headers, body) = call(app, "GET", &unknown, Some(&client), Some(&lookup), &[]).await;
        assert_eq!(xroad_error(status, &headers, &body).1, "Server.ServerProxy.UnknownService");
        let elsewhere = path.replacen("/r1/DL/", "/r1/EE/", 1);
        let (status, headers, body) = call(app, "GET", &elsewhere, Some(&client), Some(&lookup), &[]).await;
        assert_eq!(xroad_error(status, &headers, &body).1, "Server.ServerProxy.UnknownService");

        assert_eq!(log_count(&world).await, 0, "refused calls reach no back end and no log");
    }
}

#[tokio::test]
async fn person_checks_answer_only_a_boolean() {
    for world in worlds().await {
        let app = &world.app;
        let client = world.client_header();
        let token = voucher(&world, &world.purpose("person_checks")).await;
        let over18 = |id: &str| world.path("person_over_18", id);
        let resident = |id: &str, m: &str| world.path("person_resident", id).replace("{municipality}", m);
        for (path, expected) in [
            (over18(ADULT), true),
            (over18(&world.minor), false),
            (resident(ADULT, "Demopolis"), true),
            (resident(ADULT, "demopolis"), true),
            (resident(&world.other, "Demopolis"), false),
            (resident(&world.other, "Northport"), true),
        ] {
            let (status, headers, body) = call(app, "GET", &path, Some(&client), Some(&token), &[]).await;
            assert_eq!(status, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&body));
            assert_eq!(json_of(&body), json!({ "result": expected }), "{path}");
            assert_eq!(body.as_ref(), format!("{{\"result\":{expected}}}").as_bytes(), "nothing but the answer");
            assert!(header(&headers, "content-type").starts_with("application/json"));
        }
        let (status, _, body) = call(
            app,
            "GET",
            &world.path("person_resident", ADULT).replace("?municipality={municipality}", ""),
            Some(&client),
            Some(&token),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&body));
        let (status, _, _) = call(app, "POST", &over18(ADULT), Some(&client), Some(&token), &[]).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

        let entries = usage_of(&world, &world.minor).await;
        assert_eq!(entries.len(), 1);
        let text = entries[0].to_string();
        assert!(text.contains("over-18") && !text.contains("birth_date"), "the check is what was used: {text}");
    }
}

#[tokio::test]
async fn a_business_lookup_concerns_its_representatives() {
    for world in worlds().await {
        let token = voucher(&world, &world.purpose("business_lookup")).await;
        let (status, _, body) = call(
            &world.app,
            "GET",
            &world.path("business_lookup", BUSINESS),
            Some(&world.client_header()),
            Some(&token),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert_eq!(json_of(&body)["business_id"], BUSINESS);
        for person in [ADULT, world.other.as_str()] {
            let entries = usage_of(&world, person).await;
            assert_eq!(entries.len(), 1, "{person}");
            assert!(entries[0].to_string().contains("representatives"));
        }
    }
}

#[tokio::test]
async fn quotas_run_out_with_429_and_rate_limit_headers() {
    for world in worlds().await {
        let app = &world.app;
        let (registrar, tax) = (world.api_key("civil-registry"), world.api_key("tax-office"));
        let (_, subsystems) = app.json("GET", &format!("{API}/subsystems"), &registrar, None).await;
        let population = subsystems["subsystems"][0]["id"].clone();
        let (status, body) = app
            .json(
                "POST",
                &format!("{API}/eservices"),
                &registrar,
                Some(json!({
                    "subsystem_id": population, "code": "checks-limited", "title": "Limited checks",
                    "backend": {"kind": "person-checks"}, "approval": "automatic", "daily_quota_per_consumer": 2,
                })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let eservice = body["eservice"].clone();
        let (_, subsystems) = app.json("GET", &format!("{API}/subsystems"), &tax, None).await;
        let consumer = subsystems["subsystems"][0]["id"].clone();
        let (status, _) = app
            .json(
                "POST",
                &format!("{API}/agreements"),
                &tax,
                Some(json!({"eservice_id": eservice["id"], "consumer_subsystem_id": consumer})),
            )
            .await;
        assert_eq!(status, 201);
        let (status, body) = app
            .json(
                "POST",
                &format!("{API}/purposes"),
                &tax,
                Some(json!({
                    "eservice_id": eservice["id"], "consumer_subsystem_id": consumer, "title": "Eligibility",
                    "legal_basis": "Demoland Benefits Act, s. 3", "daily_calls": 2,
                })),
            )
            .await;
        assert_eq!((status, body["purpose"]["state"].as_str()), (201, Some("active")), "{body}");
        let purpose_id = uuid::Uuid::try_parse(body["purpose"]["id"].as_str().expect("id")).expect("uuid");
        let token = voucher(&world, &purpose_id.to_string()).await;
        let path = format!("/r1/{}/{ADULT}/over-18", eservice["xroad_id"].as_str().expect("xroad_id"));
        let client = world.client_header();
        for remaining in ["1", "0"] {
            let (status, headers, _) = call(app, "GET", &path, Some(&client), Some(&token), &[]).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(
                (header(&headers, "ratelimit-limit"), header(&headers, "ratelimit-remaining")),
                ("2", remaining)
            );
        }
        let (status, headers, body) = call(app, "GET", &path, Some(&client), Some(&token), &[]).await;
        let (code, kind, message) = xroad_error(status, &headers, &body);
        assert_eq!((code, kind.as_str()), (429, "Server.ServerProxy.QuotaExceeded"));
        assert!(message.contains("daily"), "{message}");
        assert_eq!((header(&headers, "ratelimit-limit"), header(&headers, "ratelimit-remaining")), ("2", "0"));
        let reset = header(&headers, "ratelimit-reset").parse::<i64>().expect("reset");
        assert_eq!(header(&headers, "retry-after"), reset.to_string());
        assert_eq!(log_count(&world).await, 2, "the refused call reached no back end");

        // The counts are written in batches and survive in the database.
        world.exchange.quotas().flush().await.expect("flush");
        let day = publica_exchange::service::quota::day_text(time::OffsetDateTime::now_utc().date());
        let calls = publica_exchange::store::runtime::calls(world.app.kernel.db(), &day, "purpose", purpose_id)
            .await
            .expect("calls");
        assert_eq!(calls, 2);
    }
}

#[tokio::test]
async fn a_suspension_refuses_vouchers_already_issued() {
    for world in worlds().await {
        let app = &world.app;
        let client = world.client_header();
        let token = voucher(&world, &world.purpose("person_lookup")).await;
        let path = world.path("person_lookup", ADULT);
        assert_eq!(call(app, "GET", &path, Some(&client), Some(&token), &[]).await.0, StatusCode::OK);
        let tax = world.api_key("tax-office");
        let (_, list) = app.json("GET", &format!("{API}/agreements?state=active"), &tax, None).await;
        let (_, detail) =
            app.json("GET", &format!("{API}/purposes/{}", world.purpose("person_lookup")), &tax, None).await;
        let agreement = list["agreements"]
            .as_array()
            .expect("list")
            .iter()
            .find(|a| a["eservice_id"] == detail["purpose"]["eservice_id"])
            .expect("agreement")["id"]
            .as_str()
            .expect("id")
            .to_string();
        let (status, _) = app
            .json("POST", &format!("{API}/agreements/{agreement}/suspend"), &world.api_key("civil-registry"), None)
            .await;
        assert_eq!(status, 200);
        let (status, headers, body) = call(app, "GET", &path, Some(&client), Some(&token), &[]).await;
        let (_, kind, message) = xroad_error(status, &headers, &body);
        assert_eq!(kind, "Server.ServerProxy.AccessDenied");
        assert!(message.contains("suspended"), "{message}");
        let (status, _) = app
            .json("POST", &format!("{API}/agreements/{agreement}/reactivate"), &world.api_key("civil-registry"), None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            call(app, "GET", &path, Some(&client), Some(&token), &[]).await.0,
            StatusCode::OK,
            "the same voucher works again"
        );

        // A change made by another process (here: straight in the database) reaches this
        // process's cache within the poll interval.
        let purpose = world.purpose("person_lookup");
        let db = app.kernel.db();
        publica_kernel::on_db!(db, pool => sqlx::query("UPDATE exchange_purposes SET state = 'suspended', suspended_by_provider = $1 WHERE id = $2")
            .bind(true).bind(uuid::Uuid::try_parse(&purpose).expect("uuid")).execute(pool).await.map(|_| ())).expect("update");
        publica_kernel::on_db!(db, pool => sqlx::query("UPDATE exchange_state SET version = version + 1").execute(pool).await.map(|_| ())).expect("bump");
        tokio::time::sleep(publica_exchange::service::state::POLL_INTERVAL * 3).await;
        let (status, headers, body) = call(app, "GET", &path, Some(&client), Some(&token), &[]).await;
        assert_eq!(xroad_error(status, &headers, &body).1, "Server.ServerProxy.AccessDenied");
    }
}

#[tokio::test]
async fn a_suspended_e_service_is_disabled() {
    for world in worlds().await {
        let app = &world.app;
        let token = voucher(&world, &world.purpose("person_lookup")).await;
        let (_, detail) = app
            .json(
                "GET",
                &format!("{API}/purposes/{}", world.purpose("person_lookup")),
                &world.api_key("tax-office"),
                None,
            )
            .await;
        let eservice = detail["purpose"]["eservice_id"].as_str().expect("id").to_string();
        let (status, _) =
            app.json("POST", &format!("{API}/eservices/{eservice}/suspend"), &world.api_key("tax-office"), None).await;
        assert_eq!(status, 403, "only the provider");
        let (status, _) = app
            .json("POST", &format!("{API}/eservices/{eservice}/suspend"), &world.api_key("civil-registry"), None)
            .await;
        assert_eq!(status, 200);
        let (status, headers, body) =
            call(app, "GET", &world.path("person_lookup", ADULT), Some(&world.client_header()), Some(&token), &[])
                .await;
        assert_eq!(xroad_error(status, &headers, &body).1, "Server.ServerProxy.ServiceDisabled");
    }
}

#[tokio::test]
async fn when_the_log_cannot_be_written_no_data_leaves() {
    for world in worlds().await {
        let token = voucher(&world, &world.purpose("person_lookup")).await;
        let db = world.app.kernel.db();
        let rename = "ALTER TABLE exchange_log RENAME TO exchange_log_unavailable";
        match db {
            Db::Sqlite(pool) => sqlx::query(rename).execute(pool).await.map(|_| ()),
            Db::Postgres(pool) => sqlx::query(rename).execute(pool).await.map(|_| ()),
        }
        .expect("rename the log table");
        let (status, headers, body) = call(
            &world.app,
            "GET",
            &world.path("person_lookup", ADULT),
            Some(&world.client_header()),
            Some(&token),
            &[],
        )
        .await;
        let (code, kind, _) = xroad_error(status, &headers, &body);
        assert_eq!((code, kind.as_str()), (503, "Server.ServerProxy.LoggingFailed"));
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains(ADULT) && !text.contains("Martin") && !text.contains("birth"),
            "no data returned: {text}"
        );
    }
}

#[tokio::test]
async fn an_http_back_end_gets_the_call_and_its_failures_are_service_failed() {
    use axum::routing::any;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let echo = axum::Router::new().route(
        "/api/{*rest}",
        any(|method: axum::http::Method, uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| async move {
            let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            (
                [("x-provider", "yes")],
                axum::Json(json!({
                    "method": method.as_str(), "uri": uri.to_string(), "client": h("x-road-client"),
                    "authorization": h("authorization"), "body": body,
                })),
            )
        }),
    );
    tokio::spawn(async move { axum::serve(listener, echo).await });
    for world in worlds().await {
        let app = &world.app;
        let (chamber, tax) = (world.api_key("chamber-of-commerce"), world.api_key("tax-office"));
        let (_, subsystems) = app.json("GET", &format!("{API}/subsystems"), &chamber, None).await;
        let companies = subsystems["subsystems"][0]["id"].clone();
        let mut services = Vec::new();
        for (code, base) in
            [("filings", format!("http://{address}/api")), ("offline", "http://127.0.0.1:9/api".to_string())]
        {
            let (status, body) = app
                .json(
                    "POST",
                    &format!("{API}/eservices"),
                    &chamber,
                    Some(json!({
                        "subsystem_id": companies, "code": code, "title": format!("Annual {code}"),
                        "backend": {"kind": "http", "base_url": base}, "approval": "automatic",
                    })),
                )
                .await;
            assert_eq!(status, 201, "{body}");
            services.push(body["eservice"].clone());
        }
        let (_, subsystems) = app.json("GET", &format!("{API}/subsystems"), &tax, None).await;
        let consumer = subsystems["subsystems"][0]["id"].clone();
        let mut tokens = Vec::new();
        for service in &services {
            app.json(
                "POST",
                &format!("{API}/agreements"),
                &tax,
                Some(json!({"eservice_id": service["id"], "consumer_subsystem_id": consumer})),
            )
            .await;
            let (_, body) = app
                .json(
                    "POST",
                    &format!("{API}/purposes"),
                    &tax,
                    Some(json!({
                        "eservice_id": service["id"], "consumer_subsystem_id": consumer, "title": "Filings check",
                        "legal_basis": "Demoland Income Tax Act, s. 40", "daily_calls": 100,
                    })),
                )
                .await;
            tokens.push(voucher(&world, body["purpose"]["id"].as_str().expect("purpose")).await);
        }
        let client = world.client_header();
        let path = format!("/r1/{}/2025/filings?kind=annual", services[0]["xroad_id"].as_str().expect("xroad_id"));
        let (status, headers, body) = call(app, "GET", &path, Some(&client), Some(&tokens[0]), &[]).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let echoed = json_of(&body);
        assert_eq!(echoed["uri"], "/api/2025/filings?kind=annual");
        assert_eq!(echoed["client"], client.as_str());
        assert_eq!(header(&headers, "x-provider"), "yes", "the provider's headers come back");
        assert!(header(&headers, "x-road-request-hash").len() > 80);

        let path = format!("/r1/{}/anything", services[1]["xroad_id"].as_str().expect("xroad_id"));
        let (status, headers, body) = call(app, "GET", &path, Some(&client), Some(&tokens[1]), &[]).await;
        let (code, kind, message) = xroad_error(status, &headers, &body);
        assert_eq!((code, kind.as_str()), (502, "Server.ServerProxy.ServiceFailed"));
        assert!(message.contains("127.0.0.1:9"), "{message}");
        assert_eq!(log_count(&world).await, 2, "the failed call is logged too");
    }
}
