-- Kernel tables: organisations, members, API keys, sessions, audit log, jobs, keys.
CREATE TABLE kernel_organisations (
    id BLOB PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('platform', 'agency', 'business')),
    created_at TEXT NOT NULL
);

CREATE TABLE kernel_members (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES kernel_organisations (id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled_at TEXT,
    UNIQUE (org_id, email)
);
CREATE INDEX kernel_members_email ON kernel_members (email);

CREATE TABLE kernel_api_keys (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES kernel_organisations (id),
    block TEXT NOT NULL,
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    token_prefix TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE INDEX kernel_api_keys_org ON kernel_api_keys (org_id);

CREATE TABLE kernel_sessions (
    token_hash BLOB PRIMARY KEY,
    member_id BLOB NOT NULL REFERENCES kernel_members (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE kernel_login_links (
    token_hash BLOB PRIMARY KEY,
    member_id BLOB NOT NULL REFERENCES kernel_members (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE kernel_audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    org_id BLOB,
    request_id TEXT,
    details TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX kernel_audit_org ON kernel_audit (org_id, seq);

CREATE TABLE kernel_audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL,
    kid TEXT,
    signature BLOB
);
INSERT INTO kernel_audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

CREATE TABLE kernel_audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    hash BLOB NOT NULL,
    kid TEXT NOT NULL,
    signature BLOB NOT NULL,
    at TEXT NOT NULL
);

CREATE TABLE kernel_jobs (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TEXT NOT NULL,
    locked_by TEXT,
    locked_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (kind, idempotency_key)
);
CREATE INDEX kernel_jobs_ready ON kernel_jobs (state, run_at);

CREATE TABLE kernel_job_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id BLOB NOT NULL REFERENCES kernel_jobs (id),
    worker TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,
    error TEXT
);
CREATE INDEX kernel_job_runs_job ON kernel_job_runs (job_id);

CREATE TABLE kernel_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    purpose TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    private_sealed BLOB NOT NULL,
    created_at TEXT NOT NULL,
    retire_at TEXT
);
-- One active key per purpose and algorithm, even when several processes start at once.
CREATE UNIQUE INDEX kernel_keys_one_active ON kernel_keys (purpose, alg) WHERE retire_at IS NULL;
