-- National Booking Service: sites, availability (sessions, templates, materialised slots), holds and bookings,
-- idempotency keys for booking requests (their messages go to the outbox, 0006_notifications).

-- A vaccination site, identified by its ODS code. Coordinates, region and ICB come from the postcode directory.
CREATE TABLE sites (
    ods_code        text PRIMARY KEY,
    name            text NOT NULL,
    site_type       text NOT NULL CHECK (site_type IN ('vaccination-centre', 'community-pharmacy', 'gp-led', 'hospital-hub')),
    address         text NOT NULL,
    postcode        text NOT NULL,
    latitude        double precision NOT NULL,
    longitude       double precision NOT NULL,
    region_ods_code text NULL,
    icb_ods_code    text NULL,
    accessibility   text NOT NULL, -- space-separated codes (step-free-access accessible-toilet ...)
    information     text NULL,
    services        text NOT NULL, -- space-separated NBS services (COVID:18+ FLU:65+ ...)
    products        text NOT NULL, -- space-separated dm+d product codes stocked
    status          text NOT NULL CHECK (status IN ('online', 'offline')),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE INDEX ix_sites_region ON sites (region_ods_code, icb_ods_code);
-- "Sites near me": a bounding box on latitude (and longitude) narrows 3,000 sites to the few nearby before distances are computed.
CREATE INDEX ix_sites_location ON sites (latitude, longitude);

-- The services each site offers, one row each, for "sites offering X".
CREATE TABLE site_services (
    service  text NOT NULL,
    ods_code text NOT NULL REFERENCES sites (ods_code),
    PRIMARY KEY (service, ods_code)
);

-- A weekly template as it was applied (the sessions it made point back to it).
CREATE TABLE session_templates (
    id            text PRIMARY KEY,
    site_ods_code text NOT NULL REFERENCES sites (ods_code),
    from_date     date NOT NULL,
    to_date       date NOT NULL,
    definition    text NOT NULL, -- JSON: the weekly sessions
    created_at    timestamptz NOT NULL,
    created_by    text NOT NULL
);

-- A session: a day, a Europe/London time range, slot length and capacity per slot, services.
CREATE TABLE sessions (
    id            text PRIMARY KEY,
    site_ods_code text NOT NULL REFERENCES sites (ods_code),
    session_date  date NOT NULL,
    start_time    text NOT NULL CHECK (length(start_time) = 5), -- HH:mm, Europe/London
    end_time      text NOT NULL CHECK (length(end_time) = 5),
    slot_minutes  integer NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
    capacity      integer NOT NULL CHECK (capacity BETWEEN 1 AND 100),
    services      text NOT NULL,
    status        text NOT NULL CHECK (status IN ('active', 'cancelled')),
    template_id   text NULL REFERENCES session_templates (id),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE INDEX ix_sessions_site_date ON sessions (site_ods_code, session_date);

CREATE TABLE session_services (
    session_id text NOT NULL REFERENCES sessions (id),
    service    text NOT NULL,
    PRIMARY KEY (session_id, service)
);

-- Materialised slots: places are claimed with one conditional UPDATE (booked = booked + 1 WHERE booked < capacity), so
-- the database itself never lets booked exceed capacity. booked counts held and confirmed places.
CREATE TABLE slots (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id    text NOT NULL REFERENCES sessions (id),
    site_ods_code text NOT NULL,
    slot_date     date NOT NULL,
    start_time    text NOT NULL, -- HH:mm, Europe/London
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    capacity      integer NOT NULL CHECK (capacity >= 0),
    booked        integer NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
    UNIQUE (session_id, start_time)
);

CREATE INDEX ix_slots_site_date ON slots (site_ods_code, slot_date, start_time);

-- Holds and bookings: a row is 'held' (provisional, until hold_expires_at), then 'booked' with its reference, or
-- 'expired' / 'cancelled'. The reference is assigned at hold time (8 characters, unambiguous alphabet, random).
CREATE TABLE bookings (
    id              text PRIMARY KEY, -- 128-bit random: the hold id
    reference       text NOT NULL UNIQUE,
    nhs_number      text NOT NULL REFERENCES people (nhs_number),
    programme       text NOT NULL, -- target disease: COVID19, FLU, RSV
    service         text NOT NULL,
    dose_number     integer NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    product_code    text NULL, -- dm+d product to give; a later dose of a course uses the product of the first
    first_dose_id   text NULL REFERENCES bookings (id), -- a later dose booked together with an earlier one, not yet given
    slot_id         bigint NOT NULL REFERENCES slots (id),
    site_ods_code   text NOT NULL,
    status          text NOT NULL CHECK (status IN ('held', 'booked', 'cancelled', 'expired')),
    hold_expires_at timestamptz NULL,
    mobile          text NULL,
    email           text NULL,
    created_at      timestamptz NOT NULL,
    created_by      text NOT NULL,
    confirmed_at    timestamptz NULL,
    cancelled_at    timestamptz NULL,
    cancel_reason   text NULL,
    updated_at      timestamptz NOT NULL
);

-- At most one active (held or booked) booking per person per dose per programme.
CREATE UNIQUE INDEX ux_bookings_active_dose ON bookings (nhs_number, programme, dose_number) WHERE status IN ('held', 'booked');
CREATE INDEX ix_bookings_slot ON bookings (slot_id) WHERE status IN ('held', 'booked');
CREATE INDEX ix_bookings_hold_expiry ON bookings (hold_expires_at) WHERE status = 'held';
CREATE INDEX ix_bookings_person ON bookings (nhs_number);
CREATE INDEX ix_bookings_first_dose ON bookings (first_dose_id) WHERE first_dose_id IS NOT NULL;

-- A booking request's Idempotency-Key: a retry with the same key and body gets the stored answer, not a second booking.
CREATE TABLE idempotency_keys (
    client_id    text NOT NULL,
    key          text NOT NULL,
    operation    text NOT NULL,
    request_hash text NOT NULL,
    response     text NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (client_id, key)
);

CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);


