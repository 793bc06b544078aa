//! The exchange's pages for civil servants: the organisation's overview (member identifier,
//! subsystems, what waits for a decision), the catalogue of e-services with their OpenAPI
//! descriptions and the request of an agreement, the agreements and purposes with every
//! lifecycle step and history, and the message log. Server-rendered HTML forms that work
//! without JavaScript, in every language Publica speaks.
//!
//! Access: every page needs a signed-in staff member and shows what concerns their
//! organisation; lifecycle steps need the `member` role (the service checks again which party
//! may take which step). The message log shows an organisation the calls it made or answered;
//! the platform operator sees every call and can verify the whole log.

mod agreements;
mod catalogue;
mod log;
mod log_query;
mod names;
mod openapi;
mod overview;
mod purposes;
mod steps;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use publica_kernel::Kernel;
use publica_kernel::error::Error;
use publica_kernel::i18n::Lang;
use publica_kernel::sessions::StaffSession;
use publica_kernel::web::{PageCtx, PageError, When};

use crate::service::{Caller, Exchange};

/// What every page handler receives.
#[derive(Clone)]
pub struct PagesState {
    kernel: Kernel,
    exchange: Arc<Exchange>,
}

impl FromRef<PagesState> for Kernel {
    fn from_ref(state: &PagesState) -> Kernel {
        state.kernel.clone()
    }
}

/// The block's HTML routes (empty when the exchange service has not started).
pub fn routes(kernel: &Kernel) -> Router {
    let Some(exchange) = kernel.get::<Exchange>() else {
        return Router::new();
    };
    let state = PagesState { kernel: kernel.clone(), exchange };
    Router::new()
        .route("/exchange", get(overview::show))
        .route("/exchange/catalogue", get(catalogue::list))
        .route("/exchange/catalogue/{id}", get(catalogue::show))
        .route("/exchange/catalogue/{id}/agreements", post(catalogue::request))
        .route("/exchange/agreements", get(agreements::list))
        .route("/exchange/agreements/{id}", get(agreements::show))
        .route("/exchange/agreements/{id}/{step}", post(agreements::step))
        .route("/exchange/purposes", get(purposes::list).post(purposes::create))
        .route("/exchange/purposes/{id}", get(purposes::show))
        .route("/exchange/purposes/{id}/{step}", post(purposes::step))
        .route("/exchange/log", get(log::list))
        .route("/exchange/log/{seq}", get(log::show))
        .with_state(state)
}

/// The staff member's organisation as the exchange service sees a caller.
fn caller(staff: &StaffSession) -> Caller {
    Caller::new(staff.org_id, staff.org_kind, staff.actor())
}

/// Whether the staff member may take lifecycle steps and make requests for their organisation.
fn can_act(staff: &StaffSession) -> bool {
    staff.require("member").is_ok()
}

/// Refuse a change unless [`can_act`].
fn actor(staff: &StaffSession) -> Result<(), PageError> {
    staff.require("member").map_err(PageError)
}

/// An id from the path; anything else is a page that does not exist.
fn path_id(text: &str, what: &str) -> Result<uuid::Uuid, PageError> {
    uuid::Uuid::try_parse(text).map_err(|_| PageError(Error::not_found(what.to_string())))
}

/// A whole number with the page language's digit grouping (`10,000,000`, `10 000 000`).
pub(crate) fn number(lang: Lang, n: i64) -> String {
    let separator = match lang {
        Lang::En => ",",
        Lang::Fr => "\u{202f}",
    };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(separator);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A translated message about `n` things (see `count_args`).
fn counted(ctx: &PageCtx, id: &str, n: i64) -> String {
    ctx.t_args(id, &count_args(ctx.lang, n))
}

/// The arguments of a message about `n` things: `$count` is `n` as `number` writes it, and
/// `$plural` its plural category in `lang` (CLDR's `one` or `other`; French counts 0 as one),
/// for the message to choose its wording on. The arguments are text, so Fluent cannot select
/// on the number itself.
fn count_args(lang: Lang, n: i64) -> [(&'static str, String); 2] {
    let plural = match lang {
        Lang::En if n == 1 => "one",
        Lang::Fr if n == 0 || n == 1 => "one",
        Lang::En | Lang::Fr => "other",
    };
    [("count", number(lang, n)), ("plural", plural.to_string())]
}

/// A problem with what was entered in a form, shown next to the field and in the summary.
#[derive(Clone, Debug)]
pub(crate) struct FieldError {
    /// The `id` of the input at fault.
    pub id: String,
    pub message: String,
    /// The language of the message when it differs from the page's.
    pub lang: Option<&'static str>,
}

impl FieldError {
    /// A problem found by the page, in the page's language.
    fn local(id: &str, message: String) -> FieldError {
        FieldError { id: id.into(), message, lang: None }
    }

    /// The service's explanation (in English).
    fn service(ctx: &PageCtx, id: &str, message: String) -> FieldError {
        FieldError { id: id.into(), message, lang: ctx.english_unless_en() }
    }
}

/// The query of a detail page after a successful step: what was done.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Done {
    #[serde(default)]
    done: String,
}

impl Done {
    /// The confirmation to show, for the outcomes the pages redirect with.
    fn notice(&self, ctx: &PageCtx) -> Option<String> {
        const KNOWN: [&str; 8] =
            ["requested", "created", "approve", "reject", "suspend", "reactivate", "activate", "archive"];
        KNOWN.contains(&self.done.as_str()).then(|| ctx.t(&format!("exchange-done-{}", self.done)))
    }
}

/// The translated label of an agreement's or a purpose's state.
fn state_label(ctx: &PageCtx, state: &str) -> String {
    ctx.t(&format!("exchange-state-{state}"))
}

#[cfg(test)]
mod tests;
