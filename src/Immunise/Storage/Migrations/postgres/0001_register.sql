-- The national register: reference geography, vaccine catalogue, people, vaccination events, API keys, audit.

CREATE TABLE regions (
    ods_code text PRIMARY KEY,
    ons_code text NOT NULL UNIQUE,
    name     text NOT NULL
);

CREATE TABLE icbs (
    ods_code        text PRIMARY KEY,
    ons_code        text NOT NULL UNIQUE,
    name            text NOT NULL,
    region_ods_code text NOT NULL REFERENCES regions (ods_code)
);

-- ONS Postcode Directory extract: one row per postcode (canonical 'SW1A 1AA' form).
CREATE TABLE postcodes (
    postcode           text PRIMARY KEY,
    latitude           double precision NOT NULL,
    longitude          double precision NOT NULL,
    region_ods_code    text NULL,
    icb_ods_code       text NULL,
    lsoa_code          text NULL,
    deprivation_decile smallint NULL CHECK (deprivation_decile BETWEEN 1 AND 10),
    terminated_on      date NULL
);

CREATE TABLE vaccine_products (
    code                    text PRIMARY KEY,
    name                    text NOT NULL,
    short_name              text NOT NULL,
    manufacturer            text NOT NULL,
    target_disease          text NOT NULL,
    minimum_age_months      integer NOT NULL,
    doses_in_primary_course integer NOT NULL,
    minimum_interval_days   integer NOT NULL,
    maximum_interval_days   integer NULL
);

CREATE TABLE people (
    nhs_number           text PRIMARY KEY CHECK (length(nhs_number) = 10),
    given_name           text NOT NULL,
    family_name          text NOT NULL,
    date_of_birth        date NOT NULL,
    sex                  text NOT NULL CHECK (sex IN ('male', 'female', 'other', 'unknown')),
    postcode             text NOT NULL,
    gp_practice_code     text NULL,
    ethnicity            text NULL,
    care_home_resident   boolean NOT NULL DEFAULT false,
    clinical_risk_groups text NULL,
    occupations          text NULL,
    mobile               text NULL,
    email                text NULL,
    address              text NULL,
    date_of_death        date NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

CREATE TABLE vaccination_events (
    id                      text PRIMARY KEY,
    nhs_number              text NOT NULL REFERENCES people (nhs_number),
    target_disease          text NOT NULL,
    product_code            text NOT NULL REFERENCES vaccine_products (code),
    dose_number             integer NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    occurred_at             timestamptz NOT NULL,
    occurred_on             date NOT NULL, -- the Europe/London day of occurred_at
    site_ods_code           text NOT NULL,
    batch_number            text NULL,
    batch_expiry            date NULL,
    route_code              text NULL,
    body_site_code          text NULL,
    performer               text NULL,
    primary_source          boolean NOT NULL DEFAULT true,
    status                  text NOT NULL CHECK (status IN ('completed', 'entered-in-error')),
    recorded_at             timestamptz NOT NULL,
    recorded_by             text NOT NULL,
    source_system           text NULL,
    source_identifier       text NULL,
    entered_in_error_at     timestamptz NULL,
    entered_in_error_reason text NULL
);

CREATE INDEX ix_vaccination_events_person ON vaccination_events (nhs_number, target_disease, occurred_at);
-- The same product given to the same person twice on one day is a duplicate record, not a second dose.
CREATE UNIQUE INDEX ux_vaccination_events_same_day ON vaccination_events (nhs_number, product_code, occurred_on)
    WHERE status = 'completed';
-- A sending system's own identifier (FHIR Immunization.identifier) is recorded once.
CREATE UNIQUE INDEX ux_vaccination_events_source ON vaccination_events (source_system, source_identifier)
    WHERE source_identifier IS NOT NULL;

CREATE TABLE api_keys (
    id           text PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    secret_hash  text NOT NULL,
    scopes       text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz NULL,
    revoked_at   timestamptz NULL
);

CREATE TABLE audit_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at    timestamptz NOT NULL,
    actor_type     text NOT NULL,
    actor_id       text NOT NULL,
    action         text NOT NULL,
    nhs_number     text NULL,
    resource_type  text NULL,
    resource_id    text NULL,
    purpose        text NULL,
    correlation_id text NULL
);

CREATE INDEX ix_audit_events_person ON audit_events (nhs_number, occurred_at) WHERE nhs_number IS NOT NULL;
CREATE INDEX ix_audit_events_time ON audit_events (occurred_at);
