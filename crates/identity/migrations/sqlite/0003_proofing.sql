-- Identity proofing: how the identity provider reads the population register through the
-- exchange (its client, sealed private key, e-service and purpose: one row), every proofing
-- attempt (for the limits; the national id entered only as a keyed hash), and the identity
-- proofed for each account (one account per national id).

CREATE TABLE identity_proofing_setup (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    org_id BLOB NOT NULL,
    subsystem_id BLOB NOT NULL,
    client_header TEXT NOT NULL,
    client_id BLOB NOT NULL,
    key_id TEXT NOT NULL,
    key_sealed BLOB NOT NULL,
    eservice_id BLOB NOT NULL,
    service TEXT NOT NULL,
    agreement_id BLOB,
    purpose_id BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE identity_proofing_attempts (
    id BLOB PRIMARY KEY,
    account_id BLOB NOT NULL REFERENCES identity_accounts (id),
    subject_hash BLOB NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT
);
CREATE INDEX identity_proofing_attempts_account ON identity_proofing_attempts (account_id, at);
CREATE INDEX identity_proofing_attempts_subject ON identity_proofing_attempts (subject_hash, at);

CREATE TABLE identity_verified (
    account_id BLOB PRIMARY KEY REFERENCES identity_accounts (id),
    national_id TEXT NOT NULL UNIQUE,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    birthdate TEXT NOT NULL,
    address TEXT,
    ial TEXT NOT NULL,
    verified_at TEXT NOT NULL,
    attempt_id BLOB NOT NULL,
    request_id TEXT NOT NULL
);
