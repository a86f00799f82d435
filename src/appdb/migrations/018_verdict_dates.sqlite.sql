-- A verdict's as-of and re-assessment dates in columns of their own. They were read from each
-- verdict's stored result (a JSON document of many kilobytes) for every verdict at every monitor
-- pass; now re-assessments due are selected in SQL, from the index below. The verdicts stored
-- before are filled from their results; CaseService writes both with every verdict.
-- SQLite (and the DuckDB files of old releases); 018_verdict_dates.postgres.sql reads the JSON as PostgreSQL does.
ALTER TABLE assessments ADD COLUMN as_of TEXT;

ALTER TABLE assessments ADD COLUMN reassess_by TEXT;

UPDATE assessments SET as_of = result ->> '$.asOf', reassess_by = result ->> '$.reassessBy';

CREATE INDEX IF NOT EXISTS assessments_reassess ON assessments (reassess_by, as_of);
