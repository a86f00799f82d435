-- A verdict records the version of the case it assessed (CaseService.store; also in its result, which
-- the audit trail covers), so that a decision on a verdict of a case edited since is refused and the
-- case list says "edited since verdict". Verdicts stored before keep NULL: CaseService compares the
-- case they assessed with the case as it reads now instead. The same SQL for SQLite and PostgreSQL.
ALTER TABLE assessments ADD COLUMN case_version BIGINT;
