-- SQLite dialect of postgres/0004_booking.sql: TEXT dates and instants, INTEGER ids.
-- National Booking Service: sites, availability (sessions, templates, materialised slots), holds and bookings,
-- idempotency keys for booking requests (their messages go to the outbox, 0006_notifications).

-- A vaccination site, identified by its ODS code. Coordinates, region and ICB come from the postcode directory.
CREATE TABLE sites (
    ods_code        TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    site_type       TEXT NOT NULL CHECK (site_type IN ('vaccination-centre', 'community-pharmacy', 'gp-led', 'hospital-hub')),
    address         TEXT NOT NULL,
    postcode        TEXT NOT NULL,
    latitude        REAL NOT NULL,
    longitude       REAL NOT NULL,
    region_ods_code TEXT NULL,
    icb_ods_code    TEXT NULL,
    accessibility   TEXT NOT NULL, -- space-separated codes (step-free-access accessible-toilet ...)
    information     TEXT NULL,
    services        TEXT NOT NULL, -- space-separated NBS services (COVID:18+ FLU:65+ ...)
    products        TEXT NOT NULL, -- space-separated dm+d product codes stocked
    status          TEXT NOT NULL CHECK (status IN ('online', 'offline')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

CREATE INDEX ix_sites_region ON sites (region_ods_code, icb_ods_code);
-- "Sites near me": a bounding box on latitude (and longitude) narrows 3,000 sites to the few nearby before distances are computed.
CREATE INDEX ix_sites_location ON sites (latitude, longitude);

-- The services each site offers, one row each, for "sites offering X".
CREATE TABLE site_services (
    service  TEXT NOT NULL,
    ods_code TEXT NOT NULL REFERENCES sites (ods_code),
    PRIMARY KEY (service, ods_code)
) STRICT;

-- A weekly template as it was applied (the sessions it made point back to it).
CREATE TABLE session_templates (
    id            TEXT PRIMARY KEY,
    site_ods_code TEXT NOT NULL REFERENCES sites (ods_code),
    from_date     TEXT NOT NULL,
    to_date       TEXT NOT NULL,
    definition    TEXT NOT NULL, -- JSON: the weekly sessions
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL
) STRICT;

-- A session: a day, a Europe/London time range, slot length and capacity per slot, services.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    site_ods_code TEXT NOT NULL REFERENCES sites (ods_code),
    session_date  TEXT NOT NULL,
    start_time    TEXT NOT NULL CHECK (length(start_time) = 5), -- HH:mm, Europe/London
    end_time      TEXT NOT NULL CHECK (length(end_time) = 5),
    slot_minutes  INTEGER NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
    capacity      INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 100),
    services      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'cancelled')),
    template_id   TEXT NULL REFERENCES session_templates (id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE INDEX ix_sessions_site_date ON sessions (site_ods_code, session_date);

CREATE TABLE session_services (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    service    TEXT NOT NULL,
    PRIMARY KEY (session_id, service)
) STRICT;

-- Materialised slots: places are claimed with one conditional UPDATE (booked = booked + 1 WHERE booked < capacity), so
-- the database itself never lets booked exceed capacity. booked counts held and confirmed places.
CREATE TABLE slots (
    id            INTEGER PRIMARY KEY,
    session_id    TEXT NOT NULL REFERENCES sessions (id),
    site_ods_code TEXT NOT NULL,
    slot_date     TEXT NOT NULL,
    start_time    TEXT NOT NULL, -- HH:mm, Europe/London
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    capacity      INTEGER NOT NULL CHECK (capacity >= 0),
    booked        INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
    UNIQUE (session_id, start_time)
) STRICT;

CREATE INDEX ix_slots_site_date ON slots (site_ods_code, slot_date, start_time);

-- Holds and bookings: a row is 'held' (provisional, until hold_expires_at), then 'booked' with its reference, or
-- 'expired' / 'cancelled'. The reference is assigned at hold time (8 characters, unambiguous alphabet, random).
CREATE TABLE bookings (
    id              TEXT PRIMARY KEY, -- 128-bit random: the hold id
    reference       TEXT NOT NULL UNIQUE,
    nhs_number      TEXT NOT NULL REFERENCES people (nhs_number),
    programme       TEXT NOT NULL, -- target disease: COVID19, FLU, RSV
    service         TEXT NOT NULL,
    dose_number     INTEGER NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    product_code    TEXT NULL, -- dm+d product to give; a later dose of a course uses the product of the first
    first_dose_id   TEXT NULL REFERENCES bookings (id), -- a later dose booked together with an earlier one, not yet given
    slot_id         INTEGER NOT NULL REFERENCES slots (id),
    site_ods_code   TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('held', 'booked', 'cancelled', 'expired')),
    hold_expires_at TEXT NULL,
    mobile          TEXT NULL,
    email           TEXT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    confirmed_at    TEXT NULL,
    cancelled_at    TEXT NULL,
    cancel_reason   TEXT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

-- At most one active (held or booked) booking per person per dose per programme.
CREATE UNIQUE INDEX ux_bookings_active_dose ON bookings (nhs_number, programme, dose_number) WHERE status IN ('held', 'booked');
CREATE INDEX ix_bookings_slot ON bookings (slot_id) WHERE status IN ('held', 'booked');
CREATE INDEX ix_bookings_hold_expiry ON bookings (hold_expires_at) WHERE status = 'held';
CREATE INDEX ix_bookings_person ON bookings (nhs_number);
CREATE INDEX ix_bookings_first_dose ON bookings (first_dose_id) WHERE first_dose_id IS NOT NULL;

-- A booking request's Idempotency-Key: a retry with the same key and body gets the stored answer, not a second booking.
CREATE TABLE idempotency_keys (
    client_id    TEXT NOT NULL,
    key          TEXT NOT NULL,
    operation    TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     TEXT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (client_id, key)
) STRICT;

CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);


