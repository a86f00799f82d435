-- A match correction withdrawn by its organisation: a record of its own, so the correction and its
-- history stay (the audit trail and match_corrections are append-only). One withdrawal per
-- correction (the key refuses a second, also from a concurrent request). A correction superseded by
-- a later one of its organisation on the same string needs no row: that is read from the
-- corrections themselves (MatchCorrections). Portable SQL (SQLite, PostgreSQL); every row is
-- written with its audit entry.
CREATE TABLE IF NOT EXISTS match_correction_withdrawals (
  correction_id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  withdrawn_by TEXT NOT NULL,
  withdrawn_at TEXT NOT NULL
);
