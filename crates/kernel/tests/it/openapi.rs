//! The kernel's OpenAPI document is locked by a snapshot: a change to the API shows up in
//! review. Run with `UPDATE_SNAPSHOTS=1` to accept a deliberate change.

use publica_kernel::Block;
use publica_kernel::block::KernelBlock;

#[test]
fn the_kernel_openapi_document_matches_its_snapshot() {
    let doc = serde_json::to_string_pretty(&KernelBlock.openapi()).expect("serialise") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/kernel.openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &doc).expect("write snapshot");
    }
    let snapshot = std::fs::read_to_string(&path).expect("snapshot exists (run once with UPDATE_SNAPSHOTS=1)");
    assert!(doc == snapshot, "the kernel API changed; review, then run with UPDATE_SNAPSHOTS=1");
    assert!(doc.contains("\"openapi\": \"3.1"));
}
