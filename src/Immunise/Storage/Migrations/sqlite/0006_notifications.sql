-- SQLite dialect of postgres/0006_notifications.sql.
-- The notifications outbox: a message is written in the same transaction as the change that causes it, then sent by the
-- dispatcher (GOV.UK Notify, or rendered and kept locally when no Notify key is configured).
CREATE TABLE notification_messages (
    id              TEXT PRIMARY KEY,            -- a UUID; also the `reference` given to Notify (no personal data)
    dedupe_key      TEXT NOT NULL UNIQUE,        -- what caused it, e.g. booking:ABCD2345:confirmation:sms; one message each
    channel         TEXT NOT NULL CHECK (channel IN ('sms', 'email', 'letter')),
    template        TEXT NOT NULL,               -- our template name (Notifications/MessageTemplates.cs)
    recipient       TEXT NOT NULL,               -- mobile number or email address: personal data, never logged
    personalisation TEXT NOT NULL,               -- JSON object of placeholder values
    nhs_number      TEXT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'delivered',
                                                    'permanent-failure', 'temporary-failure', 'technical-failure')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,               -- when a pending message is due
    claimed_by      TEXT NULL,                   -- the dispatcher sending it
    claimed_until   TEXT NULL,                   -- its lease: after this another dispatcher may take it over
    in_doubt        INTEGER NOT NULL DEFAULT 0,  -- 1 when taken over from a dispatcher that may have sent it: ask Notify first
    provider_id     TEXT NULL,                   -- Notify's notification id
    failure_reason  TEXT NULL,
    subject         TEXT NULL,                   -- as rendered (email)
    body            TEXT NULL,                   -- as rendered
    created_at      TEXT NOT NULL,
    sent_at         TEXT NULL,
    completed_at    TEXT NULL                    -- delivered or failed for good
) STRICT;

CREATE INDEX ix_notification_messages_due ON notification_messages (status, next_attempt_at);
CREATE INDEX ix_notification_messages_provider ON notification_messages (provider_id);
CREATE INDEX ix_notification_messages_created ON notification_messages (created_at);
