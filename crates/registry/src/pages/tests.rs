//! Checks of the pages that need no server: every message they use exists in every language.

use publica_kernel::Block;
use publica_kernel::i18n::{I18n, Lang};

use crate::domain::ChangeKind;

/// Every message id the pages and templates name exists in English and in French, and so do
/// the ids they build from change kinds, actions and outcomes.
#[test]
fn every_message_the_pages_use_is_translated() {
    let i18n = I18n::load_with(crate::RegistryBlock.locales());
    assert!(i18n.missing().is_empty(), "untranslated: {:?}", i18n.missing());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ids: Vec<String> = Vec::new();
    for dir in ["templates/registry", "src/pages"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("dir") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
            for piece in text.split('"').filter(|p| p.starts_with("registry-") && !p.ends_with('-')) {
                if piece.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
                    ids.push(piece.to_string());
                }
            }
        }
    }
    assert!(ids.len() > 60, "the scan found the pages' messages ({})", ids.len());
    let kinds = [ChangeKind::Created, ChangeKind::Changed, ChangeKind::Corrected, ChangeKind::Deleted];
    let built = kinds
        .iter()
        .map(|k| format!("registry-kind-{}", k.as_str()))
        .chain(["created", "changed", "corrected", "deleted"].iter().map(|d| format!("registry-done-{d}")))
        .chain(
            ["create", "change", "correct", "delete"]
                .iter()
                .flat_map(|a| ["title", "lead", "submit"].map(|what| format!("registry-{a}-{what}"))),
        );
    for id in ids.into_iter().chain(built) {
        for lang in Lang::ALL {
            assert_ne!(i18n.t(lang, &id), id, "{id} is missing in {}", lang.code());
        }
    }
}

#[test]
fn times_read_to_the_second_in_utc() {
    let t = publica_kernel::db::Timestamp::parse("2026-03-04T05:06:07.5+01:00").expect("time");
    let when = super::When::of(t);
    assert_eq!(when.text, "2026-03-04 04:06:07 UTC");
    assert_eq!(when.iso, "2026-03-04T04:06:07.500000Z");
}
