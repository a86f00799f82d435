-- The partner installations an administrator restricted a shared item to: on export the item goes
-- in a MISP sharing group (distribution 4) naming them, and a feed reader outside it refuses it.
-- No row: the item goes to its whole audience. A recipient is named by the organisation UUID MISP
-- knows it by (for a derisk installation, the one its feed key gives). Kept apart from
-- exchange_sharing so rows audited before keep their digests. Portable SQL (SQLite, PostgreSQL,
-- DuckDB); every row is written with its audit entry.
CREATE TABLE IF NOT EXISTS exchange_recipients (
  kind TEXT NOT NULL,
  item_id TEXT NOT NULL,
  recipient_uuid TEXT NOT NULL,
  recipient_name TEXT NOT NULL,
  org_id TEXT NOT NULL,
  added_by TEXT NOT NULL,
  added_at TEXT NOT NULL,
  PRIMARY KEY (kind, item_id, recipient_uuid)
);
