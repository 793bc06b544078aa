-- Accounts and authentication: accounts (citizens, business representatives, staff), their
-- authenticators (password, TOTP, recovery codes), one-time codes sent through notify, the
-- pending steps of a sign-up, sign-in or recovery, browser sessions, throttling counters and
-- each account's activity log.

CREATE TABLE identity_accounts (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('citizen', 'business', 'staff')),
    -- Lower-case.
    email TEXT NOT NULL UNIQUE,
    email_verified_at TIMESTAMPTZ,
    name TEXT,
    phone TEXT,
    phone_verified_at TIMESTAMPTZ,
    member_id UUID REFERENCES kernel_members (id),
    -- Argon2id, PHC string format.
    password_hash TEXT NOT NULL,
    -- Whether the password is long enough to be the only factor (15 code points or more).
    password_single_factor BOOLEAN NOT NULL,
    password_changed_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    -- Consecutive failed sign-ins (any factor, any address); reset by a success.
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    last_failure_at TIMESTAMPTZ,
    locked_at TIMESTAMPTZ,
    -- The last recovery by emailed code alone: identity proofed before it no longer counts.
    recovered_at TIMESTAMPTZ
);
CREATE INDEX identity_accounts_member ON identity_accounts (member_id);

CREATE TABLE identity_totp (
    account_id UUID PRIMARY KEY REFERENCES identity_accounts (id),
    -- The shared secret sealed under the master key.
    secret_sealed BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    -- NULL while the enrolment waits for its first code.
    confirmed_at TIMESTAMPTZ,
    -- The last time step a code was accepted for: each code works once.
    last_step BIGINT
);

CREATE TABLE identity_recovery_codes (
    account_id UUID NOT NULL REFERENCES identity_accounts (id),
    code_hash BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    PRIMARY KEY (account_id, code_hash)
);

-- Six-digit codes sent by email or SMS: HMAC of the code under a key derived from the master key.
CREATE TABLE identity_codes (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES identity_accounts (id),
    purpose TEXT NOT NULL,
    channel TEXT NOT NULL,
    code_hash BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    used_at TIMESTAMPTZ
);
CREATE INDEX identity_codes_account ON identity_codes (account_id, purpose, created_at);
CREATE INDEX identity_codes_expires ON identity_codes (expires_at);

-- A step in progress in one browser (verify the email, the second factor of a sign-in, a
-- recovery), found by the hash of the `publica_id_flow` cookie.
CREATE TABLE identity_flows (
    id UUID PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    account_id UUID REFERENCES identity_accounts (id),
    data TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX identity_flows_expires ON identity_flows (expires_at);

CREATE TABLE identity_sessions (
    id UUID PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    account_id UUID NOT NULL REFERENCES identity_accounts (id),
    created_at TIMESTAMPTZ NOT NULL,
    -- When the person last actively authenticated (OpenID Connect auth_time).
    auth_time TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    -- The absolute end, whatever the activity.
    expires_at TIMESTAMPTZ NOT NULL,
    aal TEXT NOT NULL,
    -- JSON array of RFC 8176 method references.
    amr TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX identity_sessions_account ON identity_sessions (account_id);
CREATE INDEX identity_sessions_expires ON identity_sessions (expires_at);

-- Failed attempts per key (`acct-ip:…`, `ip:…`): safe for several processes.
CREATE TABLE identity_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    blocked_until TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE identity_activity (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES identity_accounts (id),
    at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX identity_activity_account ON identity_activity (account_id, at);
