-- WebAuthn authenticators (security keys and passkeys) of accounts, the ceremonies in progress
-- (their challenge state kept here, never in the browser), and remembered devices: browsers
-- where the second factor is not asked again for a while, below the levels that forbid it.

CREATE TABLE identity_webauthn_credentials (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES identity_accounts (id),
    -- The authenticator's credential id: unique across every account.
    credential_id BYTEA NOT NULL UNIQUE,
    -- The WebAuthn user handle of the account (random, the same for all its credentials).
    user_handle UUID NOT NULL,
    -- The name the person gave it.
    name TEXT NOT NULL,
    -- The credential as webauthn-rs keeps it (public key, signature counter, flags), JSON.
    passkey TEXT NOT NULL,
    -- The authenticator said the key may be synced to other devices (BE flag): not device-bound.
    backup_eligible BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    -- Set when a signature counter went backwards (a copy of the key may exist): refused since.
    disabled_at TIMESTAMPTZ
);
CREATE INDEX identity_webauthn_credentials_account ON identity_webauthn_credentials (account_id);

CREATE TABLE identity_webauthn_ceremonies (
    id UUID PRIMARY KEY,
    -- SHA-256 of the token the browser's script holds.
    token_hash BYTEA NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('register', 'authenticate', 'passkey')),
    -- Whose ceremony: the signed-in session or sign-in flow it belongs to (NULL for a sign-in
    -- with a passkey, where the authenticator names the account).
    account_id UUID REFERENCES identity_accounts (id),
    bound_to UUID,
    -- webauthn-rs's registration or authentication state, JSON.
    state TEXT NOT NULL,
    -- What the ceremony carries (the new authenticator's name, where to go after).
    data TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX identity_webauthn_ceremonies_expiry ON identity_webauthn_ceremonies (expires_at);

CREATE TABLE identity_remembered_devices (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES identity_accounts (id),
    -- SHA-256 of the token in the browser's `publica_id_device` cookie.
    token_hash BYTEA NOT NULL UNIQUE,
    -- The browser's User-Agent and address when it was remembered (shown to the person).
    user_agent TEXT,
    ip TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    -- The last time both factors were checked on this device.
    mfa_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX identity_remembered_devices_account ON identity_remembered_devices (account_id);
CREATE INDEX identity_remembered_devices_expiry ON identity_remembered_devices (expires_at);
