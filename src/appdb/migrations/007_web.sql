-- The sign-off of a verdict: what the organisation decided on it, who decided and when, and the
-- conditions attached. One decision per verdict, never changed: a new decision needs a new verdict.
-- Portable SQL (SQLite, PostgreSQL, DuckDB). Every row is written with its audit entry.
CREATE TABLE IF NOT EXISTS assessment_decisions (
  assessment_id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  decision TEXT NOT NULL,
  conditions TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  decided_at TEXT NOT NULL
);
