//! A block's OpenAPI document locked by a snapshot, so that a change to an API shows up in
//! review.

use std::path::Path;

/// Compare `doc` (pretty JSON with a final newline) with the snapshot at `path`, writing the
/// snapshot first when `UPDATE_SNAPSHOTS` is set; check that operation ids are unique (clients
/// generate method names from them) and that each of `documented` is among the paths. Returns
/// the document as JSON for further checks.
pub fn assert_openapi_snapshot(doc: &utoipa::openapi::OpenApi, path: &Path, documented: &[&str]) -> serde_json::Value {
    let text = serde_json::to_string_pretty(doc).expect("serialise") + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("snapshot directory");
        }
        std::fs::write(path, &text).expect("write snapshot");
    }
    let snapshot = std::fs::read_to_string(path).expect("snapshot exists (run once with UPDATE_SNAPSHOTS=1)");
    assert!(text == snapshot, "the API changed ({}); review, then run with UPDATE_SNAPSHOTS=1", path.display());
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
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
    for documented in documented {
        assert!(value["paths"].get(*documented).is_some(), "{documented} is documented");
    }
    value
}
