-- Legal notifications (SEND): uploaded documents, notifications with their recipients and
-- timeline, signed legal facts, recipients' registered addresses, senders' event streams and
-- the seal that signs legal facts.

CREATE TABLE notify_send_files (
    key TEXT PRIMARY KEY,
    sender_id BLOB NOT NULL REFERENCES kernel_organisations (id),
    content_type TEXT NOT NULL,
    -- base64 SHA-256 declared at preload
    sha256 TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    -- sealed under the master key; NULL until uploaded
    content BLOB,
    size INTEGER,
    version_token TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    uploaded_at TEXT
);
CREATE INDEX notify_send_files_sender ON notify_send_files (sender_id);

CREATE TABLE notify_send_notifications (
    iun TEXT PRIMARY KEY,
    sender_id BLOB NOT NULL REFERENCES kernel_organisations (id),
    request_id TEXT NOT NULL UNIQUE,
    pa_protocol_number TEXT NOT NULL,
    idempotence_token TEXT NOT NULL,
    -- the request as accepted (JSON)
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    -- refusal reasons (JSON), when refused
    errors TEXT,
    cancel_requested INTEGER NOT NULL,
    cancelled_by_iun TEXT,
    sent_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX notify_send_notifications_protocol ON notify_send_notifications (sender_id, pa_protocol_number);

CREATE TABLE notify_send_recipients (
    iun TEXT NOT NULL REFERENCES notify_send_notifications (iun),
    rec_index INTEGER NOT NULL,
    tax_id TEXT NOT NULL,
    denomination TEXT NOT NULL,
    viewed_at TEXT,
    refined_at TEXT,
    -- when refinement by lapse of time is due (on the service's clock)
    refinement_due TEXT,
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
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    element_id TEXT NOT NULL UNIQUE,
    iun TEXT NOT NULL REFERENCES notify_send_notifications (iun),
    category TEXT NOT NULL,
    rec_index INTEGER,
    at TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
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
    pdf BLOB NOT NULL,
    -- base64 SHA-256 of the signed PDF, also in the audit log
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notify_send_legal_facts_iun ON notify_send_legal_facts (iun);

-- Addresses people register: PEC (digital domicile), EMAIL and SMS (courtesy messages).
CREATE TABLE notify_send_addresses (
    tax_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tax_id, channel)
);

CREATE TABLE notify_send_streams (
    id BLOB PRIMARY KEY,
    sender_id BLOB NOT NULL REFERENCES kernel_organisations (id),
    title TEXT NOT NULL,
    event_type TEXT NOT NULL,
    groups TEXT NOT NULL,
    filter_values TEXT NOT NULL,
    wait_for_accepted INTEGER NOT NULL,
    version TEXT NOT NULL,
    activated_at TEXT NOT NULL,
    disabled_at TEXT
);
CREATE INDEX notify_send_streams_sender ON notify_send_streams (sender_id);

CREATE TABLE notify_send_stream_events (
    stream_id BLOB NOT NULL REFERENCES notify_send_streams (id),
    seq INTEGER NOT NULL,
    new_status TEXT,
    PRIMARY KEY (stream_id, seq)
);

CREATE TABLE notify_send_seal (
    id INTEGER PRIMARY KEY,
    private_sealed BLOB NOT NULL,
    certificate BLOB NOT NULL,
    created_at TEXT NOT NULL
);
