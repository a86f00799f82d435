-- Rebuilds the analytics tables from the source tables. $1: the lowest accepted match tier
-- rank (exact 3, strong 2, possible 1). The {{…}} names are the shared tables in a full refresh; an
-- incremental one (src/store/refresh.ts) runs the per-work statements over the works an ingest
-- touched, into tables of their own, and moves their rows into the shared tables.

-- A work is one DOI (else one PubMed id, else one source record): records from several sources
-- merge on those ids, never on titles.
CREATE OR REPLACE TABLE {{record_works}} AS
SELECT source, source_id, work_key(source, source_id, doi, pmid) AS work_id, source_rank(source) AS source_rank
FROM {{records}};

-- The preferred record (OpenAlex, then WoS, then Scopus) supplies the author list.
-- The records of a work listed in that order too, so every refresh lists them alike.
-- The year and the list are aggregated per work and joined back: as window aggregates over one
-- partition per work they cost DuckDB about four times the CPU (20,000 works: 1.1 s against 0.3 s).
CREATE OR REPLACE TABLE {{works}} AS
WITH ranked AS (
  SELECT rw.work_id, r.source, r.source_id, r.doi, r.title, r.type, r.year, rw.source_rank
  FROM records r JOIN {{work_records}} rw USING (source, source_id)
),
per_work AS (
  SELECT work_id, max(year) AS max_year, list(source || ':' || source_id ORDER BY source_rank, source_id) AS records
  FROM ranked GROUP BY work_id
)
SELECT k.work_id, k.source, k.source_id, k.doi, k.title, k.type, coalesce(k.year, p.max_year) AS year, p.records
FROM ranked k JOIN per_work p USING (work_id)
QUALIFY row_number() OVER (PARTITION BY k.work_id ORDER BY k.source_rank, k.source_id) = 1;

-- Technology fields of each work, from the classifications of all its records and the rules in
-- the field taxonomy (loaded into field_rules before this runs).
CREATE OR REPLACE TABLE {{work_fields}} AS
WITH labels AS (SELECT DISTINCT scheme, field_id AS code, name FROM {{record_fields}}),
-- Rules run once per distinct label, not once per record: patterns are not constants here.
classified AS (
  SELECT l.scheme, l.code, l.name, fr.field_id, fr.min_score
  FROM labels l JOIN field_rules fr ON fr.scheme = l.scheme
  WHERE field_rule_holds(fr.kind, fr.value, l.name, l.code)
)
SELECT DISTINCT rw.work_id, c.field_id
FROM {{record_fields}} rf
JOIN classified c ON c.scheme = rf.scheme AND c.code = rf.field_id AND c.name IS NOT DISTINCT FROM rf.name
JOIN {{work_records}} rw USING (source, source_id)
WHERE coalesce(rf.score, 1) >= c.min_score;

-- One row per work × author × affiliation × institution, with its fractional weight: each
-- author with an affiliation counts 1/authors, split over their affiliations and then over the
-- institutions each names. The {{…}} names are the shared tables here; an organisation's view of
-- the works its corrections touch is built by the same two statements (src/resolve/org-view.ts),
-- over {{counted_affiliations}}: the affiliations with the institutions the source gave each string,
-- save where the organisation's corrections overrule the source (src/store/refresh.ts, rebuildOrgWorks).
-- The source's institutions count where the string does not contradict them (round 48; the rule,
-- source_counts in schema.sql, is monitoring's too): where derisk resolves the string at the exact
-- tier to institutions none of which is the source's (nor an ancestor of it in the registry), or at a
-- counted tier to a unit of the source's (round 50: within one family the more specific counts),
-- derisk's count and the source's claim is kept beside (matched_by 'derisk-over-source', source_ror_ids). A source's institution the loaded
-- registry does not hold counts (matched_by 'source-unregistered') without the source's country:
-- only the string's.
CREATE OR REPLACE TABLE {{work_affiliations}} AS
WITH aff AS (
  SELECT w.work_id, w.year, a.author_seq, a.aff_seq, a.raw, a.given_ror_ids, a.given_countries
  FROM {{works}} w JOIN {{counted_affiliations}} a ON a.source = w.source AND a.source_id = w.source_id
),
-- Only strings a source asserts institutions for are read whole: the others take derisk's answer.
-- The registry ancestors of what derisk finds and of what the source asserts are joined here, once
-- (registry_ancestors; source_counts weighs one family's members by them).
ancestry AS (SELECT ror_id, list(ancestor) AS ancestors FROM registry_ancestors GROUP BY ror_id),
found AS (
  SELECT ri.raw, list({'ror_id': ri.ror_id, 'tier': ri.tier, 'unit_of': ri.unit_of, 'ancestors': coalesce(a.ancestors, [])}) AS found
  FROM {{resolution_institutions}} ri LEFT JOIN ancestry a USING (ror_id)
  WHERE ri.raw IN (SELECT raw FROM aff WHERE len(given_ror_ids) > 0)
  GROUP BY ri.raw
),
given_up AS (
  SELECT g.given_ror_ids, list_distinct(flatten(list(a.ancestors))) AS given_up
  FROM (SELECT DISTINCT given_ror_ids, unnest(given_ror_ids) AS ror_id FROM aff WHERE len(given_ror_ids) > 0) g JOIN ancestry a USING (ror_id)
  GROUP BY g.given_ror_ids
),
decided AS (
  SELECT aff.work_id, aff.author_seq, aff.aff_seq, aff.raw, aff.given_ror_ids, source_counts(aff.given_ror_ids, u.given_up, f.found, $1) AS source_counted
  FROM aff LEFT JOIN found f USING (raw) LEFT JOIN given_up u ON u.given_ror_ids = aff.given_ror_ids
),
matched AS (
  SELECT g.work_id, g.author_seq, g.aff_seq, g.ror_id, 'exact' AS tier, counted_by(TRUE, g.given_ror_ids, g.ror_id, i.ror_id IS NOT NULL) AS matched_by
  FROM (SELECT work_id, author_seq, aff_seq, given_ror_ids, unnest(given_ror_ids) AS ror_id FROM decided WHERE source_counted) g
  LEFT JOIN institutions i ON i.ror_id = g.ror_id
  UNION ALL
  SELECT d.work_id, d.author_seq, d.aff_seq, ri.ror_id, ri.tier, counted_by(FALSE, d.given_ror_ids, ri.ror_id, TRUE) AS matched_by
  FROM decided d JOIN {{resolution_institutions}} ri ON ri.raw = d.raw
  WHERE NOT d.source_counted AND ri.unit_of IS NULL AND tier_rank(ri.tier) >= $1
),
-- Where the string places a company's lab ("Huawei Noah's Ark Lab, London, UK": GB), a match to one of
-- the company's registry records elsewhere (Huawei Technologies (China), when possible matches count)
-- does not move the author there: the place named wins.
placed_companies AS (SELECT raw, first(country_code ORDER BY seq) AS country_code FROM {{resolution_companies}} WHERE country_code IS NOT NULL GROUP BY raw),
authors AS (SELECT work_id, count(DISTINCT author_seq) AS n FROM aff GROUP BY work_id),
affs AS (SELECT work_id, author_seq, count(*) AS n FROM aff GROUP BY work_id, author_seq),
insts AS (SELECT work_id, author_seq, aff_seq, count(*) AS n FROM matched GROUP BY work_id, author_seq, aff_seq)
SELECT aff.work_id, aff.year, aff.author_seq, aff.aff_seq, m.ror_id,
  counted_country(m.matched_by, i.types, pc.country_code, i.country_code, aff.given_countries[1], r.country_code) AS country_code,
  coalesce(m.tier, CASE WHEN coalesce(aff.given_countries[1], r.country_code) IS NOT NULL THEN 'country-only' ELSE 'unresolved' END) AS tier,
  m.matched_by,
  1.0 / authors.n / affs.n / coalesce(insts.n, 1) AS weight,
  CASE WHEN m.matched_by = 'derisk-over-source' THEN aff.given_ror_ids END AS source_ror_ids
FROM aff
JOIN authors USING (work_id)
JOIN affs USING (work_id, author_seq)
LEFT JOIN insts USING (work_id, author_seq, aff_seq)
LEFT JOIN matched m USING (work_id, author_seq, aff_seq)
LEFT JOIN institutions i ON i.ror_id = m.ror_id
LEFT JOIN {{resolutions}} r ON r.raw = aff.raw
LEFT JOIN placed_companies pc ON pc.raw = aff.raw
ORDER BY year;

-- One row per work × institution (or × country where no institution is known): what the
-- co-operation indicators count.
-- Summed in a fixed order: threads adding doubles in any order change the last bit from one refresh to the next.
-- An ordered or distinct aggregate costs DuckDB a sort state per group, and most work × institution
-- keys have one row (its weight and its author are the key's): only keys of several rows take them
-- (20,000 synthetic works: 0.76 s of CPU against 0.30 s). Keys hold NULLs, so they are joined as not distinct.
CREATE OR REPLACE TABLE {{work_institutions}} AS
WITH per_key AS (
  SELECT work_id, year, ror_id, country_code, count(*) AS n,
    max(CASE tier WHEN 'exact' THEN 3 WHEN 'strong' THEN 2 WHEN 'possible' THEN 1 ELSE 0 END) AS best, min(tier) AS least,
    any_value(weight) AS one_weight, count(author_seq) AS one_author
  FROM {{work_affiliations}}
  GROUP BY work_id, year, ror_id, country_code
),
several AS (
  SELECT a.work_id, a.year, a.ror_id, a.country_code, sum(a.weight ORDER BY a.author_seq, a.aff_seq) AS weight, count(DISTINCT a.author_seq) AS authors
  FROM {{work_affiliations}} a SEMI JOIN (SELECT * FROM per_key WHERE n > 1) k
    ON k.work_id = a.work_id AND k.year IS NOT DISTINCT FROM a.year AND k.ror_id IS NOT DISTINCT FROM a.ror_id AND k.country_code IS NOT DISTINCT FROM a.country_code
  GROUP BY a.work_id, a.year, a.ror_id, a.country_code
)
SELECT k.work_id, k.year, k.ror_id, k.country_code,
  CASE k.best WHEN 3 THEN 'exact' WHEN 2 THEN 'strong' WHEN 1 THEN 'possible' ELSE k.least END AS tier,
  CASE WHEN k.n = 1 THEN k.one_weight ELSE s.weight END AS weight,
  CASE WHEN k.n = 1 THEN k.one_author ELSE s.authors END AS authors
FROM per_key k
LEFT JOIN several s ON s.work_id = k.work_id AND s.year IS NOT DISTINCT FROM k.year AND s.ror_id IS NOT DISTINCT FROM k.ror_id AND s.country_code IS NOT DISTINCT FROM k.country_code
ORDER BY k.year;

-- Point look-ups of one institution's works (profiles, case assessment) use this index
-- rather than a scan of every row.
CREATE INDEX work_institutions_ror ON work_institutions (ror_id);

-- The indicators that count works by country (co-publications, publications, fields, countries)
-- read a summary rather than every work × institution row. First each work's countries, with the
-- work's set of countries and set of fields and the weight each country has in it: what a refresh
-- recomputes for the works an ingest touched (src/store/refresh.ts), as it does their other rows.
-- Weights are summed as decimals, which add exactly in any order: every refresh, full or
-- incremental, gives the same bits, without the cost of summing in a fixed order.
CREATE OR REPLACE TABLE {{work_country_sets}} AS
WITH per_country AS (
  SELECT work_id, any_value(year) AS year, country_code, sum(weight::DECIMAL(38, 24))::DOUBLE AS weight
  FROM {{work_institutions}} WHERE year IS NOT NULL AND country_code IS NOT NULL
  GROUP BY work_id, country_code
),
sets AS (SELECT work_id, list_sort(list(country_code)) AS countries FROM per_country GROUP BY work_id),
fields AS (SELECT work_id, list_sort(list(field_id)) AS fields FROM {{work_fields}} GROUP BY work_id)
SELECT pc.work_id, pc.year, s.countries, coalesce(f.fields, []::VARCHAR[]) AS fields, pc.country_code, pc.weight
FROM per_country pc JOIN sets s USING (work_id) LEFT JOIN fields f USING (work_id);

-- The summary: one row per year, set of countries, set of fields and country, with how many works
-- have that set and the weight the country has in them. An incremental refresh counts again only
-- the sets its works left or joined, each over all of the set's works. An organisation's corrected
-- view counts its own rows. Each set's lists are keyed as JSON text too, and one row of each set (its
-- first country's) is marked: readers test regions on the few distinct keys (summary_keys), join the
-- rows by key and count a set's works on its first row, as lists cost DuckDB far more to read and
-- to group by (1M works: a scan of the countries 0.31 s of CPU, of their key 0.02 s).
CREATE OR REPLACE TABLE {{country_set_counts}} AS
SELECT year, countries, fields, country_code, count(*) AS works, sum(weight::DECIMAL(38, 24))::DOUBLE AS weight,
  to_json(countries)::VARCHAR AS countries_key, to_json(fields)::VARCHAR AS fields_key, country_code = countries[1] AS first_of_set
FROM {{set_works}}
GROUP BY year, countries, fields, country_code;

-- The institutions' side (top institutions): each work's institutions with the countries each has in
-- it, beside the work's year, set of countries and set of fields; recomputed for the works an
-- ingest touched, like work_country_sets. Only works with a year and a country can be counted.
CREATE OR REPLACE TABLE {{work_institution_sets}} AS
WITH insts AS (
  SELECT work_id, ror_id, list_sort(list(DISTINCT country_code)) AS inst_countries
  FROM {{work_institutions}} WHERE ror_id IS NOT NULL AND country_code IS NOT NULL AND year IS NOT NULL
  GROUP BY work_id, ror_id
),
sets AS (SELECT DISTINCT ON (work_id) work_id, year, countries, fields FROM {{work_country_sets}})
SELECT s.work_id, s.year, s.countries, s.fields, i.ror_id, i.inst_countries
FROM insts i JOIN sets s USING (work_id);

-- Its summary: how many works have each year, set of countries, set of fields, institution and
-- countries of that institution. A work has one row per institution, so summing works counts each
-- work once per institution, as counting distinct works does. An incremental refresh counts again
-- only the keys its works left or joined, each over all of the key's works. Its lists are keyed as
-- JSON text too, as in country_set_counts.
CREATE OR REPLACE TABLE {{institution_set_counts}} AS
SELECT year, countries, fields, ror_id, inst_countries, count(*) AS works,
  to_json(countries)::VARCHAR AS countries_key, to_json(inst_countries)::VARCHAR AS inst_countries_key
FROM {{institution_set_works}}
GROUP BY year, countries, fields, ror_id, inst_countries;

-- The distinct lists of countries both summaries hold (a work's, an institution's in a work), by
-- key, with the list: a few thousand rows where the summaries have millions. An incremental refresh
-- checks again only the keys of the sets it counted again.
CREATE OR REPLACE TABLE {{summary_keys}} AS
SELECT countries_key, from_json(countries_key, '["VARCHAR"]') AS countries
FROM (SELECT countries_key FROM {{country_set_counts}} UNION SELECT inst_countries_key FROM {{institution_set_counts}});

-- Each institution's topmost ancestor through ROR parent links (an institute of CAS → CAS),
-- for indicators counted with parent roll-up. An institution with two tops at the same depth
-- (1,555 in the full registry) takes the lowest ROR id, so every refresh rolls it up the same way.
CREATE OR REPLACE TABLE institution_rollup AS
WITH RECURSIVE up(ror_id, top_id, depth) AS (
  SELECT ror_id, ror_id, 0 FROM institutions
  UNION ALL
  SELECT up.ror_id, p.parent, up.depth + 1
  FROM up JOIN (SELECT ror_id, unnest(parents) AS parent FROM institutions) p ON p.ror_id = up.top_id
  WHERE up.depth < 8 AND p.parent IN (SELECT ror_id FROM institutions)
)
SELECT ror_id, first(top_id ORDER BY depth DESC, top_id) AS top_id FROM up GROUP BY ror_id;

-- The name the sources give an institution by a ROR id the loaded registry lacks (the mirror's
-- registry is partial): views show it, saying the registry lacks it, rather than a bare id. The
-- name most records give, then the first in order. Shared evidence only: an upload's names stay its own.
CREATE OR REPLACE TABLE {{source_institutions}} AS
WITH given AS (
  SELECT unnest(given_ror_ids) AS ror_id, unnest(given_names) AS name
  FROM {{given_affiliations}} WHERE len(given_names) = len(given_ror_ids) AND len(given_ror_ids) > 0
)
SELECT ror_id, first(name ORDER BY n DESC, name) AS name
FROM (SELECT ror_id, name, count(*) AS n FROM given WHERE name <> '' AND ror_id NOT IN (SELECT ror_id FROM institutions) GROUP BY ALL)
GROUP BY ror_id;

-- Patent applicants placed in a country: as the source gives it (PATSTAT), else through the
-- institution the name resolves to, else through a place the name contains (the rule, applicant_counts
-- and applicant_country in schema.sql, is patent alerts' too). An organisation's view places the
-- applicants its corrections decide by the same statement (src/store/refresh.ts).
CREATE OR REPLACE TABLE {{patent_applicant_places}} AS
SELECT pa.source, pa.patent_id, p.year, pa.seq, pa.name, ri.ror_id,
  applicant_country(pa.given_country, i.country_code, r.country_code) AS country_code
FROM {{patent_applicants}} pa
JOIN patents p USING (source, patent_id)
LEFT JOIN {{resolution_institutions}} ri ON ri.raw = pa.name AND applicant_counts(ri.is_primary, ri.unit_of, ri.tier, $1)
LEFT JOIN institutions i ON i.ror_id = ri.ror_id
LEFT JOIN {{resolutions}} r ON r.raw = pa.name;

-- Technology fields of patents from their CPC classes.
CREATE OR REPLACE TABLE patent_fields AS
SELECT DISTINCT pc.source, pc.patent_id, fr.field_id
FROM patent_classes pc JOIN field_rules fr ON fr.scheme = 'cpc' AND fr.kind = 'prefix'
WHERE upper(replace(pc.cpc, ' ', '')) LIKE fr.value || '%';
