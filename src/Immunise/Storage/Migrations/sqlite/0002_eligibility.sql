-- SQLite dialect of postgres/0002_eligibility.sql.
-- Eligibility: cohort memberships and NHS England person-data rows per person, and campaign configs with their versions.

CREATE TABLE person_cohorts (
    nhs_number   TEXT NOT NULL REFERENCES people (nhs_number),
    cohort_label TEXT NOT NULL,
    date_joined  TEXT NULL, -- yyyyMMdd, as NHS England's data gives it
    source       TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (nhs_number, cohort_label)
) STRICT, WITHOUT ROWID;

CREATE INDEX ix_person_cohorts_label ON person_cohorts (cohort_label);

-- Attributes in NHS England's person-data format that the register does not hold in its own columns: one JSON object of
-- attribute name to text value per person and ATTRIBUTE_TYPE (PERSON, COVID, FLU, RSV, ...).
CREATE TABLE person_attributes (
    nhs_number     TEXT NOT NULL REFERENCES people (nhs_number),
    attribute_type TEXT NOT NULL,
    attributes     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (nhs_number, attribute_type)
) STRICT, WITHOUT ROWID;

-- Campaign configs and consumer mappings in NHS England's format; a new version is added when the content changes.
CREATE TABLE eligibility_configs (
    kind       TEXT NOT NULL CHECK (kind IN ('campaign', 'consumer-mappings')),
    id         TEXT NOT NULL,
    version    INTEGER NOT NULL,
    content    TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    source     TEXT NOT NULL,
    loaded_at  TEXT NOT NULL,
    loaded_by  TEXT NOT NULL,
    PRIMARY KEY (kind, id, version)
) STRICT;
