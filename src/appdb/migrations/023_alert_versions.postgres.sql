-- What the Atom feed and the inbox's first page depend on, as two counters: 023_alert_versions.sqlite.sql
-- says why. PostgreSQL writes triggers as functions. Transactions take one advisory lock
-- (src/appdb/postgres.ts), so two writers never hold two counters' rows in opposite orders.
CREATE TABLE IF NOT EXISTS alert_versions (
  kind TEXT NOT NULL,
  ref TEXT NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (kind, ref)
);

CREATE OR REPLACE FUNCTION alert_versions_bump(k TEXT, r TEXT) RETURNS void LANGUAGE sql AS $$ INSERT INTO alert_versions (kind, ref, version) VALUES (k, r, 1) ON CONFLICT (kind, ref) DO UPDATE SET version = alert_versions.version + 1 $$;

CREATE OR REPLACE FUNCTION alert_versions_alerts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> 'INSERT' THEN PERFORM alert_versions_bump('alerts', OLD.org_id); END IF; IF TG_OP <> 'DELETE' THEN PERFORM alert_versions_bump('alerts', NEW.org_id); END IF; RETURN NULL; END $$;

CREATE OR REPLACE FUNCTION alert_versions_reads() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> 'INSERT' THEN PERFORM alert_versions_bump('reads', OLD.user_id); END IF; IF TG_OP <> 'DELETE' THEN PERFORM alert_versions_bump('reads', NEW.user_id); END IF; RETURN NULL; END $$;

DROP TRIGGER IF EXISTS alert_versions_alerts ON alerts;

CREATE TRIGGER alert_versions_alerts AFTER INSERT OR UPDATE OR DELETE ON alerts FOR EACH ROW EXECUTE FUNCTION alert_versions_alerts();

DROP TRIGGER IF EXISTS alert_versions_reads ON alert_reads;

CREATE TRIGGER alert_versions_reads AFTER INSERT OR UPDATE OR DELETE ON alert_reads FOR EACH ROW EXECUTE FUNCTION alert_versions_reads();
