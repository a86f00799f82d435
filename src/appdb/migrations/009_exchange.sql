-- Pulling subscribed feeds on a schedule, and what the last attempt came to (a refusal keeps its
-- reason, so the next look at the subscription says why nothing new arrived). Portable SQL.
ALTER TABLE exchange_subscriptions ADD COLUMN pull_every_minutes BIGINT;

ALTER TABLE exchange_subscriptions ADD COLUMN last_attempt_at TEXT;

ALTER TABLE exchange_subscriptions ADD COLUMN last_outcome TEXT;
