-- A feed token opens a user's alerts as sessions and API tokens open the service: each now carries
-- a MAC under the audit key (outside the database) over its id, secret's hash, user and creation
-- time, as 021 gave API tokens, and a row written with database access alone opens no feed. Feed
-- tokens issued before get theirs at the first open after this migration only where the audit
-- trail records their creation as they stand (vouchForTokens in src/service/audit.ts); any other
-- opens nothing, and `derisk audit verify` names it.
ALTER TABLE feed_tokens ADD COLUMN mac TEXT;
