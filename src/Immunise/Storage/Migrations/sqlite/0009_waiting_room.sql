-- SQLite dialect of postgres/0009_waiting_room.sql: INTEGER booleans, TEXT instants, REAL fractions.
-- The waiting room (D8): settings and counters in one row, one row per ticket, per-tick samples, signing keys.

CREATE TABLE waiting_room (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    enabled             INTEGER NOT NULL DEFAULT 0,
    automatic           INTEGER NOT NULL DEFAULT 0,
    auto_until          TEXT NULL,
    paused              INTEGER NOT NULL DEFAULT 0,
    rate_per_minute     INTEGER NOT NULL DEFAULT 500 CHECK (rate_per_minute BETWEEN 0 AND 1000000),
    max_active          INTEGER NOT NULL DEFAULT 0 CHECK (max_active BETWEEN 0 AND 10000000),
    opens_at            TEXT NULL,
    last_sequence       INTEGER NOT NULL DEFAULT 0,
    serving             INTEGER NOT NULL DEFAULT 0,
    pending             INTEGER NOT NULL DEFAULT 0,
    credit              REAL NOT NULL DEFAULT 0,
    last_tick_at        TEXT NULL,
    last_advance_at     TEXT NULL,
    saturated_served    INTEGER NOT NULL DEFAULT 0,
    saturated_seconds   REAL NOT NULL DEFAULT 0,
    serving_per_minute  REAL NOT NULL DEFAULT 0,
    arrivals_per_minute REAL NOT NULL DEFAULT 0,
    admitted_per_minute REAL NOT NULL DEFAULT 0,
    active              INTEGER NOT NULL DEFAULT 0,
    updated_at          TEXT NOT NULL,
    updated_by          TEXT NOT NULL
) STRICT;

-- Instants in these tables are written as the driver writes a DateTimeOffset (as Dapper's parameters are), always UTC.
INSERT INTO waiting_room (id, updated_at, updated_by) VALUES (1, datetime('now') || '+00:00', 'migration');

CREATE TABLE waiting_room_tickets (
    id           TEXT PRIMARY KEY,
    seq          INTEGER NULL UNIQUE,
    draw         INTEGER NOT NULL,
    issued_at    TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    passed_at    TEXT NULL,
    abandoned_at TEXT NULL,
    admitted_at  TEXT NULL,
    finished_at  TEXT NULL
) STRICT;

CREATE INDEX ix_waiting_room_tickets_pending ON waiting_room_tickets (draw) WHERE seq IS NULL;
CREATE INDEX ix_waiting_room_tickets_admitted ON waiting_room_tickets (admitted_at) WHERE admitted_at IS NOT NULL;
CREATE INDEX ix_waiting_room_tickets_offered ON waiting_room_tickets (passed_at) WHERE passed_at IS NOT NULL AND admitted_at IS NULL AND abandoned_at IS NULL;
CREATE INDEX ix_waiting_room_tickets_abandoned ON waiting_room_tickets (abandoned_at) WHERE abandoned_at IS NOT NULL;

CREATE TABLE waiting_room_samples (
    at                TEXT PRIMARY KEY,
    issued            INTEGER NOT NULL,
    serving           INTEGER NOT NULL,
    saturated_served  INTEGER NOT NULL,
    saturated_seconds REAL NOT NULL
) STRICT;

CREATE TABLE waiting_room_keys (
    id         INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 255),
    secret     TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
