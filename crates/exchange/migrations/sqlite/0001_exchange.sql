-- The exchange: members with their X-Road codes and attributes, subsystems, OAuth clients with
-- their public keys, e-services, agreements and purposes with their full history, the client
-- assertions already used (replay protection), durable daily call counts, and a version number
-- every lifecycle change bumps so that each process drops its cached authorisations.

CREATE TABLE exchange_members (
    org_id BLOB PRIMARY KEY REFERENCES kernel_organisations (id),
    member_class TEXT NOT NULL,
    member_code TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE exchange_member_attributes (
    org_id BLOB NOT NULL REFERENCES exchange_members (org_id),
    attribute TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    PRIMARY KEY (org_id, attribute)
);

CREATE TABLE exchange_subsystems (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES exchange_members (org_id),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE exchange_clients (
    id BLOB PRIMARY KEY,
    subsystem_id BLOB NOT NULL REFERENCES exchange_subsystems (id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX exchange_clients_subsystem ON exchange_clients (subsystem_id);

CREATE TABLE exchange_client_keys (
    client_id BLOB NOT NULL REFERENCES exchange_clients (id),
    kid TEXT NOT NULL,
    alg TEXT NOT NULL,
    jwk TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (client_id, kid)
);

CREATE TABLE exchange_eservices (
    id BLOB PRIMARY KEY,
    subsystem_id BLOB NOT NULL REFERENCES exchange_subsystems (id),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    openapi TEXT NOT NULL,
    audience TEXT NOT NULL,
    voucher_lifetime_seconds INTEGER NOT NULL,
    daily_quota_per_consumer INTEGER,
    daily_quota_total INTEGER,
    approval TEXT NOT NULL,
    required_attributes TEXT NOT NULL,
    backend TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (subsystem_id, code)
);

CREATE TABLE exchange_agreements (
    id BLOB PRIMARY KEY,
    eservice_id BLOB NOT NULL REFERENCES exchange_eservices (id),
    consumer_subsystem_id BLOB NOT NULL REFERENCES exchange_subsystems (id),
    state TEXT NOT NULL,
    suspended_by_provider INTEGER NOT NULL,
    suspended_by_consumer INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- One live agreement per consumer and e-service; rejected and archived ones are history.
CREATE UNIQUE INDEX exchange_agreements_live ON exchange_agreements (eservice_id, consumer_subsystem_id)
    WHERE state IN ('pending', 'active', 'suspended');
CREATE INDEX exchange_agreements_consumer ON exchange_agreements (consumer_subsystem_id);

CREATE TABLE exchange_agreement_history (
    seq INTEGER PRIMARY KEY,
    agreement_id BLOB NOT NULL REFERENCES exchange_agreements (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX exchange_agreement_history_agreement ON exchange_agreement_history (agreement_id, seq);

CREATE TABLE exchange_purposes (
    id BLOB PRIMARY KEY,
    eservice_id BLOB NOT NULL REFERENCES exchange_eservices (id),
    consumer_subsystem_id BLOB NOT NULL REFERENCES exchange_subsystems (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    daily_calls INTEGER NOT NULL,
    confidential_days INTEGER,
    state TEXT NOT NULL,
    suspended_by_provider INTEGER NOT NULL,
    suspended_by_consumer INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX exchange_purposes_eservice ON exchange_purposes (eservice_id, consumer_subsystem_id);
CREATE INDEX exchange_purposes_consumer ON exchange_purposes (consumer_subsystem_id);

CREATE TABLE exchange_purpose_history (
    seq INTEGER PRIMARY KEY,
    purpose_id BLOB NOT NULL REFERENCES exchange_purposes (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX exchange_purpose_history_purpose ON exchange_purpose_history (purpose_id, seq);

-- Client assertions seen, kept until they expire: a `jti` is accepted once.
CREATE TABLE exchange_assertions (
    client_id BLOB NOT NULL,
    jti TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX exchange_assertions_expiry ON exchange_assertions (expires_at);

-- Calls per UTC day and quota scope (`agreement`, `eservice`, `purpose`), added to in batches.
CREATE TABLE exchange_quota_usage (
    day TEXT NOT NULL,
    scope TEXT NOT NULL,
    subject BLOB NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (day, scope, subject)
);

CREATE TABLE exchange_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO exchange_state (id, version) VALUES (1, 0);
