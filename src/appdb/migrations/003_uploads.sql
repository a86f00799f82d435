-- Uploaded publication exports an organisation shares read-only with another. The upload itself
-- is evidence in the store, under its owner's organisation; this records who may also read it.
CREATE TABLE IF NOT EXISTS upload_shares (
  owner_org TEXT NOT NULL,
  file_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  shared_by TEXT NOT NULL,
  shared_at TEXT NOT NULL,
  PRIMARY KEY (owner_org, file_id, org_id)
);
