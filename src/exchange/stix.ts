import type { RiskList } from '../screening/lists.ts';
import { nameUuid, STIX_TLP_ID, stixTlpMarking, type ExportableTlp, type Tlp } from './marking.ts';
import type { Publisher } from './misp.ts';
import { unrestricted, type Outgoing, type Subject } from './service.ts';

type Obj = Record<string, unknown> & { id: string };

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
