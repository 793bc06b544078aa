-- API keys whose secret the server must read back (HMAC-signed tokens such as Notify's):
-- the secret is sealed under the master key. `subject` is what the key opens inside its block
-- (a Notify service id), `kind` the block's key type (test, team, live).
ALTER TABLE kernel_api_keys ADD COLUMN subject TEXT;
ALTER TABLE kernel_api_keys ADD COLUMN kind TEXT;
ALTER TABLE kernel_api_keys ADD COLUMN secret_sealed BYTEA;
CREATE INDEX kernel_api_keys_subject ON kernel_api_keys (block, subject);
