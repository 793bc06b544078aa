-- Registry: register definitions, every version of every record on two time axes (valid time
-- and transaction time), and the search index of current values. Rows are kept narrow and
-- indexes few, for bulk import speed; record data is JSON text.

CREATE TABLE registry_registers (
    name TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    title TEXT NOT NULL,
    owner_org BLOB NOT NULL REFERENCES kernel_organisations (id),
    -- JSON Schema (draft 2020-12) of a record's data
    schema TEXT NOT NULL,
    id_field TEXT NOT NULL,
    id_scheme TEXT NOT NULL,
    -- JSON arrays of field names / JSON pointers
    indexed TEXT NOT NULL,
    person_fields TEXT NOT NULL,
    defined_at TEXT NOT NULL
);

-- One row per version. A read "valid at X as known at Y" takes the row with
-- valid_from <= X < valid_to and recorded_at <= Y < superseded_at (NULL: open).
-- AUTOINCREMENT: a sequence number is never reused, so change feed cursors stay valid.
CREATE TABLE registry_versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    register TEXT NOT NULL,
    record_id TEXT NOT NULL,
    -- created | changed | corrected | deleted
    kind TEXT NOT NULL,
    reason TEXT,
    -- NULL for a deleted version
    data TEXT,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    recorded_at TEXT NOT NULL,
    superseded_at TEXT,
    -- NULL for bulk imports (audited once, as a whole)
    actor TEXT,
    -- whether the row records a new fact (in the change feed) rather than closing one
    feed BOOLEAN NOT NULL,
    -- TRUE for the head of the record (believed now and open-ended), NULL otherwise
    head BOOLEAN
);
-- Every version of a record (history, reads at any time) and at most one head per record:
-- NULLs are distinct in a unique index, so only heads (head = TRUE) can collide.
CREATE UNIQUE INDEX registry_versions_record ON registry_versions (register, record_id, head);
-- The change feed, in order (partial: reads of one record never pick it over the record index).
CREATE INDEX registry_versions_feed ON registry_versions (register, seq) WHERE feed = TRUE;

-- Current values of searchable fields (from each record's head). No rowid: the key is the row.
CREATE TABLE registry_index (
    register TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (register, field, value, record_id)
) WITHOUT ROWID;
