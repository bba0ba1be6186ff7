-- SQLite dialect of postgres/0011_events_by_target.sql: nothing to do. The PostgreSQL index serves the whole-register count's
-- copy of one target's events in NHS-number order; SQLite's count steps through the per-person index on its own handle and
-- meets its budget without it (see docs/performance.md), so SQLite's imports are spared the extra entry.
SELECT 1;
