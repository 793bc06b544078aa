-- The message log (hash-chained with SHA-512, signed per batch) and each person's data-usage log.

CREATE TABLE exchange_log (
    seq BIGINT PRIMARY KEY,
    request_id TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    client TEXT NOT NULL,
    service TEXT NOT NULL,
    eservice_id UUID NOT NULL,
    agreement_id UUID NOT NULL,
    purpose_id UUID NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    user_id TEXT,
    issue TEXT,
    status INTEGER NOT NULL,
    request_hash BYTEA NOT NULL,
    response_hash BYTEA NOT NULL,
    -- Sealed under the master key (AAD "exchange-log:{seq}") when bodies are logged.
    request_body BYTEA,
    response_body BYTEA,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);
CREATE INDEX exchange_log_client ON exchange_log (client, seq);
CREATE INDEX exchange_log_service ON exchange_log (service, seq);
CREATE INDEX exchange_log_request ON exchange_log (request_id);

-- One signed row per committed batch: the signature covers the batch number, its seq range,
-- the hash of its last entry and the time.
CREATE TABLE exchange_log_batches (
    batch BIGINT PRIMARY KEY,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    last_hash BYTEA NOT NULL,
    kid TEXT NOT NULL,
    signature BYTEA NOT NULL,
    at TIMESTAMPTZ NOT NULL
);

-- A copy of the newest batch row; writers lock it, and it reveals truncation.
CREATE TABLE exchange_log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    batch BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    last_hash BYTEA NOT NULL,
    kid TEXT,
    signature BYTEA,
    at TIMESTAMPTZ
);
INSERT INTO exchange_log_head (id, batch, first_seq, last_seq, last_hash) VALUES (1, 0, 0, 0, decode(repeat('00', 64), 'hex'));

-- Who read a person's data, why and when: part of the log entry's hash.
CREATE TABLE exchange_usage (
    seq BIGINT NOT NULL,
    ord INTEGER NOT NULL,
    id UUID NOT NULL,
    national_id TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    consumer_org UUID NOT NULL,
    consumer_name TEXT NOT NULL,
    client TEXT NOT NULL,
    eservice_id UUID NOT NULL,
    eservice_title TEXT NOT NULL,
    purpose_id UUID NOT NULL,
    purpose_title TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    data_items TEXT NOT NULL,
    request_id TEXT NOT NULL,
    embargo_until TIMESTAMPTZ,
    PRIMARY KEY (seq, ord)
);
CREATE INDEX exchange_usage_person ON exchange_usage (national_id, at DESC, seq DESC);
