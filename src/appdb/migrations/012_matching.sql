-- Match corrections another installation shared through a signed exchange feed (exchange_received,
-- kind 'correction') that an organisation accepted: from then on they are among the corrections in
-- force for it, below its own. Portable SQL (SQLite, PostgreSQL, DuckDB); written with an audit entry.
CREATE TABLE IF NOT EXISTS match_corrections_accepted (
  org_id TEXT NOT NULL,
  uuid TEXT NOT NULL,
  accepted_by TEXT NOT NULL,
  accepted_at TEXT NOT NULL,
  PRIMARY KEY (org_id, uuid)
);
