-- The waiting room (D8): a fair queue in front of booking, shared by every node through a few counters in one row, one row
-- per ticket (for abandonment, the shuffle at a scheduled opening and admissions), per-tick samples for the measured
-- admission rate, and the keys that sign tickets and admission tokens. See docs/waiting-room.md and decision 008.

-- The one row of settings and counters. A ticket's place is its sequence number minus the serving number. Ticket issue
-- updates this row (last_sequence, pending, and serving while the room is not active); one node per tick advances serving.
CREATE TABLE waiting_room (
    id                  integer PRIMARY KEY CHECK (id = 1),
    enabled             boolean NOT NULL DEFAULT false,  -- switched on by an administrator
    automatic           boolean NOT NULL DEFAULT false,  -- switches itself on when arrivals per minute exceed the rate
    auto_until          timestamptz NULL,                -- on by the automatic switch until then
    paused              boolean NOT NULL DEFAULT false,  -- tickets are given but no one is admitted
    rate_per_minute     integer NOT NULL DEFAULT 500 CHECK (rate_per_minute BETWEEN 0 AND 1000000),
    max_active          integer NOT NULL DEFAULT 0 CHECK (max_active BETWEEN 0 AND 10000000), -- 0: no limit
    opens_at            timestamptz NULL,                -- a scheduled opening: arrivals before it are shuffled at it
    last_sequence       bigint NOT NULL DEFAULT 0,       -- the last sequence number given to a ticket
    serving             bigint NOT NULL DEFAULT 0,       -- tickets numbered up to this may be admitted
    pending             bigint NOT NULL DEFAULT 0,       -- tickets taken before a scheduled opening, not yet numbered
    credit              double precision NOT NULL DEFAULT 0, -- admissions owed by the rate, carried between ticks
    last_tick_at        timestamptz NULL,                -- the last tick claimed by a node
    last_advance_at     timestamptz NULL,
    saturated_served    bigint NOT NULL DEFAULT 0,       -- numbers passed in ticks that left people waiting (cumulative)
    saturated_seconds   double precision NOT NULL DEFAULT 0, -- and those ticks' length (the measured rate's basis)
    serving_per_minute  double precision NOT NULL DEFAULT 0, -- measured over the estimate window
    arrivals_per_minute double precision NOT NULL DEFAULT 0,
    admitted_per_minute double precision NOT NULL DEFAULT 0,
    active              bigint NOT NULL DEFAULT 0,       -- admitted visitors still within their admission, as of the last tick
    updated_at          timestamptz NOT NULL,
    updated_by          text NOT NULL
);

INSERT INTO waiting_room (id, updated_at, updated_by) VALUES (1, now(), 'migration');

-- One row per ticket. id is random and is in the signed ticket; seq is null until a scheduled opening numbers the tickets
-- taken before it (in the random order of draw). Times say what became of it.
CREATE TABLE waiting_room_tickets (
    id           text PRIMARY KEY,
    seq          bigint NULL UNIQUE,
    draw         bigint NOT NULL,
    issued_at    timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,     -- written in batches by each node, at most once per ticket per interval
    passed_at    timestamptz NULL,         -- the serving number reached it while its holder was still there
    abandoned_at timestamptz NULL,         -- reached after its holder stopped polling, or admitted and not taken up
    admitted_at  timestamptz NULL,         -- the admission token was first given
    finished_at  timestamptz NULL          -- the booking was confirmed
);

CREATE INDEX ix_waiting_room_tickets_pending ON waiting_room_tickets (draw) WHERE seq IS NULL;
CREATE INDEX ix_waiting_room_tickets_admitted ON waiting_room_tickets (admitted_at) WHERE admitted_at IS NOT NULL;
CREATE INDEX ix_waiting_room_tickets_offered ON waiting_room_tickets (passed_at) WHERE passed_at IS NOT NULL AND admitted_at IS NULL AND abandoned_at IS NULL;
CREATE INDEX ix_waiting_room_tickets_abandoned ON waiting_room_tickets (abandoned_at) WHERE abandoned_at IS NOT NULL;

-- One sample per tick, kept for an hour: the measured rates come from these.
CREATE TABLE waiting_room_samples (
    at                timestamptz PRIMARY KEY,
    issued            bigint NOT NULL,                 -- tickets given so far (numbered or waiting for an opening)
    serving           bigint NOT NULL,
    saturated_served  bigint NOT NULL,
    saturated_seconds double precision NOT NULL
);

-- HMAC keys for tickets and admission tokens, shared by every node; the newest signs, all verify.
CREATE TABLE waiting_room_keys (
    id         integer PRIMARY KEY CHECK (id BETWEEN 1 AND 255),
    secret     text NOT NULL,              -- 32 random bytes, base64
    created_at timestamptz NOT NULL
);
