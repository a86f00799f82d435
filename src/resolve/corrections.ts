import { randomUUID } from 'node:crypto';
import type { AppDb } from '../appdb/db.ts';
import { DEFAULT_LIMITS, stripRorPrefix } from '../ingest/records.ts';
import { appendAudit } from '../service/audit.ts';
import { authorize, NotFoundError, OTHER_ORG_USER, type Actor } from '../service/authorize.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import { isSigned, originOf, originText, receivedAsSeenBy, type Origin, type ReceivedCorrection } from '../exchange/service.ts';
import type { AffiliationResolver, Resolution } from './matcher.ts';
import { correctionKey, supersedes, Thesaurus, type Correction, type CorrectionVerdict } from './thesaurus.ts';

export class CorrectionError extends ValidationError {}

/** A correction another installation's feed brought, and whether the organisation accepted it. */
export interface ReceivedCorrectionView extends Origin {
  uuid: string;
  publisher: string;
  tlp: string;
  pulledAt: string;
  /** The feed key it came signed with, or `unsigned:<file digest>` for a file an administrator imported. */
  keyId: string;
  signed: boolean;
  accepted: boolean;
  acceptedAt: string | null;
  /** When the installation that published it retracted it (withdrawn, superseded or unshared there): it applies to nobody, accepted or not. */
  retractedAt: string | null;
  /** That retraction told in full (null while it stands). */
  retraction: Retraction | null;
  /** The organisation's last decision on it: rejected stays rejected until someone accepts it. */
  decision: { state: 'accepted' | 'rejected'; by: string; at: string; reason: string | null } | null;
  /** As the resolver takes it: whose says the originating institution and the feed's publisher. */
  correction: Correction;
}

/**
 * A received correction its publisher retracted: when it ended there, who says so, why as far as
 * the feed tells, and the pull or import here that brought the retraction.
 */
export interface Retraction {
  at: string;
  /** The organisation it came from, as its feed or file names it (originText: a file's name is a claim). */
  by: string;
  /** The feed's publisher, or whom an imported file came from. */
  via: string;
  /** A retraction carries no reason of its own (MISP `deleted`, STIX `revoked`): what it means at a derisk publisher. */
  why: string;
  /** When this installation took it in, and from where (`pull of <feed>`, `import of <file>`); null where the audit trail has no such entry. */
  takenAt: string | null;
  takenIn: string | null;
}

const RETRACTION_WHY = 'its publisher no longer shares it: withdrawn, superseded by a later correction or shared less widely there (a feed says no more)';

/** Who withdrew a correction, when and why. */
export interface Withdrawal {
  by: string;
  /** The user's name (a console user's login), null for a user since deleted. */
  byName: string | null;
  at: string;
  reason: string;
}

/**
 * A stored correction with how far it may travel (exchange_sharing; no row: the organisation
 * only), who made it by name, and whether it is in force: a later correction of its organisation
 * on the same string that contradicts it supersedes it (see supersedes), and a withdrawal ends it.
 * Neither brings an ended one back.
 */
export interface StoredCorrection extends Correction {
  distribution: string;
  tlp: string;
  /** The author's name beside `createdBy` (their id); null when another organisation's, or for a user since deleted. */
  createdByName: string | null;
  state: 'in force' | 'superseded' | 'withdrawn';
  supersededBy: string | null;
  withdrawal: Withdrawal | null;
  /** Another organisation's correction it shared with this one: that organisation, never its author. */
  sharedBy: { org: string; name: string } | null;
}

type Row = { id: string; org_id: string; raw: string; string_key: string; ror_id: string; verdict: string; reason: string; author: string; created_at: string; distribution: string | null; tlp: string | null; author_name: string | null; org_name: string | null };
type WithdrawalRow = { correction_id: string; reason: string; withdrawn_by: string; withdrawn_at: string; by_name: string | null };

const SELECT = `SELECT c.*, s.distribution, s.tlp, u.name AS author_name, o.name AS org_name FROM match_corrections c
  LEFT JOIN exchange_sharing s ON s.kind = 'correction' AND s.item_id = c.id LEFT JOIN users u ON u.id = c.author LEFT JOIN organisations o ON o.id = c.org_id`;

// A correction made at the console has no user row: its id says which login made it.
const nameOf = (id: string, userName: string | null): string | null => userName ?? (id.startsWith('cli:') ? `command line (${id.slice(4)})` : null);

const correctionOf = (r: Row): Correction => ({
  id: r.id,
  raw: r.raw,
  key: r.string_key,
  rorId: r.ror_id,
  verdict: r.verdict as CorrectionVerdict,
  reason: r.reason,
  orgId: r.org_id,
  createdBy: r.author,
  createdByName: nameOf(r.author, r.author_name),
  createdAt: r.created_at,
});

/**
 * Analysts' corrections to affiliation matching, kept per organisation in the application
 * database, each written with its audit entry. An organisation's resolutions consult its own
 * corrections in force and those another organisation shared (`derisk exchange share correction <id>`),
 * never another's unshared ones; its own win over shared ones on the same string. Corrections are
 * never changed or deleted: a later one supersedes, a withdrawal is a record of its own.
 */
export class MatchCorrections {
  constructor(
    private readonly db: AppDb,
    /** The registry the corrections must name institutions of (the resolver's). */
    private readonly institution: (rorId: string) => { name: string } | undefined,
  ) {}

  async correct(actor: Actor, c: { raw: string; verdict: CorrectionVerdict; rorId?: string | null; reason: string }): Promise<StoredCorrection & { supersedes: string[] }> {
    authorize(actor, 'match.correct');
    if (typeof c.raw !== 'string' || c.raw.trim() === '') throw new CorrectionError('string: give the affiliation string as written');
    if (c.raw.length > DEFAULT_LIMITS.maxAffiliationChars) throw new CorrectionError(`string: at most ${DEFAULT_LIMITS.maxAffiliationChars} characters (got ${c.raw.length})`);
    const key = correctionKey(c.raw);
    if (key === '') throw new CorrectionError(`string: ${JSON.stringify(c.raw)} has no letters or digits to match on`);
    if (typeof c.reason !== 'string' || c.reason.trim() === '') throw new CorrectionError('reason: say why (who checked what), it is shown with every resolution the correction decides');
    if (c.reason.length > 5_000) throw new CorrectionError(`reason: at most 5000 characters (got ${c.reason.length})`);
    if (!['is', 'not', 'none'].includes(c.verdict)) throw new CorrectionError(`verdict: ${JSON.stringify(c.verdict)} is not is, not or none`);
    let rorId = '';
    if (c.verdict === 'none') {
      if (c.rorId) throw new CorrectionError('ror: a "none" correction (the string names no registry institution) takes no ROR id');
    } else {
      rorId = stripRorPrefix((c.rorId ?? '').trim());
      if (!/^0[a-hj-km-np-tv-z0-9]{6}\d{2}$/.test(rorId)) throw new CorrectionError(`ror: ${JSON.stringify(c.rorId ?? '')} is not a ROR id (nine characters, e.g. 03cve4549)`);
      if (!this.institution(rorId)) throw new CorrectionError(`ror: ${rorId} is not in the loaded registry`);
    }
    const reason = c.reason.trim();
    const { id, before } = await this.db.transaction(async (tx) => {
      const id = randomUUID();
      const createdAt = new Date().toISOString();
      // The audit entry names the corrections in force this one takes the place of (transactions serialise, so none is missed).
      const before = (await this.own(tx, actor.orgId)).filter((o) => o.state === 'in force' && supersedes({ key, verdict: c.verdict, rorId }, o)).map((o) => o.id);
      await tx.query('INSERT INTO match_corrections (id, org_id, raw, string_key, ror_id, verdict, reason, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [id, actor.orgId, c.raw, key, rorId, c.verdict, reason, actor.userId, createdAt]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'match.correct', target: id, detail: { string: c.raw, verdict: c.verdict, ror: rorId || null, reason, supersedes: before }, rows: [['match_corrections', id]] });
      return { id, before };
    });
    // Those it took the place of, as the audit entry names them: a withdrawn one is no longer in force, so not superseded by it (round 48: it was listed).
    return { ...(await this.own(this.db, actor.orgId)).find((o) => o.id === id)!, supersedes: before };
  }

  /**
   * Whether any of the organisation's corrections `ids` is shared beyond it: ending one rebuilds the
   * views of the organisations it reached. The caller is told that, never their counts: how many
   * strings another organisation's view holds is that organisation's to know.
   */
  async sharedBeyond(orgId: string, ids: readonly string[]): Promise<boolean> {
    if (ids.length === 0) return false;
    const rows = await this.db.query(`SELECT 1 AS x FROM exchange_sharing WHERE kind = 'correction' AND org_id = $1 AND distribution <> 'organisation' AND item_id IN (${ids.map((_, i) => `$${i + 2}`).join(', ')})`, [orgId, ...ids]);
    return rows.length > 0;
  }

  /**
   * Withdraws one of the organisation's corrections in force, saying why (analysts and up, like
   * correcting): it stops applying, to the organisation and to those it was shared with, and stays
   * listed as withdrawn; audited with the reason. One withdrawn or superseded is refused (409),
   * naming what ended it.
   */
  async withdraw(actor: Actor, id: string, reason: string): Promise<StoredCorrection> {
    authorize(actor, 'match.correct');
    const why = typeof reason === 'string' ? reason.trim() : '';
    if (why === '') throw new CorrectionError('reason: say why the correction is withdrawn (who checked what)');
    if (why.length > 5_000) throw new CorrectionError(`reason: at most 5000 characters (got ${why.length})`);
    await this.db.transaction(async (tx) => {
      const found = (await this.own(tx, actor.orgId)).find((o) => o.id === id);
      if (!found) throw new NotFoundError(`no correction ${id} of your organisation (derisk match list shows them)`);
      if (found.withdrawal) throw new ConflictError(`correction ${id} was withdrawn already, on ${found.withdrawal.at.slice(0, 10)} by ${found.withdrawal.byName ?? found.withdrawal.by}: ${found.withdrawal.reason}`);
      if (found.supersededBy) throw new ConflictError(`correction ${id} is not in force: correction ${found.supersededBy}, made later on the same string, superseded it (withdraw that one)`);
      await tx.query('INSERT INTO match_correction_withdrawals (correction_id, org_id, reason, withdrawn_by, withdrawn_at) VALUES ($1, $2, $3, $4, $5)', [id, actor.orgId, why, actor.userId, new Date().toISOString()]);
      await appendAudit(tx, {
        actor: actor.userId,
        orgId: actor.orgId,
        action: 'match.withdraw',
        target: id,
        detail: { string: found.raw, verdict: found.verdict, ror: found.rorId || null, reason: why },
        rows: [['match_correction_withdrawals', id]],
      });
    });
    return (await this.own(this.db, actor.orgId)).find((o) => o.id === id)!;
  }

  /**
   * The organisation's own corrections, oldest first, each in force, superseded or withdrawn; then
   * those other organisations shared with it that are in force, marked with the organisation that
   * shared them (never its author). Another organisation's unshared corrections never appear.
   */
  async list(actor: Actor): Promise<StoredCorrection[]> {
    authorize(actor, 'evidence.read');
    return [...(await this.own(this.db, actor.orgId)), ...(await this.sharedWith(actor.orgId))];
  }

  /** An organisation's corrections, oldest first, with their sharing and whether each is in force. */
  private async own(db: Pick<AppDb, 'query'>, orgId: string): Promise<StoredCorrection[]> {
    const rows = await db.query<Row>(`${SELECT} WHERE c.org_id = $1 ORDER BY c.created_at, c.id`, [orgId]);
    const withdrawn = new Map(
      (await db.query<WithdrawalRow>('SELECT w.correction_id, w.reason, w.withdrawn_by, w.withdrawn_at, u.name AS by_name FROM match_correction_withdrawals w LEFT JOIN users u ON u.id = w.withdrawn_by WHERE w.org_id = $1', [orgId])).map((w) => [
        w.correction_id,
        { by: w.withdrawn_by, byName: nameOf(w.withdrawn_by, w.by_name), at: w.withdrawn_at, reason: w.reason },
      ]),
    );
    const corrections = rows.map(correctionOf);
    return rows.map((r, k) => {
      const c = corrections[k]!;
      const supersededBy = corrections.slice(k + 1).find((later) => supersedes(later, c))?.id ?? null;
      const withdrawal = withdrawn.get(c.id) ?? null;
      return { ...c, distribution: r.distribution ?? 'organisation', tlp: r.tlp ?? 'amber+strict', createdByName: c.createdByName ?? null, state: withdrawal ? 'withdrawn' : supersededBy ? 'superseded' : 'in force', supersededBy, withdrawal, sharedBy: null };
    });
  }

  /** Other organisations' corrections in force that they shared (beyond the organisation, not TLP:RED), oldest first; authors not named. */
  private async sharedWith(orgId: string): Promise<StoredCorrection[]> {
    const owners = await this.db.query<{ org_id: string }>(`SELECT DISTINCT c.org_id FROM match_corrections c JOIN exchange_sharing s ON s.kind = 'correction' AND s.item_id = c.id WHERE c.org_id <> $1 AND s.distribution <> 'organisation' AND s.tlp <> 'red' ORDER BY c.org_id`, [orgId]);
    const shared: StoredCorrection[] = [];
    for (const { org_id } of owners)
      for (const c of await this.own(this.db, org_id)) if (c.state === 'in force' && c.distribution !== 'organisation' && c.tlp !== 'red') shared.push({ ...c, createdBy: OTHER_ORG_USER, createdByName: null, sharedBy: { org: c.orgId, name: (await this.orgName(c.orgId)) ?? c.orgId } });
    return shared.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  private async orgName(orgId: string): Promise<string | null> {
    return (await this.db.query<{ name: string }>('SELECT name FROM organisations WHERE id = $1', [orgId]))[0]?.name ?? null;
  }

  /** A string resolved for the actor's organisation: its corrections and those shared with it apply, no other organisation's. */
  async resolveFor(actor: Actor, resolver: AffiliationResolver, raw: string): Promise<Resolution> {
    authorize(actor, 'evidence.read');
    if (typeof raw !== 'string' || raw.trim() === '') throw new CorrectionError('q: give an affiliation string');
    if (raw.length > DEFAULT_LIMITS.maxAffiliationChars) throw new CorrectionError(`q: at most ${DEFAULT_LIMITS.maxAffiliationChars} characters (got ${raw.length})`);
    return resolver.resolve(raw, await this.thesaurusFor(actor.orgId));
  }

  /** The corrections in force for an organisation: shared ones first, its own after them, so its own decide. */
  async thesaurusFor(orgId: string): Promise<Thesaurus> {
    return new Thesaurus(await this.inForce(orgId));
  }

  /**
   * The corrections in force for an organisation, in the order a Thesaurus takes them (the later
   * decides): those it accepted from other installations' feeds, then those shared within this
   * installation, then its own. Superseded and withdrawn ones are not among them.
   */
  async inForce(orgId: string): Promise<Correction[]> {
    const accepted = (await this.received(orgId)).filter((r) => r.accepted && r.retractedAt === null);
    const bare = ({ distribution: _d, tlp: _t, state: _s, supersededBy: _b, withdrawal: _w, sharedBy: _o, ...c }: StoredCorrection): Correction => c;
    const own = (await this.own(this.db, orgId)).filter((c) => c.state === 'in force');
    // Another organisation's shared correction names the organisation (its sharing says so), never its author.
    return [...accepted.map((r) => r.correction), ...(await this.sharedWith(orgId)).map(bare), ...own.map(bare)];
  }

  /** The organisations for which any of `ids` is in force now (its own, shared with them, or accepted from a feed). */
  async inForceFor(ids: readonly string[]): Promise<string[]> {
    const wanted = new Set(ids);
    const orgs: string[] = [];
    for (const { id } of await this.db.query<{ id: string }>('SELECT id FROM organisations ORDER BY id')) if ((await this.inForce(id)).some((c) => wanted.has(c.id))) orgs.push(id);
    return orgs;
  }

  /**
   * A number that moves with every commit that may change the corrections in force (each writes
   * its audit entry in the same transaction): the audit trail's last sequence number, read by its key.
   */
  async generation(): Promise<number> {
    return Number((await this.db.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM audit'))[0]?.seq ?? 0);
  }

  /** Corrections other installations' feeds brought (exchange pull), each saying whether the organisation accepted it. */
  async receivedFor(actor: Actor): Promise<ReceivedCorrectionView[]> {
    authorize(actor, 'evidence.read');
    return this.received(actor.orgId);
  }

  private async received(orgId: string): Promise<ReceivedCorrectionView[]> {
    const received = receivedAsSeenBy(
      await this.db.query<{ uuid: string; subscription_id: string; publisher: string; key_id: string; origin_org: string; pulled_at: string; tlp: string; doc: string }>(
        `SELECT uuid, subscription_id, publisher, key_id, origin_org, pulled_at, tlp, doc FROM exchange_received WHERE kind = 'correction' ORDER BY uuid`,
      ),
      orgId,
    );
    // Decisions are the organisation's, on the item's uuid as its feed or file gave it.
    const accepted = new Map((await this.db.query<{ uuid: string; accepted_at: string; accepted_by: string }>('SELECT uuid, accepted_at, accepted_by FROM match_corrections_accepted WHERE org_id = $1', [orgId])).map((a) => [a.uuid, a]));
    const rows = received
      .map((r) => ({ ...r, accepted_at: accepted.get(r.uuid)?.accepted_at ?? null, accepted_by: accepted.get(r.uuid)?.accepted_by ?? null }))
      // Undecided first, then in the order they were accepted (the order they apply in).
      .sort((a, b) => (a.accepted_at ?? '').localeCompare(b.accepted_at ?? '') || a.uuid.localeCompare(b.uuid));
    const rejected = await this.rejections(orgId);
    const taken = await this.retractionsTaken(orgId);
    return rows.map((r) => {
      const d = JSON.parse(r.doc) as ReceivedCorrection;
      const correction: Correction = { id: r.uuid, raw: d.string, key: correctionKey(d.string), rorId: d.rorId, verdict: d.verdict, reason: d.reason, orgId: `${originText(originOf(r))} (via ${r.publisher})`, createdBy: r.publisher, createdAt: d.createdAt };
      const no = rejected.get(r.uuid);
      const decision: ReceivedCorrectionView['decision'] = r.accepted_at !== null ? { state: 'accepted', by: r.accepted_by ?? '', at: r.accepted_at, reason: null } : no ? { state: 'rejected', ...no } : null;
      const retraction: Retraction | null = d.retractedAt === undefined ? null : { at: d.retractedAt, by: originText(originOf(r)), via: r.publisher, why: RETRACTION_WHY, takenAt: taken.get(r.uuid)?.at ?? null, takenIn: taken.get(r.uuid)?.in ?? null };
      return { uuid: r.uuid, publisher: r.publisher, ...originOf(r), tlp: r.tlp, pulledAt: r.pulled_at, keyId: r.key_id, signed: isSigned(r.key_id), accepted: r.accepted_at !== null, acceptedAt: r.accepted_at, retractedAt: d.retractedAt ?? null, retraction, decision, correction };
    });
  }

  /**
   * Received corrections the organisation rejected since it last accepted them. A rejection is a
   * decision with no row of its own (the accepted row is withdrawn): the audit trail, append-only,
   * is where it is kept, and the latest of an organisation's accept/reject entries for one decides.
   */
  private async rejections(orgId: string): Promise<Map<string, { by: string; at: string; reason: string | null }>> {
    const entries = await this.db.query<{ action: string; target: string; actor: string; recorded_at: string; detail: string }>("SELECT action, target, actor, recorded_at, detail FROM audit WHERE org_id = $1 AND action IN ('match.accept', 'match.reject') ORDER BY seq", [orgId]);
    const out = new Map<string, { by: string; at: string; reason: string | null }>();
    for (const e of entries) {
      if (e.action === 'match.accept') out.delete(e.target);
      else out.set(e.target, { by: e.actor, at: e.recorded_at, reason: (JSON.parse(e.detail) as { reason?: string }).reason ?? null });
    }
    return out;
  }

  /**
   * Where each retraction the organisation sees was taken in: a feed's pull (the installation's,
   * whoever ran it) or the organisation's own import of a file, as its audit entry names them.
   */
  private async retractionsTaken(orgId: string): Promise<Map<string, { at: string; in: string }>> {
    const entries = await this.db.query<{ action: string; org_id: string | null; recorded_at: string; detail: string }>(`SELECT action, org_id, recorded_at, detail FROM audit WHERE action IN ('exchange.pull', 'exchange.import') AND detail LIKE '%"retracted":["%' ORDER BY seq`);
    const out = new Map<string, { at: string; in: string }>();
    for (const e of entries) {
      if (e.action === 'exchange.import' && e.org_id !== orgId) continue;
      const d = JSON.parse(e.detail) as { retracted: string[]; source?: string; file?: string };
      for (const uuid of d.retracted) if (!out.has(uuid)) out.set(uuid, { at: e.recorded_at, in: e.action === 'exchange.pull' ? `pull of ${d.source}` : `import of ${d.file}` });
    }
    return out;
  }

  /**
   * Rejects a received correction for the organisation: it is not (or no longer) among its
   * corrections in force; audited with the reason. Accepting it later takes it back.
   */
  async reject(actor: Actor, uuid: string, reason: string): Promise<ReceivedCorrectionView> {
    authorize(actor, 'match.correct');
    const why = reason.trim();
    if (why === '' || why.length > 5000) throw new CorrectionError('reason: say why the correction is rejected (at most 5000 characters)');
    const found = (await this.received(actor.orgId)).find((r) => r.uuid === uuid);
    if (!found) throw new NotFoundError(`no correction ${uuid} received from a feed (derisk exchange pull brings them)`);
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM match_corrections_accepted WHERE org_id = $1 AND uuid = $2', [actor.orgId, uuid]);
      await appendAudit(tx, {
        actor: actor.userId,
        orgId: actor.orgId,
        action: 'match.reject',
        target: uuid,
        detail: { string: found.correction.raw, verdict: found.correction.verdict, ror: found.correction.rorId || null, publisher: found.publisher, origin: originText(found), reason: why, withdrawn: found.accepted },
        rows: found.accepted ? [['match_corrections_accepted', actor.orgId, uuid]] : [],
      });
    });
    return (await this.received(actor.orgId)).find((r) => r.uuid === uuid)!;
  }

  /**
   * Takes a correction another installation shared into the organisation's corrections in force
   * (below its own, which still decide the same string): audited; the ROR id it names must be in
   * the loaded registry. Accepting it again changes nothing.
   */
  async accept(actor: Actor, uuid: string): Promise<ReceivedCorrectionView> {
    authorize(actor, 'match.correct');
    const found = (await this.received(actor.orgId)).find((r) => r.uuid === uuid);
    if (!found) throw new NotFoundError(`no correction ${uuid} received from a feed (derisk exchange pull brings them)`);
    if (found.retractedAt !== null) throw new ConflictError(`correction ${uuid} was retracted by ${found.publisher} on ${found.retractedAt.slice(0, 10)}: it applies to nobody`);
    if (found.correction.rorId && !this.institution(found.correction.rorId)) throw new CorrectionError(`correction ${uuid} names ${found.correction.rorId}, which is not in the loaded registry: it cannot be applied here`);
    if (found.accepted) return found;
    await this.db.transaction(async (tx) => {
      const at = new Date().toISOString();
      await tx.query('INSERT INTO match_corrections_accepted (org_id, uuid, accepted_by, accepted_at) VALUES ($1, $2, $3, $4)', [actor.orgId, uuid, actor.userId, at]);
      await appendAudit(tx, {
        actor: actor.userId,
        orgId: actor.orgId,
        action: 'match.accept',
        target: uuid,
        detail: { string: found.correction.raw, verdict: found.correction.verdict, ror: found.correction.rorId || null, publisher: found.publisher, origin: originText(found) },
        rows: [['match_corrections_accepted', actor.orgId, uuid]],
      });
    });
    return (await this.received(actor.orgId)).find((r) => r.uuid === uuid)!;
  }
}
