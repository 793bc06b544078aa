//! Exporting a register as CSV or JSON Lines, as it stood at any valid time and as known at any
//! transaction time. Records are read a page at a time by identifier and written as they come:
//! memory does not grow with the register.

use std::io::Write;

use publica_kernel::db::{Db, Timestamp};
use publica_kernel::error::{Error, Result};
use publica_kernel::on_db;
use serde_json::Value;

use super::rows::escape_element;
use super::schema::export_columns;
use super::source::Format;
use crate::{AsOf, RegisterInfo};

/// Records read per query.
const PAGE: i64 = 2_000;

/// How to export.
#[derive(Clone, Copy, Debug)]
pub struct ExportOptions {
    pub format: Format,
    /// The valid time and the transaction time to export at (`None`: now).
    pub as_of: AsOf,
}

/// Write `info`'s records as of `options.as_of` to `out`, calling `progress` with the count
/// written after each page. Returns the number of records.
pub async fn export(
    db: &Db,
    info: &RegisterInfo,
    options: &ExportOptions,
    out: &mut (dyn Write + Send),
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<u64> {
    let now = Timestamp::now();
    let valid_at = options.as_of.valid_at.unwrap_or(now);
    let known_at = options.as_of.known_at.unwrap_or(now);
    let columns = export_columns(&info.schema, &info.id_field);
    let io = |e: std::io::Error| Error::Unavailable(format!("cannot write the export: {e}"));
    let csv_error = |e: csv::Error| Error::internal(format!("csv: {e}"));
    if options.format == Format::Csv {
        let header: Vec<String> = columns.iter().map(|c| c.join(".")).collect();
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&header).map_err(csv_error)?;
        let bytes = writer.into_inner().map_err(|e| Error::internal(format!("csv: {e}")))?;
        out.write_all(&bytes).map_err(io)?;
    }
    let mut after = String::new();
    let mut written = 0u64;
    let mut buffer = Vec::with_capacity(1 << 20);
    loop {
        let (last, page) = page(db, &info.name, valid_at, known_at, &after, PAGE).await?;
        let Some(last) = last else { break };
        after = last;
        buffer.clear();
        match options.format {
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(&mut buffer);
                for (_, data) in &page {
                    writer.write_record(columns.iter().map(|path| cell(data, path))).map_err(csv_error)?;
                }
                writer.flush().map_err(io)?;
            }
            Format::JsonLines => {
                for (_, data) in &page {
                    serde_json::to_writer(&mut buffer, data).map_err(|e| Error::internal(format!("json: {e}")))?;
                    buffer.push(b'\n');
                }
            }
        }
        out.write_all(&buffer).map_err(io)?;
        written += page.len() as u64;
        progress(written);
    }
    out.flush().map_err(io)?;
    Ok(written)
}

/// The records of `register` holding at `valid_at` as known at `known_at`, by identifier after
/// `after`: of the versions that match, the latest recorded one; deleted records are left out.
/// Also returns the last identifier the page looked at (`None`: nothing more).
async fn page(
    db: &Db,
    register: &str,
    valid_at: Timestamp,
    known_at: Timestamp,
    after: &str,
    limit: i64,
) -> Result<(Option<String>, Vec<(String, Value)>)> {
    const SQL: &str = "SELECT v.record_id, v.kind, v.data FROM registry_versions v \
        WHERE v.register = $1 AND v.record_id > $2 \
        AND v.valid_from <= $3 AND (v.valid_to IS NULL OR v.valid_to > $3) \
        AND v.recorded_at <= $4 AND (v.superseded_at IS NULL OR v.superseded_at > $4) \
        ORDER BY v.record_id, v.seq DESC LIMIT $5";
    let rows: Vec<(String, String, Option<String>)> = on_db!(db, pool => sqlx::query_as(SQL)
        .bind(register).bind(after).bind(valid_at).bind(known_at).bind(limit).fetch_all(pool).await)?;
    let mut out: Vec<(String, Value)> = Vec::with_capacity(rows.len());
    let mut previous: Option<String> = None;
    for (id, kind, data) in rows {
        if previous.as_deref() == Some(id.as_str()) {
            continue;
        }
        previous = Some(id.clone());
        let Some(text) = data.filter(|_| kind != "deleted") else { continue };
        let data = serde_json::from_str(&text)
            .map_err(|e| Error::internal(format!("record {id}: stored data is not JSON: {e}")))?;
        out.push((id, data));
    }
    // A page cut inside the last record's versions has already taken its latest one, so the
    // next page starts after that record.
    Ok((previous, out))
}

/// One CSV cell: scalars as text, lists of scalars `;`-separated, anything else as JSON.
fn cell(data: &Value, path: &[String]) -> String {
    let mut here = data;
    for segment in path {
        match here.get(segment) {
            Some(inner) => here = inner,
            None => return String::new(),
        }
    }
    match here {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => {
            let scalars: Option<Vec<String>> = items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Some(escape_element(s)),
                    Value::Number(n) => Some(n.to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                })
                .collect();
            match scalars {
                Some(list) if !list.is_empty() && list.iter().all(|e| !e.is_empty()) && !list[0].starts_with('[') => {
                    list.join(";")
                }
                _ => here.to_string(),
            }
        }
        Value::Object(_) => here.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_string).collect()
    }

    #[test]
    fn cells_render_what_import_reads_back() {
        let data = json!({"a": "x", "n": 3, "b": true, "list": ["p", "q;r"], "empty": [], "objs": [{"k": 1}],
            "nested": {"m": "v"}, "bracket": ["[x"]});
        assert_eq!(cell(&data, &path("a")), "x");
        assert_eq!(cell(&data, &path("n")), "3");
        assert_eq!(cell(&data, &path("b")), "true");
        assert_eq!(cell(&data, &path("list")), "p;q\\;r");
        assert_eq!(cell(&data, &path("empty")), "[]");
        assert_eq!(cell(&data, &path("objs")), "[{\"k\":1}]");
        assert_eq!(cell(&data, &path("nested.m")), "v");
        assert_eq!(cell(&data, &path("nested")), "{\"m\":\"v\"}");
        assert_eq!(cell(&data, &path("bracket")), "[\"[x\"]");
        assert_eq!(cell(&data, &path("missing.deep")), "");
    }
}
