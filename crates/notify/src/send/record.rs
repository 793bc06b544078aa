//! Recording progress: timeline elements appended in one transaction with the legal facts they
//! carry (stored, and their hashes audited), the notification's new status, the messages and
//! jobs they cause, and the events of the sender's streams.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::audit::{Actor, Event};
use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::jobs::NewJob;
use serde_json::{Value, json};

use super::notices::{self, Outgoing};
use super::status::{self, DEFAULT_FILTER, Element, LegalFactId};
use super::store::{self, LegalFactRow, NotificationRow, StreamRow};
use super::{Send, legal_facts};

/// An element to append.
pub struct NewElement {
    pub element_id: String,
    pub category: &'static str,
    pub rec_index: Option<i32>,
    pub at: Timestamp,
    pub details: Value,
    /// A legal fact to store with it: category, sealed PDF and its base64 SHA-256.
    pub legal_fact: Option<(&'static str, Vec<u8>, String)>,
    /// Who caused it and the audit action, written in the same transaction when the element is
    /// new (an element recorded before is not audited again).
    pub audit: Option<(Actor, &'static str)>,
}

impl NewElement {
    /// An element whose id follows SEND's `CATEGORY.IUN_….RECINDEX_n…` shape.
    pub fn new(
        category: &'static str,
        iun: &str,
        rec_index: Option<i32>,
        suffix: &str,
        at: Timestamp,
        details: Value,
    ) -> Self {
        let rec = rec_index.map(|r| format!(".RECINDEX_{r}")).unwrap_or_default();
        let mut details = details;
        if let (Some(r), Some(map)) = (rec_index, details.as_object_mut()) {
            map.insert("recIndex".into(), json!(r));
        }
        NewElement {
            element_id: format!("{category}.IUN_{iun}{rec}{suffix}"),
            category,
            rec_index,
            at,
            details,
            legal_fact: None,
            audit: None,
        }
    }

    pub fn with_legal_fact(mut self, fact: (&'static str, Vec<u8>, String)) -> Self {
        self.legal_fact = Some(fact);
        self
    }

    /// Audit the element as `action` by `actor` when it is recorded.
    pub fn audited(mut self, actor: &Actor, action: &'static str) -> Self {
        self.audit = Some((actor.clone(), action));
        self
    }
}

/// Everything one step of a workflow records, committed together.
#[derive(Default)]
pub struct Plan {
    pub elements: Vec<NewElement>,
    pub messages: Vec<Outgoing>,
    pub jobs: Vec<NewJob>,
    /// `(rec_index, refinement due)`; `None` clears it.
    pub due: Vec<(i32, Option<Timestamp>)>,
    pub refined: Vec<(i32, Timestamp)>,
    pub viewed: Vec<(i32, Timestamp)>,
}

/// A new legal fact key, e.g. `PN_LEGAL_FACTS-0002-9G2S-RK3M-JI62-JK9Q`.
pub fn new_key(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let bytes = publica_kernel::crypto::random_bytes::<20>();
    let chars: Vec<char> = bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    format!("{prefix}-{}", groups.join("-"))
}

impl Send {
    /// Commit `plan` for notification `n`. Elements already recorded are skipped (so a step
    /// that runs twice records once); returns how many elements were new.
    pub(crate) async fn commit(&self, n: &NotificationRow, plan: Plan) -> Result<usize> {
        let channels = if plan.messages.is_empty() { None } else { Some(self.channels().await?) };
        let notify = self.notify()?;
        let recipients = n.request["recipients"].as_array().map_or(0, Vec::len);
        let mut tx = self.kernel.db().begin().await?;
        store::lock(&mut tx, &n.iun, Timestamp::now()).await?;
        let mut history = store::categories_in(&mut tx, &n.iun).await?;
        let streams = store::active_streams_in(&mut tx, n.sender_id).await?;
        let mut added = 0;
        let mut status = status::status_of(history.iter().map(|(c, r)| (c.as_str(), *r)), recipients);
        for e in plan.elements {
            let mut legal_facts = Vec::new();
            if let Some((category, pdf, sha256)) = e.legal_fact {
                let key = new_key("PN_LEGAL_FACTS");
                self.store_legal_fact(&mut tx, n, &key, category, e.rec_index, pdf, &sha256).await?;
                legal_facts.push(LegalFactId { key, category: category.into() });
            }
            history.push((e.category.to_string(), e.rec_index));
            let after = status::status_of(history.iter().map(|(c, r)| (c.as_str(), *r)), recipients);
            let new_status = (after != status).then(|| after.to_string());
            let element = Element {
                seq: 0,
                element_id: e.element_id,
                iun: n.iun.clone(),
                category: e.category.into(),
                rec_index: e.rec_index,
                at: e.at,
                ingested_at: Timestamp::now(),
                details: e.details,
                legal_facts,
                new_status: new_status.clone(),
            };
            let Some(seq) = store::insert_element(&mut tx, &element).await? else {
                // Recorded before: undo the bookkeeping for it and go on.
                history.pop();
                continue;
            };
            added += 1;
            if let Some((actor, action)) = &e.audit {
                let event = Event::new(actor, action, "notification", &n.iun).org(n.sender_id).details(json!({
                    "elementId": element.element_id, "category": element.category, "recIndex": element.rec_index,
                    "details": element.details, "newStatus": new_status,
                }));
                self.kernel.audit(&mut tx, event).await?;
            }
            if let Some(s) = &new_status {
                store::set_status(&mut tx, &n.iun, s).await?;
                status = after;
            }
            for stream in &streams {
                if wants(stream, &element.category, new_status.as_deref()) {
                    store::add_stream_event(&mut tx, stream.id, seq, new_status.as_deref()).await?;
                }
            }
        }
        if let Some(channels) = &channels {
            for message in plan.messages {
                notices::enqueue(&notify, channels, &mut tx, message).await?;
            }
        }
        for job in plan.jobs {
            self.kernel.enqueue(&mut tx, job).await?;
        }
        for (rec, due) in plan.due {
            store::set_refinement_due(&mut tx, &n.iun, rec, due).await?;
        }
        for (rec, at) in plan.viewed {
            store::set_viewed(&mut tx, &n.iun, rec, at).await?;
        }
        for (rec, at) in plan.refined {
            store::set_refined(&mut tx, &n.iun, rec, at).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    #[allow(clippy::too_many_arguments)]
    async fn store_legal_fact(
        &self,
        tx: &mut Tx,
        n: &NotificationRow,
        key: &str,
        category: &str,
        rec_index: Option<i32>,
        pdf: Vec<u8>,
        sha256: &str,
    ) -> Result<()> {
        let hex: String = STANDARD.decode(sha256).unwrap_or_default().iter().map(|b| format!("{b:02x}")).collect();
        let bytes = pdf.len();
        store::insert_legal_fact(
            tx,
            &LegalFactRow {
                key: key.into(),
                iun: n.iun.clone(),
                category: category.into(),
                rec_index,
                pdf,
                sha256: sha256.into(),
                created_at: self.now(),
            },
        )
        .await?;
        self.kernel
            .audit(
                tx,
                Event::new(&Actor::system("notify.send"), "notify.send.legal_fact.created", "legal_fact", key)
                    .org(n.sender_id)
                    .details(json!({
                        "iun": n.iun, "category": category, "recIndex": rec_index,
                        "sha256": sha256, "sha256_hex": hex, "bytes": bytes,
                    })),
            )
            .await?;
        Ok(())
    }
}

/// Whether `stream` takes an element of `category` (that moved the status to `new_status`).
fn wants(stream: &StreamRow, category: &str, new_status: Option<&str>) -> bool {
    let filters = &stream.filter_values;
    if stream.event_type == "STATUS" {
        return new_status.is_some_and(|s| filters.is_empty() || filters.iter().any(|f| f == s));
    }
    filters.is_empty()
        || filters.iter().any(|f| f == category)
        || (filters.iter().any(|f| f == "DEFAULT") && DEFAULT_FILTER.contains(&category))
}

/// Categories of legal facts, for checking paths.
pub fn is_legal_fact_category(category: &str) -> bool {
    legal_facts::CATEGORIES.contains(&category)
}
