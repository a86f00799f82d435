import type { AppDb, AppTx } from '../appdb/db.ts';
import type { Rulebook } from '../assessment/rulebook.ts';
import { ConflictError } from '../errors.ts';
import { appendAudit, nextAuditSeq, type RowRef } from '../service/audit.ts';
import { authorize, can, NotFoundError, type Actor } from '../service/authorize.ts';
import { loadBundledEntries, POLICY_DIR } from './bundled-entries.ts';
import { changedFields, diffEntries, type FieldChange } from './diff.ts';
import { EntryError, entryHash, isPartialDate, parseEntry, type EntryDoc } from './entry.ts';
import { SearchIndex } from './search.ts';
import { timelineOf, type TimelineEvent } from './timeline.ts';
import { VerdictLinks, type VerdictRef } from './verdict-links.ts';
import { loadVocabulary, topicWithChildren, type Vocabulary } from './vocabulary.ts';

/** Who recorded a version or a review, as the asking user may see it: names stay inside their organisation. */
export interface Recorder {
  name: string;
  own: boolean;
}

export interface Review {
  version: number;
  at: string;
  by: Recorder;
  note: string;
}

export interface EntrySummary {
  id: string;
  title: EntryDoc['title'];
  jurisdiction: string;
  type: string;
  status: string;
  topics: string[];
  criteria: string[];
  dates: EntryDoc['dates'];
  version: number;
  /** When the current version was recorded; null while it is the bundled entry as first seeded (see seededAt). */
  updatedAt: string | null;
  review: { state: 'reviewed' | 'draft'; at?: string; by?: Recorder };
  /** With a search: how well it matched and where. */
  score?: number;
  matched?: string[];
}

export interface VersionInfo {
  version: number;
  /** Null for the bundled entry as first seeded (see seededAt). */
  at: string | null;
  by: Recorder;
  origin: 'bundled' | 'edit';
  note: string;
  status: string;
  hash: string;
  review: Review | null;
}

export interface EntryView {
  entry: EntryDoc;
  version: number;
  review: { state: 'reviewed' | 'draft'; current: Review | null; last: Review | null };
  versions: VersionInfo[];
  criteria: { id: string; title: string | null; missing: boolean }[];
  /** Stored verdicts of the asking organisation (or shared with it) in which a linked criterion held. */
  verdicts: VerdictRef[];
}

/**
 * One thing that changed in the knowledge base, for "what changed since" and for watchers:
 * an entry added, changed, changed in status, or reviewed. `seq` is the change's number in the
 * knowledge base's own history (1, 2, …; the changes one audit entry records share it): a cursor
 * that only grows. Not the audit trail's number, whose gaps would show how much every organisation does.
 */
export interface ChangeEvent {
  seq: number;
  at: string;
  kind: 'added' | 'changed' | 'status-changed' | 'reviewed';
  entry: string;
  version: number;
  title: string;
  jurisdiction: string;
  topics: string[];
  status: string;
  statusBefore: string | null;
  fields: string[];
  origin: 'bundled' | 'edit' | 'review';
  by: Recorder;
  note: string;
}

export interface ImportReport {
  added: string[];
  updated: string[];
  /** Entries whose bundled data changed but which users have edited since: their edits are kept. */
  kept: { id: string; reason: string }[];
  notices: string[];
  /** Links from bundled entries to criteria the rulebook does not have. */
  brokenLinks: string[];
}

export interface ListFilter {
  q?: string;
  topic?: string;
  jurisdiction?: string;
  type?: string;
  status?: string;
  review?: 'draft' | 'reviewed';
  criterion?: string;
}

type VersionRow = { entry_id: string; version: number; recorded_at: string; recorded_by: string; recorder_name: string; org_id: string | null; origin: 'bundled' | 'edit'; note: string; status: string; doc: string; doc_hash: string; audit_seq: number };
type ReviewRow = { entry_id: string; version: number; reviewed_at: string; reviewed_by: string; reviewer_name: string; org_id: string; note: string; audit_seq: number };
type Current = { row: VersionRow; doc: EntryDoc; review: ReviewRow | null };

const BUNDLED_BY = 'derisk';
const BUNDLED_NAME = 'derisk (bundled data)';

/**
 * When a version was recorded, as an organisation may see it. The bundled entries' first seeding
 * (the first import, audit entry `seeding`) was recorded when the installation was set up, which is
 * the operator's to know (the `kb.import` entry of the installation's part of the audit trail keeps
 * it): it reads "bundled" with no time. Bundled entries added or changed by a later version of
 * derisk are changes users must see, and keep their time.
 */
const seededAt = (v: { origin: string; audit_seq: number; recorded_at: string }, seeding: number | null): string | null => (v.origin === 'bundled' && Number(v.audit_seq) === seeding ? null : v.recorded_at);

export interface KnowledgeBaseOptions {
  db: AppDb;
  /** The rulebook entries link to, read when first needed (another rulebook may be in use). */
  rulebook: () => Rulebook;
  /** The data mirror holding official texts (DERISK_MIRROR). */
  mirror: string | null;
  vocabulary?: Vocabulary;
  /** Where the bundled entries are (tests point elsewhere). */
  bundledDir?: string;
  clock?: () => Date;
}

/**
 * The knowledge base of the policy and standards landscape: laws, regulations, standards,
 * plans, initiatives and standards bodies, shared by the whole installation. Every change is a
 * new stored version, appended to the audit trail in the same transaction; a review vouches for
 * one version. Roles are checked here for every caller: viewers read, analysts add and edit,
 * officers review. The entries derisk ships are imported on first use, and again when they change.
 */
export class KnowledgeBase {
  readonly vocabulary: Vocabulary;
  private readonly db: AppDb;
  private readonly clock: () => Date;
  private readonly verdictLinks: VerdictLinks;
  private imported: Promise<ImportReport> | null = null;
  private cache: { v: number; r: number; current: Map<string, Current>; index: SearchIndex } | null = null;
  private seededBy: number | null = null;

  constructor(private readonly options: KnowledgeBaseOptions) {
    this.db = options.db;
    this.vocabulary = options.vocabulary ?? loadVocabulary(`${options.bundledDir ?? POLICY_DIR}/topics.json`);
    this.clock = options.clock ?? (() => new Date());
    this.verdictLinks = new VerdictLinks(options.db);
  }

  /** Imports the bundled entries once per process; every operation waits for it. */
  ready(): Promise<ImportReport> {
    this.imported ??= this.importBundled().catch((e) => {
      this.imported = null;
      throw e;
    });
    return this.imported;
  }

  private loadedRulebook: Rulebook | null = null;

  private rulebook(): Rulebook {
    this.loadedRulebook ??= this.options.rulebook();
    return this.loadedRulebook;
  }

  private criteriaIds(): Set<string> {
    return new Set(this.rulebook().criteria.map((c) => c.id));
  }

  /**
   * Brings the bundled entries into the database: a new entry is added, a changed one gets a
   * new version — unless users edited it since, in which case their version stays and the
   * report says so. Unchanged data adds nothing, so running it again is harmless.
   */
  async importBundled(): Promise<ImportReport> {
    const bundled = loadBundledEntries({ vocabulary: this.vocabulary, mirror: this.options.mirror, ...(this.options.bundledDir ? { dir: this.options.bundledDir } : {}) });
    const report: ImportReport = { added: [], updated: [], kept: [], notices: [...bundled.notices], brokenLinks: [] };
    const unreadText = new Set(bundled.notices.map((n) => n.split(':')[0]));
    try {
      const known = this.criteriaIds();
      for (const e of bundled.entries) for (const c of e.criteria) if (!known.has(c)) report.brokenLinks.push(`${e.id} → ${c}`);
    } catch (e) {
      report.notices.push(`links to criteria not checked: ${(e as Error).message}`);
    }
    await this.db.transaction(async (tx) => {
      const current = new Map((await tx.query<{ id: string; version: number; origin: string }>('SELECT e.id, e.version, v.origin FROM kb_entries e JOIN kb_versions v ON v.entry_id = e.id AND v.version = e.version')).map((r) => [r.id, r]));
      const lastBundled = new Map(
        (await tx.query<{ entry_id: string; doc_hash: string }>("SELECT v.entry_id, v.doc_hash FROM kb_versions v JOIN (SELECT entry_id, max(version) AS version FROM kb_versions WHERE origin = 'bundled' GROUP BY entry_id) b ON b.entry_id = v.entry_id AND b.version = v.version")).map((r) => [
          r.entry_id,
          r.doc_hash,
        ]),
      );
      const writes: { doc: EntryDoc; hash: string; version: number; isNew: boolean }[] = [];
      for (const doc of bundled.entries) {
        const hash = entryHash(doc);
        const cur = current.get(doc.id);
        if (!cur) writes.push({ doc, hash, version: 1, isNew: true });
        else if (lastBundled.get(doc.id) === hash) continue;
        // Without its official text the entry would lose what was read from it: keep what is stored.
        else if (unreadText.has(doc.id)) continue;
        else if (cur.origin === 'bundled') writes.push({ doc, hash, version: Number(cur.version) + 1, isNew: false });
        else report.kept.push({ id: doc.id, reason: `the bundled data changed, but version ${cur.version} is a user's edit: compare with derisk kb show ${doc.id} and edit it by hand` });
      }
      if (writes.length === 0) return;
      const now = this.clock().toISOString();
      report.added = writes.filter((w) => w.isNew).map((w) => w.doc.id);
      report.updated = writes.filter((w) => !w.isNew).map((w) => w.doc.id);
      const seq = await nextAuditSeq(tx);
      const rows: RowRef[] = [];
      for (const w of writes)
        rows.push(...(await this.writeVersion(tx, w.doc, w.hash, w.version, { by: BUNDLED_BY, name: BUNDLED_NAME, org: null, origin: 'bundled', note: w.isNew ? 'bundled with derisk' : 'bundled data updated', at: now, seq }, w.isNew ? null : await this.currentDoc(tx, w.doc.id))));
      await appendAudit(tx, { actor: BUNDLED_BY, orgId: null, action: 'kb.import', target: 'data/policy', detail: { added: report.added, updated: report.updated }, rows, seq });
    });
    return report;
  }

  /**
   * Stores a version; `before` is the version it replaces (null for a new entry), for the fields it
   * changed. `who.seq` is the audit entry appended after it (nextAuditSeq); returns the rows it wrote, for that entry.
   */
  private async writeVersion(tx: AppTx, doc: EntryDoc, hash: string, version: number, who: { by: string; name: string; org: string | null; origin: 'bundled' | 'edit'; note: string; at: string; seq: number }, before: EntryDoc | null): Promise<RowRef[]> {
    const changed = before ? changedFields(diffEntries(before, doc)) : [];
    await tx.query('INSERT INTO kb_versions (entry_id, version, recorded_at, recorded_by, recorder_name, org_id, origin, note, status, title, jurisdiction, topics, changed, doc, doc_hash, audit_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)', [
      doc.id,
      version,
      who.at,
      who.by,
      who.name,
      who.org,
      who.origin,
      who.note,
      doc.status,
      doc.title.short ?? doc.title.en,
      doc.jurisdiction,
      JSON.stringify(doc.topics),
      JSON.stringify(changed),
      JSON.stringify(doc),
      hash,
      who.seq,
    ]);
    if (!before) await tx.query('INSERT INTO kb_entries (id, version, created_at, updated_at) VALUES ($1, $2, $3, $3)', [doc.id, version, who.at]);
    else await tx.query('UPDATE kb_entries SET version = $1, updated_at = $2 WHERE id = $3', [version, who.at, doc.id]);
    return [
      ['kb_entries', doc.id],
      ['kb_versions', doc.id, String(version)],
    ];
  }

  /** The document of an entry's current version, inside a transaction. */
  private async currentDoc(tx: AppTx, id: string): Promise<EntryDoc> {
    const row = (await tx.query<{ doc: string }>('SELECT v.doc FROM kb_entries e JOIN kb_versions v ON v.entry_id = e.id AND v.version = e.version WHERE e.id = $1', [id]))[0];
    if (!row) throw new NotFoundError(`no knowledge-base entry ${id}`);
    return JSON.parse(row.doc) as EntryDoc;
  }

  /**
   * The current version of every entry and the search index over them. Every version and review
   * carries its audit sequence number, so after a change only what is newer is read again.
   */
  private async state(): Promise<{ current: Map<string, Current>; index: SearchIndex }> {
    await this.ready();
    const g = (await this.db.query<{ v: number | null; r: number | null }>('SELECT (SELECT max(audit_seq) FROM kb_versions) AS v, (SELECT max(audit_seq) FROM kb_reviews) AS r'))[0]!;
    const [v, r] = [Number(g.v ?? -1), Number(g.r ?? -1)];
    const cache = this.cache;
    if (cache && cache.v === v && cache.r === r) return cache;
    const rows = await this.db.query<VersionRow & { r_version: number | null; reviewed_at: string | null; reviewed_by: string | null; reviewer_name: string | null; r_org: string | null; r_note: string | null; r_seq: number | null }>(
      `SELECT v.*, r.version AS r_version, r.reviewed_at, r.reviewed_by, r.reviewer_name, r.org_id AS r_org, r.note AS r_note, r.audit_seq AS r_seq
       FROM kb_entries e JOIN kb_versions v ON v.entry_id = e.id AND v.version = e.version
       LEFT JOIN kb_reviews r ON r.entry_id = e.id AND r.version = e.version
       ${cache ? 'WHERE v.audit_seq > $1 OR e.id IN (SELECT entry_id FROM kb_reviews WHERE audit_seq > $2)' : ''}`,
      cache ? [cache.v, cache.r] : [],
    );
    const next = cache ?? { v, r, current: new Map<string, Current>(), index: new SearchIndex([], this.vocabulary) };
    for (const row of rows) {
      const review = row.reviewed_at ? { entry_id: row.entry_id, version: Number(row.r_version), reviewed_at: row.reviewed_at, reviewed_by: row.reviewed_by!, reviewer_name: row.reviewer_name!, org_id: row.r_org!, note: row.r_note ?? '', audit_seq: Number(row.r_seq) } : null;
      const known = next.current.get(row.entry_id);
      const doc = known && known.row.doc_hash === row.doc_hash ? known.doc : (JSON.parse(row.doc) as EntryDoc);
      if (doc !== known?.doc) next.index.put(doc);
      next.current.set(row.entry_id, { row: { ...row, version: Number(row.version) }, doc, review });
    }
    next.v = v;
    next.r = r;
    this.cache = next;
    return next;
  }

  private recorder(actor: Actor, by: string, name: string, org: string | null): Recorder {
    if (by === BUNDLED_BY) return { name: BUNDLED_NAME, own: false };
    return org === actor.orgId ? { name, own: true } : { name: 'a user of another organisation', own: false };
  }

  private reviewOf(actor: Actor, r: ReviewRow): Review {
    return { version: Number(r.version), at: r.reviewed_at, by: this.recorder(actor, r.reviewed_by, r.reviewer_name, r.org_id), note: r.note };
  }

  private summary(actor: Actor, c: Current, seeding: number | null): EntrySummary {
    const { doc, row, review } = c;
    return {
      id: doc.id,
      title: doc.title,
      jurisdiction: doc.jurisdiction,
      type: doc.type,
      status: doc.status,
      topics: doc.topics,
      criteria: doc.criteria,
      dates: doc.dates,
      version: row.version,
      updatedAt: seededAt(row, seeding),
      review: review ? { state: 'reviewed', at: review.reviewed_at, by: this.reviewOf(actor, review).by } : { state: 'draft' },
    };
  }

  /** Entries matching every filter given; with `q`, full-text search in English and Chinese, best match first. */
  async list(actor: Actor, filter: ListFilter = {}): Promise<EntrySummary[]> {
    authorize(actor, 'kb.read');
    const { current, index } = await this.state();
    const seeding = await this.seeding();
    if (filter.topic && !this.vocabulary.topics.has(filter.topic)) throw new EntryError(`topic ${JSON.stringify(filter.topic)} is not one of ${[...this.vocabulary.topics.keys()].join(', ')}`);
    const topics = filter.topic ? topicWithChildren(this.vocabulary, filter.topic) : null;
    const keep = (c: Current) =>
      (!topics || c.doc.topics.some((t) => topics.has(t))) &&
      (!filter.jurisdiction || c.doc.jurisdiction === filter.jurisdiction) &&
      (!filter.type || c.doc.type === filter.type) &&
      (!filter.status || c.doc.status === filter.status) &&
      (!filter.review || (filter.review === 'reviewed') === (c.review !== null)) &&
      (!filter.criterion || c.doc.criteria.includes(filter.criterion));
    if (filter.q !== undefined && filter.q.trim() !== '') {
      return index
        .search(filter.q)
        .map((hit) => ({ hit, c: current.get(hit.id)! }))
        .filter(({ c }) => keep(c))
        .map(({ hit, c }) => ({ ...this.summary(actor, c, seeding), score: hit.score, matched: hit.fields }));
    }
    return [...current.values()]
      .filter(keep)
      .sort((a, b) => a.doc.id.localeCompare(b.doc.id))
      .map((c) => this.summary(actor, c, seeding));
  }

  /** An entry's versions up to its current one, and their reviews. */
  /** The audit entry of the bundled entries' first import (see seededAt); fixed once made. */
  private async seeding(): Promise<number | null> {
    if (this.seededBy === null) {
      const s = (await this.db.query<{ s: number | null }>("SELECT min(audit_seq) AS s FROM kb_versions WHERE origin = 'bundled'"))[0]?.s;
      this.seededBy = s === null || s === undefined ? null : Number(s);
    }
    return this.seededBy;
  }

  private async versionRows(id: string): Promise<{ versions: VersionRow[]; reviews: ReviewRow[] }> {
    const versions = (await this.db.query<VersionRow>('SELECT v.* FROM kb_versions v JOIN kb_entries e ON e.id = v.entry_id AND v.version <= e.version WHERE v.entry_id = $1 ORDER BY v.version', [id])).map((v) => ({ ...v, version: Number(v.version) }));
    if (versions.length === 0) throw new NotFoundError(`no knowledge-base entry ${id}`);
    const reviews = (await this.db.query<ReviewRow>('SELECT * FROM kb_reviews WHERE entry_id = $1 ORDER BY version', [id])).map((r) => ({ ...r, version: Number(r.version) }));
    return { versions, reviews };
  }

  /** An entry as it stands, with its versions, review, linked criteria and the verdicts that cited them. */
  async get(actor: Actor, id: string): Promise<EntryView> {
    authorize(actor, 'kb.read');
    await this.ready();
    const { versions, reviews } = await this.versionRows(id);
    const seeding = await this.seeding();
    const latest = versions.at(-1)!;
    const entry = JSON.parse(latest.doc) as EntryDoc;
    const reviewFor = (v: number) => reviews.find((r) => r.version === v);
    const current = reviewFor(latest.version);
    const last = reviews.at(-1);
    let titles = new Map<string, string>();
    try {
      titles = new Map(this.rulebook().criteria.map((c) => [c.id, c.title]));
    } catch {
      // A broken rulebook leaves every link unresolved rather than hiding the entry.
    }
    return {
      entry,
      version: latest.version,
      review: { state: current ? 'reviewed' : 'draft', current: current ? this.reviewOf(actor, current) : null, last: last ? this.reviewOf(actor, last) : null },
      versions: versions
        .map((v) => {
          const r = reviewFor(v.version);
          return { version: v.version, at: seededAt(v, seeding), by: this.recorder(actor, v.recorded_by, v.recorder_name, v.org_id), origin: v.origin, note: v.note, status: v.status, hash: v.doc_hash, review: r ? this.reviewOf(actor, r) : null };
        })
        .reverse(),
      criteria: entry.criteria.map((c) => ({ id: c, title: titles.get(c) ?? null, missing: !titles.has(c) })),
      verdicts: can(actor, 'assessment.read') && entry.criteria.length > 0 ? await this.verdictLinks.citing(actor, entry.criteria) : [],
    };
  }

  /** One stored version of an entry. */
  async version(actor: Actor, id: string, version: number): Promise<{ entry: EntryDoc; info: VersionInfo }> {
    authorize(actor, 'kb.read');
    await this.ready();
    const { versions, reviews } = await this.versionRows(id);
    const v =
      versions.find((x) => x.version === version) ??
      (() => {
        throw new NotFoundError(`entry ${id} has no version ${version} (it has 1 to ${versions.length})`);
      })();
    const r = reviews.find((x) => x.version === version);
    return { entry: JSON.parse(v.doc), info: { version, at: seededAt(v, await this.seeding()), by: this.recorder(actor, v.recorded_by, v.recorder_name, v.org_id), origin: v.origin, note: v.note, status: v.status, hash: v.doc_hash, review: r ? this.reviewOf(actor, r) : null } };
  }

  /** What differs between two versions of an entry (by default the one before the current, and the current). */
  async diff(actor: Actor, id: string, from?: number, to?: number): Promise<{ id: string; from: number; to: number; changes: FieldChange[] }> {
    authorize(actor, 'kb.read');
    await this.ready();
    const { versions } = await this.versionRows(id);
    const b = to ?? versions.at(-1)!.version;
    const a = from ?? b - 1;
    const pick = (n: number) =>
      versions.find((v) => v.version === n) ??
      (() => {
        throw new NotFoundError(`entry ${id} has no version ${n} (it has 1 to ${versions.length})`);
      })();
    if (a < 0 || a > b) throw new EntryError(`compare an earlier version with a later one (asked for ${a} → ${b})`);
    const after = JSON.parse(pick(b).doc) as EntryDoc;
    return { id, from: a, to: b, changes: diffEntries(a === 0 ? null : (JSON.parse(pick(a).doc) as EntryDoc), after) };
  }

  /** Adds a new entry as a draft (analysts). Its criteria must exist in the rulebook; `where` names the input in errors. */
  async add(actor: Actor, input: unknown, note = '', where = 'entry'): Promise<{ id: string; version: number }> {
    authorize(actor, 'kb.edit');
    await this.ready();
    const doc = parseEntry(input, this.vocabulary, this.criteriaIds(), where);
    return this.db.transaction(async (tx) => {
      if ((await tx.query('SELECT 1 FROM kb_entries WHERE id = $1', [doc.id]))[0]) throw new ConflictError(`entry ${doc.id} exists already: edit it instead`);
      const hash = entryHash(doc);
      const seq = await nextAuditSeq(tx);
      const rows = await this.writeVersion(tx, doc, hash, 1, { by: actor.userId, name: actor.name, org: actor.orgId, origin: 'edit', note: note.slice(0, 1000), at: this.clock().toISOString(), seq }, null);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'kb.add', target: doc.id, detail: { version: 1, status: doc.status, hash }, rows, seq });
      return { id: doc.id, version: 1 };
    });
  }

  /**
   * Stores an edited entry as a new version (analysts). `baseVersion` is the version the edit
   * started from: if someone else changed the entry since, the edit is refused rather than
   * silently overwriting theirs. An edit that changes nothing stores nothing.
   */
  async edit(actor: Actor, id: string, input: unknown, baseVersion: number, note = '', where = 'entry'): Promise<{ id: string; version: number; changed: boolean }> {
    authorize(actor, 'kb.edit');
    await this.ready();
    const doc = parseEntry(input, this.vocabulary, this.criteriaIds(), where);
    if (doc.id !== id) throw new EntryError(`${where}: id: the entry edited is ${id}, the text says ${doc.id} (ids do not change)`);
    return this.db.transaction(async (tx) => {
      const cur = (await tx.query<{ version: number; doc_hash: string }>('SELECT e.version, v.doc_hash FROM kb_entries e JOIN kb_versions v ON v.entry_id = e.id AND v.version = e.version WHERE e.id = $1', [id]))[0];
      if (!cur) throw new NotFoundError(`no knowledge-base entry ${id}`);
      const version = Number(cur.version);
      if (version !== baseVersion) throw new ConflictError(`entry ${id} is at version ${version}, not ${baseVersion}: someone changed it since; reload it and edit again`);
      const hash = entryHash(doc);
      if (hash === cur.doc_hash) return { id, version, changed: false };
      const seq = await nextAuditSeq(tx);
      const rows = await this.writeVersion(tx, doc, hash, version + 1, { by: actor.userId, name: actor.name, org: actor.orgId, origin: 'edit', note: note.slice(0, 1000), at: this.clock().toISOString(), seq }, await this.currentDoc(tx, id));
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'kb.edit', target: id, detail: { version: version + 1, status: doc.status, hash }, rows, seq });
      return { id, version: version + 1, changed: true };
    });
  }

  /**
   * Marks a version reviewed (officers). `version` is the version the officer read: if the
   * entry changed since, the review is refused, so nobody vouches for text they have not seen.
   */
  async review(actor: Actor, id: string, version?: number, note = ''): Promise<Review> {
    authorize(actor, 'kb.review');
    await this.ready();
    return this.db.transaction(async (tx) => {
      const cur = (await tx.query<{ version: number; doc_hash: string }>('SELECT e.version, v.doc_hash FROM kb_entries e JOIN kb_versions v ON v.entry_id = e.id AND v.version = e.version WHERE e.id = $1', [id]))[0];
      if (!cur) throw new NotFoundError(`no knowledge-base entry ${id}`);
      const current = Number(cur.version);
      if (version !== undefined && version !== current) throw new ConflictError(`entry ${id} changed to version ${current} since you read version ${version}: review the current version`);
      const done = (await tx.query<ReviewRow>('SELECT * FROM kb_reviews WHERE entry_id = $1 AND version = $2', [id, current]))[0];
      if (done) throw new ConflictError(`version ${current} of ${id} was reviewed already, on ${done.reviewed_at.slice(0, 10)}`);
      const at = this.clock().toISOString();
      const seq = await nextAuditSeq(tx);
      await tx.query('INSERT INTO kb_reviews (entry_id, version, reviewed_at, reviewed_by, reviewer_name, org_id, note, audit_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [id, current, at, actor.userId, actor.name, actor.orgId, note.slice(0, 1000), seq]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'kb.review', target: id, detail: { version: current, hash: cur.doc_hash }, rows: [['kb_reviews', id, String(current)]], seq });
      return { version: current, at, by: { name: actor.name, own: true }, note: note.slice(0, 1000) };
    });
  }

  /**
   * What changed in the knowledge base since a day (inclusive, UTC): entries added, changed,
   * changed in status, reviewed — in the order they happened. `topic` keeps the entries under it.
   * The bundled entries' first seeding is the knowledge base's starting point, not a change, and
   * its day would tell when the installation was set up (see seededAt), as alerts announce nothing of it.
   */
  async changes(actor: Actor, since: string, options: { topic?: string } = {}): Promise<ChangeEvent[]> {
    authorize(actor, 'kb.read');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(since) || !isPartialDate(since)) throw new EntryError(`since: ${JSON.stringify(since)} is not a day (YYYY-MM-DD)`);
    if (options.topic && !this.vocabulary.topics.has(options.topic)) throw new EntryError(`topic ${JSON.stringify(options.topic)} is not one of ${[...this.vocabulary.topics.keys()].join(', ')}`);
    await this.ready();
    const seeding = await this.seeding();
    const from = `${since}T00:00:00.000Z`;
    type Row = {
      entry_id: string;
      version: number;
      at: string;
      by_id: string;
      by_name: string;
      org_id: string | null;
      origin: ChangeEvent['origin'];
      note: string;
      status: string;
      title: string;
      jurisdiction: string;
      topics: string;
      changed: string | null;
      audit_seq: number;
      before_status: string | null;
    };
    const versions = await this.db.query<Row>(
      `SELECT v.entry_id, v.version, v.recorded_at AS at, v.recorded_by AS by_id, v.recorder_name AS by_name, v.org_id, v.origin, v.note, v.status, v.title, v.jurisdiction, v.topics, v.changed, v.audit_seq, p.status AS before_status
       FROM kb_versions v LEFT JOIN kb_versions p ON p.entry_id = v.entry_id AND p.version = v.version - 1
       WHERE v.recorded_at >= $1 AND NOT (v.origin = 'bundled' AND v.audit_seq = $2)`,
      [from, seeding ?? -1],
    );
    const reviews = await this.db.query<Row>(
      `SELECT r.entry_id, r.version, r.reviewed_at AS at, r.reviewed_by AS by_id, r.reviewer_name AS by_name, r.org_id, 'review' AS origin, r.note, v.status, v.title, v.jurisdiction, v.topics, NULL AS changed, r.audit_seq, NULL AS before_status
       FROM kb_reviews r JOIN kb_versions v ON v.entry_id = r.entry_id AND v.version = r.version
       WHERE r.reviewed_at >= $1`,
      [from],
    );
    const history = await this.db.query<{ s: number }>('SELECT audit_seq AS s FROM kb_versions WHERE audit_seq <> $1 UNION SELECT audit_seq FROM kb_reviews ORDER BY s', [seeding ?? -1]);
    const numbered = new Map(history.map((r, i) => [Number(r.s), i + 1]));
    const topics = options.topic ? topicWithChildren(this.vocabulary, options.topic) : null;
    const event = (r: Row, kind: ChangeEvent['kind']): ChangeEvent => ({
      seq: numbered.get(Number(r.audit_seq))!,
      at: r.at,
      kind,
      entry: r.entry_id,
      version: Number(r.version),
      title: r.title,
      jurisdiction: r.jurisdiction,
      topics: JSON.parse(r.topics),
      status: r.status,
      statusBefore: r.before_status,
      fields: r.changed ? JSON.parse(r.changed) : [],
      origin: r.origin,
      by: this.recorder(actor, r.by_id, r.by_name, r.org_id),
      note: r.note,
    });
    return [...versions.map((r) => event(r, Number(r.version) === 1 ? 'added' : r.before_status !== r.status ? 'status-changed' : 'changed')), ...reviews.map((r) => event(r, 'reviewed'))]
      .filter((e) => !topics || e.topics.some((t) => topics.has(t)))
      .sort((a, b) => a.seq - b.seq || a.entry.localeCompare(b.entry));
  }

  /** The dated events of the landscape (laws adopted, in force, applying), filtered. */
  async timeline(actor: Actor, filter: { from?: string; to?: string; topic?: string; jurisdiction?: string } = {}): Promise<TimelineEvent[]> {
    authorize(actor, 'kb.read');
    for (const k of ['from', 'to'] as const) if (filter[k] !== undefined && !isPartialDate(filter[k])) throw new EntryError(`${k}: ${JSON.stringify(filter[k])} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)`);
    const entries = await this.list(actor, { ...(filter.topic ? { topic: filter.topic } : {}), ...(filter.jurisdiction ? { jurisdiction: filter.jurisdiction } : {}) });
    const { current } = await this.state();
    const range: { from?: string; to?: string } = {};
    if (filter.from) range.from = filter.from.length === 10 ? filter.from : `${filter.from}${filter.from.length === 4 ? '-01-01' : '-01'}`;
    if (filter.to) range.to = filter.to.length === 10 ? filter.to : `${filter.to}${filter.to.length === 4 ? '-12-31' : '-31'}`;
    return timelineOf(
      entries.map((e) => current.get(e.id)!.doc),
      this.vocabulary,
      range,
    );
  }

  /** A rulebook criterion, the entries it rests on, and the asking organisation's verdicts in which it held. */
  async criterion(actor: Actor, id: string): Promise<{ criterion: { id: string; title: string; category: string; outcome: string; source: string } | null; entries: EntrySummary[]; verdicts: VerdictRef[] }> {
    authorize(actor, 'kb.read');
    const rulebook = this.rulebook();
    const c = rulebook.criteria.find((x) => x.id === id);
    const entries = await this.list(actor, { criterion: id });
    if (!c && entries.length === 0) throw new NotFoundError(`no criterion ${id} in the rulebook and no entry links to it`);
    return {
      criterion: c ? { id: c.id, title: c.title, category: c.category, outcome: c.outcome, source: `${rulebook.sources.get(c.source.ref)?.title ?? c.source.ref}, ${c.source.clause}` } : null,
      entries,
      verdicts: can(actor, 'assessment.read') ? await this.verdictLinks.citing(actor, [id]) : [],
    };
  }

  /** The entries behind a stored verdict: those linked to the criteria that held in it. */
  async verdictEntries(actor: Actor, assessmentId: string): Promise<{ verdict: VerdictRef; criteria: { id: string; entries: EntrySummary[] }[] }> {
    authorize(actor, 'kb.read');
    authorize(actor, 'assessment.read');
    const { verdict, criteria } = await this.verdictLinks.verdict(actor, assessmentId);
    const { current } = await this.state();
    const seeding = await this.seeding();
    return {
      verdict,
      criteria: criteria.map((id) => ({ id, entries: [...current.values()].filter((c) => c.doc.criteria.includes(id)).map((c) => this.summary(actor, c, seeding)) })),
    };
  }
}
