-- The inbox and the Atom feed read an organisation's alerts newest first, ties in created_at (an
-- alert pass records its alerts at one time) in id order, a page at a time from a cursor. This
-- index is that order, so a page is read straight from it: no sort of the organisation's alerts,
-- and a later page starts where the cursor points. Portable SQL (SQLite, PostgreSQL, DuckDB).
CREATE INDEX IF NOT EXISTS alerts_page ON alerts (org_id, created_at DESC, id);

-- alerts_org (org_id, created_at) is the first two columns of alerts_page: one index less to write per alert.
DROP INDEX IF EXISTS alerts_org;
