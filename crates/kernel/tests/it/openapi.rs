//! The kernel's OpenAPI document is locked by a snapshot: a change to the API shows up in
//! review. Run with `UPDATE_SNAPSHOTS=1` to accept a deliberate change.

use publica_kernel::Block;
use publica_kernel::block::KernelBlock;
use publica_kernel::testing::assert_openapi_snapshot;

#[test]
fn the_kernel_openapi_document_matches_its_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/kernel.openapi.json");
    let doc = assert_openapi_snapshot(&KernelBlock.openapi(), &path, &[]);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
}
