-- The site's day: appointments checked in, vaccinated, not vaccinated or marked did-not-attend, and walk-ins.
-- A booking's life goes on after 'booked': 'checked-in' when the person arrives, then one outcome: 'vaccinated',
-- 'not-vaccinated' (with a reason) or 'did-not-attend' (background work, once the site's day is over). A checked-in booking
-- is still the person's active booking for its dose; the outcomes are not. Every outcome keeps its place in the slot count
-- (slots.booked): the place was used.
ALTER TABLE bookings DROP CONSTRAINT bookings_status_check;
ALTER TABLE bookings ADD CONSTRAINT bookings_status_check CHECK (status IN ('held', 'booked', 'cancelled', 'expired',
    'checked-in', 'vaccinated', 'not-vaccinated', 'did-not-attend'));
ALTER TABLE bookings
    ADD COLUMN checked_in_at timestamptz NULL,
    ADD COLUMN checked_in_by text NULL,      -- the member of staff's account id
    ADD COLUMN closed_at     timestamptz NULL, -- when the outcome was recorded
    ADD COLUMN closed_by     text NULL;      -- staff account id, or 'system:did-not-attend'

DROP INDEX ux_bookings_active_dose;
CREATE UNIQUE INDEX ux_bookings_active_dose ON bookings (nhs_number, programme, dose_number) WHERE status IN ('held', 'booked', 'checked-in');
-- A site's day (slots of the site and date, then their bookings of any status), and the did-not-attend sweep.
CREATE INDEX ix_bookings_slot_status ON bookings (slot_id, status);
CREATE INDEX ix_slots_date ON slots (slot_date);

-- What happened at a site for a person: vaccinated (the register's event, who consented; for a walk-in the eligibility
-- answer and any override) or not vaccinated (a reason). One outcome per booking, by index: a second recording fails.
CREATE TABLE site_outcomes (
    id                   text PRIMARY KEY,
    site_ods_code        text NOT NULL,
    outcome_date         date NOT NULL, -- the Europe/London day
    booking_id           text NULL REFERENCES bookings (id),
    nhs_number           text NOT NULL REFERENCES people (nhs_number),
    programme            text NOT NULL,
    outcome              text NOT NULL CHECK (outcome IN ('vaccinated', 'not-vaccinated')),
    vaccination_event_id text NULL REFERENCES vaccination_events (id),
    consent              text NULL CHECK (consent IN ('self', 'parent-or-guardian', 'lasting-power-of-attorney',
                             'court-appointed-deputy', 'best-interests-decision')),
    reason               text NULL,     -- not vaccinated: a code (refused, unwell, contraindicated, ...)
    eligibility_code     text NULL,     -- walk-in: the booking check's answer on the day
    override_reason      text NULL,     -- walk-in: why the clinician vaccinated although the check said no
    recorded_at          timestamptz NOT NULL,
    recorded_by          text NOT NULL, -- staff account id
    CHECK ((outcome = 'vaccinated') = (vaccination_event_id IS NOT NULL)),
    CHECK (outcome <> 'vaccinated' OR consent IS NOT NULL)
);

CREATE UNIQUE INDEX ux_site_outcomes_booking ON site_outcomes (booking_id) WHERE booking_id IS NOT NULL;
CREATE INDEX ix_site_outcomes_site_date ON site_outcomes (site_ods_code, outcome_date);
CREATE INDEX ix_site_outcomes_person ON site_outcomes (nhs_number);
