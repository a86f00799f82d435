-- Items an organisation imported from a file are kept under "<organisation>/<uuid>", so that two
-- organisations importing the same file each hold their own copy. Those imported before that
-- (their source already names the organisation: file:<organisation>:<sha256>) kept the item's bare
-- uuid, and the exchange code looked under both keys; here they move to the organisation's key.
-- Imports from before the source named an organisation (file:<sha256>) are not moved: they have
-- been every organisation's to see (and to accept) since, as a feed's items are, and stay so.
-- Each move is noted in exchange_received_moved; the audit trail records it on the next start
-- (src/service/audit.ts, recordMovedRows), which empties the table. Portable SQL (SQLite, PostgreSQL).
CREATE TABLE IF NOT EXISTS exchange_received_moved (
  kind TEXT NOT NULL,
  from_uuid TEXT NOT NULL,
  to_uuid TEXT NOT NULL,
  PRIMARY KEY (kind, from_uuid)
);

-- The organisation is what lies between "file:" and ":<64 hex digits>"; CASE keeps substr from a
-- negative length on other sources (PostgreSQL refuses one).
INSERT INTO exchange_received_moved (kind, from_uuid, to_uuid)
SELECT kind, uuid, org || '/' || uuid
FROM (
  SELECT kind, uuid,
    CASE WHEN subscription_id LIKE 'file:%' AND length(subscription_id) > 70 AND substr(subscription_id, length(subscription_id) - 64, 1) = ':'
      THEN substr(subscription_id, 6, length(subscription_id) - 70) END AS org
  FROM exchange_received
) imported
WHERE org IS NOT NULL
  AND substr(uuid, 1, length(org) + 1) <> org || '/'
  AND NOT EXISTS (SELECT 1 FROM exchange_received held WHERE held.kind = imported.kind AND held.uuid = imported.org || '/' || imported.uuid);

UPDATE exchange_received SET uuid = (SELECT m.to_uuid FROM exchange_received_moved m WHERE m.kind = exchange_received.kind AND m.from_uuid = exchange_received.uuid)
WHERE EXISTS (SELECT 1 FROM exchange_received_moved m WHERE m.kind = exchange_received.kind AND m.from_uuid = exchange_received.uuid);
