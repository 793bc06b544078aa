//! The notify block's OpenAPI document is locked by a snapshot: a change to the API shows up in
//! review. Run with `UPDATE_SNAPSHOTS=1` to accept a deliberate change.

use publica_kernel::Block;
use publica_notify::NotifyBlock;

#[test]
fn the_notify_openapi_document_matches_its_snapshot() {
    let doc = serde_json::to_string_pretty(&NotifyBlock.openapi()).expect("serialise") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/notify.openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &doc).expect("write snapshot");
    }
    let snapshot = std::fs::read_to_string(&path).expect("snapshot exists (run once with UPDATE_SNAPSHOTS=1)");
    assert!(doc == snapshot, "the notify API changed; review, then run with UPDATE_SNAPSHOTS=1");
    for path in [
        "/v2/notifications/email",
        "/v2/notifications/{notification_id}",
        "/v2/templates",
        "/v2/received-text-messages",
    ] {
        assert!(doc.contains(&format!("\"{path}\"")), "{path} is documented");
    }
}
