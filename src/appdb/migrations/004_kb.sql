-- Knowledge base of the policy and standards landscape. Installation-wide (policy facts are not
-- tenant data); every change is a stored, dated version and every version and review carries the
-- sequence number of its audit entry, so "what changed since" is a query, not a reconstruction.
CREATE TABLE IF NOT EXISTS kb_entries (
  id TEXT PRIMARY KEY,
  version BIGINT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- origin: 'bundled' (data/policy shipped with derisk) or 'edit' (a user's change). title,
-- jurisdiction, topics (JSON) and changed (JSON: the fields that differ from the version before)
-- are read from doc when the version is written, so listing changes never parses documents.
CREATE TABLE IF NOT EXISTS kb_versions (
  entry_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  recorder_name TEXT NOT NULL,
  org_id TEXT,
  origin TEXT NOT NULL,
  note TEXT NOT NULL,
  status TEXT NOT NULL,
  title TEXT NOT NULL,
  jurisdiction TEXT NOT NULL,
  topics TEXT NOT NULL,
  changed TEXT NOT NULL,
  doc TEXT NOT NULL,
  doc_hash TEXT NOT NULL,
  audit_seq BIGINT NOT NULL,
  PRIMARY KEY (entry_id, version)
);

-- A review vouches for one version: an edit after it makes the entry a draft again.
CREATE TABLE IF NOT EXISTS kb_reviews (
  entry_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  reviewed_at TEXT NOT NULL,
  reviewed_by TEXT NOT NULL,
  reviewer_name TEXT NOT NULL,
  org_id TEXT NOT NULL,
  note TEXT NOT NULL,
  audit_seq BIGINT NOT NULL,
  PRIMARY KEY (entry_id, version)
);

-- Which criteria each stored verdict found to hold, read once from the verdict (verdicts never
-- change), so entries link to the verdicts that cited their criteria. Derived: not backed up.
CREATE TABLE IF NOT EXISTS kb_verdict_criteria (
  assessment_id TEXT NOT NULL,
  criterion_id TEXT NOT NULL,
  status TEXT NOT NULL,
  PRIMARY KEY (assessment_id, criterion_id)
);

CREATE TABLE IF NOT EXISTS kb_verdicts_indexed (
  assessment_id TEXT PRIMARY KEY
);

CREATE INDEX IF NOT EXISTS kb_versions_recorded_at ON kb_versions (recorded_at);

CREATE INDEX IF NOT EXISTS kb_verdict_criteria_criterion ON kb_verdict_criteria (criterion_id);
