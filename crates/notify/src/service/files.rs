//! Files sent by email (Notify's `{"file": …, "filename": …, "confirm_email_before_download": …,
//! "retention_period": …}` personalisation values): checked as Notify checks them, sealed under
//! the master key, and replaced in the message by a link to the download page.

use base64::Engine;
use publica_kernel::crypto::sha256;
use publica_kernel::db::Timestamp;
use serde_json::Value;
use uuid::Uuid;

use super::Notify;
use crate::api::auth::Caller;
use crate::api::error::NotifyError;
use crate::domain::template::Personalisation;
use crate::store::FileRow;

pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;
pub const ALLOWED_EXTENSIONS: &[(&str, &str)] = &[
    ("csv", "text/csv"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("png", "image/png"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("doc", "application/msword"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("pdf", "application/pdf"),
    ("json", "application/json"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("rtf", "application/rtf"),
    ("txt", "text/plain"),
];
const DEFAULT_RETENTION_WEEKS: i64 = 26;

/// Whether a personalisation value is a file to send.
pub fn is_file(value: &Value) -> bool {
    value.as_object().is_some_and(|o| o.contains_key("file"))
}

impl Notify {
    /// Seal every file in the personalisation and put its link in its place.
    pub(super) async fn take_files(
        &self,
        caller: &Caller,
        notification_id: Uuid,
        personalisation: &mut Personalisation,
        recipient: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<FileRow>, NotifyError> {
        let mut files = Vec::new();
        for (key, value) in personalisation.iter_mut() {
            if !is_file(value) {
                continue;
            }
            let Some(recipient) = recipient.filter(|r| r.contains('@')) else {
                return Err(NotifyError::bad_request("Can only send a file by email"));
            };
            let spec = FileSpec::parse(key, value)?;
            let id = Uuid::new_v4();
            let file = FileRow {
                id,
                service_id: caller.service.id,
                notification_id: Some(notification_id),
                purpose: "email".into(),
                filename: spec.filename.clone(),
                mime_type: spec.mime_type.into(),
                confirm_email: spec.confirm_email,
                recipient_hash: Some(sha256(recipient.as_bytes()).to_vec()),
                sealed: self.kernel.keys().master().encrypt(id.as_bytes(), &spec.bytes),
                created_at: now,
                expires_at: now.plus(time::Duration::weeks(spec.retention_weeks)),
            };
            *value = Value::String(format!("{}/notify/files/{id}", self.public_base()));
            files.push(file);
        }
        Ok(files)
    }

    /// The public address of this deployment, for links in messages.
    pub fn public_base(&self) -> String {
        self.kernel.config().public_base()
    }
}

struct FileSpec {
    bytes: Vec<u8>,
    filename: Option<String>,
    mime_type: &'static str,
    confirm_email: bool,
    retention_weeks: i64,
}

impl FileSpec {
    fn parse(key: &str, value: &Value) -> Result<FileSpec, NotifyError> {
        let Some(obj) = value.as_object() else {
            return Err(NotifyError::validation(format!("personalisation {key} is not of type object")));
        };
        if let Some(extra) = obj.keys().find(|k| {
            !["file", "filename", "confirm_email_before_download", "retention_period", "is_csv"].contains(&k.as_str())
        }) {
            return Err(NotifyError::validation(format!(
                "Additional properties are not allowed ({extra} was unexpected)"
            )));
        }
        if obj.get("is_csv").is_some_and(|v| !v.is_null()) && obj.get("filename").is_some_and(|v| !v.is_null()) {
            return Err(NotifyError::validation("Do not set a value for `is_csv` if `filename` is set."));
        }
        let flag = |name: &str, default: bool| match obj.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(NotifyError::validation(format!(
                "Unsupported value for {name}: {}. Use a boolean true or false value.",
                plain(other)
            ))),
        };
        let confirm_email = flag("confirm_email_before_download", true)?;
        let is_csv = flag("is_csv", false)?;
        let retention_weeks = match obj.get("retention_period") {
            None | Some(Value::Null) => DEFAULT_RETENTION_WEEKS,
            Some(v) => {
                let text = plain(v).trim().to_lowercase();
                let weeks = text
                    .strip_suffix(" weeks")
                    .or_else(|| text.strip_suffix(" week"))
                    .and_then(|n| n.parse::<i64>().ok())
                    .filter(|n| (1..=78).contains(n));
                weeks.ok_or_else(|| {
                    NotifyError::validation(format!(
                        "Unsupported value for retention_period: {}. Supported periods are from 1 to 78 weeks.",
                        plain(v)
                    ))
                })?
            }
        };
        let filename = match obj.get("filename") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => {
                if !name.contains('.') {
                    return Err(NotifyError::validation(
                        "`filename` must end with a file extension. For example, filename.csv",
                    ));
                }
                if name.chars().count() > 100 {
                    return Err(NotifyError::bad_request("`filename` cannot be longer than 100 characters"));
                }
                Some(name.clone())
            }
            Some(other) => {
                return Err(NotifyError::validation(format!("filename {} is not of type string", plain(other))));
            }
        };
        let data = obj.get("file").and_then(Value::as_str).unwrap_or_default();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|_| NotifyError::bad_request("File is not valid base64"))?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(NotifyError::bad_request("File is larger than 2MB"));
        }
        let extension = match &filename {
            Some(name) => name.rsplit('.').next().unwrap_or_default().to_lowercase(),
            None if is_csv => "csv".into(),
            None => sniff(&bytes).into(),
        };
        let mime_type = ALLOWED_EXTENSIONS.iter().find(|(e, _)| *e == extension).map(|(_, m)| *m).ok_or_else(|| {
            let allowed: Vec<&str> = ALLOWED_EXTENSIONS.iter().map(|(e, _)| *e).collect();
            NotifyError::bad_request(format!(
                "Unsupported file type '{extension}'. Supported types are: '{}'",
                allowed.join("', '")
            ))
        })?;
        Ok(FileSpec { bytes, filename, mime_type, confirm_email, retention_weeks })
    }
}

/// The type of a file sent without a name, from its first bytes.
fn sniff(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"%PDF-") {
        "pdf"
    } else if bytes.starts_with(b"\x89PNG") {
        "png"
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        "jpg"
    } else if std::str::from_utf8(bytes).is_ok() {
        "txt"
    } else {
        "bin"
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
