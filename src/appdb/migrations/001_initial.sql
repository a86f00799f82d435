-- derisk application database, first version. Portable SQL: runs unchanged on SQLite, PostgreSQL and DuckDB (which held it before SQLite).
CREATE TABLE IF NOT EXISTS organisations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled BOOLEAN NOT NULL,
  created_at TEXT NOT NULL
);

-- Sessions and API tokens are stored as hashes: a copy of the database grants no access.
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  csrf TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  label TEXT NOT NULL,
  revoked BOOLEAN NOT NULL,
  created_at TEXT NOT NULL
);

-- client_key makes a retried create idempotent: the same key in one organisation is one case.
CREATE TABLE IF NOT EXISTS cases (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  client_key TEXT,
  title TEXT NOT NULL,
  doc TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (org_id, client_key)
);

CREATE TABLE IF NOT EXISTS case_shares (
  case_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  shared_by TEXT NOT NULL,
  shared_at TEXT NOT NULL,
  PRIMARY KEY (case_id, org_id)
);

CREATE TABLE IF NOT EXISTS assessments (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  rulebook_id TEXT NOT NULL,
  rulebook_version TEXT NOT NULL,
  rulebook_hash TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  overall TEXT NOT NULL,
  result TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS notes (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  author TEXT NOT NULL,
  created_at TEXT NOT NULL,
  body TEXT NOT NULL
);

-- Append-only and hash-chained: each entry's hash covers its content and the previous hash.
CREATE TABLE IF NOT EXISTS audit (
  seq BIGINT PRIMARY KEY,
  recorded_at TEXT NOT NULL,
  actor TEXT NOT NULL,
  org_id TEXT,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
