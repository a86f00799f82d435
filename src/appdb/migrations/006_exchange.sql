-- Information exchange between installations: what an organisation shares (notes on entities,
-- namesake decisions, its verdicts in anonymised form), at which distribution and TLP marking,
-- the feeds this installation subscribes to and what it received from them, with provenance.
-- Portable SQL (SQLite, PostgreSQL, DuckDB). Every row is written with its audit entry.

-- A note on an entity (a list entry, a ROR institution or a name), with an optional opinion
-- (0 to 100, 50 neutral: MISP's scale) on whether it is a concern.
CREATE TABLE IF NOT EXISTS entity_notes (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  subject_kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  subject_label TEXT NOT NULL,
  body TEXT NOT NULL,
  opinion BIGINT,
  author TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- "This string is not that listed entity", with the reason. name_key is the string as screening
-- compares it, so the decision is found whichever way the string was written.
CREATE TABLE IF NOT EXISTS namesake_decisions (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  list_id TEXT NOT NULL,
  entry_id TEXT NOT NULL,
  entry_name TEXT NOT NULL,
  reason TEXT NOT NULL,
  author TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- How far an item may travel. No row: the organisation only (nothing leaves by default).
CREATE TABLE IF NOT EXISTS exchange_sharing (
  kind TEXT NOT NULL,
  item_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  distribution TEXT NOT NULL,
  tlp TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  PRIMARY KEY (kind, item_id)
);

-- Signed feeds of other installations: the key that must have signed them and the last manifest
-- accepted (a manifest with a sequence not above it is a replay).
CREATE TABLE IF NOT EXISTS exchange_subscriptions (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL UNIQUE,
  public_key TEXT NOT NULL,
  key_id TEXT NOT NULL,
  added_by TEXT NOT NULL,
  added_at TEXT NOT NULL,
  publisher TEXT,
  last_sequence BIGINT,
  last_manifest TEXT,
  last_pulled_at TEXT
);

-- What feeds brought in, kept apart from the installation's own notes and decisions, with where
-- it came from: publisher, key, time of publication and of the pull, the organisation that wrote it.
CREATE TABLE IF NOT EXISTS exchange_received (
  kind TEXT NOT NULL,
  uuid TEXT NOT NULL,
  subscription_id TEXT NOT NULL,
  publisher TEXT NOT NULL,
  key_id TEXT NOT NULL,
  published_at TEXT NOT NULL,
  pulled_at TEXT NOT NULL,
  origin_org TEXT NOT NULL,
  distribution TEXT NOT NULL,
  tlp TEXT NOT NULL,
  subject_key TEXT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (kind, uuid)
);

CREATE INDEX IF NOT EXISTS namesake_decisions_key ON namesake_decisions (name_key);

CREATE INDEX IF NOT EXISTS exchange_received_subject ON exchange_received (kind, subject_key);
