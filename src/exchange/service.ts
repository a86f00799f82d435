import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppDb, AppTx } from '../appdb/db.ts';
import type { RiskList } from '../screening/lists.ts';
import type { StoredResult } from '../service/cases.ts';
import { appendAudit, type RowRef } from '../service/audit.ts';
import { authorize, NotFoundError, type Actor } from '../service/authorize.ts';
import { screenKey } from '../screening/names.ts';
import { distributionAllows, ExchangeError, FEED_MAX_TLP, nameUuid, tlpAllows, type Distribution, type ExportableTlp, type Tlp } from './marking.ts';
import { PayloadTooLargeError, UnprocessableError } from '../errors.ts';
import { checkFeedSource, NO_FEED_ORIGINS, type FeedOrigins } from './origins.ts';
import type { Publisher } from './misp.ts';
import type { FtmEntity, RegistryLookup } from './ftm.ts';
import { countryCodeOf } from '../regions/countries.ts';
import { supersedes, type CorrectionVerdict } from '../resolve/thesaurus.ts';
import { sha256Hex } from '../sha256.ts';

/** A correction is a match correction (src/resolve/corrections.ts): shared within the installation, and carried by feeds. */
export type ItemKind = 'note' | 'namesake' | 'assessment' | 'correction';
export const ITEM_KINDS: readonly ItemKind[] = ['note', 'namesake', 'assessment', 'correction'];

/** What a note is about: a list entry (`<list>/<entry id>`), a ROR institution, or a name as written. */
export interface Subject {
  kind: 'entry' | 'ror' | 'name';
  value: string;
  label: string;
}

export interface Sharing {
  distribution: Distribution;
  tlp: Tlp;
}

/** A partner installation (or MISP organisation) an item is restricted to, by the organisation UUID MISP knows it by. */
export interface Recipient {
  uuid: string;
  name: string;
}

/** Items that may be restricted to named partners: none means the whole audience. */
export const RESTRICTABLE: readonly ItemKind[] = ['note', 'namesake', 'correction'];

/** A file of corrections another institution sent: thousands of corrections fit in far less. */
export const IMPORT_MAX_BYTES = 4 * 1024 * 1024;

/** Nothing leaves an organisation unless someone who may decides so. */
const PRIVATE: Sharing = { distribution: 'organisation', tlp: 'amber+strict' };

export interface EntityNote extends Sharing {
  id: string;
  orgId: string;
  orgName: string;
  subject: Subject;
  body: string;
  /** 0–100, 50 neutral (MISP's opinion scale): how much of a concern the author thinks the entity is. */
  opinion: number | null;
  createdAt: string;
  /** Restricted to these partners (a MISP sharing group); empty: the whole audience. */
  recipients?: Recipient[];
}

export interface NamesakeDecision extends Sharing, ReceivedNamesake {
  id: string;
  orgId: string;
  orgName: string;
  recipients?: Recipient[];
}

/** A verdict stripped of everything that could tell who assessed whom with whom. */
export interface AnonymisedAssessment extends Sharing {
  uuid: string;
  partners: { name: string | null; ror: string | null; country: string }[];
  fields: string[] | null;
  overall: string;
  categories: Record<string, string>;
  criteria: string[];
  lists: { id: string; version: string }[];
  rulebook: string;
  bundle: string;
  /** The month it was assessed: a day could be matched with a meeting. */
  month: string;
}

/** A match correction as it leaves the installation: the string, the decision, why, whose. */
export interface SharedCorrection extends Sharing {
  id: string;
  orgId: string;
  orgName: string;
  string: string;
  verdict: 'is' | 'not' | 'none';
  /** Empty for a "none" correction. */
  rorId: string;
  reason: string;
  createdAt: string;
  recipients?: Recipient[];
}

/**
 * A shared correction that went out and no longer does (withdrawn, superseded, unshared or shared
 * less widely since): published once more as a retraction, with the marking it last went out with.
 */
export interface RetractedCorrection extends SharedCorrection {
  /** When it stopped going out: the first of its withdrawal, the later correction that superseded it, its unsharing. */
  retractedAt: string;
}

/** A correction another installation shared, as a feed brought it (exchange_received.doc). */
export interface ReceivedCorrection {
  string: string;
  verdict: 'is' | 'not' | 'none';
  rorId: string;
  reason: string;
  createdAt: string;
  /** Set once its publisher retracted it: it applies to nobody from then on. */
  retractedAt?: string;
}

export interface Outgoing {
  notes: EntityNote[];
  namesakes: NamesakeDecision[];
  corrections: SharedCorrection[];
  /** Corrections that went out at this level before and no longer do: published as retractions, so partners stop applying them. */
  retractions?: RetractedCorrection[];
  assessments: AnonymisedAssessment[];
  /** Partner groups without k organisations besides any one of them: held back, counted only. */
  heldBack: { groups: number; assessments: number; k: number };
  /** Partner groups published as they were last released: the change since is not yet k organisations' (nextRelease). */
  keptAsReleased: number;
}

/** A feed as written: its event files, the sequence it was signed with, its manifest's SHA-256. */
export interface PublishedFeed {
  files: number;
  sequence: number;
  manifestSha256: string;
}

/** An anonymised verdict with the organisation it came from, which never leaves the installation. */
type Sourced = { org: string; item: AnonymisedAssessment };

/** What a group of verdicts last released (exchange_releases): a withdrawn group keeps its last released items to compare with. */
interface Release {
  state: 'released' | 'withdrawn';
  items: Sourced[];
}

/** One partner group at a publish: its verdicts now, as last released, as released now, and whether it was kept as last released. */
interface GroupOutcome {
  now: Sourced[];
  last: Sourced[];
  released: Sourced[];
  kept: boolean;
}

/**
 * What of a publish is one organisation's own, counted: what its admin is told and its audit trail
 * keeps. Counts over the whole installation would tell any admin how many verdicts other
 * organisations shared, held back below k, or when they withdrew corrections: what k hides.
 */
export interface OwnShare {
  notes: number;
  namesakes: number;
  corrections: number;
  retractions: number;
  assessments: number;
  heldBack: { groups: number; assessments: number; k: number };
  keptAsReleased: number;
}

function ownShare(outgoing: Outgoing, groups: GroupOutcome[], orgId: string): OwnShare {
  const mine = (items: { orgId: string }[] | undefined) => (items ?? []).filter((i) => i.orgId === orgId).length;
  const ofOrg = (items: Sourced[]) => items.filter((s) => s.org === orgId).length;
  const heldBack = { groups: 0, assessments: 0, k: outgoing.heldBack.k };
  let assessments = 0;
  let keptAsReleased = 0;
  for (const g of groups) {
    assessments += ofOrg(g.released);
    if (g.released.length === 0 && ofOrg(g.now) > 0) {
      heldBack.groups++;
      heldBack.assessments += ofOrg(g.now);
    }
    if (g.kept && ofOrg(g.now) + ofOrg(g.last) > 0) keptAsReleased++;
  }
  return { notes: mine(outgoing.notes), namesakes: mine(outgoing.namesakes), corrections: mine(outgoing.corrections), retractions: mine(outgoing.retractions), assessments, heldBack, keptAsReleased };
}

/** At least k organisations besides any one of them: each knows its own verdicts and can set them aside. */
const enoughOrgs = (orgs: ReadonlySet<string>, k: number) => orgs.size - 1 >= k;

/**
 * What a group of verdicts releases at this publish, given `now`, its verdicts as they stand, and
 * `last`, what it last released (null: nothing to release or record). Whoever compares two
 * publishes sees which items came, went or changed and which stayed; so the group's content moves
 * to `now` only when the organisations behind what changed (verdicts added, changed or withdrawn)
 * are at least k besides any one of them, and so are those behind what stayed, unless none did.
 * Until then it publishes what it last released, unchanged. When fewer than k organisations
 * besides any one remain, or what it last released cannot go in this publish (a higher k, a lower
 * marking), the whole group is withdrawn: that says nothing of anyone's verdict, and its last
 * released items remain what a later release is compared with.
 */
function nextRelease(last: Release | undefined, now: Sourced[], k: number, passes: (s: Sharing) => boolean): Release | null {
  const nowOrgs = new Set(now.map((i) => i.org));
  if (!last) return enoughOrgs(nowOrgs, k) ? { state: 'released', items: now } : null;
  if (!enoughOrgs(nowOrgs, k)) return { state: 'withdrawn', items: last.items };
  const before = new Map(last.items.map((i) => [i.item.uuid, JSON.stringify(i.item)]));
  const stayed = new Set<string>();
  const changedOrgs = new Set<string>();
  const unchangedOrgs = new Set<string>();
  for (const i of now) {
    if (before.get(i.item.uuid) === JSON.stringify(i.item)) {
      stayed.add(i.item.uuid);
      unchangedOrgs.add(i.org);
    } else changedOrgs.add(i.org);
  }
  for (const i of last.items) if (!stayed.has(i.item.uuid)) changedOrgs.add(i.org);
  if (changedOrgs.size === 0 || (enoughOrgs(changedOrgs, k) && (unchangedOrgs.size === 0 || enoughOrgs(unchangedOrgs, k)))) return { state: 'released', items: now };
  if (last.state === 'released' && enoughOrgs(new Set(last.items.map((i) => i.org)), k) && last.items.every((i) => passes(i.item))) return last;
  return { state: 'withdrawn', items: last.items };
}

export interface ExchangePolicy {
  k: number;
}

const POLICY = fileURLToPath(new URL('../../data/exchange/policy.json', import.meta.url));
export function loadExchangePolicy(path = POLICY): ExchangePolicy {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { k?: unknown };
  if (!Number.isInteger(doc.k) || (doc.k as number) < 2) throw new Error(`${path}: k must be a whole number of at least 2 (got ${JSON.stringify(doc.k)})`);
  return { k: doc.k as number };
}

/** `<list id>/<entry id>` in the loaded lists, or why not. */
export function findListEntry(lists: RiskList[], key: string): { list: RiskList; entry: RiskList['entries'][number] } {
  const slash = key.indexOf('/');
  if (slash < 1) throw new ExchangeError(`entry: give <list id>/<entry id> (as screening shows them), got ${JSON.stringify(key)}`);
  const list = lists.find((l) => l.id === key.slice(0, slash));
  if (!list) throw new ExchangeError(`entry ${key}: no list ${key.slice(0, slash)} is loaded`);
  const entry = list.entries.find((e) => e.id === key.slice(slash + 1));
  if (!entry) throw new ExchangeError(`entry ${key}: list ${list.id} has no entry ${key.slice(slash + 1)}`);
  return { list, entry };
}

type NoteRow = { id: string; org_id: string; org_name: string | null; subject_kind: string; subject: string; subject_label: string; body: string; opinion: number | null; created_at: string; distribution: string | null; tlp: string | null };
type NamesakeRow = { id: string; org_id: string; org_name: string | null; name: string; list_id: string; entry_id: string; entry_name: string; reason: string; created_at: string; distribution: string | null; tlp: string | null };

const sharingOf = (r: { distribution: string | null; tlp: string | null }): Sharing => (r.distribution ? { distribution: r.distribution as Distribution, tlp: r.tlp as Tlp } : PRIVATE);

const noteOf = (r: NoteRow): EntityNote => ({
  id: r.id,
  orgId: r.org_id,
  orgName: r.org_name ?? r.org_id,
  subject: { kind: r.subject_kind as Subject['kind'], value: r.subject, label: r.subject_label },
  body: r.body,
  opinion: r.opinion === null ? null : Number(r.opinion),
  createdAt: r.created_at,
  ...sharingOf(r),
});
const namesakeOf = (r: NamesakeRow): NamesakeDecision => ({
  id: r.id,
  orgId: r.org_id,
  orgName: r.org_name ?? r.org_id,
  name: r.name,
  listId: r.list_id,
  entryId: r.entry_id,
  entryName: r.entry_name,
  reason: r.reason,
  createdAt: r.created_at,
  ...sharingOf(r),
});

type CorrectionRow = { id: string; org_id: string; org_name: string | null; raw: string; ror_id: string; verdict: string; reason: string; created_at: string; distribution: string | null; tlp: string | null };
const correctionOf = (r: CorrectionRow): SharedCorrection => ({
  id: r.id,
  orgId: r.org_id,
  orgName: r.org_name ?? r.org_id,
  string: r.raw,
  verdict: r.verdict as SharedCorrection['verdict'],
  rorId: r.ror_id,
  reason: r.reason,
  createdAt: r.created_at,
  ...sharingOf(r),
});
// Only corrections someone decided to share (no sharing row is the organisation only), and only while
// in force: a withdrawn one never leaves again (a superseded one is set aside by correctionsSuperseded).
const CORRECTIONS_SQL = `SELECT c.id, c.org_id, o.name AS org_name, c.raw, c.ror_id, c.verdict, c.reason, c.created_at, s.distribution, s.tlp FROM match_corrections c JOIN exchange_sharing s ON s.kind = 'correction' AND s.item_id = c.id LEFT JOIN organisations o ON o.id = c.org_id
  WHERE NOT EXISTS (SELECT 1 FROM match_correction_withdrawals w WHERE w.correction_id = c.id)`;

/**
 * The corrections a later one of their organisation superseded (MatchCorrections says the same of
 * each), with when the first such later one was made: the later may be unshared, it still ends the
 * earlier, so every organisation's are read.
 */
async function correctionsSuperseded(db: Pick<AppDb, 'query'>): Promise<Map<string, string>> {
  const rows = await db.query<{ id: string; org_id: string; string_key: string; verdict: CorrectionVerdict; ror_id: string; created_at: string }>('SELECT id, org_id, string_key, verdict, ror_id, created_at FROM match_corrections ORDER BY created_at, id');
  const ended = new Map<string, string>();
  const seen = new Map<string, { id: string; key: string; verdict: CorrectionVerdict; rorId: string }[]>();
  for (const r of rows) {
    const later = { id: r.id, key: r.string_key, verdict: r.verdict, rorId: r.ror_id };
    const earlier = seen.get(`${r.org_id}\u0000${r.string_key}`) ?? [];
    for (const e of earlier) if (supersedes(later, e) && !ended.has(e.id)) ended.set(e.id, r.created_at);
    seen.set(`${r.org_id}\u0000${r.string_key}`, [...earlier, later]);
  }
  return ended;
}

const NOTES_SQL = `SELECT n.*, o.name AS org_name, s.distribution, s.tlp FROM entity_notes n LEFT JOIN organisations o ON o.id = n.org_id LEFT JOIN exchange_sharing s ON s.kind = 'note' AND s.item_id = n.id`;
const NAMESAKES_SQL = `SELECT d.*, o.name AS org_name, s.distribution, s.tlp FROM namesake_decisions d LEFT JOIN organisations o ON o.id = d.org_id LEFT JOIN exchange_sharing s ON s.kind = 'namesake' AND s.item_id = d.id`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const text = (v: unknown, what: string, max: number): string => {
  if (typeof v !== 'string' || v.trim() === '') throw new ExchangeError(`${what}: give some text`);
  if (v.length > max) throw new ExchangeError(`${what}: at most ${max} characters (got ${v.length})`);
  return v.trim();
};

/**
 * Notes on entities, namesake decisions and the sharing of every item an organisation holds,
 * checked for role and tenant here in the core; what leaves the installation is decided by
 * `outgoing` alone, for every format and feed.
 */
export class ExchangeService {
  constructor(
    private readonly db: AppDb,
    private readonly european: ReadonlySet<string>,
    /** The origins feeds may be pulled from over HTTP (DERISK_EXCHANGE_ALLOW); none by default. */
    readonly feedOrigins: FeedOrigins = NO_FEED_ORIGINS,
    /** The operator's anonymity threshold: a publish may ask for more, never less. */
    readonly policy: ExchangePolicy = loadExchangePolicy(),
  ) {}

  async addNote(actor: Actor, subject: Subject, body: string, opinion: number | null = null): Promise<string> {
    authorize(actor, 'exchange.note');
    const b = text(body, 'note', 20_000);
    if (opinion !== null && !(Number.isInteger(opinion) && opinion >= 0 && opinion <= 100)) throw new ExchangeError(`opinion: a whole number from 0 to 100 (50 neutral), got ${opinion}`);
    if (!['entry', 'ror', 'name'].includes(subject.kind)) throw new ExchangeError(`subject: ${subject.kind} is not entry, ror or name`);
    text(subject.value, 'subject', 500);
    return this.db.transaction(async (tx) => {
      const id = randomUUID();
      await tx.query('INSERT INTO entity_notes (id, org_id, subject_kind, subject, subject_label, body, opinion, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
        id,
        actor.orgId,
        subject.kind,
        subject.value,
        subject.label || subject.value,
        b,
        opinion,
        actor.userId,
        new Date().toISOString(),
      ]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'exchange.note', target: id, detail: { subject: `${subject.kind}:${subject.value}` }, rows: [['entity_notes', id]] });
      return id;
    });
  }

  async decideNamesake(actor: Actor, d: { name: string; listId: string; entryId: string; entryName: string; reason: string }): Promise<string> {
    authorize(actor, 'exchange.note');
    const name = text(d.name, 'name', 500);
    const reason = text(d.reason, 'reason', 5_000);
    const key = screenKey(name);
    if (key === '') throw new ExchangeError(`name: ${JSON.stringify(d.name)} has nothing screening compares (letters or Chinese characters)`);
    return this.db.transaction(async (tx) => {
      const id = randomUUID();
      await tx.query('INSERT INTO namesake_decisions (id, org_id, name, name_key, list_id, entry_id, entry_name, reason, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
        id,
        actor.orgId,
        name,
        key,
        d.listId,
        d.entryId,
        d.entryName,
        reason,
        actor.userId,
        new Date().toISOString(),
      ]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'exchange.namesake', target: id, detail: { name, entry: `${d.listId}/${d.entryId}` }, rows: [['namesake_decisions', id]] });
      return id;
    });
  }

  /** Sets how far one of the organisation's items may travel; audited with the level before. */
  async share(actor: Actor, kind: ItemKind, id: string, sharing: Sharing): Promise<void> {
    authorize(actor, 'exchange.share');
    await this.db.transaction(async (tx) => {
      await this.owned(tx, actor, kind, id);
      const before = (await tx.query<{ distribution: string; tlp: string }>('SELECT distribution, tlp FROM exchange_sharing WHERE kind = $1 AND item_id = $2', [kind, id]))[0] ?? PRIVATE;
      const now = new Date().toISOString();
      await tx.query('DELETE FROM exchange_sharing WHERE kind = $1 AND item_id = $2', [kind, id]);
      await tx.query('INSERT INTO exchange_sharing (kind, item_id, org_id, distribution, tlp, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [kind, id, actor.orgId, sharing.distribution, sharing.tlp, actor.userId, now]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'exchange.share', target: `${kind}/${id}`, detail: { from: { distribution: before.distribution, tlp: before.tlp }, to: sharing }, rows: [['exchange_sharing', kind, id]] });
    });
  }

  /** Back to the organisation only (as if never shared); audited with the level before. */
  async unshare(actor: Actor, kind: ItemKind, id: string): Promise<void> {
    authorize(actor, 'exchange.share');
    await this.db.transaction(async (tx) => {
      await this.owned(tx, actor, kind, id);
      const before = (await tx.query<{ distribution: string; tlp: string }>('SELECT distribution, tlp FROM exchange_sharing WHERE kind = $1 AND item_id = $2', [kind, id]))[0] ?? PRIVATE;
      await tx.query('DELETE FROM exchange_sharing WHERE kind = $1 AND item_id = $2', [kind, id]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'exchange.unshare', target: `${kind}/${id}`, detail: { from: { distribution: before.distribution, tlp: before.tlp }, to: PRIVATE }, rows: [['exchange_sharing', kind, id]] });
    });
  }

  /**
   * Restricts one of the organisation's shared items to named partners (on export, a MISP sharing
   * group of them); an empty list lifts the restriction. An administrator's decision, audited with
   * the partners before. The item keeps its distribution and TLP, and must be shared already.
   */
  async restrict(actor: Actor, kind: ItemKind, id: string, recipients: Recipient[]): Promise<void> {
    authorize(actor, 'exchange.publish');
    if (!RESTRICTABLE.includes(kind)) throw new ExchangeError(`${kind}: only ${RESTRICTABLE.join(', ')} can be restricted to named partners (anonymised assessments are published in groups of k)`);
    const wanted = new Map<string, Recipient>();
    for (const r of recipients) {
      const uuid = r.uuid.trim().toLowerCase();
      if (!UUID.test(uuid)) throw new ExchangeError(`recipient ${JSON.stringify(r.name)}: ${JSON.stringify(r.uuid)} is not an organisation UUID`);
      wanted.set(uuid, { uuid, name: text(r.name, `recipient ${uuid}: name`, 200) });
    }
    await this.db.transaction(async (tx) => {
      await this.owned(tx, actor, kind, id);
      const sharing = (await tx.query<{ distribution: string }>('SELECT distribution FROM exchange_sharing WHERE kind = $1 AND item_id = $2', [kind, id]))[0];
      if (wanted.size > 0 && !sharing) throw new ExchangeError(`${kind} ${id} is not shared: share it with the community or everyone first, then restrict it to named partners`);
      const before = await tx.query<{ recipient_uuid: string; recipient_name: string }>('SELECT recipient_uuid, recipient_name FROM exchange_recipients WHERE kind = $1 AND item_id = $2 ORDER BY recipient_uuid', [kind, id]);
      await tx.query('DELETE FROM exchange_recipients WHERE kind = $1 AND item_id = $2', [kind, id]);
      const now = new Date().toISOString();
      for (const r of wanted.values()) {
        await tx.query('INSERT INTO exchange_recipients (kind, item_id, recipient_uuid, recipient_name, org_id, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [kind, id, r.uuid, r.name, actor.orgId, actor.userId, now]);
      }
      const rows: RowRef[] = [...new Set([...before.map((b) => b.recipient_uuid), ...wanted.keys()])].map((uuid) => ['exchange_recipients', kind, id, uuid]);
      await appendAudit(tx, {
        actor: actor.userId,
        orgId: actor.orgId,
        action: 'exchange.restrict',
        target: `${kind}/${id}`,
        detail: { from: before.map((b) => ({ uuid: b.recipient_uuid, name: b.recipient_name })), to: [...wanted.values()] },
        rows,
      });
    });
  }

  /** Who each restricted item goes to, by `<kind>/<id>`. */
  private async recipientsByItem(orgId?: string): Promise<Map<string, Recipient[]>> {
    const rows = await this.db.query<{ kind: string; item_id: string; recipient_uuid: string; recipient_name: string }>(`SELECT kind, item_id, recipient_uuid, recipient_name FROM exchange_recipients${orgId ? ' WHERE org_id = $1' : ''} ORDER BY kind, item_id, recipient_uuid`, orgId ? [orgId] : []);
    const out = new Map<string, Recipient[]>();
    for (const r of rows) {
      const key = `${r.kind}/${r.item_id}`;
      out.set(key, [...(out.get(key) ?? []), { uuid: r.recipient_uuid, name: r.recipient_name }]);
    }
    return out;
  }

  /** Another organisation's item answers exactly like one that does not exist. */
  private async owned(tx: AppTx, actor: Actor, kind: ItemKind, id: string): Promise<void> {
    const table = { note: 'entity_notes', namesake: 'namesake_decisions', assessment: 'assessments', correction: 'match_corrections' }[kind];
    if (!table) throw new ExchangeError(`kind: ${JSON.stringify(kind)} is not one of ${ITEM_KINDS.join(', ')}`);
    if (!(await tx.query(`SELECT 1 FROM ${table} WHERE id = $1 AND org_id = $2`, [id, actor.orgId]))[0]) throw new NotFoundError(`no ${kind} ${id} of your organisation`);
  }

  /** The organisation's own notes and decisions with their sharing. */
  async items(actor: Actor): Promise<{ notes: EntityNote[]; namesakes: NamesakeDecision[]; assessments: { id: string; caseId: string; caseTitle: string | null; overall: string; sharing: Sharing }[] }> {
    authorize(actor, 'note.read');
    const notes = (await this.db.query<NoteRow>(`${NOTES_SQL} WHERE n.org_id = $1 ORDER BY n.created_at`, [actor.orgId])).map(noteOf);
    const namesakes = (await this.db.query<NamesakeRow>(`${NAMESAKES_SQL} WHERE d.org_id = $1 ORDER BY d.created_at`, [actor.orgId])).map(namesakeOf);
    // The case by its title on the sharing page (only the verdict leaves, anonymised; the title is for the organisation's own eyes).
    const assessments = await this.db.query<{ id: string; case_id: string; title: string | null; overall: string; distribution: string | null; tlp: string | null }>(
      `SELECT a.id, a.case_id, c.title, a.overall, s.distribution, s.tlp FROM assessments a LEFT JOIN cases c ON c.id = a.case_id LEFT JOIN exchange_sharing s ON s.kind = 'assessment' AND s.item_id = a.id WHERE a.org_id = $1 ORDER BY a.created_at`,
      [actor.orgId],
    );
    const restricted = await this.recipientsByItem(actor.orgId);
    for (const n of notes) n.recipients = restricted.get(`note/${n.id}`) ?? [];
    for (const d of namesakes) d.recipients = restricted.get(`namesake/${d.id}`) ?? [];
    return { notes, namesakes, assessments: assessments.map((a) => ({ id: a.id, caseId: a.case_id, caseTitle: a.title, overall: a.overall, sharing: sharingOf(a) })) };
  }

  /**
   * Everything that may leave the installation for `audience` with markings up to `maxTlp`: the one
   * gate every export and feed goes through. TLP:RED never passes, whatever its distribution.
   * TLP:AMBER+STRICT keeps an item inside its recipient's organisation: a file is handed to one
   * recipient, but a feed is read for every organisation of each installation that subscribes, so
   * a feed carries nothing marked above AMBER. Anonymised verdicts go as their groups' releases
   * (releaseAssessments): each call is a release, recorded, since any may be compared with the next.
   */
  async outgoing(actor: Actor, options: { maxTlp: ExportableTlp; audience: 'community' | 'everyone'; k?: number; to: 'feed' | 'file' }): Promise<Outgoing> {
    return (await this.assemble(actor, options)).outgoing;
  }

  private async assemble(actor: Actor, options: { maxTlp: ExportableTlp; audience: 'community' | 'everyone'; k?: number; to: 'feed' | 'file' }): Promise<{ outgoing: Outgoing; groups: GroupOutcome[] }> {
    authorize(actor, 'exchange.publish');
    if (options.to === 'feed' && !tlpAllows(options.maxTlp, FEED_MAX_TLP))
      throw new ExchangeError(
        `a feed carries markings up to TLP:AMBER, not TLP:${options.maxTlp.toUpperCase()}: TLP:AMBER+STRICT keeps an item inside its recipient's organisation, and a feed is read for every organisation of each installation that subscribes (hand such items to their one recipient as a file: derisk exchange export)`,
      );
    const k = options.k ?? this.policy.k;
    if (!Number.isInteger(k)) throw new ExchangeError(`k must be a whole number (got ${k})`);
    // Whoever may publish could otherwise lower k until a group is small enough to tell who assessed.
    if (k < this.policy.k) throw new ExchangeError(`k ${k} is below this installation's k = ${this.policy.k} (set by its operator in data/exchange/policy.json): a publish may ask for a higher k, never a lower one`);
    const passes = (s: Sharing) => distributionAllows(s.distribution, options.audience) && tlpAllows(s.tlp, options.maxTlp);
    const notes = (await this.db.query<NoteRow>(`${NOTES_SQL} ORDER BY n.created_at, n.id`)).map(noteOf).filter(passes);
    const namesakes = (await this.db.query<NamesakeRow>(`${NAMESAKES_SQL} ORDER BY d.created_at, d.id`)).map(namesakeOf).filter(passes);
    const superseded = await correctionsSuperseded(this.db);
    const corrections = (await this.db.query<CorrectionRow>(`${CORRECTIONS_SQL} ORDER BY c.created_at, c.id`))
      .filter((r) => !superseded.has(r.id))
      .map(correctionOf)
      .filter(passes);
    const restricted = await this.recipientsByItem();
    for (const [kind, items] of [
      ['note', notes],
      ['namesake', namesakes],
      ['correction', corrections],
    ] as const) {
      for (const item of items) item.recipients = restricted.get(`${kind}/${item.id}`) ?? [];
    }
    const retractions = await this.retractions(corrections, passes, superseded, restricted);
    const { groups, ...released } = await this.releaseAssessments(actor, k, passes);
    return { outgoing: { notes, namesakes, corrections, retractions, ...released }, groups };
  }

  /**
   * The shared corrections that went out at this level before (an `exchange.share` of theirs in the
   * audit trail that `passes` lets through) and no longer do: withdrawn, superseded, unshared or
   * shared less widely since. Each goes out as a retraction with the marking it last went out with
   * (and its partners, if restricted), so that a partner who took it stops applying it; a correction
   * that never went out at this level is not named.
   */
  private async retractions(live: SharedCorrection[], passes: (s: Sharing) => boolean, superseded: Map<string, string>, restricted: Map<string, Recipient[]>): Promise<RetractedCorrection[]> {
    const out = new Set(live.map((c) => c.id));
    const history = await this.db.query<{ target: string; detail: string; recorded_at: string }>(`SELECT target, detail, recorded_at FROM audit WHERE action IN ('exchange.share', 'exchange.unshare') AND target LIKE 'correction/%' ORDER BY seq`);
    const went = new Map<string, { sharing: Sharing; stoppedAt: string | null }>();
    for (const h of history) {
      const id = h.target.slice('correction/'.length);
      const to = (JSON.parse(h.detail) as { to: Sharing }).to;
      const was = went.get(id);
      if (passes(to)) went.set(id, { sharing: to, stoppedAt: null });
      else if (was && was.stoppedAt === null) was.stoppedAt = h.recorded_at;
    }
    const ended = [...went.keys()].filter((id) => !out.has(id));
    if (ended.length === 0) return [];
    const withdrawn = new Map((await this.db.query<{ correction_id: string; withdrawn_at: string }>('SELECT correction_id, withdrawn_at FROM match_correction_withdrawals')).map((w) => [w.correction_id, w.withdrawn_at]));
    const rows = new Map(
      (await this.db.query<CorrectionRow>(`SELECT c.id, c.org_id, o.name AS org_name, c.raw, c.ror_id, c.verdict, c.reason, c.created_at, NULL AS distribution, NULL AS tlp FROM match_corrections c LEFT JOIN organisations o ON o.id = c.org_id ORDER BY c.created_at, c.id`)).map((r) => [r.id, r]),
    );
    const retracted: RetractedCorrection[] = [];
    for (const [id, row] of rows) {
      const w = went.get(id);
      if (!w || out.has(id)) continue;
      const at = [withdrawn.get(id), superseded.get(id), w.stoppedAt].filter((t): t is string => typeof t === 'string').sort()[0] ?? row.created_at;
      retracted.push({ ...correctionOf({ ...row, distribution: w.sharing.distribution, tlp: w.sharing.tlp }), recipients: restricted.get(`correction/${id}`) ?? [], retractedAt: at });
    }
    return retracted;
  }

  /**
   * Publishes the feed, for the CLI and HTTP alike: what may leave (outgoing), written and signed by
   * `write`, and audited in the same transaction with who published, the sequence, the key that
   * signed it and what it carries, counted (never the items: those are in the feed itself). A write
   * that fails leaves no entry.
   */
  async publish(actor: Actor, options: { maxTlp: ExportableTlp; audience: 'community' | 'everyone'; k?: number; sequenceAfter: number }, signer: { keyId: string }, write: (outgoing: Outgoing) => PublishedFeed): Promise<{ outgoing: Outgoing; written: PublishedFeed; own: OwnShare }> {
    const { outgoing, groups } = await this.assemble(actor, { maxTlp: options.maxTlp, audience: options.audience, k: options.k, to: 'feed' });
    const own = ownShare(outgoing, groups, actor.orgId);
    return this.db.transaction(async (tx) => {
      const written = write(outgoing);
      await appendAudit(tx, {
        actor: actor.userId,
        orgId: actor.orgId,
        action: 'exchange.publish',
        target: `feed/${written.sequence}`,
        detail: {
          sequence: written.sequence,
          sequenceAfter: options.sequenceAfter,
          keyId: signer.keyId,
          manifestSha256: written.manifestSha256,
          tlp: options.maxTlp,
          audience: options.audience,
          k: options.k ?? this.policy.k,
          notes: own.notes,
          namesakes: own.namesakes,
          corrections: own.corrections,
          retractions: own.retractions,
          assessments: own.assessments,
          heldBack: own.heldBack.assessments,
        },
      });
      return { outgoing, written, own };
    });
  }

  /**
   * The anonymised verdicts this publish carries, group by group (the same partners), each group
   * compared with what it last released (exchange_releases, see nextRelease); each new release or
   * withdrawal is recorded and audited with the group and its number of items, never whose they are,
   * in the operator's part of the trail, and in each organisation concerned with its own count only.
   */
  private async releaseAssessments(actor: Actor, k: number, passes: (s: Sharing) => boolean): Promise<Pick<Outgoing, 'assessments' | 'heldBack' | 'keptAsReleased'> & { groups: GroupOutcome[] }> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string; case_id: string; org_id: string; created_at: string; result: string; distribution: string; tlp: string }>(
        `SELECT a.id, a.case_id, a.org_id, a.created_at, a.result, s.distribution, s.tlp FROM assessments a JOIN exchange_sharing s ON s.kind = 'assessment' AND s.item_id = a.id ORDER BY a.created_at, a.id`,
      );
      // The latest shared verdict per case: a case re-assessed five times is one organisation's view, once.
      const latest = new Map<string, (typeof rows)[number]>();
      for (const r of rows) if (passes(sharingOf(r))) latest.set(r.case_id, r);
      const groups = new Map<string, Sourced[]>();
      for (const r of latest.values()) {
        const a = this.anonymise(r.id, JSON.parse(r.result) as StoredResult, r.created_at, sharingOf(r));
        if (a.partners.length === 0) continue;
        const key = a.partners
          .map((p) => p.ror ?? `name:${screenKey(p.name ?? '')}`)
          .sort()
          .join('|');
        groups.set(key, [...(groups.get(key) ?? []), { org: r.org_id, item: a }]);
      }
      const released = new Map((await tx.query<{ group_key: string; state: Release['state']; items: string }>('SELECT group_key, state, items FROM exchange_releases')).map((r) => [r.group_key, { state: r.state, items: JSON.parse(r.items) as Sourced[] }]));
      const assessments: AnonymisedAssessment[] = [];
      const heldBack = { groups: 0, assessments: 0, k };
      let keptAsReleased = 0;
      const outcomes: GroupOutcome[] = [];
      for (const key of new Set([...groups.keys(), ...released.keys()])) {
        const now = groups.get(key) ?? [];
        const last = released.get(key);
        const next = nextRelease(last, now, k, passes);
        outcomes.push({ now, last: last?.items ?? [], released: next?.state === 'released' ? next.items : [], kept: next === last });
        if (next?.state === 'released') assessments.push(...next.items.map((i) => i.item));
        else if (now.length > 0) {
          heldBack.groups++;
          heldBack.assessments += now.length;
        }
        if (next === last) keptAsReleased++;
        if (!next || (last && JSON.stringify(next) === JSON.stringify(last))) continue;
        const at = new Date().toISOString();
        await tx.query('DELETE FROM exchange_releases WHERE group_key = $1', [key]);
        await tx.query('INSERT INTO exchange_releases (group_key, state, items, released_at) VALUES ($1, $2, $3, $4)', [key, next.state, JSON.stringify(next.items), at]);
        const action = next.state === 'released' ? 'exchange.release' : 'exchange.withdraw';
        // The whole group is the installation's: the operator's part of the trail (no organisation) holds it.
        await appendAudit(tx, { actor: actor.userId, orgId: null, action, target: `assessments/${key}`, detail: { partners: key, items: next.state === 'released' ? next.items.length : 0 }, rows: [['exchange_releases', key]] });
        // Each organisation whose verdicts went out (or were taken out) is told in its own trail, of its
        // own verdicts only, and by whom only when it published itself: another organisation's admin is "derisk".
        const concerned = next.state === 'released' ? next.items : (last?.items ?? []);
        for (const org of [...new Set(concerned.map((i) => i.org))].sort()) {
          const own = concerned.filter((i) => i.org === org).length;
          await appendAudit(tx, { actor: org === actor.orgId ? actor.userId : 'derisk', orgId: org, action, target: `assessments/${key}`, detail: next.state === 'released' ? { partners: key, yours: own } : { partners: key, yours: 0, withdrawn: own } });
        }
      }
      return { assessments, heldBack, keptAsReleased, groups: outcomes };
    });
  }

  /** The verdict without case text, people, dates to the day or the European institution. */
  private anonymise(id: string, result: StoredResult, createdAt: string, sharing: Sharing): AnonymisedAssessment {
    const doc = (result.case ?? {}) as { partners?: { name?: unknown; ror?: unknown; country?: unknown }[]; technology?: { fields?: unknown } };
    const partners = (doc.partners ?? [])
      .map((p) => ({ name: typeof p.name === 'string' && p.name !== 'unknown' ? p.name : null, ror: typeof p.ror === 'string' ? p.ror.replace(/^https?:\/\/ror\.org\//, '') : null, country: typeof p.country === 'string' ? countryCodeOf(p.country) : null }))
      // Kept only when its country is known and outside Europe, as its ISO code: a partner of no
      // country, or of one derisk cannot read (a case stored before countries were checked), could be the European institution.
      .filter((p): p is typeof p & { country: string } => p.country !== null && !this.european.has(p.country) && (p.name !== null || p.ror !== null));
    const fields = doc.technology?.fields === 'none' ? [] : Array.isArray(doc.technology?.fields) ? (doc.technology!.fields as unknown[]).filter((f): f is string => typeof f === 'string').sort() : null;
    const snapshot = result.snapshot as { lists?: { id: string; version: string }[] };
    return {
      // Derived, not the stored id: a reader cannot ask for the verdict behind it.
      uuid: nameUuid(`assessment/${id}`),
      partners,
      fields,
      overall: result.overall,
      categories: Object.fromEntries(Object.entries(result.categories).map(([c, v]) => [c, v.verdict])),
      criteria: result.criteria
        .filter((c) => c.status === 'holds')
        .map((c) => c.id)
        .sort(),
      lists: (snapshot.lists ?? []).map((l) => ({ id: l.id, version: l.version })),
      rulebook: result.rulebook.version,
      bundle: result.bundle.version,
      month: createdAt.slice(0, 7),
      ...sharing,
    };
  }

  /**
   * What other institutions (and this installation's other organisations, where they shared it)
   * decided about a string screening matched to an entry: information beside the hit, never a change to it.
   */
  async namesakeVerdicts(viewerOrg: string | null, name: string, entries: { list: string; entryId: string; entry?: string }[]): Promise<NamesakeInfo[]> {
    return namesakeVerdicts(this.db, viewerOrg, name, entries);
  }

  // ---- subscriptions and what feeds bring in ----

  async subscribe(actor: Actor, source: string, publicKey: string, keyId: string, everyMinutes: number | null = null): Promise<string> {
    authorize(actor, 'exchange.subscribe');
    checkInterval(everyMinutes);
    await checkFeedSource(source, this.feedOrigins);
    return this.db.transaction(async (tx) => {
      if ((await tx.query('SELECT 1 FROM exchange_subscriptions WHERE source = $1', [source]))[0]) throw new ExchangeError(`already subscribed to ${source}`);
      const id = randomUUID();
      await tx.query('INSERT INTO exchange_subscriptions (id, source, public_key, key_id, added_by, added_at, pull_every_minutes) VALUES ($1, $2, $3, $4, $5, $6, $7)', [id, source, publicKey, keyId, actor.userId, new Date().toISOString(), everyMinutes]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'exchange.subscribe', target: id, detail: { source, keyId, everyMinutes }, rows: [['exchange_subscriptions', id]] });
      return id;
    });
  }

  async subscriptions(): Promise<Subscription[]> {
    const rows = await this.db.query<SubscriptionRow>('SELECT * FROM exchange_subscriptions ORDER BY added_at, id');
    return rows.map(subscriptionOf);
  }

  /** The subscriptions with their schedule and last outcome, for those who may manage them. */
  async listSubscriptions(actor: Actor): Promise<Subscription[]> {
    authorize(actor, 'exchange.subscribe');
    return this.subscriptions();
  }

  async subscription(actor: Actor, id: string): Promise<Subscription> {
    authorize(actor, 'exchange.subscribe');
    const row = (await this.db.query<SubscriptionRow>('SELECT * FROM exchange_subscriptions WHERE id = $1', [id]))[0];
    if (!row) throw new NotFoundError(`no subscription ${id}`);
    return subscriptionOf(row);
  }

  /** Pull this feed every `minutes` (null: only when asked); the server's monitoring pass does it. */
  async schedule(actor: Actor, id: string, minutes: number | null): Promise<void> {
    authorize(actor, 'exchange.subscribe');
    checkInterval(minutes);
    await this.db.transaction(async (tx) => {
      if (!(await tx.query('SELECT 1 FROM exchange_subscriptions WHERE id = $1', [id]))[0]) throw new NotFoundError(`no subscription ${id}`);
      await tx.query('UPDATE exchange_subscriptions SET pull_every_minutes = $1 WHERE id = $2', [minutes, id]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'exchange.schedule', target: id, detail: { everyMinutes: minutes } });
    });
  }

  /** Scheduled subscriptions whose last attempt is at least their interval before `now`. */
  async due(now: Date): Promise<Subscription[]> {
    return (await this.subscriptions()).filter((s) => s.pullEveryMinutes !== null && (s.lastAttemptAt === null || Date.parse(s.lastAttemptAt) + s.pullEveryMinutes * 60_000 <= now.getTime()));
  }

  /** A feed refused: nothing taken, the reason kept on the subscription and in the audit trail. */
  async recordRefusal(actor: Actor, sub: Subscription, reason: string, now = new Date()): Promise<void> {
    authorize(actor, 'exchange.subscribe');
    await this.db.transaction(async (tx) => {
      await tx.query('UPDATE exchange_subscriptions SET last_attempt_at = $1, last_outcome = $2 WHERE id = $3', [now.toISOString(), JSON.stringify({ refused: reason }), sub.id]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'exchange.pull.refused', target: sub.id, detail: { source: sub.source, reason } });
    });
  }

  /** The same manifest as last time: only the attempt is noted. */
  async recordUpToDate(sub: Subscription, sequence: number, now = new Date()): Promise<void> {
    await this.db.query('UPDATE exchange_subscriptions SET last_attempt_at = $1, last_outcome = $2 WHERE id = $3', [now.toISOString(), JSON.stringify({ upToDate: sequence }), sub.id]);
  }

  /**
   * Records a verified feed: items kept apart from local ones with their provenance. An item with
   * the id of a local note or decision, or one another feed brought first, is not taken: it is a
   * conflict, reported. The sequence check is repeated here, in the transaction, so two pulls
   * racing cannot both accept the same manifest.
   */
  async recordPull(actor: Actor, sub: Subscription, feed: { publisher: string; sequence: number; publishedAt: string; manifestSha256: string; items: ReceivedItem[] }): Promise<PullReport> {
    authorize(actor, 'exchange.subscribe');
    return this.db.transaction(async (tx) => {
      const last = (await tx.query<{ last_sequence: number | null; last_manifest: string | null }>('SELECT last_sequence, last_manifest FROM exchange_subscriptions WHERE id = $1', [sub.id]))[0];
      if (last?.last_sequence !== null && last?.last_sequence !== undefined && feed.sequence <= Number(last.last_sequence) && !(feed.sequence === Number(last.last_sequence) && feed.manifestSha256 === last.last_manifest)) {
        throw new FeedRefused(`manifest sequence ${feed.sequence} is not newer than ${last.last_sequence}, already pulled: a replayed older manifest`);
      }
      const report: PullReport = { source: sub.source, publisher: feed.publisher, sequence: feed.sequence, added: 0, updated: 0, unchanged: 0, retracted: [], conflicts: [] };
      const rows = await this.take(tx, { id: sub.id, publisher: feed.publisher, keyId: sub.keyId, publishedAt: feed.publishedAt }, feed.items, report);
      const now = new Date().toISOString();
      await tx.query('UPDATE exchange_subscriptions SET publisher = $1, last_sequence = $2, last_manifest = $3, last_pulled_at = $4, last_attempt_at = $4, last_outcome = $5 WHERE id = $6', [
        feed.publisher,
        feed.sequence,
        feed.manifestSha256,
        now,
        JSON.stringify({ sequence: feed.sequence, added: report.added, updated: report.updated, conflicts: report.conflicts.length }),
        sub.id,
      ]);
      rows.push(['exchange_subscriptions', sub.id]);
      await appendAudit(tx, {
        actor: actor.userId,
        orgId: actor.orgId,
        action: 'exchange.pull',
        target: sub.id,
        detail: { source: sub.source, publisher: feed.publisher, sequence: feed.sequence, added: report.added, updated: report.updated, retracted: report.retracted, conflicts: report.conflicts.length },
        rows,
      });
      return report;
    });
  }

  /**
   * Records what an administrator imported from a file another institution sent (a STIX 2.1
   * bundle): like a feed's items, kept apart with provenance (`from`, as named by the administrator;
   * key "unsigned: sha256 …" of the file), conflicts reported, audited. A file is its own source:
   * importing the same file again changes nothing.
   */
  async importItems(actor: Actor, file: { from: string; sha256: string; name: string }, items: ReceivedItem[]): Promise<Omit<PullReport, 'sequence'>> {
    authorize(actor, 'exchange.subscribe');
    const from = text(file.from, 'from (who sent the file)', 200);
    return this.db.transaction(async (tx) => {
      const report = { source: file.name, publisher: from, added: 0, updated: 0, unchanged: 0, retracted: [] as string[], conflicts: [] as PullReport['conflicts'] };
      const rows = await this.take(tx, { id: importSource(actor.orgId, file.sha256), publisher: from, keyId: `unsigned:${file.sha256.slice(0, 16)}`, publishedAt: new Date().toISOString() }, items, report);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'exchange.import', target: `file:${file.sha256}`, detail: { file: file.name, from, added: report.added, updated: report.updated, retracted: report.retracted, conflicts: report.conflicts.length }, rows });
      return report;
    });
  }

  /**
   * Takes items a verified feed or an imported file brought, kept apart from local ones with their
   * provenance. An item with the id of a local one, or one another source brought first, is a
   * conflict, reported and not taken. The rows written, for the audit entry.
   */
  private async take(tx: AppTx, from: { id: string; publisher: string; keyId: string; publishedAt: string }, items: ReceivedItem[], report: Pick<PullReport, 'added' | 'updated' | 'unchanged' | 'retracted' | 'conflicts'>): Promise<RowRef[]> {
    const rows: RowRef[] = [];
    const now = new Date().toISOString();
    const importer = importerOf(from.id);
    for (const item of items) {
      if (item.retractedAt !== undefined) {
        const key = receivedKey(from.id, item.uuid);
        const have = (await tx.query<{ subscription_id: string; doc: string; publisher: string }>('SELECT subscription_id, doc, publisher FROM exchange_received WHERE kind = $1 AND uuid = $2', [item.kind, key]))[0];
        // Never taken here: nothing to retract, and nothing is kept of it.
        if (!have) continue;
        // A feed retracts only what it brought itself; an organisation's files, what that organisation imported.
        if (importer === null && have.subscription_id !== from.id) {
          report.conflicts.push({ kind: item.kind, uuid: item.uuid, reason: `retracted by ${from.publisher}, but received from ${have.publisher}: kept as it was` });
          continue;
        }
        const held = JSON.parse(have.doc) as ReceivedCorrection;
        if (held.retractedAt !== undefined) {
          report.unchanged++;
          continue;
        }
        await tx.query('UPDATE exchange_received SET doc = $1 WHERE kind = $2 AND uuid = $3', [JSON.stringify({ ...held, retractedAt: item.retractedAt }), item.kind, key]);
        rows.push(['exchange_received', item.kind, key]);
        report.retracted.push(item.uuid);
        continue;
      }
      const localTable = item.kind === 'note' ? 'entity_notes' : item.kind === 'namesake' ? 'namesake_decisions' : item.kind === 'correction' ? 'match_corrections' : null;
      // A file is its organisation's: only that organisation's own items are "local" to it.
      if (localTable && (await tx.query(`SELECT 1 FROM ${localTable} WHERE id = $1${importer === null ? '' : ' AND org_id = $2'}`, importer === null ? [item.uuid] : [item.uuid, importer]))[0]) {
        report.conflicts.push({ kind: item.kind, uuid: item.uuid, reason: `a local ${item.kind} has this id: kept the local one, the received one was not taken` });
        continue;
      }
      const key = receivedKey(from.id, item.uuid);
      type Held = { subscription_id: string; doc: string; publisher: string };
      const held = async (k: string) => (await tx.query<Held>('SELECT subscription_id, doc, publisher FROM exchange_received WHERE kind = $1 AND uuid = $2', [item.kind, k]))[0];
      const have = await held(key);
      // Under the item's own uuid is a feed's item (the installation's, which the organisation sees):
      // that one is kept. (Migration 020, and a restore, moved older imports to their organisation's key.)
      const feeds = !have && key !== item.uuid ? await held(item.uuid) : undefined;
      if (feeds) {
        report.conflicts.push({ kind: item.kind, uuid: item.uuid, reason: `already received from ${feeds.publisher}: kept that one` });
        continue;
      }
      const doc = JSON.stringify(item.doc);
      if (have && have.subscription_id !== from.id) {
        report.conflicts.push({ kind: item.kind, uuid: item.uuid, reason: `already received from ${have.publisher}: kept that one` });
        continue;
      }
      if (have && have.doc === doc) {
        report.unchanged++;
        continue;
      }
      if (have) await tx.query('DELETE FROM exchange_received WHERE kind = $1 AND uuid = $2', [item.kind, key]);
      await tx.query('INSERT INTO exchange_received (kind, uuid, subscription_id, publisher, key_id, published_at, pulled_at, origin_org, distribution, tlp, subject_key, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)', [
        item.kind,
        key,
        from.id,
        from.publisher,
        from.keyId,
        from.publishedAt,
        now,
        item.originOrg,
        item.distribution,
        item.tlp,
        item.subjectKey,
        doc,
      ]);
      rows.push(['exchange_received', item.kind, key]);
      if (have) report.updated++;
      else report.added++;
    }
    return rows;
  }

  /**
   * The organisation's own cases with their partners as FollowTheMoney (admin, as every export):
   * never another organisation's, nor cases only shared with it. Partners given by ROR id are named
   * and placed as `registry` has them.
   */
  async casePartnersFtm(actor: Actor, registry: RegistryLookup): Promise<FtmEntity[]> {
    authorize(actor, 'exchange.publish');
    const rows = await this.db.query<{ id: string; title: string; doc: string; overall: string | null }>(
      `SELECT c.id, c.title, c.doc, (SELECT a.overall FROM assessments a WHERE a.case_id = c.id ORDER BY a.created_at DESC LIMIT 1) AS overall FROM cases c WHERE c.org_id = $1 ORDER BY c.created_at, c.id`,
      [actor.orgId],
    );
    const { casePartnerRors, ftmCasePartnerEntities } = await import('./ftm.ts');
    const cases = rows.map((c) => ({ id: c.id, title: c.title, overall: c.overall, doc: JSON.parse(c.doc) as unknown }));
    return ftmCasePartnerEntities(actor.orgId, cases, await registry(casePartnerRors(cases.map((c) => c.doc))));
  }

  /** Whether the actor may import a file of this size (null: not known yet): asked before a body is read. */
  mayImport(actor: Actor, declaredBytes: number | null): void {
    authorize(actor, 'exchange.subscribe');
    if (declaredBytes !== null && declaredBytes > IMPORT_MAX_BYTES) throw new PayloadTooLargeError(`a file to import may have at most ${IMPORT_MAX_BYTES.toLocaleString('en')} bytes (got ${declaredBytes.toLocaleString('en')})`);
  }

  /**
   * A file another institution sent (STIX 2.1 bundle or MISP event, as bytes): read, its items
   * taken into the importing organisation's received items (importItems), those it could not read
   * listed with the reason. A file that is no such document, or of which nothing could be read, is
   * refused whole, naming why.
   */
  async importFile(actor: Actor, file: { from: string; name: string; format: 'stix' | 'misp'; bytes: Buffer }, self?: Publisher): Promise<Omit<PullReport, 'sequence'> & { refused: { uuid: string; reason: string }[] }> {
    this.mayImport(actor, file.bytes.length);
    let doc: unknown;
    try {
      doc = JSON.parse(file.bytes.toString('utf8'));
    } catch (e) {
      throw new ExchangeError(`${file.name}: not JSON (${(e as Error).message})`);
    }
    let read: { items: ReceivedItem[]; refused: { uuid: string; reason: string }[] };
    if (file.format === 'stix') read = (await import('./stix.ts')).readStixBundle(doc, file.name);
    else {
      const { readMispEvent } = await import('./misp.ts');
      try {
        read = readMispEvent(doc, file.name, 'file', self);
      } catch (e) {
        // The reader's refusal of the whole document is the file's fault, not the server's.
        throw e instanceof ExchangeError ? e : new ExchangeError((e as Error).message);
      }
    }
    if (read.items.length === 0 && read.refused.length > 0) throw new ExchangeError(`${file.name}: nothing in it could be taken: ${read.refused.map((r) => r.reason).join('; ')}`);
    // Importing nothing would answer "added 0" as if the file had been read: it is refused, naming what derisk takes.
    if (read.items.length === 0)
      throw new ExchangeError(`${file.name}: holds nothing derisk takes from ${file.format === 'stix' ? 'STIX (a note carrying x_derisk_match_correction)' : 'MISP (an attribute tagged derisk:subject, derisk:not-listed-entity, derisk:anonymised-assessment or derisk:match-correction)'}`);
    const report = await this.importItems(actor, { from: file.from, name: file.name, sha256: sha256Hex(file.bytes) }, read.items);
    return { ...report, refused: read.refused };
  }

  /** What feeds brought in, and files the actor's organisation imported (another's imports are theirs). */
  async received(actor: Actor, kind?: ItemKind): Promise<({ kind: ItemKind; uuid: string; publisher: string; keyId: string; publishedAt: string; pulledAt: string; distribution: string; tlp: string; doc: unknown } & Origin)[]> {
    authorize(actor, 'note.read');
    const rows = await this.db.query<{ kind: ItemKind; uuid: string; subscription_id: string; publisher: string; key_id: string; published_at: string; pulled_at: string; origin_org: string; distribution: string; tlp: string; doc: string }>(
      kind ? 'SELECT * FROM exchange_received WHERE kind = $1 ORDER BY kind, uuid' : 'SELECT * FROM exchange_received ORDER BY kind, uuid',
      kind ? [kind] : [],
    );
    return receivedAsSeenBy(rows, actor.orgId).map((r) => ({ kind: r.kind, uuid: r.uuid, publisher: r.publisher, keyId: r.key_id, publishedAt: r.published_at, pulledAt: r.pulled_at, ...originOf(r), distribution: r.distribution, tlp: r.tlp, doc: JSON.parse(r.doc) }));
  }
}

export interface NamesakeInfo {
  list: string;
  entryId: string;
  /** The entry's listed name. */
  entry: string;
  /** Distinct institutions that judged the string not to be the entry. */
  institutions: number;
  decisions: { institution: string; publisher: string | null; reason: string; tlp: Tlp; at: string }[];
}

/**
 * The source of items an organisation imported from a file: the file (by its SHA-256) as that
 * organisation's, so another organisation never sees or is told of it. (Imports before the
 * organisation was recorded, `file:<sha256>`, stay visible to all, as feeds are.)
 */
const importSource = (orgId: string, sha256: string) => `file:${orgId}:${sha256}`;
const importerOf = (source: string): string | null => /^file:(.+):[0-9a-f]{64}$/.exec(source)?.[1] ?? null;
/** Feeds are the installation's; an imported file is its organisation's. */
export const receivedVisibleTo = (source: string, orgId: string | null): boolean => {
  const importer = importerOf(source);
  return importer === null || importer === orgId;
};

/**
 * The key a received item is kept under: a feed's, its uuid (the installation's); a file's, its
 * uuid within the importing organisation, so that two organisations importing the same file each
 * hold their own copy and decide on it alone.
 */
const receivedKey = (source: string, uuid: string): string => {
  const importer = importerOf(source);
  return importer === null ? uuid : `${importer}/${uuid}`;
};

/**
 * Received items as an organisation sees them (null: no organisation, feeds only): the feeds' and
 * its own imports, never another's; each once, by the uuid its feed or file gave it — its own
 * import where a feed brought the same item too.
 */
export function receivedAsSeenBy<T extends { kind?: string; uuid: string; subscription_id: string }>(rows: T[], orgId: string | null): T[] {
  const seen = new Map<string, T>();
  for (const r of rows) {
    if (!receivedVisibleTo(r.subscription_id, orgId)) continue;
    const importer = importerOf(r.subscription_id);
    const uuid = importer === null ? r.uuid : r.uuid.slice(importer.length + 1);
    const item = `${r.kind ?? ''}/${uuid}`;
    if (!seen.has(item) || importer !== null) seen.set(item, { ...r, uuid });
  }
  return [...seen.values()];
}

function checkInterval(minutes: number | null): void {
  if (minutes !== null && !(Number.isInteger(minutes) && minutes >= 5 && minutes <= 7 * 24 * 60)) throw new ExchangeError(`every: a whole number of minutes from 5 to ${7 * 24 * 60} (a week), got ${minutes}`);
}

type SubscriptionRow = {
  id: string;
  source: string;
  public_key: string;
  key_id: string;
  publisher: string | null;
  last_sequence: number | null;
  last_manifest: string | null;
  last_pulled_at: string | null;
  pull_every_minutes: number | null;
  last_attempt_at: string | null;
  last_outcome: string | null;
};
const subscriptionOf = (r: SubscriptionRow): Subscription => ({
  id: r.id,
  source: r.source,
  publicKey: r.public_key,
  keyId: r.key_id,
  publisher: r.publisher,
  lastSequence: r.last_sequence === null ? null : Number(r.last_sequence),
  lastManifest: r.last_manifest,
  lastPulledAt: r.last_pulled_at,
  pullEveryMinutes: r.pull_every_minutes === null ? null : Number(r.pull_every_minutes),
  lastAttemptAt: r.last_attempt_at,
  lastOutcome: r.last_outcome === null ? null : (JSON.parse(r.last_outcome) as Subscription['lastOutcome']),
});

export interface Subscription {
  /** Minutes between scheduled pulls; null: pulled only when someone asks. */
  pullEveryMinutes: number | null;
  lastAttemptAt: string | null;
  lastOutcome: { refused: string } | { upToDate: number } | { sequence: number; added: number; updated: number; conflicts: number } | null;
  id: string;
  source: string;
  publicKey: string;
  keyId: string;
  publisher: string | null;
  lastSequence: number | null;
  /** SHA-256 of the last manifest taken: the same manifest again is "up to date", not a replay. */
  lastManifest: string | null;
  lastPulledAt: string | null;
}

/** A namesake decision as it travels: what an importer keeps of another organisation's. */
export interface ReceivedNamesake {
  /** The string as written, which screening matched to the entry. */
  name: string;
  listId: string;
  entryId: string;
  entryName: string;
  reason: string;
  createdAt: string;
}

/**
 * Who wrote a received item, as far as this installation can tell: a feed it subscribed to by key
 * signs for the organisations it names; a file an administrator imported is signed by nobody, so
 * the organisation it names is only its claim.
 */
export interface Origin {
  /** The organisation that wrote it, where a signed feed vouches for it; null for an unsigned file. */
  originOrg: string | null;
  /** What an unsigned file says of itself: a claim, not shown as the author. */
  claimedOrigin?: string;
  originVerified: boolean;
}

export const isSigned = (keyId: string) => !keyId.startsWith('unsigned:');

export function originOf(r: { key_id: string; origin_org: string }): Origin {
  return isSigned(r.key_id) ? { originOrg: r.origin_org, originVerified: true } : { originOrg: null, claimedOrigin: r.origin_org, originVerified: false };
}

/** The origin in a sentence: the organisation, or its claim marked unverified. */
export const originText = (o: Origin) => o.originOrg ?? `"${o.claimedOrigin}" (unverified: an unsigned file's claim)`;

export interface ReceivedItem {
  kind: ItemKind;
  uuid: string;
  originOrg: string;
  distribution: string;
  tlp: Tlp;
  subjectKey: string;
  doc: unknown;
  /** A correction its publisher retracted (MISP `deleted`, STIX `revoked`), and when. */
  retractedAt?: string;
}

export interface PullReport {
  source: string;
  publisher: string;
  sequence: number;
  added: number;
  updated: number;
  unchanged: number;
  /** Corrections taken before that their publisher retracted: they apply to nobody any longer. */
  retracted: string[];
  conflicts: { kind: ItemKind; uuid: string; reason: string }[];
}

/** A feed that failed verification: nothing of it was taken. */
export class FeedRefused extends UnprocessableError {}

/**
 * What institutions decided about a string screening matched to list entries (ExchangeService's
 * namesakeVerdicts): apart, so that `derisk screen` asks it without what the service is built with.
 */
export async function namesakeVerdicts(db: AppDb, viewerOrg: string | null, name: string, entries: { list: string; entryId: string; entry?: string }[]): Promise<NamesakeInfo[]> {
  const key = screenKey(name);
  if (key === '' || entries.length === 0) return [];
  const local = (await db.query<NamesakeRow>(`${NAMESAKES_SQL} WHERE d.name_key = $1`, [key])).map(namesakeOf).filter((d) => d.orgId === viewerOrg || (d.distribution !== 'organisation' && d.tlp !== 'red'));
  const received = receivedAsSeenBy(
    await db.query<{ uuid: string; subscription_id: string; publisher: string; key_id: string; origin_org: string; doc: string; tlp: string }>(`SELECT uuid, subscription_id, publisher, key_id, origin_org, doc, tlp FROM exchange_received WHERE kind = 'namesake' AND subject_key = $1 ORDER BY uuid`, [
      key,
    ]),
    viewerOrg,
  );
  const out: NamesakeInfo[] = [];
  for (const e of entries) {
    const judged: NamesakeInfo['decisions'] = [];
    for (const d of local) if (d.listId === e.list && d.entryId === e.entryId) judged.push({ institution: d.orgName, publisher: null, reason: d.reason, tlp: d.tlp, at: d.createdAt });
    for (const r of received) {
      const d = JSON.parse(r.doc) as ReceivedNamesake;
      if (d.listId === e.list && d.entryId === e.entryId) judged.push({ institution: originText(originOf(r)), publisher: r.publisher, reason: d.reason, tlp: r.tlp as Tlp, at: d.createdAt });
    }
    if (judged.length > 0) out.push({ list: e.list, entryId: e.entryId, entry: e.entry ?? e.entryId, institutions: new Set(judged.map((j) => j.institution)).size, decisions: judged });
  }
  return out;
}
