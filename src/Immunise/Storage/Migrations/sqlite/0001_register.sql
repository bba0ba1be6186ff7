-- SQLite dialect of postgres/0001_register.sql: TEXT dates (ISO 8601) and instants (UTC, 'O' format), INTEGER booleans.
-- The national register: reference geography, vaccine catalogue, people, vaccination events, API keys, audit.

CREATE TABLE regions (
    ods_code TEXT PRIMARY KEY,
    ons_code TEXT NOT NULL UNIQUE,
    name     TEXT NOT NULL
) STRICT;

CREATE TABLE icbs (
    ods_code        TEXT PRIMARY KEY,
    ons_code        TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    region_ods_code TEXT NOT NULL REFERENCES regions (ods_code)
) STRICT;

-- ONS Postcode Directory extract: one row per postcode (canonical 'SW1A 1AA' form).
CREATE TABLE postcodes (
    postcode           TEXT PRIMARY KEY,
    latitude           REAL NOT NULL,
    longitude          REAL NOT NULL,
    region_ods_code    TEXT NULL,
    icb_ods_code       TEXT NULL,
    lsoa_code          TEXT NULL,
    deprivation_decile INTEGER NULL CHECK (deprivation_decile BETWEEN 1 AND 10),
    terminated_on      TEXT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE vaccine_products (
    code                    TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    short_name              TEXT NOT NULL,
    manufacturer            TEXT NOT NULL,
    target_disease          TEXT NOT NULL,
    minimum_age_months      INTEGER NOT NULL,
    doses_in_primary_course INTEGER NOT NULL,
    minimum_interval_days   INTEGER NOT NULL,
    maximum_interval_days   INTEGER NULL
) STRICT;

CREATE TABLE people (
    nhs_number           TEXT PRIMARY KEY CHECK (length(nhs_number) = 10),
    given_name           TEXT NOT NULL,
    family_name          TEXT NOT NULL,
    date_of_birth        TEXT NOT NULL,
    sex                  TEXT NOT NULL CHECK (sex IN ('male', 'female', 'other', 'unknown')),
    postcode             TEXT NOT NULL,
    gp_practice_code     TEXT NULL,
    ethnicity            TEXT NULL,
    care_home_resident   INTEGER NOT NULL DEFAULT 0,
    clinical_risk_groups TEXT NULL,
    occupations          TEXT NULL,
    mobile               TEXT NULL,
    email                TEXT NULL,
    address              TEXT NULL,
    date_of_death        TEXT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE vaccination_events (
    id                      TEXT PRIMARY KEY,
    nhs_number              TEXT NOT NULL REFERENCES people (nhs_number),
    target_disease          TEXT NOT NULL,
    product_code            TEXT NOT NULL REFERENCES vaccine_products (code),
    dose_number             INTEGER NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    occurred_at             TEXT NOT NULL,
    occurred_on             TEXT NOT NULL, -- the Europe/London day of occurred_at
    site_ods_code           TEXT NOT NULL,
    batch_number            TEXT NULL,
    batch_expiry            TEXT NULL,
    route_code              TEXT NULL,
    body_site_code          TEXT NULL,
    performer               TEXT NULL,
    primary_source          INTEGER NOT NULL DEFAULT 1,
    status                  TEXT NOT NULL CHECK (status IN ('completed', 'entered-in-error')),
    recorded_at             TEXT NOT NULL,
    recorded_by             TEXT NOT NULL,
    source_system           TEXT NULL,
    source_identifier       TEXT NULL,
    entered_in_error_at     TEXT NULL,
    entered_in_error_reason TEXT NULL
) STRICT;

CREATE INDEX ix_vaccination_events_person ON vaccination_events (nhs_number, target_disease, occurred_at);
-- The same product given to the same person twice on one day is a duplicate record, not a second dose.
CREATE UNIQUE INDEX ux_vaccination_events_same_day ON vaccination_events (nhs_number, product_code, occurred_on)
    WHERE status = 'completed';
-- A sending system's own identifier (FHIR Immunization.identifier) is recorded once.
CREATE UNIQUE INDEX ux_vaccination_events_source ON vaccination_events (source_system, source_identifier)
    WHERE source_identifier IS NOT NULL;

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NULL,
    revoked_at   TEXT NULL
) STRICT;

CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY,
    occurred_at    TEXT NOT NULL,
    actor_type     TEXT NOT NULL,
    actor_id       TEXT NOT NULL,
    action         TEXT NOT NULL,
    nhs_number     TEXT NULL,
    resource_type  TEXT NULL,
    resource_id    TEXT NULL,
    purpose        TEXT NULL,
    correlation_id TEXT NULL
) STRICT;

CREATE INDEX ix_audit_events_person ON audit_events (nhs_number, occurred_at) WHERE nhs_number IS NOT NULL;
CREATE INDEX ix_audit_events_time ON audit_events (occurred_at);
