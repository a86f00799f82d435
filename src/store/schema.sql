-- derisk's embedded store. Source tables keep what each file said; the analytics tables
-- (works, work_institutions) are rebuilt from them by `refresh` and are what indicators read.

CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

-- One row per input file, keyed by content hash: the same bytes are never ingested twice, and
-- last_record_no lets an interrupted ingest resume where its last committed batch ended.
CREATE TABLE IF NOT EXISTS input_files (
  file_id VARCHAR PRIMARY KEY,
  path VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  bytes BIGINT NOT NULL,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  last_record_no BIGINT NOT NULL DEFAULT 0,
  records_kept BIGINT NOT NULL DEFAULT 0,
  records_duplicate BIGINT NOT NULL DEFAULT 0,
  records_quarantined BIGINT NOT NULL DEFAULT 0
);

-- A file's id is the hash of its bytes, taken as they are read, so a file is read once. Until its
-- last byte is hashed its rows carry a provisional id ('partial-…'); the hash of the bytes read
-- by the last commit (prefix_*) lets a killed run resume only on the same bytes. A finished file
-- keeps the hash of its first MiB, so that bytes given again are known before they are read.
-- scope is '' for the shared base, else the organisation.
CREATE TABLE IF NOT EXISTS input_file_prefixes (
  scope VARCHAR NOT NULL,
  file_id VARCHAR NOT NULL,
  prefix_bytes BIGINT NOT NULL,
  prefix_sha256 VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS quarantine (
  file_id VARCHAR NOT NULL,
  record_no BIGINT NOT NULL,
  line_no BIGINT,
  reason VARCHAR NOT NULL,
  excerpt VARCHAR
);

CREATE TABLE IF NOT EXISTS institutions (
  ror_id VARCHAR PRIMARY KEY,
  name VARCHAR NOT NULL,
  country_code VARCHAR,
  country_name VARCHAR,
  city VARCHAR,
  subdivision VARCHAR,
  status VARCHAR NOT NULL,
  types VARCHAR[],
  parents VARCHAR[],
  children VARCHAR[],
  related VARCHAR[],
  successors VARCHAR[],
  established INTEGER,
  file_id VARCHAR
);

CREATE TABLE IF NOT EXISTS institution_names (
  ror_id VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  name_types VARCHAR[],
  lang VARCHAR
);

-- Bibliographic records as each source gave them; (source, source_id) is unique by construction.
CREATE TABLE IF NOT EXISTS records (
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  doi VARCHAR,
  pmid VARCHAR,
  title VARCHAR,
  year INTEGER,
  type VARCHAR,
  funders VARCHAR[],
  file_id VARCHAR NOT NULL,
  record_no BIGINT NOT NULL
);

-- When the source last changed a record held (OpenAlex's updated_date), by the record's file and
-- number: a version older than the one held replaces nothing.
CREATE TABLE IF NOT EXISTS record_updated (
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  file_id VARCHAR NOT NULL,
  record_no BIGINT NOT NULL,
  updated VARCHAR NOT NULL
);

-- Records their source marks retracted (OpenAlex's is_retracted), by the record's file and number:
-- the work stays counted (the co-authorship happened) and is flagged wherever it is shown.
CREATE TABLE IF NOT EXISTS record_retracted (
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  file_id VARCHAR NOT NULL,
  record_no BIGINT NOT NULL
);

-- OpenAlex works merged into others (a snapshot's merged_ids/works files): the merged-away id is
-- no longer a work, so its record is taken out of the shared base (removed_*: which record, from
-- which file) and a copy ingested later under it is set aside with the reason. file_id and
-- record_no name the merged_ids file and row that said so.
CREATE TABLE IF NOT EXISTS merged_works (
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  merged_into VARCHAR NOT NULL,
  merge_date DATE NOT NULL,
  file_id VARCHAR NOT NULL,
  record_no BIGINT NOT NULL,
  removed_file_id VARCHAR,
  removed_record_no BIGINT
);

CREATE TABLE IF NOT EXISTS authorships (
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  author_seq INTEGER NOT NULL,
  author_name VARCHAR,
  position VARCHAR,
  is_corresponding BOOLEAN
);

CREATE TABLE IF NOT EXISTS affiliations (
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  author_seq INTEGER NOT NULL,
  aff_seq INTEGER NOT NULL,
  raw VARCHAR NOT NULL,
  given_ror_ids VARCHAR[],
  given_countries VARCHAR[],
  -- The name the source gave each of given_ror_ids, in the same order.
  given_names VARCHAR[]
);

CREATE TABLE IF NOT EXISTS record_fields (
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  scheme VARCHAR NOT NULL,
  field_id VARCHAR NOT NULL,
  name VARCHAR,
  score DOUBLE
);

-- Records of the shared base an ingest added, replaced or removed since the analytics were last
-- refreshed, and the ROR ids the replaced ones gave: what the next refresh recomputes
-- (src/store/refresh.ts). Cleared by the refresh that consumes them, in its transaction.
CREATE TABLE IF NOT EXISTS refresh_pending (source VARCHAR NOT NULL, source_id VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS refresh_pending_rors (ror_id VARCHAR NOT NULL);

-- Works whose published rows changed since the snapshot the ClickHouse evidence store last
-- completed (meta 'publish_base'): what the next publish sends, the rest being copied inside the
-- cluster (src/store/clickhouse.ts). Filled by the refresh and by a screening that changes the
-- listed affiliations; cleared once a snapshot is complete on every shard.
CREATE TABLE IF NOT EXISTS publish_pending (work_id VARCHAR NOT NULL);

-- One row per distinct raw affiliation string: resolution is done once per string, not per use.
CREATE TABLE IF NOT EXISTS resolutions (
  raw VARCHAR PRIMARY KEY,
  resolver_version VARCHAR NOT NULL,
  country_code VARCHAR,
  country_evidence VARCHAR,
  tier VARCHAR NOT NULL
);

-- The key each evidence string's corrections are filed under (src/resolve/thesaurus.ts), computed
-- once per string when an organisation's corrections are first applied.
CREATE TABLE IF NOT EXISTS string_keys (raw VARCHAR PRIMARY KEY, string_key VARCHAR NOT NULL);

-- The institutions a string names. A unit named with its institution ("Inst Automat, Chinese
-- Acad Sci") is kept as its own row with unit_of set, so analyses can count either level.
CREATE TABLE IF NOT EXISTS resolution_institutions (
  raw VARCHAR NOT NULL,
  ror_id VARCHAR NOT NULL,
  tier VARCHAR NOT NULL,
  score DOUBLE NOT NULL,
  is_primary BOOLEAN NOT NULL,
  evidence VARCHAR NOT NULL,
  unit_of VARCHAR
);

-- The companies and corporate labs a string names (data/resolve/companies.json): a party the
-- institution rows miss when the registry holds no record of the company where the string places it
-- ("Huawei Noah's Ark Lab, London": Huawei, GB, no record). country_code NULL: company known,
-- country unknown. Written with the string's resolution, under the same resolver version.
CREATE TABLE IF NOT EXISTS resolution_companies (
  raw VARCHAR NOT NULL,
  resolver_version VARCHAR NOT NULL,
  seq INTEGER NOT NULL,
  company_id VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  lab VARCHAR,
  country_code VARCHAR,
  ror_id VARCHAR,
  evidence VARCHAR NOT NULL
);

-- Columns added after the first release, for stores created before them.
ALTER TABLE resolution_institutions ADD COLUMN IF NOT EXISTS unit_of VARCHAR;
ALTER TABLE affiliations ADD COLUMN IF NOT EXISTS given_names VARCHAR[];
-- The label the registry gives each child, in children's order (round 49): a partial registry names many units only so.
ALTER TABLE institutions ADD COLUMN IF NOT EXISTS child_names VARCHAR[];

-- Institutions the sources name by a ROR id the loaded registry lacks, with the name they give
-- (rebuilt by every refresh, src/store/refresh.sql).
CREATE TABLE IF NOT EXISTS source_institutions (ror_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL);

-- Aggregate evidence published by others (counts that cannot be re-derived or broken down here).
CREATE TABLE IF NOT EXISTS aggregate_datasets (
  dataset VARCHAR PRIMARY KEY,
  title VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  licence VARCHAR NOT NULL,
  caveats VARCHAR NOT NULL
);

-- Each unordered pair stored both ways round (country, partner).
CREATE TABLE IF NOT EXISTS aggregate_country_pairs (
  dataset VARCHAR NOT NULL,
  year INTEGER NOT NULL,
  country VARCHAR NOT NULL,
  partner VARCHAR NOT NULL,
  works BIGINT NOT NULL
);

-- Patents (Lens exports, PATSTAT-like applicant tables): (source, patent_id) unique by construction.
CREATE TABLE IF NOT EXISTS patents (
  source VARCHAR NOT NULL,
  patent_id VARCHAR NOT NULL,
  year INTEGER,
  title VARCHAR,
  file_id VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS patent_applicants (
  source VARCHAR NOT NULL,
  patent_id VARCHAR NOT NULL,
  seq INTEGER NOT NULL,
  name VARCHAR NOT NULL,
  given_country VARCHAR
);

CREATE TABLE IF NOT EXISTS patent_classes (
  source VARCHAR NOT NULL,
  patent_id VARCHAR NOT NULL,
  cpc VARCHAR NOT NULL
);

-- Country-level yearly series from aggregate tables (e.g. NSF's AI articles by country).
CREATE TABLE IF NOT EXISTS aggregate_country_series (
  dataset VARCHAR NOT NULL,
  country_code VARCHAR,
  place VARCHAR NOT NULL,
  attribute VARCHAR NOT NULL,
  year INTEGER NOT NULL,
  value DOUBLE NOT NULL
);

-- Risk lists as loaded: the whole list (entries, names, provenance) as JSON, one row per list,
-- replaced when a new version is loaded; every version ever loaded stays in risk_list_versions.
CREATE TABLE IF NOT EXISTS risk_lists (
  list_id VARCHAR PRIMARY KEY,
  version VARCHAR NOT NULL,
  title VARCHAR NOT NULL,
  entries BIGINT NOT NULL,
  loaded_at TIMESTAMP NOT NULL,
  doc VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS risk_list_versions (
  list_id VARCHAR NOT NULL,
  version VARCHAR NOT NULL,
  file VARCHAR NOT NULL,
  entries BIGINT NOT NULL,
  loaded_at TIMESTAMP NOT NULL
);

-- What screening found in each distinct affiliation string (and patent applicant name), under
-- the lists loaded when it ran (meta key screening_signature).
CREATE TABLE IF NOT EXISTS screen_hits (
  raw VARCHAR NOT NULL,
  list_id VARCHAR NOT NULL,
  entry_id VARCHAR NOT NULL,
  entry_name VARCHAR NOT NULL,
  level VARCHAR NOT NULL,
  match VARCHAR NOT NULL,
  score DOUBLE NOT NULL,
  inherited_via VARCHAR,
  evidence VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS screened_strings (raw VARCHAR PRIMARY KEY);

-- An organisation's uploads are its own evidence, kept apart from the shared base above (which
-- changes only by an administrator's ingest): the same shapes with the owning organisation as
-- `scope`. Files are keyed by (scope, content hash) and records deduplicated within a scope, so
-- nothing one organisation uploaded shows in another's counts. Nothing that builds the shared
-- analytics reads these tables.
CREATE TABLE IF NOT EXISTS upload_files (
  scope VARCHAR NOT NULL,
  file_id VARCHAR NOT NULL,
  path VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  bytes BIGINT NOT NULL,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  last_record_no BIGINT NOT NULL DEFAULT 0,
  records_kept BIGINT NOT NULL DEFAULT 0,
  records_duplicate BIGINT NOT NULL DEFAULT 0,
  records_quarantined BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, file_id)
);

CREATE TABLE IF NOT EXISTS upload_quarantine (
  scope VARCHAR NOT NULL,
  file_id VARCHAR NOT NULL,
  record_no BIGINT NOT NULL,
  line_no BIGINT,
  reason VARCHAR NOT NULL,
  excerpt VARCHAR
);

CREATE TABLE IF NOT EXISTS upload_records (
  scope VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  doi VARCHAR,
  pmid VARCHAR,
  title VARCHAR,
  year INTEGER,
  type VARCHAR,
  funders VARCHAR[],
  file_id VARCHAR NOT NULL,
  record_no BIGINT NOT NULL
);

-- Every record a file holds, also those an earlier upload of the same organisation already
-- brought: an export's portfolio is all of its works.
CREATE TABLE IF NOT EXISTS upload_file_records (
  scope VARCHAR NOT NULL,
  file_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS upload_authorships (
  scope VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  author_seq INTEGER NOT NULL,
  author_name VARCHAR,
  position VARCHAR,
  is_corresponding BOOLEAN
);

CREATE TABLE IF NOT EXISTS upload_affiliations (
  scope VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  author_seq INTEGER NOT NULL,
  aff_seq INTEGER NOT NULL,
  raw VARCHAR NOT NULL,
  given_ror_ids VARCHAR[],
  given_countries VARCHAR[],
  -- The name the source gave each of given_ror_ids, in the same order.
  given_names VARCHAR[]
);
ALTER TABLE upload_affiliations ADD COLUMN IF NOT EXISTS given_names VARCHAR[];
-- Records kept before without a DOI that a file gave again with one, all else the same (src/ingest/pipeline.ts): its summary says how many gained one.
ALTER TABLE input_files ADD COLUMN IF NOT EXISTS records_doi_gained BIGINT DEFAULT 0;
ALTER TABLE upload_files ADD COLUMN IF NOT EXISTS records_doi_gained BIGINT DEFAULT 0;
-- An upload's file name as the user gave it (the server keeps the file under its hash): what a reason names it by.
ALTER TABLE upload_files ADD COLUMN IF NOT EXISTS name VARCHAR;

CREATE TABLE IF NOT EXISTS upload_record_fields (
  scope VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  scheme VARCHAR NOT NULL,
  field_id VARCHAR NOT NULL,
  name VARCHAR,
  score DOUBLE
);

-- The works of each uploaded export and their technology fields, built when it is ingested
-- (src/store/upload-refresh.sql) by the same rules as the shared works.
CREATE TABLE IF NOT EXISTS upload_works (
  scope VARCHAR NOT NULL,
  file_id VARCHAR NOT NULL,
  work_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  doi VARCHAR,
  title VARCHAR,
  type VARCHAR,
  year INTEGER
);

CREATE TABLE IF NOT EXISTS upload_work_fields (
  scope VARCHAR NOT NULL,
  file_id VARCHAR NOT NULL,
  work_id VARCHAR NOT NULL,
  field_id VARCHAR NOT NULL
);

-- Rules shared by the shared refresh and the uploads' (one definition each).
-- A work is one DOI, else one PubMed id, else one source record.
CREATE OR REPLACE MACRO work_key(source, source_id, doi, pmid) AS coalesce('doi:' || doi, 'pmid:' || pmid, source || ':' || source_id);
-- The preferred record of a work: OpenAlex, then WoS, then Scopus.
CREATE OR REPLACE MACRO source_rank(source) AS CASE source WHEN 'openalex' THEN 1 WHEN 'wos' THEN 2 ELSE 3 END;
-- A match tier's rank, against which the lowest accepted tier is compared.
CREATE OR REPLACE MACRO tier_rank(tier) AS CASE tier WHEN 'exact' THEN 3 WHEN 'strong' THEN 2 WHEN 'possible' THEN 1 ELSE 0 END;
-- Each registry institution's ancestors (its parents, their parents, …): one family's more general
-- members, as pairs (ror_id, ancestor). Rebuilt with the registry and when the schema is applied
-- (rebuildRegistryAncestors, src/store/store.ts), and joined once by the statements that count: a
-- lookup per affiliation inside source_counts filled DuckDB's temp storage on a real WoS export (round 50).
CREATE TABLE IF NOT EXISTS registry_ancestors (ror_id VARCHAR NOT NULL, ancestor VARCHAR NOT NULL);
-- Whether the institutions a source asserts for an author's string count (round 48/49/50), read by
-- the evidence store (refresh.sql), monitoring and the ingest summary alike: the source asserts some,
-- none of the institutions derisk finds in the string is the source's (nor a unit derisk finds of
-- one), and neither derisk resolves the string at a counted tier to a unit of the source's (a
-- descendant in the registry), nor at the exact tier (right 9 times in 10 or more; strong is no
-- better than the source's own matching) to institutions none of which is an ancestor of the
-- source's. Within one registry family the more specific institution counts (round 50): the unit the
-- source asserts beats the university derisk resolves the string to, and derisk's unit beats the
-- source's university. `given_up`: the registry ancestors of `given` (registry_ancestors); `found`:
-- the string's resolution_institutions rows, as {ror_id, tier, unit_of, ancestors} (NULL: none);
-- `min_rank`: tier_rank of the lowest tier counted.
CREATE OR REPLACE MACRO source_counts(given, given_up, found, min_rank) AS len(given) > 0 AND (
  list_has_any(given, list_transform(coalesce(found, []), f -> f.ror_id))
  OR NOT (
    len(list_filter(coalesce(found, []), f -> f.unit_of IS NULL AND tier_rank(f.tier) >= min_rank AND list_has_any(f.ancestors, given))) > 0
    OR (len(list_filter(coalesce(found, []), f -> f.unit_of IS NULL AND f.tier = 'exact')) > 0
      AND NOT list_has_any(coalesce(given_up, []), list_transform(list_filter(coalesce(found, []), f -> f.unit_of IS NULL AND f.tier = 'exact'), f -> f.ror_id)))));
-- How an institution an affiliation counts was found: the source's (one the loaded registry lacks marked
-- so), or derisk's where the source asserts none or is overruled. NULL: the affiliation counts none.
CREATE OR REPLACE MACRO counted_by(source_counted, given, ror_id, registered) AS CASE
  WHEN ror_id IS NULL THEN NULL
  WHEN source_counted THEN CASE WHEN registered THEN 'source' ELSE 'source-unregistered' END
  WHEN len(given) = 0 THEN 'derisk' ELSE 'derisk-over-source' END;
-- The country an affiliation counts in for an institution it counts: the place the string gives a
-- company's lab derisk matched (its registry record may be elsewhere), else the registry's country,
-- else the source's (never for an institution the source asserts and the registry lacks: OpenAlex
-- places Danfoss in China), else the string's.
CREATE OR REPLACE MACRO counted_country(matched_by, types, lab_country, registry_country, given_country, string_country) AS coalesce(
  CASE WHEN matched_by LIKE 'derisk%' AND list_contains(types, 'company') THEN lab_country END, registry_country,
  CASE WHEN matched_by IS DISTINCT FROM 'source-unregistered' THEN given_country END, string_country);
-- The institution a patent applicant's name counts (round 49), read by the evidence store
-- (refresh.sql, patent_applicant_places) and patent alerts alike: its primary match, not a unit, at a
-- counted tier (min_rank: tier_rank of the lowest counted). Its country: as the source gives it
-- (PATSTAT), else that institution's, else a place the name contains.
CREATE OR REPLACE MACRO applicant_counts(is_primary, unit_of, tier, min_rank) AS is_primary AND unit_of IS NULL AND tier_rank(tier) >= min_rank;
CREATE OR REPLACE MACRO applicant_country(given_country, registry_country, string_country) AS coalesce(given_country, registry_country, string_country);
-- Whether a field rule of the taxonomy holds for a classification label.
CREATE OR REPLACE MACRO field_rule_holds(kind, rule_value, label_name, label_code) AS CASE kind
  WHEN 'name' THEN lower(label_name) = rule_value
  WHEN 'pattern' THEN regexp_matches(lower(label_name), rule_value)
  ELSE upper(label_code) LIKE rule_value || '%' END;
