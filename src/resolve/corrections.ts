import { randomUUID } from 'node:crypto';
import type { AppDb } from '../appdb/db.ts';
import { DEFAULT_LIMITS, stripRorPrefix } from '../ingest/records.ts';
import { ValidationError } from '../errors.ts';
import { appendAudit } from '../service/audit.ts';
import { authorize, NotFoundError, OTHER_ORG_USER, type Actor } from '../service/authorize.ts';
import { isSigned, originOf, originText, receivedAsSeenBy, type Origin, type ReceivedCorrection } from '../exchange/service.ts';
import type { AffiliationResolver, Resolution } from './matcher.ts';
import { correctionKey, Thesaurus, type Correction, type CorrectionVerdict } from './thesaurus.ts';

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
  /** The organisation's last decision on it: rejected stays rejected until someone accepts it. */
  decision: { state: 'accepted' | 'rejected'; by: string; at: string; reason: string | null } | null;
  /** As the resolver takes it: whose says the originating institution and the feed's publisher. */
  correction: Correction;
}

/** A stored correction with how far it may travel (exchange_sharing; no row: the organisation only). */
export interface StoredCorrection extends Correction {
  distribution: string;
  tlp: string;
}

type Row = { id: string; org_id: string; raw: string; string_key: string; ror_id: string; verdict: string; reason: string; author: string; created_at: string; distribution: string | null; tlp: string | null };

const SELECT = `SELECT c.*, s.distribution, s.tlp FROM match_corrections c LEFT JOIN exchange_sharing s ON s.kind = 'correction' AND s.item_id = c.id`;

const correctionOf = (r: Row): StoredCorrection => ({
  id: r.id,
  raw: r.raw,
  key: r.string_key,
  rorId: r.ror_id,
  verdict: r.verdict as CorrectionVerdict,
  reason: r.reason,
  orgId: r.org_id,
  createdBy: r.author,
  createdAt: r.created_at,
  distribution: r.distribution ?? 'organisation',
  tlp: r.tlp ?? 'amber+strict',
});

/**
 * Analysts' corrections to affiliation matching, kept per organisation in the application
 * database, each written with its audit entry. An organisation's resolutions consult its own
 * corrections and those another organisation shared (`derisk exchange share correction <id>`),
 * never another's unshared ones; its own win over shared ones on the same string.
 */
export class MatchCorrections {
  constructor(
    private readonly db: AppDb,
    /** The registry the corrections must name institutions of (the resolver's). */
    private readonly institution: (rorId: string) => { name: string } | undefined,
  ) {}

  async correct(actor: Actor, c: { raw: string; verdict: CorrectionVerdict; rorId?: string | null; reason: string }): Promise<StoredCorrection> {
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
    return this.db.transaction(async (tx) => {
      const id = randomUUID();
      const createdAt = new Date().toISOString();
      await tx.query('INSERT INTO match_corrections (id, org_id, raw, string_key, ror_id, verdict, reason, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [id, actor.orgId, c.raw, key, rorId, c.verdict, c.reason.trim(), actor.userId, createdAt]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'match.correct', target: id, detail: { string: c.raw, verdict: c.verdict, ror: rorId || null }, rows: [['match_corrections', id]] });
      return { id, raw: c.raw, key, rorId, verdict: c.verdict, reason: c.reason.trim(), orgId: actor.orgId, createdBy: actor.userId, createdAt, distribution: 'organisation', tlp: 'amber+strict' };
    });
  }

  /** The organisation's own corrections, oldest first, with their sharing. */
  async list(actor: Actor): Promise<StoredCorrection[]> {
    authorize(actor, 'evidence.read');
    return (await this.db.query<Row>(`${SELECT} WHERE c.org_id = $1 ORDER BY c.created_at, c.id`, [actor.orgId])).map(correctionOf);
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
   * installation, then its own.
   */
  async inForce(orgId: string): Promise<Correction[]> {
    const rows = await this.db.query<Row>(
      `${SELECT} WHERE c.org_id = $1 OR (s.distribution IS NOT NULL AND s.distribution <> 'organisation' AND s.tlp <> 'red')
       ORDER BY CASE WHEN c.org_id = $1 THEN 1 ELSE 0 END, c.created_at, c.id`,
      [orgId],
    );
    const accepted = (await this.received(orgId)).filter((r) => r.accepted);
    // Another organisation's shared correction names the organisation (its sharing says so), never its author's id.
    return [...accepted.map((r) => r.correction), ...rows.map((r) => (r.org_id === orgId ? correctionOf(r) : { ...correctionOf(r), createdBy: OTHER_ORG_USER }))];
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
    return rows.map((r) => {
      const d = JSON.parse(r.doc) as ReceivedCorrection;
      const correction: Correction = { id: r.uuid, raw: d.string, key: correctionKey(d.string), rorId: d.rorId, verdict: d.verdict, reason: d.reason, orgId: `${originText(originOf(r))} (via ${r.publisher})`, createdBy: r.publisher, createdAt: d.createdAt };
      const no = rejected.get(r.uuid);
      const decision: ReceivedCorrectionView['decision'] = r.accepted_at !== null ? { state: 'accepted', by: r.accepted_by ?? '', at: r.accepted_at, reason: null } : no ? { state: 'rejected', ...no } : null;
      return { uuid: r.uuid, publisher: r.publisher, ...originOf(r), tlp: r.tlp, pulledAt: r.pulled_at, keyId: r.key_id, signed: isSigned(r.key_id), accepted: r.accepted_at !== null, acceptedAt: r.accepted_at, decision, correction };
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
