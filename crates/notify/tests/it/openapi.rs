//! The notify block's OpenAPI document is locked by a snapshot: a change to the API shows up in
//! review. Run with `UPDATE_SNAPSHOTS=1` to accept a deliberate change.

use publica_kernel::Block;
use publica_kernel::testing::assert_openapi_snapshot;
use publica_notify::NotifyBlock;

#[test]
fn the_notify_openapi_document_matches_its_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/notify.openapi.json");
    let documented = [
        "/v2/notifications/email",
        "/v2/notifications/{notification_id}",
        "/v2/templates",
        "/v2/received-text-messages",
    ];
    assert_openapi_snapshot(&NotifyBlock.openapi(), &path, &documented);
}
