import type { AppDb, AppTx } from '../appdb/db.ts';
import { Mutex, numberedParameters } from '../appdb/db.ts';
import type { Assessment, compareAssessments as compare } from '../assessment/assess.ts';
import type { Assessor, ScreenMemo } from '../assessment/assessor.ts';
import type { Case } from '../assessment/case.ts';
import { crashPoint } from '../crash.ts';
import { isBlank } from '../resolve/normalize.ts';
import { screenKey } from '../screening/names.ts';
import type { RiskEntry, RiskList } from '../screening/lists.ts';
import { loadedLists } from '../screening/store.ts';
import { countedTier, type Store } from '../store/store.ts';
import { TIER_RANK } from '../resolve/matcher.ts';
import { casePage, exportLinks, kbDiffPage, kbEntryPage, portfolioLinks, screeningLinks } from './alert-links.ts';
import { recordAlerts, type NewAlert } from './alerts.ts';
import { loadVocabulary, topicWithChildren, type Vocabulary } from './vocabulary.ts';
import { listEntryRefs, type WatchKind } from './watchlists.ts';
import { sha256Hex } from '../sha256.ts';

/** What one pass found and recorded. */
export interface CheckReport {
  files: number;
  /** Files left for a later pass: their affiliations are not all resolved and screened yet. */
  deferred: number;
  lists: number;
  alerts: Record<string, number>;
  reassessed: number;
}

export interface MonitorOptions {
  db: AppDb;
  store: Store;
  /** Builds the assessor of today's lists, evidence and policy bundle; verdicts are re-checked only with one. */
  assessor?: () => Promise<Assessor>;
  vocabulary?: Vocabulary;
  /** Today (YYYY-MM-DD), for re-assessment dates; tests give their own. */
  today?: () => string;
}

type Watch = { org_id: string; user_id: string; kind: WatchKind; ref: string; label: string };

/** One author affiliation of a new work: the institutions it resolves to, its country, the list entries it hits. */
interface Affiliation {
  raw: string;
  rors: string[];
  /** The registry's names of the institutions it resolves to, by ROR id: how a title names the party. */
  names?: Map<string, string>;
  country: string | null;
  hits: { list: string; entry: string; name: string; level: string; match: string }[];
}

interface NewWork {
  workId: string;
  source: string;
  sourceId: string;
  doi: string | null;
  title: string | null;
  year: number | null;
  affiliations: Affiliation[];
  fields: string[];
  /** A patent (its applicants as the affiliations) rather than a publication. */
  patent: boolean;
  /** The keys the work had before its records gave its DOI (their ids, or PMIDs): one alerted under them is not new. */
  earlierIds?: string[];
}

const MIGRATION = '005_monitoring.sql';
const sha = (s: string) => sha256Hex(s).slice(0, 16);
const WORK_KINDS = "('openalex', 'wos', 'scopus')";
/** Patent files of the shared base: new co-patents are alerted as new co-publications are. */
const PATENT_KINDS = "('patents-lens', 'patents-patstat')";
const isPatentFile = (file: { kind: string }) => file.kind.startsWith('patents-');
/**
 * Each case's latest verdict, with its case's title: its verdict and dates, not its result (tens of
 * kilobytes each: reading and parsing 10,000 was most of the re-check). The latest is found in the
 * index of migration 017 (assessments_case_latest): without it, each verdict's max(created_at) scanned every verdict.
 */
export const LATEST_VERDICTS = `SELECT a.id, a.case_id, a.org_id, a.overall, a.as_of, c.title FROM assessments a JOIN cases c ON c.id = a.case_id
  WHERE a.created_at = (SELECT max(b.created_at) FROM assessments b WHERE b.case_id = a.case_id) ORDER BY a.id`;
/** The case as assessed, read out of a stored verdict's result by the database, as each reads JSON. */
const assessedCase = (db: AppDb) => (db.kind === 'postgres' ? "(result::json -> 'case')::text" : "result -> '$.case'");
/**
 * Each case's latest verdict whose re-assessment date ($1: today) has come and was not alerted
 * yet, from the dates' columns and their index (migration 018): no stored result is read.
 */
export const REASSESSMENTS_DUE = `SELECT a.id, a.case_id, a.org_id, a.overall, a.as_of, a.reassess_by, c.title FROM assessments a JOIN cases c ON c.id = a.case_id
  WHERE a.reassess_by <= $1 AND a.created_at = (SELECT max(b.created_at) FROM assessments b WHERE b.case_id = a.case_id)
    AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.org_id = a.org_id AND x.user_id = '' AND x.dedup_key = 'reassess:' || a.id)`;
/** Stored verdicts re-checked together. */
const VERDICT_CHUNK = 500;

/**
 * Watches the evidence, the lists, the knowledge base and the policy for what an organisation
 * asked to watch, and records alerts. A pass is idempotent and resumable: what it has looked at
 * (evidence files, list versions, the knowledge base's change cursor, the policy bundle) is marked
 * in the same transaction as the alerts it gave, and alerts are unique by what they say, so a pass
 * cut short (kill -9) is simply run again and neither loses nor repeats an alert.
 */
export class Monitor {
  private readonly passes = new Mutex();
  /** Each list's version as this process last saw it recorded in monitor_seen (null before the first pass). */
  private listVersionsSeen: Map<string, string> | null = null;
  private readonly vocabulary: Vocabulary;
  /**
   * The assessment code that compares verdicts, imported when a verdict first flips and kept for
   * every later one: the rulebook it brings costs a pass with no verdicts about 1 s of CPU.
   */
  private assessCode: Promise<{ compareAssessments: typeof compare }> | null = null;

  constructor(private readonly options: MonitorOptions) {
    this.vocabulary = options.vocabulary ?? loadVocabulary();
  }

  check(): Promise<CheckReport> {
    return this.passes.run(() => this.pass());
  }

  private async pass(): Promise<CheckReport> {
    const report: CheckReport = { files: 0, deferred: 0, lists: 0, alerts: {}, reassessed: 0 };
    const since = (await this.options.db.query<{ applied_at: string }>('SELECT applied_at FROM schema_migrations WHERE name = $1', [MIGRATION]))[0]?.applied_at ?? new Date(0).toISOString();
    const watches = await this.options.db.query<Watch>('SELECT org_id, user_id, kind, ref, label FROM watch_items ORDER BY org_id, user_id, created_at');
    const triggers: string[] = [];

    for (const file of await this.newFiles(since)) {
      if (!(await this.ready(file))) {
        report.deferred++;
        continue;
      }
      // A file nobody watches anything in (or with no listed co-author) is not read work by work.
      const recipients = watches.filter((w) => file.scope === '' || w.org_id === file.scope);
      const alerts = recipients.length > 0 ? await this.copublications(file, isPatentFile(file) ? await this.listedPatents(file) : await this.listedWorks(file), recipients) : [];
      crashPoint('monitor.before-alerts');
      const trigger = file.scope === '' && (await this.broughtWorks(file)) ? `new evidence (${file.kind} file ${file.fileId.slice(0, 12)})` : null;
      const added = await this.options.db.transaction(async (tx) => {
        const ids = await recordAlerts(tx, alerts);
        await see(tx, 'file', `${file.scope}/${file.fileId}`, file.kind);
        if (trigger) await owe(tx, trigger);
        return ids;
      });
      crashPoint('monitor.alerts-committed');
      tally(report, added);
      report.files++;
    }

    for (const change of await this.listChanges()) {
      const alerts = await this.listAlerts(change, watches);
      const added = await this.options.db.transaction(async (tx) => {
        const ids = await recordAlerts(tx, alerts);
        await see(tx, 'list', change.newer.id, JSON.stringify(change.newer));
        // A list loaded for the first time may name a party that verdicts made before it was loaded did not see.
        await owe(tx, change.older ? `list ${change.newer.id} version ${change.newer.version.slice(0, 12)}` : `list ${change.newer.id} first loaded (version ${change.newer.version.slice(0, 12)})`);
        return ids;
      });
      crashPoint('monitor.alerts-committed');
      this.listVersionsSeen?.set(change.newer.id, change.newer.version);
      tally(report, added);
      report.lists++;
    }

    const kb = await this.knowledgeChanges(since, watches);
    if (kb.statusChanged.length > 0) triggers.push(...kb.statusChanged.map((e) => `knowledge-base entry ${e} changed status`));

    // Without stored verdicts there is nothing to re-check (and the assessor, which builds the
    // screener over the whole registry, is not built); without lists loaded there is no assessor.
    const verdicts = (await this.options.db.query('SELECT 1 AS one FROM assessments LIMIT 1')).length > 0;
    const assessor = verdicts && this.options.assessor ? await this.options.assessor().catch(() => null) : null;
    if (assessor) {
      const bundle = assessor.parts.bundle.record;
      const seenBundle = (await this.options.db.query<{ value: string }>("SELECT value FROM monitor_seen WHERE kind = 'bundle' AND ref = 'policy'"))[0]?.value;
      if (seenBundle !== undefined && seenBundle !== bundle.hash) triggers.push(`policy bundle ${bundle.version} (${bundle.hash})`);
      // Changes seen by a pass that was cut short before it re-checked the verdicts are still owed.
      triggers.unshift(...(await owed(this.options.db)));
      const changes = triggers.length > 0 ? await this.verdictChanges(assessor, triggers) : { alerts: [], reassessed: 0, told: new Map<string, Told>() };
      report.reassessed = changes.reassessed;
      const added = await this.options.db.transaction(async (tx) => {
        const ids = await recordAlerts(tx, changes.alerts);
        for (const [assessment, told] of changes.told) await see(tx, 'verdict-change', assessment, JSON.stringify(told));
        // What was told of a verdict matters only while it is its case's latest: a newer one is
        // re-checked (and told) under its own id, so the rows of superseded or deleted verdicts go.
        await tx.query(`DELETE FROM monitor_seen WHERE kind = 'verdict-change' AND ref NOT IN (SELECT id FROM (${LATEST_VERDICTS}) latest)`);
        await see(tx, 'bundle', 'policy', bundle.hash);
        await tx.query("DELETE FROM monitor_seen WHERE kind = 'owed' AND ref = 'verdicts'");
        return ids;
      });
      tally(report, added);
    } else if (!verdicts && (await owed(this.options.db)).length > 0) {
      // Nothing to re-check, so nothing is owed; in one statement, so that a verdict stored since the
      // check above keeps what it is owed for the next pass. Asked first: a write is a commit, and a
      // pass with nothing to do commits nothing.
      await this.options.db.query("DELETE FROM monitor_seen WHERE kind = 'owed' AND ref = 'verdicts' AND NOT EXISTS (SELECT 1 FROM assessments)");
    }
    const added = await this.options.db.transaction(async (tx) => {
      const alerts = [...kb.alerts, ...(await this.reassessmentsDue(tx))];
      const ids = await recordAlerts(tx, alerts);
      await see(tx, 'kb', 'seq', String(kb.cursor));
      return ids;
    });
    tally(report, added);
    return report;
  }

  /** Finished publication files of the shared base and of organisations' uploads, not looked at yet, finished after monitoring began. */
  private async newFiles(since: string): Promise<{ scope: string; fileId: string; kind: string }[]> {
    const seen = new Set((await this.options.db.query<{ ref: string }>("SELECT ref FROM monitor_seen WHERE kind = 'file'")).map((r) => r.ref));
    const startedMs = Date.parse(since);
    const rows = await this.options.store.all<{ scope: string; file_id: string; kind: string; finished_ms: number }>(
      `SELECT '' AS scope, file_id, kind, epoch_ms(finished_at::TIMESTAMPTZ)::DOUBLE AS finished_ms FROM input_files WHERE finished_at IS NOT NULL AND (kind IN ${WORK_KINDS} OR kind IN ${PATENT_KINDS})
       UNION ALL SELECT scope, file_id, kind, epoch_ms(finished_at::TIMESTAMPTZ)::DOUBLE AS finished_ms FROM upload_files WHERE finished_at IS NOT NULL
       ORDER BY finished_ms, scope, file_id`,
    );
    return rows.filter((r) => Number(r.finished_ms) >= startedMs && !seen.has(`${r.scope}/${r.file_id}`)).map((r) => ({ scope: r.scope, fileId: r.file_id, kind: r.kind }));
  }

  /**
   * A file is looked at once its affiliations are resolved and (when lists are loaded) screened: a crash before that
   * leaves it for the next pass. Strings no pass answers hold no file back: the resolution pass passes over the empty
   * string (an authorship that names institutions or countries only), the screening pass over a blank one (invisible
   * characters alone, which the screener refuses). A string with a letter or digit in any script is never blank, so only
   * the file's few others (marks, spaces, invisible characters) are read here to be told apart.
   */
  private async ready(file: { scope: string; fileId: string; kind: string }): Promise<boolean> {
    const t = tables(file.scope);
    const { from, raw, params } = isPatentFile(file)
      ? { from: 'patents p JOIN patent_applicants pa USING (source, patent_id) WHERE p.file_id = $1', raw: 'pa.name', params: [file.fileId] }
      : { from: `${t.records} r JOIN ${t.affiliations} a ON a.source = r.source AND a.source_id = r.source_id ${t.join} WHERE ${t.where} r.file_id = $1`, raw: 'a.raw', params: t.params(file.fileId) };
    const lists = await this.options.store.one('SELECT 1 FROM risk_lists LIMIT 1');
    const unscreened = `${raw} NOT IN (SELECT raw FROM screened_strings)`;
    const pending = await this.options.store.one(`SELECT 1 FROM ${from} AND ((${raw} <> '' AND ${raw} NOT IN (SELECT raw FROM resolutions)) ${lists ? `OR (${unscreened} AND regexp_matches(${raw}, '[\\p{L}\\p{N}]'))` : ''}) LIMIT 1`, params);
    if (pending) return false;
    if (!lists) return true;
    const maybeBlank = await this.options.store.all<{ raw: string }>(`SELECT DISTINCT ${raw} AS raw FROM ${from} AND ${unscreened} AND NOT regexp_matches(${raw}, '[\\p{L}\\p{N}]')`, params);
    return maybeBlank.every((r) => isBlank(r.raw));
  }

  /** Whether the file brought any work with an affiliation (records already known from an earlier file are not new). */
  private async broughtWorks(file: { scope: string; fileId: string }): Promise<boolean> {
    const t = tables(file.scope);
    return Boolean(await this.options.store.one(`SELECT 1 FROM ${t.records} r JOIN ${t.affiliations} a ON a.source = r.source AND a.source_id = r.source_id WHERE ${t.where} r.file_id = $1 LIMIT 1`, t.params(file.fileId)));
  }

  /**
   * The works a file brought with at least one author affiliation on a list (every co-publication
   * alert names a listed co-author), all their affiliations. Read chunk by chunk: a 100k-work
   * upload's rows converted in one go held the server's thread for seconds.
   */
  private async listedWorks(file: { scope: string; fileId: string }): Promise<NewWork[]> {
    const t = tables(file.scope);
    const listed = `SELECT work_key(r.source, r.source_id, r.doi, r.pmid) FROM ${t.records} r JOIN ${t.affiliations} a ON a.source = r.source AND a.source_id = r.source_id
       WHERE ${t.where} r.file_id = $1 AND a.raw IN (SELECT raw FROM screen_hits)`;
    // Each affiliation counts the institutions and country the evidence store counts for it (src/store/refresh.sql, by
    // the same rules: source_counts, counted_by, counted_country), so an alert names what the landscape and the drill-down do.
    const minRank = TIER_RANK[await countedTier(this.options.store)];
    const rows = this.options.store.chunks<{ work_id: string; source: string; source_id: string; doi: string | null; title: string | null; year: number | null; raw: string; rors: string; country: string | null; hits: string | null }>(
      `WITH ancestry AS (SELECT ror_id, list(ancestor) AS ancestors FROM registry_ancestors GROUP BY ror_id),
       these AS (
         SELECT work_key(r.source, r.source_id, r.doi, r.pmid) AS work_id, r.source, r.source_id, r.doi, r.title, r.year, r.record_no, a.author_seq, a.aff_seq, a.raw, a.given_ror_ids, a.given_countries,
           (SELECT list({'ror_id': ri.ror_id, 'tier': ri.tier, 'unit_of': ri.unit_of, 'ancestors': coalesce(x.ancestors, [])}) FROM resolution_institutions ri LEFT JOIN ancestry x USING (ror_id) WHERE ri.raw = a.raw) AS found
         FROM ${t.records} r JOIN ${t.affiliations} a ON a.source = r.source AND a.source_id = r.source_id ${t.join}
         WHERE ${t.where} r.file_id = $1 AND work_key(r.source, r.source_id, r.doi, r.pmid) IN (${listed})),
       given_up AS (
         SELECT g.given_ror_ids, list_distinct(flatten(list(x.ancestors))) AS given_up
         FROM (SELECT DISTINCT given_ror_ids, unnest(given_ror_ids) AS ror_id FROM these WHERE len(given_ror_ids) > 0) g JOIN ancestry x USING (ror_id)
         GROUP BY g.given_ror_ids),
       decided AS (
         SELECT *, CASE WHEN source_counted THEN given_ror_ids
           ELSE coalesce(list_sort(list_distinct(list_transform(list_filter(found, f -> f.unit_of IS NULL AND tier_rank(f.tier) >= ${minRank}), f -> f.ror_id))), []) END AS rors
         FROM (SELECT t.*, source_counts(t.given_ror_ids, u.given_up, t.found, ${minRank}) AS source_counted FROM these t LEFT JOIN given_up u ON u.given_ror_ids = t.given_ror_ids))
       SELECT d.work_id, d.source, d.source_id, d.doi, d.title, d.year, d.raw, to_json(d.rors)::VARCHAR AS rors,
         counted_country(counted_by(d.source_counted, d.given_ror_ids, d.rors[1], i.ror_id IS NOT NULL), i.types,
           (SELECT first(c.country_code ORDER BY c.seq) FROM resolution_companies c WHERE c.raw = d.raw AND c.country_code IS NOT NULL),
           i.country_code, d.given_countries[1], (SELECT x.country_code FROM resolutions x WHERE x.raw = d.raw)) AS country,
         (SELECT to_json(list({'list': h.list_id, 'entry': h.entry_id, 'name': h.entry_name, 'level': h.level, 'match': h.match} ORDER BY h.list_id, h.entry_id))::VARCHAR FROM screen_hits h WHERE h.raw = d.raw) AS hits
       FROM decided d LEFT JOIN institutions i ON i.ror_id = d.rors[1]
       ORDER BY d.record_no, d.author_seq, d.aff_seq`,
      t.params(file.fileId),
    );
    const byWork = new Map<string, NewWork>();
    for await (const chunk of rows) {
      for (const r of chunk) {
        let w = byWork.get(r.work_id);
        if (!w) byWork.set(r.work_id, (w = { workId: r.work_id, source: r.source, sourceId: r.source_id, doi: r.doi, title: r.title, year: r.year === null ? null : Number(r.year), affiliations: [], fields: [], patent: false }));
        w.affiliations.push({ raw: r.raw, rors: JSON.parse(r.rors) as string[], country: r.country, hits: (JSON.parse(r.hits ?? 'null') ?? []) as Affiliation['hits'] });
      }
    }
    // A record completed with a DOI later (src/ingest/pipeline.ts completeOrSetAside) moved its work from its own key to
    // the DOI's, in the shared base or any upload: what was alerted under the old key is the same work.
    const earlier = await this.options.store.all<{ work_id: string; keys: string }>(
      `SELECT 'doi:' || o.doi AS work_id, to_json(list(DISTINCT work_key(o.source, o.source_id, NULL, o.pmid)))::VARCHAR AS keys
       FROM (SELECT source, source_id, doi, pmid FROM records UNION ALL SELECT source, source_id, doi, pmid FROM upload_records) o
       WHERE 'doi:' || o.doi IN (SELECT unnest(from_json($1, '["VARCHAR"]'))) GROUP BY ALL`,
      [JSON.stringify([...byWork.keys()].filter((k) => k.startsWith('doi:')))],
    );
    for (const e of earlier) byWork.get(e.work_id)!.earlierIds = JSON.parse(e.keys) as string[];
    const fields = this.options.store.chunks<{ work_id: string; field_id: string }>(
      file.scope === ''
        ? `SELECT DISTINCT wf.work_id, wf.field_id FROM work_fields wf JOIN records r ON wf.work_id = work_key(r.source, r.source_id, r.doi, r.pmid) WHERE r.file_id = $1 AND wf.work_id IN (${listed})`
        : `SELECT DISTINCT work_id, field_id FROM upload_work_fields WHERE file_id = $1 AND scope = $2 AND work_id IN (${listed})`,
      t.params(file.fileId),
    );
    try {
      for await (const chunk of fields) for (const f of chunk) byWork.get(f.work_id)?.fields.push(f.field_id);
    } catch {
      // Before the first refresh there are no field tables: works have no fields yet.
    }
    if (byWork.size > 0) {
      const rors = [...new Set([...byWork.values()].flatMap((w) => w.affiliations.flatMap((a) => a.rors)))];
      const institutions = new Map((await this.options.store.all<{ ror_id: string; name: string }>('SELECT ror_id, name FROM institutions WHERE ror_id IN (SELECT unnest(from_json($1, \'["VARCHAR"]\')))', [JSON.stringify(rors)])).map((r) => [r.ror_id, r]));
      for (const w of byWork.values()) for (const a of w.affiliations) a.names = new Map(a.rors.flatMap((r) => (institutions.has(r) ? [[r, institutions.get(r)!.name]] : [])));
    }
    return [...byWork.values()];
  }

  /**
   * The patents a file brought with at least one applicant on a list, with all their applicants, each
   * with the institution and country the evidence store places it by (src/store/refresh.sql,
   * patent_applicant_places, by the same rules: applicant_counts, applicant_country), so an alert names
   * what the landscape counts.
   */
  private async listedPatents(file: { fileId: string }): Promise<NewWork[]> {
    const minRank = TIER_RANK[await countedTier(this.options.store)];
    const rows = this.options.store.chunks<{ source: string; patent_id: string; title: string | null; year: number | null; name: string; ror_id: string | null; country: string | null; hits: string | null }>(
      `SELECT p.source, p.patent_id, p.title, p.year, pa.name, ri.ror_id,
         applicant_country(pa.given_country, i.country_code, x.country_code) AS country,
         (SELECT to_json(list({'list': h.list_id, 'entry': h.entry_id, 'name': h.entry_name, 'level': h.level, 'match': h.match} ORDER BY h.list_id, h.entry_id))::VARCHAR FROM screen_hits h WHERE h.raw = pa.name) AS hits
       FROM patents p JOIN patent_applicants pa USING (source, patent_id)
       LEFT JOIN resolution_institutions ri ON ri.raw = pa.name AND applicant_counts(ri.is_primary, ri.unit_of, ri.tier, $2)
       LEFT JOIN institutions i ON i.ror_id = ri.ror_id
       LEFT JOIN resolutions x ON x.raw = pa.name
       WHERE p.file_id = $1 AND (p.source, p.patent_id) IN (SELECT source, patent_id FROM patent_applicants WHERE name IN (SELECT raw FROM screen_hits))
       ORDER BY p.source, p.patent_id, pa.seq`,
      [file.fileId, minRank],
    );
    const byPatent = new Map<string, NewWork>();
    for await (const chunk of rows) {
      for (const r of chunk) {
        const id = `patent:${r.source}:${r.patent_id}`;
        let w = byPatent.get(id);
        if (!w) byPatent.set(id, (w = { workId: id, source: r.source, sourceId: r.patent_id, doi: null, title: r.title, year: r.year === null ? null : Number(r.year), affiliations: [], fields: [], patent: true }));
        w.affiliations.push({ raw: r.name, rors: r.ror_id === null ? [] : [r.ror_id], country: r.country, hits: (JSON.parse(r.hits ?? 'null') ?? []) as Affiliation['hits'] });
      }
    }
    try {
      const fields = await this.options.store.all<{ source: string; patent_id: string; field_id: string }>('SELECT pf.source, pf.patent_id, pf.field_id FROM patent_fields pf JOIN patents p USING (source, patent_id) WHERE p.file_id = $1 ORDER BY pf.field_id', [file.fileId]);
      for (const f of fields) byPatent.get(`patent:${f.source}:${f.patent_id}`)?.fields.push(f.field_id);
    } catch {
      // Before the first refresh there are no field tables: patents have no fields yet.
    }
    const rors = [...new Set([...byPatent.values()].flatMap((w) => w.affiliations.flatMap((a) => a.rors)))];
    if (rors.length > 0) {
      const names = new Map((await this.options.store.all<{ ror_id: string; name: string }>('SELECT ror_id, name FROM institutions WHERE ror_id IN (SELECT unnest(from_json($1, \'["VARCHAR"]\')))', [JSON.stringify(rors)])).map((r) => [r.ror_id, r.name]));
      for (const w of byPatent.values()) for (const a of w.affiliations) a.names = new Map(a.rors.flatMap((r) => (names.has(r) ? [[r, names.get(r)!]] : [])));
    }
    return [...byPatent.values()];
  }

  /**
   * New co-publications involving what an organisation watches and an author on a risk list: a
   * watched institution with a listed co-author, a watched list entry with any co-author, a
   * watched country or field with a listed co-author. One alert per work and recipient.
   */
  private async copublications(file: { scope: string; fileId: string; kind: string }, works: NewWork[], watches: Watch[]): Promise<NewAlert[]> {
    const byRecipient = new Map<string, Watch[]>();
    for (const w of watches) byRecipient.set(`${w.org_id}\u0000${w.user_id}`, [...(byRecipient.get(`${w.org_id}\u0000${w.user_id}`) ?? []), w]);
    const alerts: NewAlert[] = [];
    for (const [i, work] of works.entries()) {
      // Other work gets its turn between slices of works.
      if (i % 1_000 === 999) await new Promise<void>((resolve) => setImmediate(resolve));
      if (work.affiliations.length < 2) continue;
      const orgWide = new Set<string>();
      // The organisation's own watch items first: a user is not told again what everyone is told.
      for (const [key, items] of [...byRecipient.entries()].sort(([a], [b]) => Number(!a.endsWith('\u0000')) - Number(!b.endsWith('\u0000')))) {
        const [orgId, userId] = key.split('\u0000') as [string, string];
        if (userId !== '' && orgWide.has(orgId)) continue;
        const reasons = items.flatMap((item) => copublicationReason(item, work));
        if (reasons.length === 0) continue;
        if (userId === '') orgWide.add(orgId);
        const listed = dedupe(
          reasons.flatMap((r) => r.listed),
          (h) => `${h.list}/${h.entry}/${h.raw}`,
        );
        // Each affiliation stands on one side of the title, the side the first item that names it puts it on: a listed
        // entity watched itself and also the partner of another watched item was named on both ("Megvii with Megvii Technology").
        const side = new Map<string, 'listed' | 'other'>();
        for (const r of reasons) {
          for (const h of r.listed) if (!side.has(h.raw)) side.set(h.raw, 'listed');
          for (const p of r.parties) if (!side.has(p.raw)) side.set(p.raw, 'other');
        }
        const names = [...new Set(listed.filter((h) => side.get(h.raw) === 'listed').map((h) => h.name))];
        const watched = [...new Set(reasons.map((r) => r.watch.label))];
        // The title names both sides, and the field when a watched one brought the work: the
        // watched item's label alone (a list entry, a country, a field) did not say who co-published.
        const parties = [...new Set(reasons.flatMap((r) => r.parties.filter((p) => side.get(p.raw) === 'other').map((p) => p.name)))].filter((p) => !names.includes(p));
        const fields = reasons.filter((r) => r.watch.kind === 'field').map((r) => r.watch.label);
        const said = `${parties.length > 0 ? parties.join(', ') : watched.join(', ')} with ${names.join(', ')}${fields.length > 0 ? ` in ${fields.join(', ')}` : ''}${work.year ? ` (${work.year})` : ''}`;
        const evidence = file.scope === '' ? { base: 'shared', fileId: file.fileId, kind: file.kind } : { base: 'your upload', fileId: file.fileId, kind: file.kind };
        const watchedWhy = reasons.map((r) => ({ kind: r.watch.kind, ref: r.watch.ref, label: r.watch.label, why: r.why }));
        // A work with no page elsewhere opens in the web app: the upload's, or the watched institution's,
        // co-publications with listed entities, or else the flagged partner's screening.
        const watchedRor = reasons.find((r) => r.watch.kind === 'institution')?.watch.ref;
        const ownPage = file.scope !== '' ? exportLinks(file.fileId) : watchedRor ? portfolioLinks(watchedRor) : screeningLinks(names[0]!);
        // A work's page elsewhere (its DOI, OpenAlex, Lens) has no JSON route here: `api` names what `link` opens, or nothing.
        const elsewhere = (page: string | null) => (page ? { link: page } : ownPage);
        if (work.patent) {
          alerts.push({
            orgId,
            userId,
            kind: 'new-copublication',
            dedupKey: `copatent:${work.source}:${work.sourceId}`,
            title: `New co-patent of ${said}`,
            subject: watched.join(', '),
            evidence: {
              patent: { source: work.source, id: work.sourceId, title: work.title, year: work.year, fields: work.fields },
              evidence,
              watched: watchedWhy,
              listed,
              applicants: work.affiliations.map((a) => ({ applicant: a.raw, institutions: a.rors, country: a.country, listed: a.hits.map((h) => `${h.list}/${h.entry}`) })),
            },
            ...elsewhere(work.source === 'lens' ? `https://www.lens.org/lens/patent/${work.sourceId}` : null),
          });
          continue;
        }
        alerts.push({
          orgId,
          userId,
          kind: 'new-copublication',
          dedupKey: `copub:${work.workId}`,
          earlierKeys: work.earlierIds?.map((id) => `copub:${id}`),
          title: `New co-publication of ${said}`,
          subject: watched.join(', '),
          evidence: {
            work: { id: work.workId, source: work.source, sourceId: work.sourceId, doi: work.doi, title: work.title, year: work.year, fields: work.fields },
            evidence,
            watched: watchedWhy,
            listed,
            affiliations: work.affiliations.map((a) => ({ affiliation: a.raw, institutions: a.rors, country: a.country, listed: a.hits.map((h) => `${h.list}/${h.entry}`) })),
          },
          ...elsewhere(work.doi ? `https://doi.org/${work.doi}` : work.source === 'openalex' ? `https://openalex.org/${work.sourceId.replace(/^https:\/\/openalex\.org\//, '')}` : null),
        });
      }
    }
    return alerts;
  }

  /** Lists whose loaded version differs from the one the monitor saw last; a list seen for the first time is remembered, not announced (the verdicts are still re-checked against it). */
  private async listChanges(): Promise<{ older: RiskList | null; newer: RiskList }[]> {
    // The documents (megabytes: the Entity List alone is 2.5 MB) are read and parsed on the thread
    // that answers requests, so only when a list's version differs from the one last seen recorded.
    const current = await this.options.store.all<{ list_id: string; version: string }>('SELECT list_id, version FROM risk_lists ORDER BY list_id');
    const known = this.listVersionsSeen;
    if (known && current.length === known.size && current.every((r) => known.get(r.list_id) === r.version)) return [];
    const seen = new Map((await this.options.db.query<{ ref: string; value: string }>("SELECT ref, value FROM monitor_seen WHERE kind = 'list'")).map((r) => [r.ref, r.value]));
    const out: { older: RiskList | null; newer: RiskList }[] = [];
    const unchanged = new Map<string, string>();
    for (const list of await loadedLists(this.options.store)) {
      const before = seen.get(list.id);
      const older = before ? (JSON.parse(before) as RiskList) : null;
      if (older?.version !== list.version) out.push({ older, newer: list });
      else unchanged.set(list.id, list.version);
    }
    this.listVersionsSeen = unchanged;
    return out;
  }

  /**
   * Entries a new list version adds, drops or changes that occur in an organisation's watchlists,
   * cases (their parties, their verdicts' screening) or uploads: one alert per entry and organisation.
   */
  private async listAlerts(change: { older: RiskList | null; newer: RiskList }, watches: Watch[]): Promise<NewAlert[]> {
    const { older, newer } = change;
    if (!older) return [];
    const identity = (e: RiskEntry) => screenKey(e.name) || e.id;
    const before = new Map(older.entries.map((e) => [identity(e), e]));
    const after = new Map(newer.entries.map((e) => [identity(e), e]));
    const summary = (e: RiskEntry) =>
      `${e.level}|${e.category ?? ''}|${e.country ?? ''}|${e.names
        .map((n) => n.value)
        .sort()
        .join('|')}|${e.sourceText ?? ''}|${[...e.rorIds].sort().join('|')}`;
    const changes: { what: 'added' | 'removed' | 'changed'; entry: RiskEntry; old: RiskEntry | null }[] = [];
    for (const [k, e] of after) {
      const old = before.get(k);
      if (!old) changes.push({ what: 'added', entry: e, old: null });
      else if (summary(old) !== summary(e)) changes.push({ what: 'changed', entry: e, old });
    }
    for (const [k, e] of before) if (!after.has(k)) changes.push({ what: 'removed', entry: e, old: e });
    if (changes.length === 0) return [];

    const orgs = new Set<string>([...watches.map((w) => w.org_id), ...(await this.options.db.query<{ org_id: string }>('SELECT DISTINCT org_id FROM cases')).map((r) => r.org_id), ...(await this.options.store.all<{ scope: string }>('SELECT DISTINCT scope FROM upload_files')).map((r) => r.scope)]);
    const alerts: NewAlert[] = [];
    for (const orgId of [...orgs].sort()) {
      const places = await this.occurrences(
        orgId,
        newer.id,
        watches.filter((w) => w.org_id === orgId && w.user_id === ''),
      );
      for (const c of changes) {
        const found = places.filter((p) => p.matches(c.entry) || (c.old !== null && p.matches(c.old)));
        if (found.length === 0) continue;
        const fields = c.old && c.what === 'changed' ? describeChange(c.old, c.entry) : [];
        alerts.push({
          orgId,
          userId: '',
          kind: 'list-change',
          dedupKey: `list:${newer.id}:${newer.version}:${identity(c.entry)}:${c.what}`,
          title: `${newer.provenance.title}: ${c.entry.name} ${c.what === 'added' ? 'added' : c.what === 'removed' ? 'removed' : `changed (${fields.map((f) => f.field).join(', ')})`}`,
          subject: c.entry.name,
          evidence: {
            list: { id: newer.id, title: newer.provenance.title, publisher: newer.provenance.publisher, retrieved: newer.provenance.retrieved, version: newer.version, previous: { version: older.version, retrieved: older.provenance.retrieved } },
            change: c.what,
            entry: { id: c.entry.id, name: c.entry.name, level: c.entry.level, category: c.entry.category, country: c.entry.country, names: c.entry.names.map((n) => n.value), sourceText: c.entry.sourceText },
            fields,
            occursIn: found.map((p) => p.where),
          },
          link: c.entry.url ?? newer.provenance.source_url,
        });
      }
    }
    return alerts;
  }

  /** Where an organisation's watchlist, cases, verdicts and uploads name parties: each a test of whether an entry is one of them. */
  private async occurrences(orgId: string, listId: string, watches: Watch[]): Promise<{ where: Record<string, string>; matches: (e: RiskEntry) => boolean }[]> {
    const out: { where: Record<string, string>; matches: (e: RiskEntry) => boolean }[] = [];
    const cases = (await this.options.db.query<{ id: string; title: string; doc: string }>('SELECT id, title, doc FROM cases WHERE org_id = $1 ORDER BY id', [orgId])).map((c) => ({ ...c, parties: partiesOf(JSON.parse(c.doc)) }));
    // The registry's names of every institution named, in one query: one per case was 10,000 queries for 10,000 cases.
    const rorNames = await this.registryNames([...watches.filter((w) => w.kind === 'institution').map((w) => w.ref), ...cases.flatMap((c) => c.parties.rors)]);
    for (const w of watches) {
      if (w.kind === 'list-entry') {
        const entries = new Set(listEntryRefs(w.ref).filter((ref) => ref.startsWith(`${listId}/`)));
        if (entries.size > 0) out.push({ where: { kind: 'watchlist', item: w.label }, matches: (e) => entries.has(`${listId}/${e.id}`) });
      } else if (w.kind === 'institution') {
        const names = rorNames.get(w.ref) ?? [];
        out.push({ where: { kind: 'watchlist', item: w.label }, matches: (e) => e.rorIds.includes(w.ref) || names.some((n) => entryKeys(e).has(n)) });
      }
    }
    for (const c of cases) {
      const names = new Set([...c.parties.names.map(screenKey).filter(Boolean), ...c.parties.rors.flatMap((ror) => rorNames.get(ror) ?? [])]);
      out.push({ where: { kind: 'case', id: c.id, title: c.title }, matches: (e) => c.parties.rors.some((r) => e.rorIds.includes(r)) || [...entryKeys(e)].some((k) => names.has(k)) });
    }
    // Only the snapshots that record something of this list are read and parsed (parsing every one
    // was 5 s at 10,000 verdicts). CaseService writes them with JSON.stringify, so such a record
    // reads "list":"<id>" in the text; the database finds the text.
    const naming = `${this.options.db.kind === 'postgres' ? 'strpos' : 'instr'}(snapshot, $2) > 0`;
    for (const a of await this.options.db.query<{ id: string; case_id: string; snapshot: string }>(`SELECT id, case_id, snapshot FROM assessments WHERE org_id = $1 AND ${naming} ORDER BY id`, [orgId, `"list":${JSON.stringify(listId)}`])) {
      const hits = entryRefs(JSON.parse(a.snapshot), listId);
      if (hits.size > 0) out.push({ where: { kind: 'verdict', id: a.id, case: a.case_id }, matches: (e) => hits.has(e.id) });
    }
    const uploaded = new Set((await this.options.store.all<{ entry_id: string }>('SELECT DISTINCT h.entry_id FROM upload_affiliations u JOIN screen_hits h ON h.raw = u.raw WHERE u.scope = $1 AND h.list_id = $2', [orgId, listId])).map((r) => r.entry_id));
    if (uploaded.size > 0) out.push({ where: { kind: 'upload', note: 'an author affiliation in your uploaded exports' }, matches: (e) => uploaded.has(e.id) });
    return out;
  }

  /** The names the registry gives each institution (as screening compares names), by ROR id. */
  private async registryNames(rors: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (rors.length === 0) return out;
    const rows = await this.options.store.all<{ ror_id: string; name: string }>(
      `WITH wanted AS (SELECT DISTINCT unnest(from_json($1, '["VARCHAR"]')) AS ror_id)
       SELECT ror_id, name FROM institution_names WHERE ror_id IN (SELECT ror_id FROM wanted) UNION SELECT ror_id, name FROM institutions WHERE ror_id IN (SELECT ror_id FROM wanted)`,
      [JSON.stringify([...new Set(rors)])],
    );
    for (const r of rows) out.set(r.ror_id, [...(out.get(r.ror_id) ?? []), screenKey(r.name)]);
    return out;
  }

  /** Knowledge-base versions recorded since the cursor, in watched topics (sub-topics included). The first import of the bundled entries announces nothing. */
  private async knowledgeChanges(since: string, watches: Watch[]): Promise<{ alerts: NewAlert[]; statusChanged: string[]; cursor: number }> {
    const cursor = Number((await this.options.db.query<{ value: string }>("SELECT value FROM monitor_seen WHERE kind = 'kb' AND ref = 'seq'"))[0]?.value ?? 0);
    const rows = await this.options.db.query<{ entry_id: string; version: number; recorded_at: string; origin: string; status: string; title: string; topics: string; changed: string; audit_seq: number; before_status: string | null }>(
      `SELECT v.entry_id, v.version, v.recorded_at, v.origin, v.status, v.title, v.topics, v.changed, v.audit_seq, p.status AS before_status
       FROM kb_versions v LEFT JOIN kb_versions p ON p.entry_id = v.entry_id AND p.version = v.version - 1
       WHERE v.audit_seq > $1 AND v.recorded_at >= $2 ORDER BY v.audit_seq`,
      [cursor, since],
    );
    const topics = watches.filter((w) => w.kind === 'topic').map((w) => ({ w, set: topicWithChildren(this.vocabulary, w.ref) }));
    const alerts: NewAlert[] = [];
    const statusChanged: string[] = [];
    let last = cursor;
    for (const r of rows) {
      last = Math.max(last, Number(r.audit_seq));
      const version = Number(r.version);
      if (version === 1 && r.origin === 'bundled') continue;
      const statusChange = r.before_status !== null && r.before_status !== r.status;
      if (statusChange) statusChanged.push(r.entry_id);
      const entryTopics = JSON.parse(r.topics) as string[];
      const seen = new Set<string>();
      for (const { w, set } of topics) {
        if (!entryTopics.some((t) => set.has(t))) continue;
        const key = `${w.org_id}\u0000${w.user_id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        alerts.push({
          orgId: w.org_id,
          userId: w.user_id,
          kind: 'knowledge-change',
          dedupKey: `kb:${r.entry_id}:${version}`,
          title: `${r.title}: ${version === 1 ? 'new entry' : statusChange ? `status ${r.before_status} → ${r.status}` : `changed (${(JSON.parse(r.changed) as string[]).join(', ')})`}`,
          subject: r.title,
          evidence: { entry: r.entry_id, version, recordedAt: r.recorded_at, status: r.status, statusBefore: r.before_status, fields: JSON.parse(r.changed), topics: entryTopics, watchedTopic: w.ref },
          link: version === 1 ? kbEntryPage(r.entry_id) : kbDiffPage(r.entry_id, version - 1, version),
          api: version === 1 ? `/api/kb/entries/${r.entry_id}` : `/api/kb/entries/${r.entry_id}/diff?from=${version - 1}&to=${version}`,
        });
      }
    }
    return { alerts, statusChanged, cursor: last };
  }

  /**
   * Re-runs each case's latest verdict with today's lists, evidence and policy bundle (the case as
   * it was assessed, on the day it was assessed) and reports those whose overall verdict would flip,
   * with the criteria that decide it. Nothing is stored as a verdict: an officer re-assesses.
   * A flip already told (the same verdict, the same result, the same deciding criteria) is not told
   * again because a list had a new version that changed nothing of it; once the verdict holds
   * again, a later flip is news. `told`: what is now told of each verdict whose telling changed.
   */
  private async verdictChanges(assessor: Assessor, triggers: string[]): Promise<{ alerts: NewAlert[]; reassessed: number; told: Map<string, Told> }> {
    const { db } = this.options;
    const rows = await db.query<{ id: string; case_id: string; org_id: string; overall: string; as_of: string; title: string }>(LATEST_VERDICTS);
    const alerts: NewAlert[] = [];
    const toldBefore = new Map((await db.query<{ ref: string; value: string }>("SELECT ref, value FROM monitor_seen WHERE kind = 'verdict-change'")).map((r) => [r.ref, JSON.parse(r.value) as Told]));
    const told = new Map<string, Told>();
    // In chunks, each chunk run together: each party screened once in the whole re-check, its
    // partners' co-publications read in one query. The same case on the same day is run once.
    const screened: ScreenMemo = new Map();
    for (let start = 0; start < rows.length; start += VERDICT_CHUNK) {
      const chunk = rows.slice(start, start + VERDICT_CHUNK);
      const ids = chunk.map((r) => r.id);
      const caseDocs = new Map((await db.query<{ id: string; doc: string | null }>(`SELECT id, ${assessedCase(db)} AS doc FROM assessments WHERE id IN (${numberedParameters(ids.length)})`, ids)).map((r) => [r.id, r.doc]));
      // Per organisation: each reads the evidence through its own match corrections.
      const distinct = new Map<string, { c: Case; asOf: string; orgId: string } | Error>();
      const keyOf = (row: { id: string; org_id: string; as_of: string }) => `${row.org_id}\u0000${row.as_of}\u0000${caseDocs.get(row.id)}`;
      for (const row of chunk) {
        const key = keyOf(row);
        if (distinct.has(key)) continue;
        const doc = caseDocs.get(row.id);
        try {
          distinct.set(key, { c: assessor.validate(doc == null ? undefined : JSON.parse(doc)), asOf: row.as_of, orgId: row.org_id });
        } catch (e) {
          distinct.set(key, e as Error);
        }
      }
      const runnable = [...distinct].filter((e): e is [string, { c: Case; asOf: string; orgId: string }] => !(e[1] instanceof Error));
      const results = new Map<string, Assessment | Error>([...distinct].filter((e): e is [string, Error] => e[1] instanceof Error));
      (
        await assessor.runMany(
          runnable.map(([, item]) => item),
          undefined,
          screened,
        )
      ).forEach((r, i) => results.set(runnable[i]![0], r));
      // Only a verdict that would flip needs its whole stored result, for the before and after.
      const flips = chunk.filter((row) => {
        const rerun = results.get(keyOf(row))!;
        return rerun instanceof Error ? row.overall !== 'needs-information' : rerun.overall !== row.overall;
      });
      for (const row of chunk) {
        const was = toldBefore.get(row.id);
        if (was && was.change !== null && !flips.includes(row)) told.set(row.id, { change: null, flips: was.flips });
      }
      if (flips.length === 0) continue;
      const before = new Map(
        (
          await db.query<{ id: string; result: string }>(
            `SELECT id, result FROM assessments WHERE id IN (${numberedParameters(flips.length)})`,
            flips.map((r) => r.id),
          )
        ).map((r) => [r.id, r.result]),
      );
      for (const row of flips) {
        const was = toldBefore.get(row.id);
        const alert = await this.verdictAlert(row, JSON.parse(before.get(row.id)!) as Assessment, results.get(keyOf(row))!, triggers, (was?.flips ?? 0) + 1);
        if (!alert || was?.change === alert.change) continue;
        alerts.push(alert.alert);
        told.set(row.id, { change: alert.change, flips: (was?.flips ?? 0) + 1 });
      }
    }
    return { alerts, reassessed: rows.length, told };
  }
  /** The alerts for re-assessment dates reached. */
  private async reassessmentsDue(tx: AppTx): Promise<NewAlert[]> {
    const today = this.options.today?.() ?? new Date().toISOString().slice(0, 10);
    const rows = await tx.query<{ id: string; case_id: string; org_id: string; overall: string; as_of: string | null; reassess_by: string; title: string }>(REASSESSMENTS_DUE, [today]);
    // In the order of the verdicts' ids, as before; sorted here, so that the dates' index, not the ids', picks the rows.
    return rows
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => ({
        orgId: r.org_id,
        userId: '',
        kind: 'reassessment-due',
        dedupKey: `reassess:${r.id}`,
        title: `${r.title}: re-assessment due since ${r.reassess_by}`,
        subject: r.title,
        evidence: { assessment: r.id, case: r.case_id, overall: r.overall, asOf: r.as_of ?? undefined, reassessBy: r.reassess_by },
        link: casePage(r.case_id),
        api: `/api/assessments/${r.id}`,
      }));
  }

  /**
   * The alert for a verdict that would flip, with before, after and the deciding criteria, and the
   * change it tells (the result and the deciding criteria, which a new list version may leave as
   * they were); none when it holds.
   */
  private async verdictAlert(row: { id: string; case_id: string; org_id: string; title: string }, before: Assessment, rerun: Assessment | Error, triggers: string[], flip: number): Promise<{ alert: NewAlert; change: string } | null> {
    let after: Assessment;
    if (rerun instanceof Error) {
      // A case today's bundle cannot read (a field or use it no longer knows) is itself news.
      if (before.overall === 'needs-information') return null;
      after = { ...before, overall: 'needs-information', error: rerun.message } as Assessment;
    } else after = rerun;
    if (after.overall === before.overall) return null;
    this.assessCode ??= import('../assessment/assess.ts');
    const diff = (await this.assessCode).compareAssessments(before, after);
    const deciding = diff.changed.filter((c) => after.criteria.find((r) => r.id === c.id)?.effective === after.overall || before.criteria.find((r) => r.id === c.id)?.effective === before.overall);
    const change = JSON.stringify([after.overall, (deciding.length > 0 ? deciding : diff.changed).map((c) => [c.id, after.criteria.find((r) => r.id === c.id)?.effective ?? null]).sort()]);
    return {
      change,
      alert: {
        orgId: row.org_id,
        userId: '',
        kind: 'verdict-change',
        // The n-th flip of this verdict: one that returns after the verdict held again is news, even under list versions seen before.
        dedupKey: `verdict:${row.id}:${flip}:${after.overall}:${sha(change)}`,
        // Said in the alert itself: an officer reading "A → B" alone took the stored verdict to have changed.
        title: `${row.title}: ${before.overall} → ${after.overall}${deciding[0] ? ` (${deciding.map((c) => c.id).join(', ')})` : ''} if assessed again; the stored verdict stays ${before.overall} until an officer re-assesses`,
        subject: row.title,
        evidence: {
          assessment: row.id,
          case: row.case_id,
          asOf: before.asOf,
          before: { overall: before.overall, bundle: before.bundle.hash, rulebook: before.rulebook.hash, lists: (before.snapshot as { lists?: unknown }).lists },
          after: { overall: after.overall, bundle: after.bundle.hash, rulebook: after.rulebook.hash, lists: (after.snapshot as { lists?: unknown }).lists, ...((after as { error?: string }).error ? { error: (after as { error?: string }).error } : {}) },
          deciding: deciding.length > 0 ? deciding : diff.changed,
          files: diff.files,
          because: triggers,
        },
        link: casePage(row.case_id),
        api: `/api/assessments/${row.id}`,
      },
    };
  }
}

function tally(report: CheckReport, added: { kind: string }[]): void {
  for (const a of added) report.alerts[a.kind] = (report.alerts[a.kind] ?? 0) + 1;
}

async function see(tx: AppTx, kind: string, ref: string, value: string): Promise<void> {
  await tx.query('INSERT INTO monitor_seen (kind, ref, value, seen_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, ref) DO UPDATE SET value = excluded.value, seen_at = excluded.seen_at', [kind, ref, value, new Date().toISOString()]);
}

/** What the monitor last told of a verdict: the flip (null: it holds again) and how many flips it told. */
interface Told {
  change: string | null;
  flips: number;
}

/** A change that calls for the verdicts to be re-checked, recorded with what was seen, so a crash before the re-check does not forget it. */
async function owe(tx: AppTx, trigger: string): Promise<void> {
  const before = (await tx.query<{ value: string }>("SELECT value FROM monitor_seen WHERE kind = 'owed' AND ref = 'verdicts'"))[0];
  const all = [...new Set([...(before ? (JSON.parse(before.value) as string[]) : []), trigger])];
  await see(tx, 'owed', 'verdicts', JSON.stringify(all.slice(-20)));
}

async function owed(db: AppDb): Promise<string[]> {
  const row = (await db.query<{ value: string }>("SELECT value FROM monitor_seen WHERE kind = 'owed' AND ref = 'verdicts'"))[0];
  return row ? (JSON.parse(row.value) as string[]) : [];
}

function tables(scope: string) {
  return scope === ''
    ? { records: 'records', affiliations: 'affiliations', join: '', where: '', params: (fileId: string) => [fileId] }
    : { records: 'upload_records', affiliations: 'upload_affiliations', join: '', where: 'r.scope = $2 AND a.scope = $2 AND', params: (fileId: string) => [fileId, scope] };
}

/** How a title names an author's (or applicant's) party: the registry's name of its institution, or the affiliation as written. */
const party = (a: Affiliation) => ({ raw: a.raw, name: a.names?.values().next().value ?? a.raw });

/**
 * Why a work concerns a watch item: the listed co-authors it has, and `parties`, the affiliations of
 * the other side, each with the name a title gives it (the watched institution, or the co-authors in the watched country or field, or those
 * of the watched listed entity).
 */
function copublicationReason(item: Watch, work: NewWork): { watch: Watch; why: string; parties: { raw: string; name: string }[]; listed: { list: string; entry: string; name: string; level: string; raw: string }[] }[] {
  const hitsOf = (affs: Affiliation[]) => affs.flatMap((a) => a.hits.map((h) => ({ list: h.list, entry: h.entry, name: h.name, level: h.level, raw: a.raw })));
  const affs = work.affiliations;
  const joins = work.patent ? 'files a patent with' : 'co-authors with';
  switch (item.kind) {
    case 'institution': {
      if (!affs.some((a) => a.rors.includes(item.ref))) return [];
      const listed = hitsOf(affs.filter((a) => !a.rors.includes(item.ref)));
      return listed.length > 0 ? [{ watch: item, why: `a watched institution ${joins} a listed entity`, parties: affs.filter((a) => a.rors.includes(item.ref)).map((a) => ({ raw: a.raw, name: a.names?.get(item.ref) ?? item.label })), listed }] : [];
    }
    case 'list-entry': {
      const entries = new Set(listEntryRefs(item.ref));
      const watched = (h: { list: string; entry: string }) => entries.has(`${h.list}/${h.entry}`);
      const hit = (a: Affiliation) => a.hits.some(watched);
      if (!affs.some(hit) || !affs.some((a) => !hit(a))) return [];
      return [{ watch: item, why: `a watched listed entity ${joins} others`, parties: affs.filter((a) => !hit(a)).map(party), listed: hitsOf(affs.filter(hit)).filter(watched) }];
    }
    case 'country': {
      if (!affs.some((a) => a.country === item.ref)) return [];
      const listed = hitsOf(affs.filter((a) => a.country !== item.ref));
      return listed.length > 0 ? [{ watch: item, why: `${work.patent ? 'an applicant' : 'an author'} in a watched country ${joins} a listed entity`, parties: affs.filter((a) => a.country === item.ref).map(party), listed }] : [];
    }
    case 'field': {
      if (!work.fields.includes(item.ref)) return [];
      const listed = hitsOf(affs);
      return listed.length > 0 && affs.some((a) => a.hits.length === 0) ? [{ watch: item, why: `a ${work.patent ? 'co-patent' : 'co-publication'} with a listed entity in a watched field`, parties: affs.filter((a) => a.hits.length === 0).map(party), listed }] : [];
    }
    default:
      return [];
  }
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => !seen.has(key(t)) && seen.add(key(t)));
}

function describeChange(old: RiskEntry, e: RiskEntry): { field: string; old: string; new: string }[] {
  const fields: [string, (x: RiskEntry) => string][] = [
    ['level', (x) => x.level],
    ['category', (x) => x.category ?? ''],
    ['country', (x) => x.country ?? ''],
    [
      'names',
      (x) =>
        x.names
          .filter((n) => n.kind !== 'primary')
          .map((n) => n.value)
          .sort()
          .join(' | '),
    ],
    ['source text', (x) => x.sourceText ?? ''],
    ['ROR ids', (x) => [...x.rorIds].sort().join(' ')],
  ];
  return fields.filter(([, get]) => get(old) !== get(e)).map(([field, get]) => ({ field, old: get(old), new: get(e) }));
}

const keysOfEntry = new WeakMap<RiskEntry, Set<string>>();
/** An entry's names as screening compares them; worked out once per entry, since every place in every organisation asks. */
function entryKeys(e: RiskEntry): Set<string> {
  let keys = keysOfEntry.get(e);
  if (!keys) keysOfEntry.set(e, (keys = new Set([e.name, ...e.names.map((n) => n.value)].map(screenKey).filter(Boolean))));
  return keys;
}

/** The names and ROR ids of a case's parties, wherever the case names them. */
function partiesOf(doc: unknown): { names: string[]; rors: string[] } {
  const names: string[] = [];
  const rors: string[] = [];
  const walk = (v: unknown, top: boolean) => {
    if (Array.isArray(v)) for (const x of v) walk(x, false);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (!top && (k === 'name' || k === 'from') && typeof x === 'string' && x !== 'unknown') names.push(x);
        else if (k === 'ror' && typeof x === 'string') rors.push(x);
        else walk(x, false);
      }
    }
  };
  walk(doc, true);
  return { names, rors };
}

/** The entries of a list that a verdict's snapshot recorded a hit on. */
function entryRefs(snapshot: unknown, listId: string): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.list === listId && typeof o.entryId === 'string') out.add(o.entryId);
      for (const x of Object.values(o)) walk(x);
    }
  };
  walk(snapshot);
  return out;
}
