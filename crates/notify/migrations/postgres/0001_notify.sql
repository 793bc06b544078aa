-- Notify: services, their templates with versions, guest lists, notifications, files,
-- received texts and bulk jobs. Personal data (recipients, personalisation, rendered content,
-- files) is sealed or purged after the service's retention period; counts stay.

CREATE TABLE notify_services (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES kernel_organisations (id),
    name TEXT NOT NULL,
    -- trial mode: only team members and the guest list receive anything, whatever the key
    restricted BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    email_from TEXT NOT NULL,
    email_reply_to TEXT,
    sms_sender TEXT NOT NULL,
    sms_prefix BOOLEAN NOT NULL,
    letter_contact_block TEXT,
    message_limit BIGINT NOT NULL,
    sms_daily_limit BIGINT NOT NULL,
    letter_daily_limit BIGINT NOT NULL,
    retention_days BIGINT NOT NULL,
    rate_limit BIGINT NOT NULL,
    international_sms BOOLEAN NOT NULL,
    delivery_callback_url TEXT,
    delivery_callback_token BYTEA,
    inbound_callback_url TEXT,
    inbound_callback_token BYTEA,
    inbound_number TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_services_org ON notify_services (org_id);
CREATE UNIQUE INDEX notify_services_inbound ON notify_services (inbound_number);

CREATE TABLE notify_guest_list (
    service_id UUID NOT NULL REFERENCES notify_services (id),
    recipient_type TEXT NOT NULL,
    recipient TEXT NOT NULL,
    PRIMARY KEY (service_id, recipient_type, recipient)
);

CREATE TABLE notify_templates (
    id UUID PRIMARY KEY,
    service_id UUID NOT NULL REFERENCES notify_services (id),
    type TEXT NOT NULL,
    version BIGINT NOT NULL,
    archived BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_templates_service ON notify_templates (service_id);

CREATE TABLE notify_template_versions (
    template_id UUID NOT NULL REFERENCES notify_templates (id),
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    subject TEXT,
    content TEXT NOT NULL,
    postage TEXT,
    letter_contact_block TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (template_id, version)
);

CREATE TABLE notify_notifications (
    id UUID PRIMARY KEY,
    service_id UUID NOT NULL REFERENCES notify_services (id),
    api_key_id UUID,
    key_type TEXT NOT NULL,
    type TEXT NOT NULL,
    template_id UUID NOT NULL,
    template_version BIGINT NOT NULL,
    status TEXT NOT NULL,
    -- recipient as given and normalised (email lower-cased, phone in E.164); NULL once purged
    recipient TEXT,
    normalised_to TEXT,
    client_reference TEXT,
    -- JSON sealed under the master key: personalisation, rendered subject and body, addresses
    content BYTEA,
    postage TEXT,
    billable_units BIGINT NOT NULL,
    provider_reference TEXT,
    status_reason TEXT,
    job_id UUID,
    job_row BIGINT,
    created_by_name TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    scheduled_for TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    purged_at TIMESTAMPTZ
);
CREATE INDEX notify_notifications_service ON notify_notifications (service_id, created_at, id);
CREATE INDEX notify_notifications_reference ON notify_notifications (service_id, client_reference);
CREATE INDEX notify_notifications_provider ON notify_notifications (provider_reference);
CREATE INDEX notify_notifications_status ON notify_notifications (status, created_at);

-- Precompiled letter PDFs and files sent by email, sealed under the master key.
CREATE TABLE notify_files (
    id UUID PRIMARY KEY,
    service_id UUID NOT NULL REFERENCES notify_services (id),
    notification_id UUID,
    purpose TEXT NOT NULL,
    filename TEXT,
    mime_type TEXT NOT NULL,
    confirm_email BOOLEAN NOT NULL,
    recipient_hash BYTEA,
    sealed BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_files_notification ON notify_files (notification_id);
CREATE INDEX notify_files_expiry ON notify_files (expires_at);

CREATE TABLE notify_received_texts (
    id UUID PRIMARY KEY,
    service_id UUID NOT NULL REFERENCES notify_services (id),
    notify_number TEXT NOT NULL,
    user_number TEXT NOT NULL,
    content TEXT NOT NULL,
    provider_reference TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_received_texts_service ON notify_received_texts (service_id, created_at, id);

-- Bulk sends (GC Notify's POST /v2/notifications/bulk).
CREATE TABLE notify_jobs (
    id UUID PRIMARY KEY,
    service_id UUID NOT NULL REFERENCES notify_services (id),
    api_key_id UUID,
    name TEXT NOT NULL,
    template_id UUID NOT NULL,
    template_version BIGINT NOT NULL,
    notification_count BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    scheduled_for TIMESTAMPTZ,
    created_by TEXT
);
