//! The notify block's pages: the back office of service teams (dashboard, sent notifications,
//! templates with previews, team, API keys, guest list, callbacks) and the public page from
//! which people download files sent to them by email. Server-rendered HTML forms that work
//! without JavaScript, in every language Publica speaks.
//!
//! Access: a service's pages are for signed-in members of the service's organisation (others
//! get "not found", so ids reveal nothing); templates need the `member` role; API keys,
//! editing the guest list and callbacks need `admin`.

mod chart;
mod files;
mod guests;
mod keys;
mod services;
mod settings;
mod templates;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use publica_kernel::Kernel;
use publica_kernel::error::Error;
use publica_kernel::i18n::Lang;
use publica_kernel::sessions::StaffSession;
use publica_kernel::web::{PageError, When};
use uuid::Uuid;

use crate::service::Notify;
use crate::store::{self, Service};

/// What every page handler receives.
#[derive(Clone)]
pub struct PagesState {
    kernel: Kernel,
    notify: Arc<Notify>,
    attempts: Arc<files::Attempts>,
}

impl FromRef<PagesState> for Kernel {
    fn from_ref(state: &PagesState) -> Kernel {
        state.kernel.clone()
    }
}

/// The block's HTML routes (empty when the notify service has not started).
pub fn routes(kernel: &Kernel) -> Router {
    let Some(notify) = kernel.get::<Notify>() else {
        return Router::new();
    };
    let state = PagesState { kernel: kernel.clone(), notify, attempts: Arc::new(files::Attempts::default()) };
    Router::new()
        .route("/notify", get(services::index))
        .route("/notify/services/{id}", get(services::dashboard))
        .route("/notify/services/{id}/notifications", get(services::notifications))
        .route("/notify/services/{id}/team", get(services::team))
        .route("/notify/services/{id}/templates", get(templates::list))
        .route("/notify/services/{id}/templates/new", get(templates::new_form).post(templates::create))
        .route("/notify/services/{id}/templates/{tid}", get(templates::edit_form).post(templates::update))
        .route("/notify/services/{id}/templates/{tid}/letter.pdf", get(templates::letter_pdf))
        .route("/notify/services/{id}/templates/new/preview", post(templates::preview_new))
        .route("/notify/services/{id}/templates/{tid}/preview", post(templates::preview_edit))
        .route(templates::SCRIPT_PATH, get(templates::script))
        .route("/notify/services/{id}/api-keys", get(keys::list).post(keys::create))
        .route("/notify/services/{id}/api-keys/{kid}/revoke", get(keys::confirm_revoke).post(keys::revoke))
        .route("/notify/services/{id}/guest-list", get(guests::list).post(guests::add))
        .route("/notify/services/{id}/guest-list/remove", post(guests::remove))
        .route("/notify/services/{id}/settings", get(settings::show).post(settings::save))
        .route("/notify/files/{file_id}", get(files::show).post(files::download))
        .with_state(state)
}

/// The service `id` if the staff member belongs to its organisation; "not found" otherwise.
async fn service_of(state: &PagesState, staff: &StaffSession, id: Uuid) -> Result<Service, PageError> {
    store::service(state.kernel.db(), id)
        .await?
        .filter(|s| s.org_id == staff.org_id)
        .ok_or_else(|| PageError(Error::not_found("notification service")))
}

/// The sub-navigation of a service's pages.
pub(crate) struct Nav {
    pub id: Uuid,
    pub name: String,
    /// Which entry is the current page: `dashboard`, `notifications`, `templates`, `team`,
    /// `api-keys`, `guest-list` or `settings`.
    pub current: &'static str,
    pub member: bool,
    pub admin: bool,
}

impl Nav {
    fn new(service: &Service, staff: &StaffSession, current: &'static str) -> Nav {
        Nav {
            id: service.id,
            name: service.name.clone(),
            current,
            member: staff.require("member").is_ok(),
            admin: staff.require("admin").is_ok(),
        }
    }

    /// `aria-current` for the entry `name`.
    pub fn aria(&self, name: &str) -> &'static str {
        if self.current == name { "page" } else { "false" }
    }
}

/// The message id of a count's singular or plural form (French counts 0 as singular).
pub(crate) fn plural(lang: Lang, base: &str, n: i64) -> String {
    let one = match lang {
        Lang::Fr => n <= 1,
        Lang::En => n == 1,
    };
    format!("{base}-{}", if one { "one" } else { "other" })
}

/// How a dashboard and the filters group Notify's statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Group {
    Sending,
    Delivered,
    Failed,
    Cancelled,
}

impl Group {
    pub const ALL: [Group; 4] = [Group::Sending, Group::Delivered, Group::Failed, Group::Cancelled];

    pub fn of(status: &str) -> Group {
        Group::ALL.into_iter().find(|g| g.statuses().contains(&status)).unwrap_or(Group::Sending)
    }

    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            Group::Sending => &["created", "sending", "pending", "accepted", "pending-virus-check"],
            Group::Delivered => &["delivered", "sent", "received"],
            Group::Failed => &[
                "permanent-failure",
                "temporary-failure",
                "technical-failure",
                "validation-failed",
                "virus-scan-failed",
                "returned-letter",
            ],
            Group::Cancelled => &["cancelled"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Group::Sending => "sending",
            Group::Delivered => "delivered",
            Group::Failed => "failed",
            Group::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kinds::STATUSES;

    #[test]
    fn every_status_is_in_exactly_one_group() {
        for status in STATUSES {
            let groups = Group::ALL.iter().filter(|g| g.statuses().contains(status)).count();
            assert_eq!(groups, 1, "{status}");
        }
        assert_eq!(Group::of("permanent-failure"), Group::Failed);
        assert_eq!(Group::parse("delivered"), Some(Group::Delivered));
        assert_eq!(Group::parse("nonsense"), None);
    }

    /// Every message id the pages name exists in English and in French, and so do the ids
    /// they build from statuses, channels and key types.
    #[test]
    fn every_message_the_pages_use_is_translated() {
        use publica_kernel::Block;
        let i18n = publica_kernel::i18n::I18n::load_with(crate::NotifyBlock.locales());
        assert!(i18n.missing().is_empty(), "untranslated: {:?}", i18n.missing());
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut ids: Vec<String> = Vec::new();
        for dir in ["templates/notify", "src/pages"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("dir") {
                let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
                for piece in text.split('"').filter(|p| p.starts_with("notify-") && !p.ends_with('-')) {
                    if piece.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        && !piece.starts_with("notify-fill-")
                    {
                        ids.push(piece.to_string());
                    }
                }
            }
        }
        assert!(ids.len() > 100, "the scan found the pages' messages");
        let built = STATUSES.iter().map(|s| format!("notify-status-{s}")).chain(
            ["email", "sms", "letter"].iter().flat_map(|c| {
                [
                    format!("notify-channel-{c}"),
                    format!("notify-channel-plural-{c}"),
                    format!("notify-template-new-{c}"),
                ]
            }),
        );
        let built =
            built
                .chain(["live", "normal", "team", "test"].iter().map(|k| format!("notify-key-type-{k}")))
                .chain(["live", "team", "test"].iter().map(|k| format!("notify-key-type-hint-{k}")))
                .chain(Group::ALL.iter().map(|g| format!("notify-group-{}", g.name())))
                .chain(["first", "second", "economy"].iter().map(|p| format!("notify-postage-{p}")))
                .chain(["email", "mobile"].iter().map(|k| format!("notify-guest-kind-{k}")))
                .chain(["one", "other"].iter().map(|n| format!("notify-sms-length-{n}")))
                .chain(["delivery", "inbound"].iter().flat_map(|k| {
                    ["title", "lead", "save", "remove"].map(|what| format!("notify-callback-{k}-{what}"))
                }));
        // Bases of plural forms (`plural(lang, base, n)`) are not messages themselves.
        let ids = ids.into_iter().filter(|id| i18n.t(Lang::En, &format!("{id}-one")) == format!("{id}-one"));
        for id in ids.chain(built) {
            for lang in Lang::ALL {
                assert_ne!(i18n.t(lang, &id), id, "{id} is missing in {}", lang.code());
            }
        }
    }

    #[test]
    fn plural_forms_follow_each_language() {
        assert_eq!(plural(Lang::En, "x", 0), "x-other");
        assert_eq!(plural(Lang::Fr, "x", 0), "x-one");
        assert_eq!(plural(Lang::En, "x", 1), "x-one");
        assert_eq!(plural(Lang::Fr, "x", 2), "x-other");
    }
}
