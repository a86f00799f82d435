-- Accounts and the audit trail, second version: login throttling shared by every server process,
-- devices that logged in before, one-time login codes, where a session came from, and an audit
-- trail sealed with a key kept outside the database. Portable SQL (DuckDB, PostgreSQL, SQLite).

-- Failed-login counters, one row per key (an account, an address, a known device). Kept in the
-- database so that several server processes on one PostgreSQL share them.
CREATE TABLE IF NOT EXISTS login_throttle (
  key TEXT PRIMARY KEY,
  failures BIGINT NOT NULL,
  last_at TEXT NOT NULL
);

-- Browsers that logged in to an account before (a device cookie, stored as its hash): their
-- logins are counted apart, so nobody can slow the owner down by guessing at their account.
CREATE TABLE IF NOT EXISTS login_devices (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- One-time login codes, minted only at the console, stored as hashes, short-lived.
CREATE TABLE IF NOT EXISTS login_codes (
  code_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  origin TEXT NOT NULL,
  expires_at TEXT NOT NULL
);

-- Where a session came from ('password', or 'run:<id>' for a code printed by one server run, whose
-- sessions end with that run).
ALTER TABLE sessions ADD COLUMN origin TEXT;

-- Each entry records a digest of every row it created or changed (verify compares the rows with
-- them) and a MAC of its hash under the key outside the database.
ALTER TABLE audit ADD COLUMN row_digests TEXT;

ALTER TABLE audit ADD COLUMN mac TEXT;
