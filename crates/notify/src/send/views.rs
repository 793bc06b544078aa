//! What senders and recipients read: the request status, the sent notification with its status
//! history and timeline (SEND's `FullSentNotificationV28`), a person's received notifications
//! and their detail, and download metadata with short-lived signed URLs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use publica_kernel::crypto::{constant_time_eq, hmac_sha256};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use serde_json::{Value, json};
use uuid::Uuid;

use super::status::{self, Element};
use super::store::{self, NotificationRow};
use super::{Send, iun};

/// A person's search (`GET /delivery/notifications/received`).
#[derive(Clone, Debug)]
pub struct Received {
    pub tax_id: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub status: Option<String>,
    pub iun_match: Option<String>,
    pub sender_id: Option<Uuid>,
    /// Case-insensitive text the subject must contain.
    pub subject: Option<String>,
    pub size: i64,
    pub next_pages_key: Option<String>,
}

/// How a request is named in `GET /delivery/v2.6/requests`.
pub enum RequestKey<'a> {
    RequestId(&'a str),
    Protocol(&'a str, &'a str),
}

fn page_key(at: Timestamp, iun: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{iun}", at.to_fixed()))
}

fn parse_page_key(key: &str) -> Option<(Timestamp, String)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(key).ok()?).ok()?;
    let (at, iun) = text.split_once('|')?;
    Some((Timestamp::parse(at).ok()?, iun.to_string()))
}

impl Send {
    /// `NewNotificationRequestStatusResponseV26`.
    pub async fn request_status(&self, sender_id: Uuid, key: RequestKey<'_>) -> Result<Value> {
        let db = self.kernel.db();
        let n = match key {
            RequestKey::RequestId(id) => match iun::iun_of_request_id(id) {
                Some(iun) => store::notification(db, &iun).await?,
                None => return Err(Error::invalid("notificationRequestId", "not a notification request id")),
            },
            RequestKey::Protocol(protocol, token) => store::by_protocol(db, sender_id, protocol, token).await?,
        };
        let n = n.filter(|n| n.sender_id == sender_id).ok_or_else(|| Error::not_found("notification request"))?;
        let mut out = n.request.clone();
        out["notificationRequestId"] = json!(n.request_id);
        match n.status.as_str() {
            "IN_VALIDATION" => {
                out["notificationRequestStatus"] = json!("WAITING");
                out["retryAfter"] = json!(10);
            }
            "REFUSED" => {
                out["notificationRequestStatus"] = json!("REFUSED");
                let errors: Vec<Value> = n
                    .errors
                    .iter()
                    .flat_map(|e| e.as_array().cloned().unwrap_or_default())
                    .map(|e| {
                        let element = e["recIndex"].as_i64().map(|i| format!("recipients[{i}]"));
                        json!({"code": e["errorCode"], "detail": e["detail"], "element": element})
                    })
                    .collect();
                out["errors"] = json!(errors);
            }
            _ => {
                out["notificationRequestStatus"] = json!("ACCEPTED");
                out["iun"] = json!(n.iun);
            }
        }
        Ok(out)
    }

    /// A notification of `sender_id` with its status, history and timeline; not found while
    /// in validation or when refused (as SEND).
    pub async fn sent_notification(&self, sender_id: Uuid, iun: &str) -> Result<Value> {
        let n = self
            .accepted(iun)
            .await?
            .filter(|n| n.sender_id == sender_id)
            .ok_or_else(|| Error::not_found(format!("notification {iun}")))?;
        let timeline = store::timeline(self.kernel.db(), iun).await?;
        Ok(self.detail(&n, &timeline, None))
    }

    async fn accepted(&self, iun: &str) -> Result<Option<NotificationRow>> {
        Ok(store::notification(self.kernel.db(), iun)
            .await?
            .filter(|n| !["IN_VALIDATION", "REFUSED"].contains(&n.status.as_str())))
    }

    fn detail(&self, n: &NotificationRow, timeline: &[Element], only: Option<i32>) -> Value {
        let recipients = n.request["recipients"].as_array().map_or(0, Vec::len);
        let mut out = n.request.clone();
        if let (Some(rec), Some(list)) = (only, out["recipients"].as_array().cloned()) {
            out["recipients"] = json!(list.get(rec as usize).into_iter().collect::<Vec<_>>());
        }
        out["iun"] = json!(n.iun);
        out["sentAt"] = json!(n.sent_at);
        out["senderPaId"] = json!(n.sender_id);
        out["notificationStatus"] = json!(n.status);
        out["notificationStatusHistory"] = json!(status::history(timeline, recipients));
        out["timeline"] = json!(
            timeline
                .iter()
                .filter(|e| only.is_none() || e.rec_index.is_none() || e.rec_index == only)
                .map(|e| e.to_json(n.sent_at))
                .collect::<Vec<_>>()
        );
        out["documentsAvailable"] = json!(only.is_none() || n.status != "CANCELLED");
        if let Some(by) = &n.cancelled_by_iun {
            out["cancelledByIun"] = json!(by);
        }
        out
    }

    /// A person's notifications, newest first (`NotificationSearchResponse`).
    pub async fn received(&self, q: &Received) -> Result<Value> {
        let after = match &q.next_pages_key {
            Some(k) => Some(
                parse_page_key(k).ok_or_else(|| Error::invalid("nextPagesKey", "not a key from a previous page"))?,
            ),
            None => None,
        };
        let size = q.size.clamp(1, 50);
        let filter = store::ReceivedFilter {
            tax_id: &q.tax_id,
            start: q.start,
            end: q.end,
            status: q.status.as_deref(),
            iun: q.iun_match.as_deref(),
            sender_id: q.sender_id,
            after,
            limit: size + 1,
        };
        let rows = store::received(self.kernel.db(), &filter).await?;
        let more = rows.len() as i64 > size;
        let page: Vec<_> = rows.into_iter().take(size as usize).collect();
        let next = if more { page.last().map(|(n, _)| page_key(n.sent_at, &n.iun)) } else { None };
        let wanted = q.subject.as_ref().map(|s| s.to_lowercase());
        let results: Vec<Value> = page
            .iter()
            .filter(|(n, _)| {
                wanted.as_ref().is_none_or(|w| n.request["subject"].as_str().unwrap_or("").to_lowercase().contains(w))
            })
            .map(|(n, _)| {
                json!({
                    "iun": n.iun, "paProtocolNumber": n.pa_protocol_number, "sender": n.request["senderDenomination"],
                    "sentAt": n.sent_at, "subject": n.request["subject"], "notificationStatus": n.status,
                    "recipients": [q.tax_id], "group": n.request["group"], "communicationType": "LEGAL",
                })
            })
            .collect();
        Ok(json!({"resultsPage": results, "moreResult": more, "nextPagesKey": next.into_iter().collect::<Vec<_>>()}))
    }

    /// The recipient index of `tax_id` in `iun`, for an accepted notification.
    async fn recipient_index(&self, tax_id: &str, iun: &str) -> Result<(NotificationRow, i32)> {
        let n = self.accepted(iun).await?.ok_or_else(|| Error::not_found(format!("notification {iun}")))?;
        let rec = store::recipients(self.kernel.db(), iun)
            .await?
            .into_iter()
            .find(|r| r.tax_id == tax_id)
            .ok_or_else(|| Error::not_found(format!("notification {iun} for this person")))?;
        Ok((n, rec.rec_index))
    }

    /// A person's notification. Reading it is an access: the first one is recorded (with its
    /// legal fact) and perfects the notification for them.
    pub async fn received_notification(&self, tax_id: &str, iun: &str) -> Result<Value> {
        let (n, rec) = self.recipient_index(tax_id, iun).await?;
        if n.status != "CANCELLED" && !n.cancel_requested {
            self.viewed_now(iun, rec).await?;
        }
        let timeline = store::timeline(self.kernel.db(), iun).await?;
        Ok(self.detail(&n, &timeline, Some(rec)))
    }

    /// Download metadata of document `doc` for the sender (`recipient` None) or a recipient
    /// (an access, like reading the detail; refused once cancelled).
    pub async fn document(
        &self,
        sender_id: Option<Uuid>,
        recipient: Option<&str>,
        iun: &str,
        doc: usize,
        base: &str,
    ) -> Result<Value> {
        let n = match recipient {
            Some(tax_id) => {
                let (n, rec) = self.recipient_index(tax_id, iun).await?;
                if n.status == "CANCELLED" || n.cancel_requested {
                    return Err(Error::not_found("documents of a cancelled notification"));
                }
                self.viewed_now(iun, rec).await?;
                n
            }
            None => self
                .accepted(iun)
                .await?
                .filter(|n| Some(n.sender_id) == sender_id)
                .ok_or_else(|| Error::not_found(format!("notification {iun}")))?,
        };
        let d = &n.request["documents"][doc];
        let key = d["ref"]["key"].as_str().ok_or_else(|| Error::not_found(format!("document {doc}")))?;
        let key = key.strip_prefix("safestorage://").unwrap_or(key);
        let file =
            store::file(self.kernel.db(), key).await?.ok_or_else(|| Error::not_found(format!("document {doc}")))?;
        Ok(json!({
            "filename": format!("{}.pdf", d["title"].as_str().unwrap_or(key)),
            "contentType": file.content_type, "contentLength": file.size, "sha256": file.sha256,
            "url": self.download_url(base, key),
        }))
    }

    /// The legal facts of a notification (sender or recipient view).
    pub async fn legal_facts(&self, sender_id: Option<Uuid>, recipient: Option<&str>, iun: &str) -> Result<Value> {
        let only = self.party_check(sender_id, recipient, iun).await?;
        let recipients = store::recipients(self.kernel.db(), iun).await?;
        let facts = store::legal_facts_of(self.kernel.db(), iun).await?;
        Ok(json!(
            facts
                .into_iter()
                .filter(|(_, _, rec)| only.is_none() || rec.is_none() || *rec == only)
                .map(|(key, category, rec)| {
                    let tax_id =
                        rec.and_then(|r| recipients.iter().find(|x| x.rec_index == r)).map(|r| r.tax_id.clone());
                    json!({"taxId": tax_id, "iun": iun, "legalFactsId": {"key": key, "category": category}})
                })
                .collect::<Vec<_>>()
        ))
    }

    /// Download metadata of one legal fact.
    pub async fn legal_fact(
        &self,
        sender_id: Option<Uuid>,
        recipient: Option<&str>,
        iun: &str,
        key: &str,
        base: &str,
    ) -> Result<Value> {
        let only = self.party_check(sender_id, recipient, iun).await?;
        let key = key.strip_prefix("safestorage://").unwrap_or(key);
        let fact = store::legal_fact(self.kernel.db(), key)
            .await?
            .filter(|f| f.iun == iun && (only.is_none() || f.rec_index.is_none() || f.rec_index == only))
            .ok_or_else(|| Error::not_found(format!("legal fact {key}")))?;
        Ok(json!({
            "filename": format!("{}_{}.pdf", fact.category, fact.key), "contentLength": fact.pdf.len(),
            "sha256": fact.sha256, "category": fact.category, "url": self.download_url(base, key),
        }))
    }

    /// Who may read `iun`: its sender (`None` = everything) or a recipient (their index).
    /// Recipients cannot download once it is cancelled.
    async fn party_check(&self, sender_id: Option<Uuid>, recipient: Option<&str>, iun: &str) -> Result<Option<i32>> {
        match recipient {
            Some(tax_id) => {
                let (n, rec) = self.recipient_index(tax_id, iun).await?;
                if n.status == "CANCELLED" {
                    return Err(Error::not_found("legal facts of a cancelled notification"));
                }
                Ok(Some(rec))
            }
            None => {
                self.accepted(iun)
                    .await?
                    .filter(|n| Some(n.sender_id) == sender_id)
                    .ok_or_else(|| Error::not_found(format!("notification {iun}")))?;
                Ok(None)
            }
        }
    }

    /// A download URL for a document or legal fact, valid for the configured time.
    pub fn download_url(&self, base: &str, key: &str) -> String {
        let expires = Timestamp::now().unix_seconds() + self.config.url_ttl_seconds;
        let signature =
            URL_SAFE_NO_PAD.encode(hmac_sha256(&self.url_key, format!("download|{key}|{expires}").as_bytes()));
        format!("{base}/delivery/files/{key}?expires={expires}&signature={signature}")
    }

    /// Whether a download URL's signature is right and it has not expired.
    pub fn download_allowed(&self, key: &str, expires: i64, signature: &str) -> bool {
        let expected = hmac_sha256(&self.url_key, format!("download|{key}|{expires}").as_bytes());
        let given = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
        constant_time_eq(&expected, &given) && expires >= Timestamp::now().unix_seconds()
    }

    /// The bytes behind a download key: a document (opened) or a legal fact.
    pub async fn download(&self, key: &str) -> Result<(String, Vec<u8>)> {
        if let Some(fact) = store::legal_fact(self.kernel.db(), key).await? {
            return Ok(("application/pdf".into(), fact.pdf));
        }
        let file = store::file(self.kernel.db(), key).await?.ok_or_else(|| Error::not_found(format!("file {key}")))?;
        let sealed = file.content.ok_or_else(|| Error::not_found(format!("file {key} (not uploaded)")))?;
        Ok((file.content_type, self.open_file(key, &sealed)?))
    }
}
