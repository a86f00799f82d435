-- API tokens grant access as sessions do: each now carries a MAC under the audit key (outside the
-- database) over its id, secret's hash, user and creation time, and one that does not match
-- authenticates nobody — a row written with database access alone is not a token. The same SQL for
-- SQLite and PostgreSQL. Tokens issued before are given their MAC at the first open after this
-- migration only where the audit trail records their creation as they stand (see vouchForTokens
-- in src/service/audit.ts); any other is refused, and `derisk audit verify` names it.
ALTER TABLE api_tokens ADD COLUMN mac TEXT;
