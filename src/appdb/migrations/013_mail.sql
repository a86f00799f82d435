-- Alerts by e-mail, per user: off, immediate, or a daily digest. The unsubscribe token goes into
-- every mail's List-Unsubscribe address (RFC 8058), so it is kept as it is; it can only turn the
-- subscription off. Mail deliveries are rows of alert_deliveries like webhook deliveries, their
-- target (webhook_id) being 'mail:<user id>': one delivery mechanism, persisted and retried.
CREATE TABLE IF NOT EXISTS mail_subscriptions (
  user_id TEXT PRIMARY KEY,
  mode TEXT NOT NULL,
  unsubscribe_token TEXT NOT NULL UNIQUE,
  updated_at TEXT NOT NULL
);
