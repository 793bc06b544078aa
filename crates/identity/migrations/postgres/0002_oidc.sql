-- The OpenID Connect provider: registered clients (settings as JSON, the secret as a SHA-256
-- hash), authorization interactions in progress, pushed authorization requests, codes,
-- refresh and access tokens (grouped by the grant they came from, so a replayed code or a
-- reused refresh token revokes the whole grant), client assertions already used, consents
-- per account and client, and which clients each browser session signed in to (for
-- back-channel logout).

CREATE TABLE identity_oidc_clients (
    client_id TEXT PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES kernel_organisations (id),
    name TEXT NOT NULL,
    secret_hash BYTEA,
    settings TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX identity_oidc_clients_org ON identity_oidc_clients (org_id);

CREATE TABLE identity_oidc_interactions (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    request TEXT NOT NULL,
    consented_by UUID,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ
);
CREATE INDEX identity_oidc_interactions_expiry ON identity_oidc_interactions (expires_at);

CREATE TABLE identity_oidc_pushed_requests (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    params TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX identity_oidc_pushed_requests_expiry ON identity_oidc_pushed_requests (expires_at);

CREATE TABLE identity_oidc_codes (
    code_hash BYTEA PRIMARY KEY,
    grant_id UUID NOT NULL,
    client_id TEXT NOT NULL,
    account_id UUID NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    grant_details TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX identity_oidc_codes_expiry ON identity_oidc_codes (expires_at);

CREATE TABLE identity_oidc_refresh_tokens (
    token_hash BYTEA PRIMARY KEY,
    grant_id UUID NOT NULL,
    client_id TEXT NOT NULL,
    account_id UUID NOT NULL,
    grant_details TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX identity_oidc_refresh_tokens_grant ON identity_oidc_refresh_tokens (grant_id);
CREATE INDEX identity_oidc_refresh_tokens_account ON identity_oidc_refresh_tokens (account_id, client_id);
CREATE INDEX identity_oidc_refresh_tokens_expiry ON identity_oidc_refresh_tokens (expires_at);

CREATE TABLE identity_oidc_access_tokens (
    jti TEXT PRIMARY KEY,
    grant_id UUID,
    client_id TEXT NOT NULL,
    account_id UUID,
    scope TEXT NOT NULL,
    userinfo_claims TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX identity_oidc_access_tokens_grant ON identity_oidc_access_tokens (grant_id);
CREATE INDEX identity_oidc_access_tokens_account ON identity_oidc_access_tokens (account_id, client_id);
CREATE INDEX identity_oidc_access_tokens_expiry ON identity_oidc_access_tokens (expires_at);

CREATE TABLE identity_oidc_assertions (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX identity_oidc_assertions_expiry ON identity_oidc_assertions (expires_at);

CREATE TABLE identity_oidc_consents (
    account_id UUID NOT NULL,
    client_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    claims TEXT NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

CREATE TABLE identity_oidc_logins (
    session_id UUID NOT NULL,
    client_id TEXT NOT NULL,
    account_id UUID NOT NULL,
    sub TEXT NOT NULL,
    sid TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id, client_id)
);
CREATE INDEX identity_oidc_logins_account ON identity_oidc_logins (account_id);
CREATE INDEX identity_oidc_logins_created ON identity_oidc_logins (created_at);
