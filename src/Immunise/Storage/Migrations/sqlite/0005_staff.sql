-- SQLite dialect of postgres/0005_staff.sql: staff accounts and roles, stock batches per site, Data Protection keys,
-- and the audit trail made append-only. Sites are referenced by ODS code without a foreign key to `sites`.

CREATE TABLE staff_users (
    id                   TEXT PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    display_name         TEXT NOT NULL,
    password_hash        TEXT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    security_stamp       TEXT NOT NULL,
    failed_sign_ins      INTEGER NOT NULL DEFAULT 0,
    locked_until         TEXT NULL,
    disabled_at          TEXT NULL,
    last_sign_in_at      TEXT NULL,
    created_at           TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
) STRICT;

CREATE TABLE staff_roles (
    user_id    TEXT NOT NULL REFERENCES staff_users (id),
    role       TEXT NOT NULL CHECK (role IN ('national-administrator', 'regional-manager', 'site-manager', 'clinician',
                   'receptionist', 'gp-practice-user', 'call-centre-agent', 'analyst')),
    scope_type TEXT NOT NULL CHECK (scope_type IN ('national', 'region', 'organisation')),
    scope_code TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    PRIMARY KEY (user_id, role, scope_type, scope_code)
) STRICT, WITHOUT ROWID;

CREATE INDEX ix_staff_roles_scope ON staff_roles (scope_type, scope_code);

CREATE TABLE stock_batches (
    id             TEXT PRIMARY KEY,
    site_ods_code  TEXT NOT NULL,
    product_code   TEXT NOT NULL REFERENCES vaccine_products (code),
    batch_number   TEXT NOT NULL,
    expires_on     TEXT NOT NULL,
    doses_received INTEGER NOT NULL CHECK (doses_received BETWEEN 1 AND 100000),
    doses_used     INTEGER NOT NULL DEFAULT 0 CHECK (doses_used >= 0),
    doses_wasted   INTEGER NOT NULL DEFAULT 0 CHECK (doses_wasted >= 0),
    received_at    TEXT NOT NULL,
    received_by    TEXT NOT NULL,
    CHECK (doses_used + doses_wasted <= doses_received),
    UNIQUE (site_ods_code, product_code, batch_number)
) STRICT;

CREATE INDEX ix_stock_batches_site ON stock_batches (site_ods_code, expires_on);

CREATE TABLE stock_wastage (
    id          TEXT PRIMARY KEY,
    batch_id    TEXT NOT NULL REFERENCES stock_batches (id),
    doses       INTEGER NOT NULL CHECK (doses BETWEEN 1 AND 100000),
    reason      TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
) STRICT;

CREATE INDEX ix_stock_wastage_batch ON stock_wastage (batch_id);

CREATE TABLE data_protection_keys (
    name       TEXT PRIMARY KEY,
    xml        TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE INDEX ix_audit_events_actor ON audit_events (actor_id, occurred_at);
CREATE INDEX ix_audit_events_action ON audit_events (action, occurred_at);
