-- Watchlists and alerts. A watch item belongs to an organisation (user_id '', everyone in it
-- sees it) or to one of its users; so does an alert. Alerts are written once: (org_id, user_id,
-- dedup_key) is unique, so a check run twice, or again after a crash, adds nothing.
CREATE TABLE IF NOT EXISTS watch_items (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  ref TEXT NOT NULL,
  label TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (org_id, user_id, kind, ref)
);

CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  title TEXT NOT NULL,
  subject TEXT NOT NULL,
  evidence TEXT NOT NULL,
  link TEXT NOT NULL,
  UNIQUE (org_id, user_id, dedup_key)
);

CREATE INDEX IF NOT EXISTS alerts_org ON alerts (org_id, created_at);

-- Read / unread is per user.
CREATE TABLE IF NOT EXISTS alert_reads (
  alert_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  read_at TEXT NOT NULL,
  PRIMARY KEY (alert_id, user_id)
);

-- A user's Atom feed opens with a token that opens nothing else; stored as its SHA-256 hash.
CREATE TABLE IF NOT EXISTS feed_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked BOOLEAN NOT NULL
);

-- Standard Webhooks endpoints of an organisation; secret is the whsec_ key the receiver verifies with.
CREATE TABLE IF NOT EXISTS webhooks (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  disabled BOOLEAN NOT NULL,
  disabled_reason TEXT
);

-- One row per alert and endpoint, written with the alert: a delivery is a persisted job, retried
-- with back-off until delivered, given up, or its endpoint answers 410 Gone.
CREATE TABLE IF NOT EXISTS alert_deliveries (
  alert_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL,
  next_attempt_at TEXT NOT NULL,
  last_status BIGINT,
  last_error TEXT,
  delivered_at TEXT,
  PRIMARY KEY (alert_id, webhook_id)
);

-- What the monitor has already looked at: evidence files, list versions, the knowledge base's
-- change cursor, the policy bundle. Rows are marked in the transaction that writes their alerts.
CREATE TABLE IF NOT EXISTS monitor_seen (
  kind TEXT NOT NULL,
  ref TEXT NOT NULL,
  value TEXT NOT NULL,
  seen_at TEXT NOT NULL,
  PRIMARY KEY (kind, ref)
);
