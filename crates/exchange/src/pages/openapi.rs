//! An e-service's OpenAPI description made readable: one row per operation (method and path,
//! summary, parameters, answers), the raw document shown beside it.

use serde_json::Value;

/// The HTTP methods an OpenAPI path item may describe, in the order they are listed.
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// One operation of the description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Operation {
    /// Upper case, e.g. `GET`.
    pub method: String,
    pub path: String,
    /// The summary, else the description; may be empty.
    pub summary: String,
    /// Each parameter as `name (in)`, required ones marked with `*`.
    pub parameters: Vec<String>,
    /// The documented answers, e.g. `200`, `404`.
    pub responses: Vec<String>,
}

/// The document's title and version, when it gives them.
pub(crate) fn info(doc: &Value) -> (String, String) {
    let text = |pointer: &str| doc.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_string();
    (text("/info/title"), text("/info/version"))
}

fn parameters(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|p| {
                    if let Some(reference) = p.get("$ref").and_then(Value::as_str) {
                        return Some(reference.to_string());
                    }
                    let name = p.get("name").and_then(Value::as_str)?;
                    let place = p.get("in").and_then(Value::as_str).unwrap_or("?");
                    let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
                    Some(format!("{name}{} ({place})", if required { "*" } else { "" }))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every operation of `doc`, by path then method. Parameters declared on the path item apply
/// to each of its operations; a `$ref` parameter is shown by its reference.
pub(crate) fn operations(doc: &Value) -> Vec<Operation> {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (path, item) in paths {
        let shared = parameters(item.get("parameters"));
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let summary = op
                .get("summary")
                .or_else(|| op.get("description"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let mut params = shared.clone();
            params.extend(parameters(op.get("parameters")));
            let responses =
                op.get("responses").and_then(Value::as_object).map(|r| r.keys().cloned().collect()).unwrap_or_default();
            out.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                summary,
                parameters: params,
                responses,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn operations_are_listed_by_path_and_method_with_their_parameters_and_answers() {
        let doc = json!({"openapi": "3.1.0", "info": {"title": "Checks", "version": "2"}, "paths": {
            "/{id}/resident": {"parameters": [{"name": "id", "in": "path", "required": true}],
                "get": {"summary": "Resident?", "parameters": [{"name": "municipality", "in": "query"},
                    {"$ref": "#/components/parameters/Lang"}], "responses": {"200": {}, "404": {}}},
                "post": {"description": "Record", "responses": {"201": {}}}},
            "/{id}/over-18": {"get": {"responses": {"200": {}}}}}});
        assert_eq!(info(&doc), ("Checks".to_string(), "2".to_string()));
        let ops = operations(&doc);
        assert_eq!(ops.len(), 3);
        assert_eq!(
            (ops[0].method.as_str(), ops[0].path.as_str(), ops[0].summary.as_str()),
            ("GET", "/{id}/over-18", "")
        );
        assert_eq!(ops[1].parameters, vec!["id* (path)", "municipality (query)", "#/components/parameters/Lang"]);
        assert_eq!(ops[1].responses, vec!["200", "404"]);
        assert_eq!((ops[2].method.as_str(), ops[2].summary.as_str()), ("POST", "Record"));
        assert!(operations(&json!({"openapi": "3.1.0"})).is_empty());
    }
}
