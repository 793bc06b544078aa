-- Legal notifications (SEND): uploaded documents, notifications with their recipients and
-- timeline, signed legal facts, recipients' registered addresses, senders' event streams and
-- the seal that signs legal facts.

CREATE TABLE notify_send_files (
    key TEXT PRIMARY KEY,
    sender_id UUID NOT NULL REFERENCES kernel_organisations (id),
    content_type TEXT NOT NULL,
    -- base64 SHA-256 declared at preload
    sha256 TEXT NOT NULL,
    secret_hash BYTEA NOT NULL,
    -- sealed under the master key; NULL until uploaded
    content BYTEA,
    size BIGINT,
    version_token TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    uploaded_at TIMESTAMPTZ
);
CREATE INDEX notify_send_files_sender ON notify_send_files (sender_id);

CREATE TABLE notify_send_notifications (
    iun TEXT PRIMARY KEY,
    sender_id UUID NOT NULL REFERENCES kernel_organisations (id),
    request_id TEXT NOT NULL UNIQUE,
    pa_protocol_number TEXT NOT NULL,
    idempotence_token TEXT NOT NULL,
    -- the request as accepted (JSON)
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    -- refusal reasons (JSON), when refused
    errors TEXT,
    cancel_requested BOOLEAN NOT NULL,
    cancelled_by_iun TEXT,
    sent_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_send_notifications_protocol ON notify_send_notifications (sender_id, pa_protocol_number);

CREATE TABLE notify_send_recipients (
    iun TEXT NOT NULL REFERENCES notify_send_notifications (iun),
    rec_index INTEGER NOT NULL,
    tax_id TEXT NOT NULL,
    denomination TEXT NOT NULL,
    viewed_at TIMESTAMPTZ,
    refined_at TIMESTAMPTZ,
    -- when refinement by lapse of time is due (on the service's clock)
    refinement_due TIMESTAMPTZ,
    PRIMARY KEY (iun, rec_index)
);
CREATE INDEX notify_send_recipients_tax_id ON notify_send_recipients (tax_id);
CREATE INDEX notify_send_recipients_due ON notify_send_recipients (refinement_due);

CREATE TABLE notify_send_payments (
    creditor_tax_id TEXT NOT NULL,
    notice_code TEXT NOT NULL,
    iun TEXT NOT NULL REFERENCES notify_send_notifications (iun),
    rec_index INTEGER NOT NULL,
    PRIMARY KEY (creditor_tax_id, notice_code, iun)
);

CREATE TABLE notify_send_timeline (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    element_id TEXT NOT NULL UNIQUE,
    iun TEXT NOT NULL REFERENCES notify_send_notifications (iun),
    category TEXT NOT NULL,
    rec_index INTEGER,
    at TIMESTAMPTZ NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL,
    details TEXT NOT NULL,
    legal_facts TEXT NOT NULL,
    -- the notification's status after this element, when it changed
    new_status TEXT
);
CREATE INDEX notify_send_timeline_iun ON notify_send_timeline (iun, seq);

CREATE TABLE notify_send_legal_facts (
    key TEXT PRIMARY KEY,
    iun TEXT NOT NULL REFERENCES notify_send_notifications (iun),
    category TEXT NOT NULL,
    rec_index INTEGER,
    pdf BYTEA NOT NULL,
    -- base64 SHA-256 of the signed PDF, also in the audit log
    sha256 TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_send_legal_facts_iun ON notify_send_legal_facts (iun);

-- Addresses people register: PEC (digital domicile), EMAIL and SMS (courtesy messages).
CREATE TABLE notify_send_addresses (
    tax_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tax_id, channel)
);

CREATE TABLE notify_send_streams (
    id UUID PRIMARY KEY,
    sender_id UUID NOT NULL REFERENCES kernel_organisations (id),
    title TEXT NOT NULL,
    event_type TEXT NOT NULL,
    groups TEXT NOT NULL,
    filter_values TEXT NOT NULL,
    wait_for_accepted BOOLEAN NOT NULL,
    version TEXT NOT NULL,
    activated_at TIMESTAMPTZ NOT NULL,
    disabled_at TIMESTAMPTZ
);
CREATE INDEX notify_send_streams_sender ON notify_send_streams (sender_id);

CREATE TABLE notify_send_stream_events (
    stream_id UUID NOT NULL REFERENCES notify_send_streams (id),
    seq BIGINT NOT NULL,
    new_status TEXT,
    PRIMARY KEY (stream_id, seq)
);

CREATE TABLE notify_send_seal (
    id INTEGER PRIMARY KEY,
    private_sealed BYTEA NOT NULL,
    certificate BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
