//! Writes to registers: create, change, correct, delete (one record per transaction, owner
//! only, audited). Bulk insertion is in [`super::batch`].
//!
//! A change from D supersedes the head and writes its copy closed at D plus the new fact from
//! D; a correction supersedes the head and writes the corrected fact over the same valid time;
//! a deletion from D writes the closed copy and a `deleted` version from D. Superseded rows
//! stay: every read "valid at X as known at Y" remains answerable.

use std::sync::Arc;

use publica_kernel::audit::{Actor, Event};
use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::error::{Error, Result};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Registry;
use crate::domain::register::{IndexField, index_values};
use crate::domain::{ChangeKind, Record, RegisterInfo};
use crate::store;
use crate::store::write::NewVersion;

/// Longest reason for a correction or deletion, in characters.
const MAX_REASON: usize = 1000;

fn reason_field(reason: &str) -> Result<&str> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON {
        return Err(Error::invalid(
            "reason",
            format!("say why, in 1 to {MAX_REASON} characters (it stays in the record's history)"),
        ));
    }
    Ok(reason)
}

fn unchanged_id(info: &RegisterInfo, id_in_data: &str, id: &str) -> Result<()> {
    if id_in_data != id {
        return Err(Error::invalid(
            info.id_pointer(),
            format!("a record keeps its identifier: expected {id}, the data says {id_in_data}"),
        ));
    }
    Ok(())
}

fn after_head(head: &Record, from: Timestamp) -> Result<()> {
    if from <= head.valid_from {
        return Err(Error::invalid(
            "valid_from",
            format!(
                "must be after the start of the latest version ({}); to fix that version, correct it",
                head.valid_from
            ),
        ));
    }
    Ok(())
}

/// Close `head` at `from` (after its start): with the register's feed locked, the head is
/// superseded at `now` and its copy valid until `from` written, outside the change feed. The
/// closed copy, for the version that follows it to build on.
async fn close_head<'a>(
    tx: &mut Tx,
    head: &'a Record,
    from: Timestamp,
    now: Timestamp,
    actor: &'a Actor,
) -> Result<NewVersion<'a>> {
    after_head(head, from)?;
    store::write::lock_feed(tx, &head.register).await?;
    store::write::supersede(tx, head.seq, now).await?;
    let closed = NewVersion {
        register: &head.register,
        record_id: &head.id,
        kind: head.kind,
        reason: head.reason.as_deref(),
        data: Some(head.data.to_string()),
        valid_from: head.valid_from,
        valid_to: Some(from),
        recorded_at: now,
        actor: Some(&actor.0),
        feed: false,
    };
    store::write::insert_version(tx, &closed).await?;
    Ok(closed)
}

/// Write the version that becomes the record's head: its sequence number, or a conflict when
/// another write got there first.
async fn insert_head(tx: &mut Tx, version: &NewVersion<'_>) -> Result<i64> {
    store::write::insert_version(tx, version).await?.ok_or_else(|| {
        Error::Conflict(format!("{} record {} changed concurrently; retry", version.register, version.record_id))
    })
}

/// The search keys of `fields` (as [`store::write::field_keys`]).
async fn keys(tx: &mut Tx, register: &str, fields: &[IndexField]) -> Result<Vec<i64>> {
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    store::write::field_keys(tx, register, &names).await
}

/// The key of the field named `name` among `fields`, whose keys are `keys`.
fn key_of(fields: &[IndexField], keys: &[i64], name: &str) -> Result<i64> {
    fields
        .iter()
        .position(|f| f.name == name)
        .and_then(|i| keys.get(i).copied())
        .ok_or_else(|| Error::internal(format!("no search key for field {name}")))
}

/// Bring a record's search entries from the values of `old` data to those of `new`.
async fn reindex(tx: &mut Tx, register: &str, id: &str, fields: &[IndexField], old: &Value, new: &Value) -> Result<()> {
    let old = index_values(fields, old);
    let new = index_values(fields, new);
    if old == new {
        return Ok(());
    }
    let keys = keys(tx, register, fields).await?;
    let removed = old
        .iter()
        .filter(|e| !new.contains(e))
        .map(|(f, v)| Ok((key_of(fields, &keys, f)?, v.clone())))
        .collect::<Result<Vec<_>>>()?;
    let shared: Arc<str> = Arc::from(id);
    let mut added = new
        .iter()
        .filter(|e| !old.contains(e))
        .map(|(f, v)| Ok((key_of(fields, &keys, f)?, v.clone(), shared.clone())))
        .collect::<Result<Vec<_>>>()?;
    added.sort_unstable();
    store::write::remove_index(tx, id, &removed).await?;
    store::write::add_index(tx, added).await
}

/// Rebuild a register's whole search index from its heads (when its searchable fields change).
pub(super) async fn rebuild_index(tx: &mut Tx, register: &str, fields: &[IndexField]) -> Result<()> {
    store::write::clear_index(tx, register).await?;
    let keys = keys(tx, register, fields).await?;
    let mut after = String::new();
    loop {
        let page = store::write::heads_data(tx, register, &after, 1000).await?;
        let Some((last, _)) = page.last() else { break };
        after = last.clone();
        let mut entries = Vec::new();
        for (id, data) in page {
            let data: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
            let id: Arc<str> = Arc::from(id);
            for (field, value) in index_values(fields, &data) {
                entries.push((key_of(fields, &keys, &field)?, value, id.clone()));
            }
        }
        entries.sort_unstable();
        store::write::add_index(tx, entries).await?;
    }
    Ok(())
}

fn record_event(actor: &Actor, action: &str, org: Uuid, register: &str, id: &str, details: Value) -> Event {
    let mut details = details;
    if let Some(map) = details.as_object_mut() {
        map.insert("register".into(), json!(register));
        map.insert("record_id".into(), json!(id));
    }
    Event::new(actor, action, "record", format!("{register}/{id}")).org(org).details(details)
}

impl Registry {
    /// The register's definition, if `org` owns it (only the authoritative source writes).
    async fn writable(&self, org: Uuid, register: &str) -> Result<RegisterInfo> {
        let info = self.register(register).await?;
        if info.owner_org != org {
            return Err(Error::Forbidden(format!(
                "only the organisation that keeps the `{register}` register writes to it"
            )));
        }
        Ok(info)
    }

    /// The head of a record to write over, locked (PostgreSQL). A head superseded by a
    /// concurrent writer while this one waited is looked up again.
    async fn lock_head(&self, tx: &mut Tx, register: &str, id: &str) -> Result<Record> {
        for _ in 0..20 {
            if let Some(head) = store::head(tx, register, id, true).await? {
                if head.kind == ChangeKind::Deleted {
                    return Err(Error::Conflict(format!("{register} record {id} is deleted")));
                }
                return Ok(head);
            }
            if store::head(tx, register, id, false).await?.is_none() {
                return Err(Error::not_found(format!("{register} record {id}")));
            }
        }
        Err(Error::Conflict(format!("{register} record {id} is being written by others; retry")))
    }

    /// Create a record, valid from `valid_from` (default now). The owner only; Conflict when
    /// the identifier is taken (also by a deleted record). Audited as `registry.record.created`.
    pub async fn create(
        &self,
        actor: &Actor,
        org: Uuid,
        register: &str,
        data: Value,
        valid_from: Option<Timestamp>,
    ) -> Result<Record> {
        let info = self.writable(org, register).await?;
        let compiled = self.compiled(&info)?;
        let id = compiled.validate(&data)?;
        let mut tx = self.kernel.db().begin().await?;
        store::write::lock_feed(&mut tx, register).await?;
        if let Some(head) = store::head(&mut tx, register, &id, false).await? {
            let state = if head.kind == ChangeKind::Deleted { "was deleted" } else { "exists" };
            return Err(Error::Conflict(format!("{register} record {id} {state}")));
        }
        let now = Timestamp::now();
        let valid_from = valid_from.unwrap_or(now);
        let version = NewVersion {
            register,
            record_id: &id,
            kind: ChangeKind::Created,
            reason: None,
            data: Some(data.to_string()),
            valid_from,
            valid_to: None,
            recorded_at: now,
            actor: Some(&actor.0),
            feed: true,
        };
        let seq = store::write::insert_version(&mut tx, &version)
            .await?
            .ok_or_else(|| Error::Conflict(format!("{register} record {id} exists")))?;
        reindex(&mut tx, register, &id, &compiled.index_fields, &Value::Null, &data).await?;
        let event = json!({"seq": seq, "valid_from": valid_from});
        self.kernel.audit(&mut tx, record_event(actor, "registry.record.created", org, register, &id, event)).await?;
        tx.commit().await?;
        Ok(Record {
            register: register.into(),
            id,
            data,
            seq,
            kind: ChangeKind::Created,
            reason: None,
            valid_from,
            valid_to: None,
            recorded_at: now,
            superseded_at: None,
        })
    }

    /// Record a real-world change: `data` holds from `valid_from` (default now), which must be
    /// after the start of the latest version. Audited as `registry.record.changed`.
    pub async fn change(
        &self,
        actor: &Actor,
        org: Uuid,
        register: &str,
        id: &str,
        data: Value,
        valid_from: Option<Timestamp>,
    ) -> Result<Record> {
        let info = self.writable(org, register).await?;
        let compiled = self.compiled(&info)?;
        unchanged_id(&info, &compiled.validate(&data)?, id)?;
        let mut tx = self.kernel.db().begin().await?;
        let head = self.lock_head(&mut tx, register, id).await?;
        let now = Timestamp::now();
        let from = valid_from.unwrap_or(now);
        let closed = close_head(&mut tx, &head, from, now, actor).await?;
        let version = NewVersion {
            kind: ChangeKind::Changed,
            reason: None,
            data: Some(data.to_string()),
            valid_from: from,
            valid_to: None,
            feed: true,
            ..closed
        };
        let seq = insert_head(&mut tx, &version).await?;
        reindex(&mut tx, register, id, &compiled.index_fields, &head.data, &data).await?;
        let event = json!({"seq": seq, "valid_from": from});
        self.kernel.audit(&mut tx, record_event(actor, "registry.record.changed", org, register, id, event)).await?;
        tx.commit().await?;
        Ok(Record {
            register: register.into(),
            id: id.into(),
            data,
            seq,
            kind: ChangeKind::Changed,
            reason: None,
            valid_from: from,
            valid_to: None,
            recorded_at: now,
            superseded_at: None,
        })
    }

    /// Correct the latest version: it was wrong, `data` is what should have been recorded over
    /// the same valid time. Reads "as known" before now still see the old data. Audited as
    /// `registry.record.corrected` (the reason stays in the history, not in the audit log).
    pub async fn correct(
        &self,
        actor: &Actor,
        org: Uuid,
        register: &str,
        id: &str,
        data: Value,
        reason: &str,
    ) -> Result<Record> {
        let reason = reason_field(reason)?;
        let info = self.writable(org, register).await?;
        let compiled = self.compiled(&info)?;
        unchanged_id(&info, &compiled.validate(&data)?, id)?;
        let mut tx = self.kernel.db().begin().await?;
        let head = self.lock_head(&mut tx, register, id).await?;
        let now = Timestamp::now();
        store::write::lock_feed(&mut tx, register).await?;
        store::write::supersede(&mut tx, head.seq, now).await?;
        let version = NewVersion {
            register,
            record_id: id,
            kind: ChangeKind::Corrected,
            reason: Some(reason),
            data: Some(data.to_string()),
            valid_from: head.valid_from,
            valid_to: None,
            recorded_at: now,
            actor: Some(&actor.0),
            feed: true,
        };
        let seq = insert_head(&mut tx, &version).await?;
        reindex(&mut tx, register, id, &compiled.index_fields, &head.data, &data).await?;
        let event = json!({"seq": seq, "corrects_seq": head.seq});
        self.kernel.audit(&mut tx, record_event(actor, "registry.record.corrected", org, register, id, event)).await?;
        tx.commit().await?;
        Ok(Record {
            register: register.into(),
            id: id.into(),
            data,
            seq,
            kind: ChangeKind::Corrected,
            reason: Some(reason.into()),
            valid_from: head.valid_from,
            valid_to: None,
            recorded_at: now,
            superseded_at: None,
        })
    }

    /// Delete a record from `valid_from` (default now): reads at later times find nothing;
    /// its history stays. Audited as `registry.record.deleted`.
    pub async fn delete(
        &self,
        actor: &Actor,
        org: Uuid,
        register: &str,
        id: &str,
        reason: &str,
        valid_from: Option<Timestamp>,
    ) -> Result<()> {
        let reason = reason_field(reason)?;
        let info = self.writable(org, register).await?;
        let compiled = self.compiled(&info)?;
        let mut tx = self.kernel.db().begin().await?;
        let head = self.lock_head(&mut tx, register, id).await?;
        let now = Timestamp::now();
        let from = valid_from.unwrap_or(now);
        let closed = close_head(&mut tx, &head, from, now, actor).await?;
        let deleted = NewVersion {
            kind: ChangeKind::Deleted,
            reason: Some(reason),
            data: None,
            valid_from: from,
            valid_to: None,
            feed: true,
            ..closed
        };
        let seq = insert_head(&mut tx, &deleted).await?;
        reindex(&mut tx, register, id, &compiled.index_fields, &head.data, &Value::Null).await?;
        let event = json!({"seq": seq, "valid_from": from});
        self.kernel.audit(&mut tx, record_event(actor, "registry.record.deleted", org, register, id, event)).await?;
        tx.commit().await?;
        Ok(())
    }
}
