-- The monitor finds each case's latest verdict (to re-check it after a new policy bundle, list or
-- evidence, and to see its re-assessment date) with max(created_at) per case_id. Without an index
-- that is a scan of every verdict for each verdict: 10,000 stored verdicts took SQLite 25 minutes.
-- With it, a lookup in the index. A case's verdict history (newest first) reads it too.
-- Portable SQL (SQLite, PostgreSQL, DuckDB).
CREATE INDEX IF NOT EXISTS assessments_case_latest ON assessments (case_id, created_at);
