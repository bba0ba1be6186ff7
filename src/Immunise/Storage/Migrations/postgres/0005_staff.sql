-- Vaccination sites at work: staff accounts and their roles, stock batches per site, Data Protection keys shared by every
-- node, and the audit trail made append-only. Sites are referenced by ODS code without a foreign key to `sites` (that
-- table arrives with the booking migration; the key can be added once both are merged).

-- A member of staff. Emails are stored lower-case; the password hash is ASP.NET Core's PasswordHasher format (null until
-- a password is set). The security stamp changes with the password or the account's state, ending other sign-ins.
CREATE TABLE staff_users (
    id                   text PRIMARY KEY,
    email                text NOT NULL UNIQUE CHECK (email = lower(email)),
    display_name         text NOT NULL,
    password_hash        text NULL,
    must_change_password boolean NOT NULL DEFAULT false,
    security_stamp       text NOT NULL,
    failed_sign_ins      integer NOT NULL DEFAULT 0,
    locked_until         timestamptz NULL,
    disabled_at          timestamptz NULL,
    last_sign_in_at      timestamptz NULL,
    created_at           timestamptz NOT NULL,
    created_by           text NOT NULL,
    updated_at           timestamptz NOT NULL
);

-- A role granted to a member of staff at a scope: national (scope_code ''), a region (ODS Y-code) or an organisation (the
-- ODS code of a site or GP practice).
CREATE TABLE staff_roles (
    user_id    text NOT NULL REFERENCES staff_users (id),
    role       text NOT NULL CHECK (role IN ('national-administrator', 'regional-manager', 'site-manager', 'clinician',
                   'receptionist', 'gp-practice-user', 'call-centre-agent', 'analyst')),
    scope_type text NOT NULL CHECK (scope_type IN ('national', 'region', 'organisation')),
    scope_code text NOT NULL,
    granted_at timestamptz NOT NULL,
    granted_by text NOT NULL,
    PRIMARY KEY (user_id, role, scope_type, scope_code)
);

-- "Who works at this site": user lists for site managers.
CREATE INDEX ix_staff_roles_scope ON staff_roles (scope_type, scope_code);

-- A batch of vaccine received at a site. Doses used and wasted count down what is left; never below zero.
CREATE TABLE stock_batches (
    id             text PRIMARY KEY,
    site_ods_code  text NOT NULL,
    product_code   text NOT NULL REFERENCES vaccine_products (code),
    batch_number   text NOT NULL,
    expires_on     date NOT NULL,
    doses_received integer NOT NULL CHECK (doses_received BETWEEN 1 AND 100000),
    doses_used     integer NOT NULL DEFAULT 0 CHECK (doses_used >= 0),
    doses_wasted   integer NOT NULL DEFAULT 0 CHECK (doses_wasted >= 0),
    received_at    timestamptz NOT NULL,
    received_by    text NOT NULL,
    CHECK (doses_used + doses_wasted <= doses_received),
    UNIQUE (site_ods_code, product_code, batch_number)
);

CREATE INDEX ix_stock_batches_site ON stock_batches (site_ods_code, expires_on);

-- Doses wasted from a batch, with the reason.
CREATE TABLE stock_wastage (
    id          text PRIMARY KEY,
    batch_id    text NOT NULL REFERENCES stock_batches (id),
    doses       integer NOT NULL CHECK (doses BETWEEN 1 AND 100000),
    reason      text NOT NULL,
    recorded_at timestamptz NOT NULL,
    recorded_by text NOT NULL
);

CREATE INDEX ix_stock_wastage_batch ON stock_wastage (batch_id);

-- ASP.NET Core Data Protection's key ring, shared by every node so a cookie issued by one is read by another.
CREATE TABLE data_protection_keys (
    name       text PRIMARY KEY,
    xml        text NOT NULL,
    created_at timestamptz NOT NULL
);

-- The audit trail is append-only: no row is changed or removed.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Administrators search the trail by who acted and by action.
CREATE INDEX ix_audit_events_actor ON audit_events (actor_id, occurred_at);
CREATE INDEX ix_audit_events_action ON audit_events (action, occurred_at);
