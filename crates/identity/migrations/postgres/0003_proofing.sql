-- Identity proofing: how the identity provider reads the population register through the
-- exchange (its client, sealed private key, e-service and purpose: one row), every proofing
-- attempt (for the limits; the national id entered only as a keyed hash), and the identity
-- proofed for each account (one account per national id).

CREATE TABLE identity_proofing_setup (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    org_id UUID NOT NULL,
    subsystem_id UUID NOT NULL,
    client_header TEXT NOT NULL,
    client_id UUID NOT NULL,
    key_id TEXT NOT NULL,
    key_sealed BYTEA NOT NULL,
    eservice_id UUID NOT NULL,
    service TEXT NOT NULL,
    agreement_id UUID,
    purpose_id UUID,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE identity_proofing_attempts (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES identity_accounts (id),
    subject_hash BYTEA NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT
);
CREATE INDEX identity_proofing_attempts_account ON identity_proofing_attempts (account_id, at);
CREATE INDEX identity_proofing_attempts_subject ON identity_proofing_attempts (subject_hash, at);

CREATE TABLE identity_verified (
    account_id UUID PRIMARY KEY REFERENCES identity_accounts (id),
    national_id TEXT NOT NULL UNIQUE,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    birthdate TEXT NOT NULL,
    address TEXT,
    ial TEXT NOT NULL,
    verified_at TIMESTAMPTZ NOT NULL,
    attempt_id UUID NOT NULL,
    request_id TEXT NOT NULL
);
