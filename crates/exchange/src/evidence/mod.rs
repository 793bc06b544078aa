//! Explicit requests for evidence with the person's preview, as in the EU Once-Only Technical
//! System: a consumer's service (the evidence requester) asks for data about a person through
//! an e-service it holds a voucher for; the person previews the data on the exchange's page
//! (the preview space) and approves or refuses; only an approval releases the data, once, to
//! the consumer's second call.
//!
//! 1. `POST /exchange/evidence-requests` (voucher + `X-Road-Client`, checked as at the
//!    gateway; one call counted against the quotas) answers 201 `{id, status: "pending",
//!    preview_url, expires_at}`. The person has [`DECISION_WINDOW`] to decide.
//! 2. The consumer's service sends the person to `preview_url` (`/exchange/evidence/{id}`).
//!    The page opens only for the person the request is about, signed in through Publica's
//!    identity provider with a verified identity and two factors (see [`person`]); anyone not
//!    signed in is sent to sign in (and to verify their identity) and comes back; someone else
//!    signed in gets 403 without learning whose request it is. The page shows who asks, why
//!    and on which legal basis, which data items and the data, fetched from the back end at
//!    that moment and kept sealed under the master key with its digest. Nothing reaches the
//!    consumer yet; this fetch is not a consumer's exchange, so it is not in the message log.
//! 3. The person approves (the form names the digest of the data they saw, so a reload in
//!    another window cannot swap it) or refuses (the data is deleted). Either decision is in
//!    the audit log (`exchange.evidence.approved|refused`, the consumer organisation's log,
//!    actor `person:<national id>`, with the account, level and time of the sign-in). The
//!    browser goes back (303) to the consumer's `return_url` with
//!    `?request=<id>&decision=approved|refused`.
//! 4. `GET /exchange/evidence-requests/{id}` answers the status; after approval, and within
//!    [`RELEASE_WINDOW`], it releases the data exactly as previewed, once: the release is
//!    appended to the message log first (`X-Road-Id`-like request id = the request's id,
//!    issue `evidence-request:<id>`), with a usage record for the person (and any other person
//!    the data names, as for a gateway call), without embargo since the person asked for it.
//!    The data is then deleted. If the log cannot be written, nothing is released and the
//!    consumer may try again.
//!
//! Requests past their deadline are expired (and their data deleted) when next touched and by
//! [`purge_expired`]; their metadata is forgotten [`RETENTION`] after the deadline (the audit
//! log and the message log keep what happened).

pub mod api;
mod consumer;
pub mod model;
mod pages;
pub mod person;
pub mod release;
pub mod service;
mod store;
pub mod view;

use axum::Router;
use axum::routing::{get, post};
use publica_kernel::Kernel;
use publica_kernel::db::Timestamp;
use publica_kernel::error::Result;

pub use model::{EvidenceAnswer, EvidenceCreated, EvidenceRequest, EvidenceStatus, NewEvidenceRequest};

use crate::service::Exchange;

/// How long the person has to decide.
pub const DECISION_WINDOW: time::Duration = time::Duration::minutes(15);
/// How long an approved request's data waits for the consumer's call.
pub const RELEASE_WINDOW: time::Duration = time::Duration::minutes(15);
/// How long a request's metadata is kept after its deadline.
pub const RETENTION: time::Duration = time::Duration::days(30);
/// A release claimed this long ago without completing was interrupted: its data is deleted.
const STALE_CLAIM: time::Duration = time::Duration::minutes(5);

/// The consumer's API.
pub const API_PATH: &str = "/exchange/evidence-requests";
/// The person's pages: `{PAGE_PREFIX}/{id}`.
pub const PAGE_PREFIX: &str = "/exchange/evidence";

/// The consumer's calls (empty when the exchange service has not started).
pub fn api_routes(kernel: &Kernel) -> Router {
    let Some(exchange) = kernel.get::<Exchange>() else {
        return Router::new();
    };
    Router::new()
        .route(API_PATH, post(api::create_request))
        .route(&format!("{API_PATH}/{{id}}"), get(api::get_request))
        .with_state(exchange)
}

/// The person's preview page and decision form.
pub fn page_routes(kernel: &Kernel) -> Router {
    let Some(exchange) = kernel.get::<Exchange>() else {
        return Router::new();
    };
    Router::new()
        .route(&format!("{PAGE_PREFIX}/{{id}}"), get(pages::show).post(pages::decide))
        .with_state(pages::EvidencePages::new(kernel.clone(), exchange))
}

/// Expire requests past their deadline and delete the data they held, and forget requests
/// past their retention; for the block's housekeeping. Returns the rows touched.
pub async fn purge_expired(kernel: &Kernel) -> Result<u64> {
    let now = Timestamp::now();
    store::purge(kernel.db(), now, now.plus(-STALE_CLAIM), now.plus(-RETENTION)).await
}
