-- Analysts' corrections to affiliation matching, kept per organisation as a thesaurus the resolver
-- consults before matching: "this string is that institution" (verdict is), "it is not that one"
-- (not), "it names no registry institution" (none, ror_id empty). string_key is the string as the
-- resolver compares it, so a correction is found however the string was cased or punctuated.
-- Portable SQL (SQLite, PostgreSQL, DuckDB). Every row is written with its audit entry.
CREATE TABLE IF NOT EXISTS match_corrections (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  raw TEXT NOT NULL,
  string_key TEXT NOT NULL,
  ror_id TEXT NOT NULL,
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL,
  author TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS match_corrections_org ON match_corrections (org_id, string_key);
