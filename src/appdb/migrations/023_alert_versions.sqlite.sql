-- What the Atom feed and the inbox's first page depend on, as two counters: an organisation's
-- alerts (any alert recorded or removed in it) and a user's read marks. A server keeps each
-- rendered feed and page with the counters it was rendered at, and asks the database for the
-- counters alone at every request: one row by its key, however many alerts there are, instead of
-- the alert ids and marks of the whole page. The triggers move them in the transaction that
-- writes the alert or the mark, whichever process or statement writes it, so a server sees a
-- change made elsewhere at its next request. Not backed up: a restore's inserts count afresh.
-- SQLite; 023_alert_versions.postgres.sql is the same for PostgreSQL.
CREATE TABLE IF NOT EXISTS alert_versions (
  kind TEXT NOT NULL,
  ref TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (kind, ref)
);

CREATE TRIGGER IF NOT EXISTS alert_versions_alert_added AFTER INSERT ON alerts BEGIN INSERT INTO alert_versions (kind, ref, version) VALUES ('alerts', NEW.org_id, 1) ON CONFLICT (kind, ref) DO UPDATE SET version = version + 1; END;

CREATE TRIGGER IF NOT EXISTS alert_versions_alert_changed AFTER UPDATE ON alerts BEGIN INSERT INTO alert_versions (kind, ref, version) VALUES ('alerts', OLD.org_id, 1), ('alerts', NEW.org_id, 1) ON CONFLICT (kind, ref) DO UPDATE SET version = version + 1; END;

CREATE TRIGGER IF NOT EXISTS alert_versions_alert_removed AFTER DELETE ON alerts BEGIN INSERT INTO alert_versions (kind, ref, version) VALUES ('alerts', OLD.org_id, 1) ON CONFLICT (kind, ref) DO UPDATE SET version = version + 1; END;

CREATE TRIGGER IF NOT EXISTS alert_versions_read_added AFTER INSERT ON alert_reads BEGIN INSERT INTO alert_versions (kind, ref, version) VALUES ('reads', NEW.user_id, 1) ON CONFLICT (kind, ref) DO UPDATE SET version = version + 1; END;

CREATE TRIGGER IF NOT EXISTS alert_versions_read_changed AFTER UPDATE ON alert_reads BEGIN INSERT INTO alert_versions (kind, ref, version) VALUES ('reads', OLD.user_id, 1), ('reads', NEW.user_id, 1) ON CONFLICT (kind, ref) DO UPDATE SET version = version + 1; END;

CREATE TRIGGER IF NOT EXISTS alert_versions_read_removed AFTER DELETE ON alert_reads BEGIN INSERT INTO alert_versions (kind, ref, version) VALUES ('reads', OLD.user_id, 1) ON CONFLICT (kind, ref) DO UPDATE SET version = version + 1; END;
