-- What each group of anonymised verdicts (the same partners) last released: its items, each with the
-- organisation it came from (which never leaves), or that the group was withdrawn (its last released
-- items kept: the content a later release is compared with). A group's content changes only when the
-- change since comes from k organisations besides any one (ExchangeService.outgoing), so comparing two
-- publishes singles out nobody's verdict. Every row is written with its audit entry. The same SQL for
-- SQLite and PostgreSQL.
CREATE TABLE IF NOT EXISTS exchange_releases (
  group_key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  items TEXT NOT NULL,
  released_at TEXT NOT NULL
);
