-- SQLite dialect of postgres/0007_site_day.sql. SQLite cannot change a CHECK constraint, so the bookings table is rebuilt
-- with the new statuses and columns (the documented procedure: new table, copy, drop, rename, indexes again), inside the
-- migration's transaction with foreign keys checked at its commit rather than statement by statement.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE bookings_rebuilt (
    id              TEXT PRIMARY KEY,
    reference       TEXT NOT NULL UNIQUE,
    nhs_number      TEXT NOT NULL REFERENCES people (nhs_number),
    programme       TEXT NOT NULL,
    service         TEXT NOT NULL,
    dose_number     INTEGER NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    product_code    TEXT NULL,
    first_dose_id   TEXT NULL REFERENCES bookings_rebuilt (id), -- renamed with the table
    slot_id         INTEGER NOT NULL REFERENCES slots (id),
    site_ods_code   TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('held', 'booked', 'cancelled', 'expired',
                        'checked-in', 'vaccinated', 'not-vaccinated', 'did-not-attend')),
    hold_expires_at TEXT NULL,
    mobile          TEXT NULL,
    email           TEXT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    confirmed_at    TEXT NULL,
    cancelled_at    TEXT NULL,
    cancel_reason   TEXT NULL,
    updated_at      TEXT NOT NULL,
    checked_in_at   TEXT NULL,
    checked_in_by   TEXT NULL,
    closed_at       TEXT NULL,
    closed_by       TEXT NULL
) STRICT;

INSERT INTO bookings_rebuilt (id, reference, nhs_number, programme, service, dose_number, product_code, first_dose_id, slot_id,
    site_ods_code, status, hold_expires_at, mobile, email, created_at, created_by, confirmed_at, cancelled_at, cancel_reason, updated_at)
SELECT id, reference, nhs_number, programme, service, dose_number, product_code, first_dose_id, slot_id,
    site_ods_code, status, hold_expires_at, mobile, email, created_at, created_by, confirmed_at, cancelled_at, cancel_reason, updated_at
FROM bookings
ORDER BY first_dose_id IS NOT NULL, created_at;

DROP TABLE bookings;
ALTER TABLE bookings_rebuilt RENAME TO bookings;

CREATE UNIQUE INDEX ux_bookings_active_dose ON bookings (nhs_number, programme, dose_number) WHERE status IN ('held', 'booked', 'checked-in');
CREATE INDEX ix_bookings_slot ON bookings (slot_id) WHERE status IN ('held', 'booked');
CREATE INDEX ix_bookings_hold_expiry ON bookings (hold_expires_at) WHERE status = 'held';
CREATE INDEX ix_bookings_person ON bookings (nhs_number);
CREATE INDEX ix_bookings_first_dose ON bookings (first_dose_id) WHERE first_dose_id IS NOT NULL;
CREATE INDEX ix_bookings_slot_status ON bookings (slot_id, status);
CREATE INDEX ix_slots_date ON slots (slot_date);

CREATE TABLE site_outcomes (
    id                   TEXT PRIMARY KEY,
    site_ods_code        TEXT NOT NULL,
    outcome_date         TEXT NOT NULL,
    booking_id           TEXT NULL REFERENCES bookings (id),
    nhs_number           TEXT NOT NULL REFERENCES people (nhs_number),
    programme            TEXT NOT NULL,
    outcome              TEXT NOT NULL CHECK (outcome IN ('vaccinated', 'not-vaccinated')),
    vaccination_event_id TEXT NULL REFERENCES vaccination_events (id),
    consent              TEXT NULL CHECK (consent IN ('self', 'parent-or-guardian', 'lasting-power-of-attorney',
                             'court-appointed-deputy', 'best-interests-decision')),
    reason               TEXT NULL,
    eligibility_code     TEXT NULL,
    override_reason      TEXT NULL,
    recorded_at          TEXT NOT NULL,
    recorded_by          TEXT NOT NULL,
    CHECK ((outcome = 'vaccinated') = (vaccination_event_id IS NOT NULL)),
    CHECK (outcome <> 'vaccinated' OR consent IS NOT NULL)
) STRICT;

CREATE UNIQUE INDEX ux_site_outcomes_booking ON site_outcomes (booking_id) WHERE booking_id IS NOT NULL;
CREATE INDEX ix_site_outcomes_site_date ON site_outcomes (site_ods_code, outcome_date);
CREATE INDEX ix_site_outcomes_person ON site_outcomes (nhs_number);
