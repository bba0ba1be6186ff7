-- SQLite dialect of postgres/0012_audit_journals.sql (the same statement).
CREATE TABLE audit_journals (
    name      TEXT   PRIMARY KEY,
    loaded_to BIGINT NOT NULL
);
