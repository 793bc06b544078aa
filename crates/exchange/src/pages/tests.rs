//! Checks of the pages that need no server: every message they name or build exists in
//! English and in French, counts take the singular or plural each language needs, and numbers
//! are grouped as each language writes them.

use publica_kernel::Block;
use publica_kernel::i18n::{I18n, Lang};

use crate::domain::{AgreementState, PurposeState};

/// Message ids the pages build from states, policies, back ends and steps.
fn built_ids() -> Vec<String> {
    let mut ids = Vec::new();
    let agreement_states = [
        AgreementState::Pending,
        AgreementState::Active,
        AgreementState::Suspended,
        AgreementState::Rejected,
        AgreementState::Archived,
    ];
    ids.extend(agreement_states.iter().map(|s| format!("exchange-state-{}", s.as_str())));
    let purpose_states =
        [PurposeState::WaitingForApproval, PurposeState::Active, PurposeState::Suspended, PurposeState::Archived];
    ids.extend(purpose_states.iter().map(|s| format!("exchange-state-{}", s.as_str())));
    ids.extend(["active", "suspended"].iter().map(|s| format!("exchange-eservice-state-{s}")));
    for approval in ["automatic", "manual"] {
        ids.push(format!("exchange-approval-{approval}"));
        ids.push(format!("exchange-approval-{approval}-hint"));
    }
    ids.extend(
        ["registry-person", "registry-business", "person-checks", "http"]
            .iter()
            .map(|b| format!("exchange-backend-{b}")),
    );
    ids.extend(["gov", "com"].iter().map(|c| format!("exchange-member-class-{c}")));
    for step in ["approve", "reject", "suspend", "reactivate", "archive"] {
        ids.push(format!("exchange-step-{step}"));
        ids.push(format!("exchange-agreement-hint-{step}"));
        ids.push(format!("exchange-done-{step}"));
    }
    for step in ["approve", "suspend", "activate", "archive"] {
        ids.push(format!("exchange-step-{step}"));
        ids.push(format!("exchange-purpose-hint-{step}"));
        ids.push(format!("exchange-done-{step}"));
    }
    ids.extend(["requested", "created"].iter().map(|d| format!("exchange-done-{d}")));
    ids
}

/// Every message id the pages and templates name, or build, exists in English and in French.
#[test]
fn every_message_the_pages_use_is_translated() {
    let i18n = I18n::load_with(crate::ExchangeBlock.locales());
    assert!(i18n.missing().is_empty(), "untranslated: {:?}", i18n.missing());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ids: Vec<String> = Vec::new();
    for dir in ["templates/exchange", "src/pages"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("dir") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
            for piece in text.split('"').filter(|p| p.starts_with("exchange-") && !p.ends_with('-')) {
                if piece.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
                    ids.push(piece.to_string());
                }
            }
        }
    }
    assert!(ids.len() > 100, "the scan found the pages' messages ({})", ids.len());
    let built = built_ids();
    // Built ids also appear in the sources as their prefixes, which the scan skips.
    for id in ids.iter().chain(built.iter()) {
        for lang in [Lang::En, Lang::Fr] {
            assert_ne!(i18n.t(lang, id), *id, "message `{id}` is missing in {lang:?}");
        }
    }
}

#[test]
fn counts_are_singular_or_plural_as_each_language_says() {
    let i18n = I18n::load_with(crate::ExchangeBlock.locales());
    let say = |lang, id, n| i18n.t_args(lang, id, &super::count_args(lang, n));
    assert_eq!(say(Lang::En, "exchange-log-count", 1), "1 entry on this page");
    assert_eq!(say(Lang::En, "exchange-log-count", 0), "0 entries on this page");
    assert_eq!(say(Lang::Fr, "exchange-log-count", 0), "0 entrée sur cette page");
    assert_eq!(say(Lang::Fr, "exchange-log-count", 2), "2 entrées sur cette page");
    assert_eq!(say(Lang::En, "exchange-days", 1), "1 day");
    assert_eq!(say(Lang::Fr, "exchange-calls-a-day", 1_000), "1\u{202f}000 appels par jour");
    assert_eq!(say(Lang::En, "exchange-catalogue-count", 1), "1 active e-service");
    assert_eq!(say(Lang::Fr, "exchange-bytes", 1), "1 octet");
}

#[test]
fn numbers_are_grouped_as_each_language_writes_them() {
    assert_eq!(super::number(Lang::En, 10_000_000), "10,000,000");
    assert_eq!(super::number(Lang::Fr, 5_000), "5\u{202f}000");
    assert_eq!(super::number(Lang::En, 600), "600");
    assert_eq!(super::number(Lang::En, -1234), "-1,234");
}
