-- A verdict's as-of and re-assessment dates in columns of their own: 018_verdict_dates.sqlite.sql
-- says why. PostgreSQL reads the stored result (text) as JSON through a cast.
ALTER TABLE assessments ADD COLUMN as_of TEXT;

ALTER TABLE assessments ADD COLUMN reassess_by TEXT;

UPDATE assessments SET as_of = result::json ->> 'asOf', reassess_by = result::json ->> 'reassessBy';

CREATE INDEX IF NOT EXISTS assessments_reassess ON assessments (reassess_by, as_of);
