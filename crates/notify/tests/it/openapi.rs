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
    let value: serde_json::Value = serde_json::from_str(&doc).expect("json");
    let mut ids: Vec<&str> = value["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|ops| ops.as_object().into_iter().flat_map(|o| o.values()))
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "operation ids are unique (clients generate method names from them)");
    for path in [
        "/v2/notifications/email",
        "/v2/notifications/{notification_id}",
        "/v2/templates",
        "/v2/received-text-messages",
    ] {
        assert!(doc.contains(&format!("\"{path}\"")), "{path} is documented");
    }
}
