-- Persons now sign in through the identity provider to preview and decide on an evidence
-- request; the single-use link and the browser session it opened are gone.
DROP INDEX exchange_evidence_requests_token;
ALTER TABLE exchange_evidence_requests DROP COLUMN token_hash;
ALTER TABLE exchange_evidence_requests DROP COLUMN token_used_at;
ALTER TABLE exchange_evidence_requests DROP COLUMN session_hash;
