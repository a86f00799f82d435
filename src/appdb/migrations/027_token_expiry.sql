-- API tokens expire (src/service/accounts.ts, TOKEN_DAYS): each new token records when, and its MAC
-- covers that date, so one moved in the database authenticates nobody. Tokens made before keep NULL
-- and stop TOKEN_DAYS after they were made. The same SQL for SQLite and PostgreSQL.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
