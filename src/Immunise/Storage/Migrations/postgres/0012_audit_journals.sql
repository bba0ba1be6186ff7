-- How far each process's audit journal has been moved into audit_events (decision 009). A row is written in the same
-- transaction as the lines it covers, so a journal left by a process that died is replayed from there, exactly once. The
-- service keeps journals only on SQLite; PostgreSQL has the table too, so both dialects hold the same schema.
CREATE TABLE audit_journals (
    name      TEXT   PRIMARY KEY,
    loaded_to BIGINT NOT NULL
);
