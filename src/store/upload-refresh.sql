-- Builds the works of one uploaded export and their technology fields, by the rules the shared
-- refresh uses (work_key, source_rank, field_rule_holds). $1: the organisation (scope), $2: the
-- file. field_rules is loaded before this runs.

DELETE FROM upload_works WHERE scope = $1 AND file_id = $2;

DELETE FROM upload_work_fields WHERE scope = $1 AND file_id = $2;

-- Records of the file, merged into works within the organisation's own uploads only.
INSERT INTO upload_works
SELECT scope, file_id, work_id, source, source_id, doi, title, type,
  coalesce(year, max(year) OVER (PARTITION BY work_id)) AS year
FROM (
  SELECT r.scope, m.file_id, work_key(r.source, r.source_id, r.doi, r.pmid) AS work_id, r.source, r.source_id, r.doi, r.title, r.type, r.year
  FROM upload_file_records m
  JOIN upload_records r ON r.scope = m.scope AND r.source = m.source AND r.source_id = m.source_id
  WHERE m.scope = $1 AND m.file_id = $2
)
QUALIFY row_number() OVER (PARTITION BY work_id ORDER BY source_rank(source), source_id) = 1;

INSERT INTO upload_work_fields
WITH recs AS (
  SELECT DISTINCT work_key(r.source, r.source_id, r.doi, r.pmid) AS work_id, r.source, r.source_id
  FROM upload_file_records m
  JOIN upload_records r ON r.scope = m.scope AND r.source = m.source AND r.source_id = m.source_id
  WHERE m.scope = $1 AND m.file_id = $2
),
labelled AS (
  SELECT recs.work_id, rf.scheme, rf.field_id AS code, rf.name, rf.score
  FROM recs JOIN upload_record_fields rf ON rf.scope = $1 AND rf.source = recs.source AND rf.source_id = recs.source_id
),
-- Rules run once per distinct label, as in the shared refresh.
classified AS (
  SELECT l.scheme, l.code, l.name, fr.field_id, fr.min_score
  FROM (SELECT DISTINCT scheme, code, name FROM labelled) l JOIN field_rules fr ON fr.scheme = l.scheme
  WHERE field_rule_holds(fr.kind, fr.value, l.name, l.code)
)
SELECT DISTINCT $1, $2, labelled.work_id, c.field_id
FROM labelled JOIN classified c ON c.scheme = labelled.scheme AND c.code = labelled.code AND c.name IS NOT DISTINCT FROM labelled.name
WHERE coalesce(labelled.score, 1) >= c.min_score;
