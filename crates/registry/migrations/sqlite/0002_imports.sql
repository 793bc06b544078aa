-- Bulk imports: one row per import, named by the register and the file's SHA-256, recording how
-- far it got so that a second run with the same file continues where the first stopped. The file
-- itself (checked against its SHA-256 on every pass) holds the rows until they are written.
CREATE TABLE registry_imports (
    id TEXT PRIMARY KEY,
    register TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    partial INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    -- running | published | failed
    state TEXT NOT NULL,
    -- rows validated so far, in file order
    rows_checked BIGINT NOT NULL DEFAULT 0,
    -- rows written into the register so far (partial imports; all of them once published)
    rows_written BIGINT NOT NULL DEFAULT 0,
    -- the file's data rows, once every one has been checked
    rows_total BIGINT,
    actor TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX registry_imports_by_register ON registry_imports (register, started_at);
