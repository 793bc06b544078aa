-- Explicit requests for evidence: a consumer asks for data about a person through one of its
-- e-services; the person previews the data and approves or refuses before anything is
-- released; the data, sealed under the master key, is kept only between the preview and its
-- one release (or the request's expiry).

CREATE TABLE exchange_evidence_requests (
    id BLOB PRIMARY KEY,
    created_at TEXT NOT NULL,
    -- The person decides before this instant.
    expires_at TEXT NOT NULL,
    -- pending | approved | refused | expired
    status TEXT NOT NULL,
    national_id TEXT NOT NULL,
    -- /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/path[?query], as a gateway call.
    service_path TEXT NOT NULL,
    -- INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE
    service TEXT NOT NULL,
    eservice_id BLOB NOT NULL,
    eservice_title TEXT NOT NULL,
    provider_name TEXT NOT NULL,
    agreement_id BLOB NOT NULL,
    purpose_id BLOB NOT NULL,
    purpose_title TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    consumer_org BLOB NOT NULL,
    consumer_name TEXT NOT NULL,
    -- INSTANCE/CLASS/MEMBER/SUBSYSTEM of the consumer's subsystem.
    client TEXT NOT NULL,
    subsystem_title TEXT NOT NULL,
    requester_title TEXT NOT NULL,
    reason TEXT NOT NULL,
    return_url TEXT NOT NULL,
    -- SHA-256 of the single-use preview token, and of the person's session secret.
    token_hash BLOB NOT NULL,
    token_used_at TEXT,
    session_hash BLOB,
    -- The data as last previewed, sealed (AAD "exchange-evidence:{id}"), and its digest.
    snapshot BLOB,
    snapshot_digest TEXT,
    previewed_at TEXT,
    decided_at TEXT,
    -- An approved request's data is released at most once, before this instant.
    release_until TEXT,
    released_at TEXT,
    -- The message log entry of the release.
    log_seq INTEGER
);
CREATE UNIQUE INDEX exchange_evidence_requests_token ON exchange_evidence_requests (token_hash);
CREATE INDEX exchange_evidence_requests_due ON exchange_evidence_requests (status, expires_at);
