-- A person's events by target, now carrying the day and status too, so that the eligibility reads (one person's history,
-- or a range of NHS numbers for a whole-register count) are answered from the index alone (index-only scans).
DROP INDEX ix_vaccination_events_person;
CREATE INDEX ix_vaccination_events_person ON vaccination_events (nhs_number, target_disease, occurred_at) INCLUDE (occurred_on, status);
