-- The notifications outbox: a message is written in the same transaction as the change that causes it, then sent by the
-- dispatcher (GOV.UK Notify, or rendered and kept locally when no Notify key is configured).
CREATE TABLE notification_messages (
    id              text PRIMARY KEY,            -- a UUID; also the `reference` given to Notify (no personal data)
    dedupe_key      text NOT NULL UNIQUE,        -- what caused it, e.g. booking:ABCD2345:confirmation:sms; one message each
    channel         text NOT NULL CHECK (channel IN ('sms', 'email', 'letter')),
    template        text NOT NULL,               -- our template name (Notifications/MessageTemplates.cs)
    recipient       text NOT NULL,               -- mobile number or email address: personal data, never logged
    personalisation text NOT NULL,               -- JSON object of placeholder values
    nhs_number      text NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'delivered',
                                                    'permanent-failure', 'temporary-failure', 'technical-failure')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,        -- when a pending message is due
    claimed_by      text NULL,                   -- the dispatcher sending it
    claimed_until   timestamptz NULL,            -- its lease: after this another dispatcher may take it over
    in_doubt        boolean NOT NULL DEFAULT false, -- taken over from a dispatcher that may have sent it: ask Notify first
    provider_id     text NULL,                   -- Notify's notification id
    failure_reason  text NULL,
    subject         text NULL,                   -- as rendered (email)
    body            text NULL,                   -- as rendered
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz NULL,
    completed_at    timestamptz NULL             -- delivered or failed for good
);

CREATE INDEX ix_notification_messages_due ON notification_messages (status, next_attempt_at);
CREATE INDEX ix_notification_messages_provider ON notification_messages (provider_id);
CREATE INDEX ix_notification_messages_created ON notification_messages (created_at);
