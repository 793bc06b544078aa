-- The resource servers (RFC 8707 resource indicators: absolute URIs) a client may name as the
-- audience of the access tokens it asks for itself (client_credentials), as a JSON list.
-- (Those self-contained access tokens leave no row in identity_oidc_access_tokens; one that is
-- revoked gets a row there with revoked_at set, kept until the token expires.)

ALTER TABLE identity_oidc_clients ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
