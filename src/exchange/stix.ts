import type { RiskList } from '../screening/lists.ts';
import { ExchangeError, nameUuid, STIX_TLP_ID, stixTlpMarking, TLPS, unrestricted, type ExportableTlp, type Tlp } from './marking.ts';
import { receivedCorrection, type Publisher, type Refused } from './misp.ts';
import type { Outgoing, ReceivedItem, SharedCorrection, Subject } from './service.ts';

type Obj = Record<string, unknown> & { id: string };

/** The custom property a match correction's note carries its decision in. */
export const STIX_CORRECTION = 'x_derisk_match_correction';

/** MISP's 0–100 opinion (50 neutral) on STIX's five-point opinion scale. */
function stixOpinion(value: number): string {
  if (value <= 20) return 'strongly-disagree';
  if (value <= 40) return 'disagree';
  if (value < 60) return 'neutral';
  if (value < 80) return 'agree';
  return 'strongly-agree';
}

const ts = (iso: string) => new Date(iso).toISOString();

/**
 * A STIX 2.1 bundle of what `outgoing` let through: the publisher and each organisation as
 * `identity`, the entities spoken about as `identity` objects, notes as `note` (with an `opinion`
 * where the author gave one), a namesake decision as a `duplicate-of` relationship between the
 * string and the listed entity with an `opinion` of strong disagreement carrying the reason, and
 * anonymised assessments as `note`s on the partners; every object carries its TLP 2.0 marking.
 */
export function stixBundle(publisher: Publisher, outgoing: Outgoing, lists: RiskList[], now = new Date()): { type: 'bundle'; id: string; objects: Obj[] } {
  // STIX has no sharing group: items restricted to named partners stay out.
  const out = unrestricted(outgoing);
  const stamp = now.toISOString();
  const objects = new Map<string, Obj>();
  const add = (o: Obj) => {
    if (!objects.has(o.id)) objects.set(o.id, o);
    return o.id;
  };
  const markings = new Set<ExportableTlp>();
  const marked = (tlp: Tlp) => {
    if (tlp === 'red') throw new Error('TLP:RED never leaves the installation');
    markings.add(tlp);
    return [STIX_TLP_ID[tlp]];
  };
  const pubId = add({ type: 'identity', spec_version: '2.1', id: `identity--${publisher.uuid}`, created: stamp, modified: stamp, name: publisher.name, identity_class: 'system', description: 'A derisk installation publishing a signed exchange feed' });
  const orgIdentity = (orgId: string, name: string) => add({ type: 'identity', spec_version: '2.1', id: `identity--${nameUuid(`org/${publisher.uuid}/${orgId}`)}`, created: stamp, modified: stamp, name, identity_class: 'organization', created_by_ref: pubId });
  const entries = new Map<string, { l: RiskList; e: RiskList['entries'][number] }>(lists.flatMap((l) => l.entries.map((e) => [`${l.id}/${e.id}`, { l, e }] as const)));
  const subjectIdentity = (s: Subject) => {
    const found = s.kind === 'entry' ? entries.get(s.value) : undefined;
    return add({
      type: 'identity',
      spec_version: '2.1',
      id: `identity--${nameUuid(s.kind === 'entry' ? `entry/${s.value}` : `${s.kind}/${s.value}`)}`,
      created: stamp,
      modified: stamp,
      name: found?.e.name ?? s.label,
      identity_class: 'organization',
      ...(found ? { description: `Listed in ${found.l.provenance.title}, derisk risk level ${found.e.level}`, external_references: [{ source_name: found.l.provenance.publisher, url: found.e.url ?? found.l.provenance.source_url, external_id: found.e.id }] } : {}),
      ...(s.kind === 'ror' ? { external_references: [{ source_name: 'ror', url: `https://ror.org/${s.value}`, external_id: s.value }] } : {}),
    });
  };
  for (const n of out.notes) {
    const subject = subjectIdentity(n.subject);
    const by = orgIdentity(n.orgId, n.orgName);
    const common = { spec_version: '2.1', created: ts(n.createdAt), modified: ts(n.createdAt), created_by_ref: by, object_marking_refs: marked(n.tlp) };
    add({ type: 'note', id: `note--${n.id}`, ...common, content: n.body, object_refs: [subject] });
    if (n.opinion !== null) add({ type: 'opinion', id: `opinion--${nameUuid(`opinion/${n.id}`)}`, ...common, opinion: stixOpinion(n.opinion), explanation: n.body, object_refs: [subject] });
  }
  for (const d of out.namesakes) {
    const by = orgIdentity(d.orgId, d.orgName);
    const common = { spec_version: '2.1', created: ts(d.createdAt), modified: ts(d.createdAt), created_by_ref: by, object_marking_refs: marked(d.tlp) };
    const written = subjectIdentity({ kind: 'name', value: d.name, label: d.name });
    const listed = subjectIdentity({ kind: 'entry', value: `${d.listId}/${d.entryId}`, label: d.entryName });
    const rel = add({ type: 'relationship', id: `relationship--${nameUuid(`namesake/${d.id}`)}`, ...common, relationship_type: 'duplicate-of', source_ref: written, target_ref: listed, description: `Screening matched "${d.name}" to the listed entity ${d.entryName}` });
    add({ type: 'opinion', id: `opinion--${d.id}`, ...common, opinion: 'strongly-disagree', explanation: `Not the listed entity: ${d.reason}`, object_refs: [rel] });
  }
  const corrections: (SharedCorrection & { retractedAt?: string })[] = [...out.corrections, ...(out.retractions ?? [])];
  for (const c of corrections) {
    const by = orgIdentity(c.orgId, c.orgName);
    const written = subjectIdentity({ kind: 'name', value: c.string, label: c.string });
    const refs = c.verdict === 'none' ? [written] : [written, subjectIdentity({ kind: 'ror', value: c.rorId, label: c.rorId })];
    add({
      type: 'note',
      spec_version: '2.1',
      id: `note--${c.id}`,
      created: ts(c.createdAt),
      // A retraction re-issues the note revoked (STIX 2.1 §3.6), modified when it ended: a consumer keeps the newest version.
      modified: c.retractedAt === undefined ? ts(c.createdAt) : ts(c.retractedAt > c.createdAt ? c.retractedAt : c.createdAt),
      ...(c.retractedAt === undefined ? {} : { revoked: true }),
      created_by_ref: by,
      object_marking_refs: marked(c.tlp),
      abstract: c.verdict === 'none' ? `derisk match correction: "${c.string}" names no ROR institution` : `derisk match correction: "${c.string}" ${c.verdict === 'is' ? 'is' : 'is not'} https://ror.org/${c.rorId}`,
      content: c.reason,
      object_refs: refs,
      // A custom property (STIX 2.1 §11.1): tools that do not know it keep the note; derisk reads the decision back from it.
      [STIX_CORRECTION]: { string: c.string, verdict: c.verdict, ror_id: c.rorId },
    });
  }
  for (const a of out.assessments) {
    const partners = a.partners.map((p) => subjectIdentity(p.ror ? { kind: 'ror', value: p.ror, label: p.name ?? p.ror } : { kind: 'name', value: p.name!, label: p.name! }));
    const { uuid, distribution: _d, tlp, ...doc } = a;
    add({
      type: 'note',
      spec_version: '2.1',
      id: `note--${uuid}`,
      created: `${a.month}-01T00:00:00.000Z`,
      modified: `${a.month}-01T00:00:00.000Z`,
      created_by_ref: pubId,
      object_marking_refs: marked(tlp),
      abstract: `Anonymised assessment: overall ${a.overall}`,
      content: `Overall ${a.overall}; ${Object.entries(a.categories)
        .map(([c, v]) => `${c} ${v}`)
        .join(', ')}. Criteria that hold: ${a.criteria.join(', ') || 'none'}. Fields: ${a.fields === null ? 'unknown' : a.fields.join(', ') || 'none'}.`,
      object_refs: partners,
      x_derisk_assessment: doc,
    });
  }
  for (const tlp of markings) add(stixTlpMarking(tlp));
  return { type: 'bundle', id: `bundle--${nameUuid(`bundle/${publisher.uuid}/${stamp}`)}`, objects: [...objects.values()] };
}

/** TLP 2.0's RED marking definition (OASIS's fixed id): never taken. */
const STIX_TLP_RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
const TLP_OF_ID = new Map<string, Tlp>([...Object.entries(STIX_TLP_ID).map(([t, id]) => [id, t as Tlp] as const), [STIX_TLP_RED, 'red']]);

/**
 * Reads the match corrections back from a STIX 2.1 bundle (a `note` carrying
 * `x_derisk_match_correction`), as readMispEvent does from a MISP event: a note marked TLP:RED is
 * refused with the reason, one without a TLP marking read as AMBER; who wrote it is its
 * `created_by_ref` identity. Other objects are not items derisk takes from STIX.
 */
export function readStixBundle(doc: unknown, file: string): { items: ReceivedItem[]; refused: Refused[] } {
  const bundle = doc as { type?: unknown; objects?: unknown };
  if (bundle?.type !== 'bundle' || !Array.isArray(bundle.objects)) throw new ExchangeError(`${file}: not a STIX 2.1 bundle (no "type": "bundle" with "objects")`);
  const objects = bundle.objects as Record<string, unknown>[];
  const names = new Map(objects.filter((o) => o?.type === 'identity').map((o) => [String(o.id), String(o.name ?? '')]));
  const items: ReceivedItem[] = [];
  const refused: Refused[] = [];
  for (const [i, o] of objects.entries()) {
    if (o?.type !== 'note' || o[STIX_CORRECTION] === undefined) continue;
    const id = typeof o.id === 'string' ? o.id : `${file} object ${i + 1}`;
    try {
      const uuid = /^note--([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(id)?.[1];
      if (!uuid) throw new Error('its id is not note--<UUID>');
      const markings = (Array.isArray(o.object_marking_refs) ? o.object_marking_refs : []).map((m) => TLP_OF_ID.get(String(m))).filter((t): t is Tlp => t !== undefined);
      if (markings.includes('red')) throw new Error('marked TLP:RED: for its named recipients only, never taken from a file');
      // The most restrictive marking it carries; none: the most cautious reading that may still be shared within the organisation.
      const tlp = markings.length ? markings.reduce((m, t) => (TLPS.indexOf(t) > TLPS.indexOf(m) ? t : m)) : 'amber';
      const c = o[STIX_CORRECTION] as { string?: unknown; verdict?: unknown; ror_id?: unknown };
      if (typeof c !== 'object' || c === null || typeof c.string !== 'string' || typeof c.verdict !== 'string') throw new Error(`${STIX_CORRECTION} needs string and verdict`);
      const r = receivedCorrection(c.string, c.verdict, typeof c.ror_id === 'string' ? c.ror_id : '', typeof o.content === 'string' ? o.content : '', typeof o.created === 'string' ? o.created : '');
      const revoked = o.revoked === true ? { retractedAt: typeof o.modified === 'string' ? o.modified : new Date().toISOString() } : {};
      items.push({ kind: 'correction', uuid, originOrg: names.get(String(o.created_by_ref)) || 'unknown organisation', distribution: '1', tlp, subjectKey: r.subjectKey, doc: r.doc, ...revoked });
    } catch (e) {
      refused.push({ uuid: id, reason: `${file}: ${id}: ${(e as Error).message}` });
    }
  }
  return { items, refused };
}
