-- The per-person audit index keyed by NHS number alone. Every audited read adds an entry at a random place in this index,
-- so its size is what each read pays for: without the instant in the key an entry is about a third of the size, more of
-- the index stays in memory and fewer pages are written per batch of audit lines. A person's trail is still found through
-- the index; their lines are sorted by time when read (a person has few enough for that to cost nothing).
DROP INDEX ix_audit_events_person;
CREATE INDEX ix_audit_events_person ON audit_events (nhs_number) WHERE nhs_number IS NOT NULL;
