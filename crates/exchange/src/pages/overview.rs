//! The overview of the signed-in member's organisation in the exchange: its X-Road member
//! identifier and attributes, its subsystems, the e-services it provides, and what waits for
//! a decision.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use uuid::Uuid;

use super::{PagesState, When, caller, number};
use crate::domain::{AgreementState, EServiceState, Member, Party, PurposeState};
use crate::store::members;

struct SubsystemRow {
    code: String,
    title: String,
    xroad_id: String,
    created: When,
}

struct ProvidedRow {
    id: Uuid,
    title: String,
    xroad_id: String,
    active: bool,
    state_label: String,
}

#[derive(Template)]
#[template(path = "exchange/index.html", config = "templates/askama.toml")]
struct Overview {
    ctx: PageCtx,
    org_name: String,
    member: Option<Member>,
    member_class: String,
    subsystems: Vec<SubsystemRow>,
    provided: Vec<ProvidedRow>,
    /// Agreements waiting for the organisation's decision as provider.
    inbox: String,
    inbox_any: bool,
    /// Purposes waiting for its approval as provider.
    purposes: String,
    purposes_any: bool,
    /// Its own requests waiting for the providers.
    requested: String,
}

pub(super) async fn show(Staff(ctx, staff): Staff, State(state): State<PagesState>) -> Result<Response, PageError> {
    let db = state.kernel.db();
    let exchange = &state.exchange;
    // Read only: an organisation gets its member code when it registers its first subsystem.
    let member = match members::member(db, staff.org_id).await? {
        Some(row) => {
            let attributes = members::attributes(db, staff.org_id).await?;
            Some(row.into_member(exchange.instance(), attributes))
        }
        None => None,
    };
    let member_class = member
        .as_ref()
        .map(|m| ctx.t(&format!("exchange-member-class-{}", m.member_class.to_lowercase())))
        .unwrap_or_default();
    let subsystems = exchange
        .subsystems(staff.org_id)
        .await?
        .into_iter()
        .map(|s| SubsystemRow { code: s.code, title: s.title, xroad_id: s.xroad_id, created: When::of(s.created_at) })
        .collect();
    let provided = exchange
        .eservices(Some(staff.org_id))
        .await?
        .into_iter()
        .map(|e| ProvidedRow {
            id: e.id,
            active: e.state == EServiceState::Active,
            state_label: ctx.t(&format!("exchange-eservice-state-{}", e.state.as_str())),
            title: e.title,
            xroad_id: e.xroad_id,
        })
        .collect();
    let caller = caller(&staff);
    let inbox = exchange.agreements(&caller, Party::Provider, Some(AgreementState::Pending)).await?.len() as i64;
    let purposes =
        exchange.purposes(&caller, Party::Provider, Some(PurposeState::WaitingForApproval)).await?.len() as i64;
    let requested = exchange.agreements(&caller, Party::Consumer, Some(AgreementState::Pending)).await?.len() as i64;
    let page = Overview {
        org_name: staff.org_name.clone(),
        member,
        member_class,
        subsystems,
        provided,
        inbox: number(ctx.lang, inbox),
        inbox_any: inbox > 0,
        purposes: number(ctx.lang, purposes),
        purposes_any: purposes > 0,
        requested: number(ctx.lang, requested),
        ctx,
    };
    Ok(render(&page))
}
