-- Kernel tables: organisations, members, API keys, sessions, audit log, jobs, keys.
CREATE TABLE kernel_organisations (
    id UUID PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('platform', 'agency', 'business')),
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE kernel_members (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES kernel_organisations (id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    disabled_at TIMESTAMPTZ,
    UNIQUE (org_id, email)
);
CREATE INDEX kernel_members_email ON kernel_members (email);

CREATE TABLE kernel_api_keys (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES kernel_organisations (id),
    block TEXT NOT NULL,
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    token_prefix TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX kernel_api_keys_org ON kernel_api_keys (org_id);

CREATE TABLE kernel_sessions (
    token_hash BYTEA PRIMARY KEY,
    member_id UUID NOT NULL REFERENCES kernel_members (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE kernel_login_links (
    token_hash BYTEA PRIMARY KEY,
    member_id UUID NOT NULL REFERENCES kernel_members (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

CREATE TABLE kernel_audit (
    seq BIGINT PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    org_id UUID,
    request_id TEXT,
    details TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);
CREATE INDEX kernel_audit_org ON kernel_audit (org_id, seq);

CREATE TABLE kernel_audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    kid TEXT,
    signature BYTEA
);
INSERT INTO kernel_audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

CREATE TABLE kernel_audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL,
    kid TEXT NOT NULL,
    signature BYTEA NOT NULL,
    at TIMESTAMPTZ NOT NULL
);

CREATE TABLE kernel_jobs (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    locked_by TEXT,
    locked_until TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    UNIQUE (kind, idempotency_key)
);
CREATE INDEX kernel_jobs_ready ON kernel_jobs (state, run_at);

CREATE TABLE kernel_job_runs (
    id BIGSERIAL PRIMARY KEY,
    job_id UUID NOT NULL REFERENCES kernel_jobs (id),
    worker TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    outcome TEXT,
    error TEXT
);
CREATE INDEX kernel_job_runs_job ON kernel_job_runs (job_id);

CREATE TABLE kernel_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    purpose TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    private_sealed BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    retire_at TIMESTAMPTZ
);
-- One active key per purpose and algorithm, even when several processes start at once.
CREATE UNIQUE INDEX kernel_keys_one_active ON kernel_keys (purpose, alg) WHERE retire_at IS NULL;
