-- The search index keyed by a small number per (register, searchable field) instead of both
-- names in every entry: entries are a third narrower, and bulk imports write them faster.

-- One number per searchable field of a register, assigned when first needed and never reused
-- (AUTOINCREMENT), so that a key read once keeps naming the same field.
CREATE TABLE registry_fields (
    key INTEGER PRIMARY KEY AUTOINCREMENT,
    register TEXT NOT NULL,
    field TEXT NOT NULL,
    UNIQUE (register, field)
);

-- Current values of searchable fields (from each record's head). No rowid: the key is the row.
CREATE TABLE registry_search (
    -- registry_fields.key (no foreign key: a check per entry would slow bulk imports down)
    key INTEGER NOT NULL,
    value TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (key, value, record_id)
) WITHOUT ROWID;

INSERT INTO registry_fields (register, field)
    SELECT DISTINCT register, field FROM registry_index ORDER BY register, field;
INSERT INTO registry_search (key, value, record_id)
    SELECT f.key, i.value, i.record_id FROM registry_index i
    JOIN registry_fields f ON f.register = i.register AND f.field = i.field
    ORDER BY f.key, i.value, i.record_id;
DROP TABLE registry_index;
