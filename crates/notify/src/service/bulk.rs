//! GC Notify's bulk sends: a CSV or rows whose first row names the columns (the recipient
//! column, then personalisation), checked whole before anything is sent; a job groups them.

use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::on_tx;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Notify, SendRequest};
use crate::api::auth::Caller;
use crate::api::error::NotifyError;
use crate::domain::kinds::Channel;
use crate::domain::recipient;

/// Most rows in one bulk send.
pub const MAX_ROWS: usize = 50_000;

/// The rows of a bulk request, headers first, from `rows` or `csv`.
pub fn rows(obj: &Map<String, Value>) -> Result<Vec<Vec<String>>, NotifyError> {
    let rows = match (obj.get("rows"), obj.get("csv").and_then(Value::as_str)) {
        (Some(Value::Array(rows)), None) => rows
            .iter()
            .map(|row| match row {
                Value::Array(cells) => Ok(cells.iter().map(cell).collect()),
                _ => Err(NotifyError::bad_request("rows must be a list of lists")),
            })
            .collect::<Result<Vec<Vec<String>>, NotifyError>>()?,
        (None, Some(csv)) => {
            parse_csv(csv).map_err(|e| NotifyError::bad_request(format!("Error converting to CSV: {e}")))?
        }
        _ => return Err(NotifyError::bad_request("You should specify either rows or csv")),
    };
    if rows.len() > MAX_ROWS + 1 {
        return Err(NotifyError::bad_request(format!("Too many rows. Maximum number of rows allowed is {MAX_ROWS}")));
    }
    Ok(rows)
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// CSV text as rows of cells (RFC 4180: quoted fields, doubled quotes, CRLF or LF).
fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, csv::Error> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        rows.push(record?.iter().map(str::to_string).collect());
    }
    Ok(rows)
}

/// Bulk sends may be scheduled up to four days ahead, as GC Notify's jobs.
pub fn scheduled(text: &str) -> Result<Timestamp, NotifyError> {
    let at = Timestamp::parse(text).map_err(|_| {
        NotifyError::validation(
            "scheduled_for datetime format is invalid. It must be a valid ISO8601 date time format, https://en.wikipedia.org/wiki/ISO_8601",
        )
    })?;
    let now = Timestamp::now();
    if at < now {
        return Err(NotifyError::validation("scheduled_for datetime can not be in the past"));
    }
    if at > now.plus(time::Duration::hours(96)) {
        return Err(NotifyError::validation("scheduled_for datetime can only be up to 96 hours in the future"));
    }
    Ok(at)
}

impl Notify {
    /// Check every row, then accept each as a notification of one job.
    pub async fn bulk(
        &self,
        caller: &Caller,
        name: &str,
        template_id: Uuid,
        rows: Vec<Vec<String>>,
        scheduled_for: Option<Timestamp>,
    ) -> Result<Value, NotifyError> {
        let template = self
            .latest_template(caller.service.id, template_id)
            .await?
            .ok_or_else(|| NotifyError::bad_request("Template not found"))?;
        let channel = Channel::parse(&template.kind).unwrap_or(Channel::Email);
        let (headers, body) =
            rows.split_first().ok_or_else(|| NotifyError::bad_request("You should specify either rows or csv"))?;
        let headers: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
        let recipient_column = match channel {
            Channel::Email => "email address",
            Channel::Sms => "phone number",
            Channel::Letter => "address_line_1",
        };
        let key = |h: &str| h.to_lowercase().replace(['_', '-'], " ");
        let mut duplicates: Vec<&str> = headers
            .iter()
            .filter(|h| headers.iter().filter(|o| key(o) == key(h)).count() > 1)
            .map(String::as_str)
            .collect();
        duplicates.dedup();
        if !duplicates.is_empty() {
            return Err(NotifyError::bad_request(format!("Duplicate column headers: {}", duplicates.join(", "))));
        }
        let mut required: Vec<String> = vec![recipient_column.into()];
        required.extend(crate::service::placeholders_of(&template));
        let missing: Vec<&String> = required.iter().filter(|r| !headers.iter().any(|h| key(h) == key(r))).collect();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            return Err(NotifyError::bad_request(format!("Missing column headers: {}", names.join(", "))));
        }
        let column = headers.iter().position(|h| key(h) == key(recipient_column)).unwrap_or(0);
        let mut requests = Vec::with_capacity(body.len());
        let mut row_errors = Vec::new();
        let job_id = Uuid::now_v7();
        for (i, row) in body.iter().enumerate() {
            let raw = row.get(column).cloned().unwrap_or_default();
            let to = match channel {
                Channel::Email => {
                    recipient::validate_email(&raw).map(|v| (raw.clone(), recipient::normalise_email(&v))).map(Some)
                }
                Channel::Sms => recipient::validate_phone(&raw, true).map(|v| (raw.clone(), v)).map(Some),
                Channel::Letter => Ok(None),
            };
            let to = match to {
                Ok(to) => to,
                Err(_) => {
                    row_errors.push(format!("Row {} - `{}`: invalid recipient.", i + 1, headers[column]));
                    continue;
                }
            };
            let personalisation: Map<String, Value> =
                headers.iter().zip(row.iter()).map(|(h, v)| (h.clone(), Value::String(v.clone()))).collect();
            requests.push(SendRequest {
                channel,
                to,
                template_id,
                personalisation,
                reference: None,
                scheduled_for,
                one_click_unsubscribe_url: None,
                precompiled: None,
                created_by_name: None,
                job: Some((job_id, i as i64)),
            });
        }
        if !row_errors.is_empty() {
            return Err(NotifyError::bad_request(format!("Some rows have errors. {}", row_errors.join(" "))));
        }
        let now = Timestamp::now();
        let mut tx = self.kernel.db().begin().await?;
        insert_job(&mut tx, job_id, caller, name, &template, requests.len() as i64, now, scheduled_for).await?;
        tx.commit().await?;
        let results = futures::future::join_all(requests.into_iter().map(|r| self.accept(caller, r))).await;
        if let Some(Err(first)) = results.into_iter().find(Result::is_err) {
            return Err(first);
        }
        Ok(json!({
            "id": job_id,
            "original_file_name": name,
            "notification_count": body.len(),
            "job_status": if scheduled_for.is_some() { "scheduled" } else { "pending" },
            "template": template.id,
            "template_version": template.version,
            "service": caller.service.id,
            "service_name": {"name": caller.service.name},
            "api_key": {"id": caller.key_id, "key_type": caller.key_type.as_str(), "name": caller.key_name},
            "created_at": now.to_fixed(),
            "scheduled_for": scheduled_for.map(Timestamp::to_fixed),
            "archived": false,
            "created_by": Value::Null,
            "processing_started": Value::Null,
            "processing_finished": Value::Null,
            "sender_id": Value::Null,
            "updated_at": Value::Null,
        }))
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_job(
    tx: &mut Tx,
    id: Uuid,
    caller: &Caller,
    name: &str,
    template: &crate::store::TemplateVersion,
    count: i64,
    now: Timestamp,
    scheduled_for: Option<Timestamp>,
) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notify_jobs (id, service_id, api_key_id, name, template_id, template_version, notification_count, status,
            created_at, scheduled_for, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(id).bind(caller.service.id).bind(caller.key_id).bind(name).bind(template.id).bind(template.version)
        .bind(count).bind(if scheduled_for.is_some() { "scheduled" } else { "pending" }).bind(now).bind(scheduled_for)
        .bind(&caller.key_name).execute(c).await.map(|_| ()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_csv;

    #[test]
    fn csv_with_quotes_and_crlf() {
        let rows =
            parse_csv("email address,name\r\n\"a@x.example\",\"Smith, \"\"Jo\"\"\"\r\nb@x.example,Bo\n").expect("csv");
        assert_eq!(
            rows,
            vec![vec!["email address", "name"], vec!["a@x.example", "Smith, \"Jo\""], vec!["b@x.example", "Bo"]]
        );
        assert_eq!(parse_csv("a,b\n1\n").expect("ragged rows are kept"), vec![vec!["a", "b"], vec!["1"]]);
    }
}
