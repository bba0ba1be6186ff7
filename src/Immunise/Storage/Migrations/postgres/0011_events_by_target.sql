-- Vaccination events by target disease, then person: the whole-register count reads one target's events for a range of
-- NHS numbers in NHS-number order, and through the per-person index it stepped over every other target's entries on the
-- way (about 1 µs of server CPU a person at 1,000,000 people; about 0.7 µs through this one, in NHS-number order with
-- nothing to skip). It costs each recorded or imported event one more index entry.
CREATE INDEX ix_vaccination_events_target ON vaccination_events (target_disease, nhs_number) INCLUDE (occurred_on, status);
