//! A staff member's services, a service's dashboard (counts of the last 7 days, a chart of the
//! last 14, failures to act on), its sent notifications and its team.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use publica_kernel::db::Timestamp;
use publica_kernel::orgs::Member;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use serde::Deserialize;
use uuid::Uuid;

use super::chart::{self, Chart, Day};
use super::{Group, Nav, PagesState, When, service_of};
use crate::domain::kinds::Channel;
use crate::store::{self, ListFilter, NotificationRow, Service};

const PAGE_SIZE: i64 = 50;
const CHANNELS: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::Letter];

#[derive(Template)]
#[template(path = "notify/services.html")]
struct Services {
    ctx: PageCtx,
    org_name: String,
    services: Vec<Service>,
}

pub(super) async fn index(Staff(ctx, staff): Staff, State(state): State<PagesState>) -> Result<Response, PageError> {
    let services = store::services_of(state.kernel.db(), staff.org_id).await?;
    Ok(render(&Services { ctx, org_name: staff.org_name, services }))
}

/// A channel's counts by group of statuses.
struct ChannelCounts {
    channel: &'static str,
    label: String,
    total: i64,
    sending: i64,
    delivered: i64,
    failed: i64,
    cancelled: i64,
}

/// A notification as the lists show it.
pub(super) struct Row {
    recipient: Option<String>,
    template: String,
    kind: String,
    status: String,
    reason: Option<String>,
    created: When,
    completed: Option<When>,
}

#[derive(Template)]
#[template(path = "notify/dashboard.html")]
struct Dashboard {
    ctx: PageCtx,
    nav: Nav,
    service: Service,
    counts: Vec<ChannelCounts>,
    chart: Chart,
    days: Vec<Day>,
    chart_summary: String,
    failures: Vec<Row>,
}

pub(super) async fn dashboard(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    let db = state.kernel.db();
    let now = Timestamp::now();
    let by_status = store::status_counts(db, id, now.plus(time::Duration::days(-7))).await?;
    let counts = CHANNELS
        .iter()
        .map(|c| {
            let of = |g: Group| {
                by_status.iter().filter(|(k, s, _)| k == c.as_str() && Group::of(s) == g).map(|(_, _, n)| n).sum()
            };
            let (sending, delivered, failed, cancelled) =
                (of(Group::Sending), of(Group::Delivered), of(Group::Failed), of(Group::Cancelled));
            ChannelCounts {
                channel: c.as_str(),
                label: ctx.t(&format!("notify-channel-plural-{}", c.as_str())),
                total: sending + delivered + failed + cancelled,
                sending,
                delivered,
                failed,
                cancelled,
            }
        })
        .collect();
    let days = daily(&state, id, now).await?;
    let chart = chart::layout(&days);
    let busiest = days.iter().max_by_key(|d| (d.total(), d.iso.clone()));
    let chart_summary = match busiest {
        Some(d) if d.total() > 0 => {
            ctx.t_args("notify-chart-summary", &[("max", d.total().to_string()), ("day", d.iso.clone())])
        }
        _ => ctx.t("notify-chart-empty"),
    };
    let filter =
        ListFilter { statuses: Group::Failed.statuses().to_vec(), include_jobs: true, limit: 10, ..Default::default() };
    let failures = rows(&state, &ctx, id, store::list_notifications(db, id, &filter).await?).await?;
    let nav = Nav::new(&service, &staff, "dashboard");
    Ok(render(&Dashboard { ctx, nav, service, counts, chart, days, chart_summary, failures }))
}

/// Counts per day and channel for the last 14 days (UTC), oldest first.
async fn daily(state: &PagesState, id: Uuid, now: Timestamp) -> Result<Vec<Day>, PageError> {
    let today = now.inner().date();
    let dates: Vec<time::Date> = (0..14).rev().map(|back| today - time::Duration::days(back)).collect();
    let starts: Vec<Timestamp> = dates.iter().map(|d| Timestamp::from(d.midnight().assume_utc())).collect();
    let end = Timestamp::from((today + time::Duration::days(1)).midnight().assume_utc());
    let counts = store::daily_counts(state.kernel.db(), id, &starts, end).await?;
    Ok(dates
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let of =
                |kind: &str| counts.iter().filter(|(day, k, _)| *day == i as i64 && k == kind).map(|(_, _, n)| n).sum();
            Day {
                iso: format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
                short: format!("{:02}/{:02}", d.day(), u8::from(d.month())),
                email: of("email"),
                sms: of("sms"),
                letter: of("letter"),
            }
        })
        .collect())
}

/// Notifications as the lists show them, with their templates' names and translated labels.
pub(super) async fn rows(
    state: &PagesState,
    ctx: &PageCtx,
    service_id: Uuid,
    list: Vec<NotificationRow>,
) -> Result<Vec<Row>, PageError> {
    let names: HashMap<Uuid, String> = store::template_names(state.kernel.db(), service_id)
        .await?
        .into_iter()
        .map(|(id, _, name)| (id, name))
        .collect();
    Ok(list
        .into_iter()
        .map(|n| Row {
            recipient: n.recipient,
            template: names.get(&n.template_id).cloned().unwrap_or_else(|| ctx.t("notify-template-unknown")),
            kind: ctx.t(&format!("notify-channel-{}", n.kind)),
            status: ctx.t(&format!("notify-status-{}", n.status)),
            reason: n.status_reason,
            created: When::to_minute(n.created_at),
            completed: n.completed_at.map(When::to_minute),
        })
        .collect())
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    older_than: Option<Uuid>,
}

#[derive(Template)]
#[template(path = "notify/notifications.html")]
struct Notifications {
    ctx: PageCtx,
    nav: Nav,
    /// The filters' choices: `(value, label, selected)`.
    statuses: Vec<(String, String, bool)>,
    kinds: Vec<(String, String, bool)>,
    rows: Vec<Row>,
    /// The query string of the next (older) page, if there may be one.
    older: Option<String>,
    first_page: bool,
}

pub(super) async fn notifications(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    let group = query.status.as_deref().and_then(Group::parse);
    let channel = query.kind.as_deref().and_then(Channel::parse);
    let filter = ListFilter {
        kind: channel.map(Channel::as_str),
        statuses: group.map(|g| g.statuses().to_vec()).unwrap_or_default(),
        include_jobs: true,
        older_than: query.older_than,
        limit: PAGE_SIZE,
        ..Default::default()
    };
    let list = store::list_notifications(state.kernel.db(), id, &filter).await?;
    let older = (list.len() as i64 == PAGE_SIZE).then(|| list.last().map(|n| n.id)).flatten().map(|last| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(g) = group {
            q.append_pair("status", g.name());
        }
        if let Some(c) = channel {
            q.append_pair("type", c.as_str());
        }
        q.append_pair("older_than", &last.to_string());
        q.finish()
    });
    let rows = rows(&state, &ctx, id, list).await?;
    let nav = Nav::new(&service, &staff, "notifications");
    let all = (String::new(), ctx.t("notify-filter-all"));
    let statuses = std::iter::once((all.0.clone(), all.1.clone(), group.is_none()))
        .chain(
            Group::ALL
                .into_iter()
                .map(|g| (g.name().to_string(), ctx.t(&format!("notify-group-{}", g.name())), group == Some(g))),
        )
        .collect();
    let kinds = std::iter::once((all.0, all.1, channel.is_none()))
        .chain(CHANNELS.into_iter().map(|c| {
            (c.as_str().to_string(), ctx.t(&format!("notify-channel-plural-{}", c.as_str())), channel == Some(c))
        }))
        .collect();
    Ok(render(&Notifications { ctx, nav, statuses, kinds, rows, older, first_page: query.older_than.is_none() }))
}

#[derive(Template)]
#[template(path = "notify/team.html")]
struct Team {
    ctx: PageCtx,
    nav: Nav,
    org_name: String,
    members: Vec<Member>,
}

pub(super) async fn team(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    let members = state.kernel.members(service.org_id).await?;
    let nav = Nav::new(&service, &staff, "team");
    Ok(render(&Team { ctx, nav, org_name: staff.org_name, members }))
}
