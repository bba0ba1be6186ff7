-- Eligibility: cohort memberships and NHS England person-data rows per person, and campaign configs with their versions.

CREATE TABLE person_cohorts (
    nhs_number   text NOT NULL REFERENCES people (nhs_number),
    cohort_label text NOT NULL,
    date_joined  text NULL, -- yyyyMMdd, as NHS England's data gives it
    source       text NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (nhs_number, cohort_label)
);

CREATE INDEX ix_person_cohorts_label ON person_cohorts (cohort_label);

-- Attributes in NHS England's person-data format that the register does not hold in its own columns: one JSON object of
-- attribute name to text value per person and ATTRIBUTE_TYPE (PERSON, COVID, FLU, RSV, ...).
CREATE TABLE person_attributes (
    nhs_number     text NOT NULL REFERENCES people (nhs_number),
    attribute_type text NOT NULL,
    attributes     text NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (nhs_number, attribute_type)
);

-- Campaign configs and consumer mappings in NHS England's format; a new version is added when the content changes.
CREATE TABLE eligibility_configs (
    kind       text NOT NULL CHECK (kind IN ('campaign', 'consumer-mappings')),
    id         text NOT NULL,
    version    integer NOT NULL,
    content    text NOT NULL,
    sha256     text NOT NULL,
    source     text NOT NULL,
    loaded_at  timestamptz NOT NULL,
    loaded_by  text NOT NULL,
    PRIMARY KEY (kind, id, version)
);
