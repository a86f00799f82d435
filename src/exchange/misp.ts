import type { RiskEntry, RiskList } from '../screening/lists.ts';
import { screenKey } from '../screening/names.ts';
import { MISP_DISTRIBUTION, mispTlpTag, nameUuid, parseTlp, TLPS, UUID, type Tlp } from './marking.ts';
import { correctionKey } from '../resolve/thesaurus.ts';
import type { AnonymisedAssessment, EntityNote, ItemKind, NamesakeDecision, Outgoing, ReceivedCorrection, ReceivedItem, Recipient, SharedCorrection } from './service.ts';

/**
 * derisk's shared items as MISP core-format events (../shared/standards/misp/): an organisation's
 * notes and namesake decisions in one event under its name, anonymised assessments in one event
 * under the publishing installation's, list entries as galaxy clusters. derisk reads its own feeds
 * back from the same events, so a MISP instance and another derisk see the same thing.
 */
export interface Publisher {
  name: string;
  /** The organisation UUID MISP keeps for the publisher: derived from its key, stable over time. */
  uuid: string;
}

type Json = Record<string, unknown>;

/** Tags derisk reads back; MISP shows them as ordinary tags. */
const TAG = { subject: 'derisk:subject', notListed: 'derisk:not-listed-entity', assessment: 'derisk:anonymised-assessment', correction: 'derisk:match-correction' };

export const entryUuid = (listId: string, entryId: string) => nameUuid(`entry/${listId}/${entryId}`);
const unix = (iso: string) => String(Math.floor(Date.parse(iso) / 1000));
const misDate = (iso: string) =>
  iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')
    .replace(/Z$/, '');

function cluster(list: RiskList, e: RiskEntry): Json {
  const aliases = e.names.filter((n) => n.value !== e.name).map((n) => n.value);
  const refs = [...new Set([e.url, list.provenance.source_url].filter((u): u is string => Boolean(u)))];
  return {
    uuid: entryUuid(list.id, e.id),
    type: `derisk-${list.id}`,
    value: e.name,
    tag_name: `misp-galaxy:derisk-${list.id}="${e.name.replace(/"/g, "'")}"`,
    description: e.sourceText ?? `${e.name}: listed in ${list.provenance.title}`,
    source: `${list.provenance.publisher} (${list.provenance.source_url}, retrieved ${list.provenance.retrieved})`,
    authors: [list.provenance.publisher],
    version: list.version,
    meta: {
      'derisk-entry-id': [e.id],
      'derisk-risk-level': [e.level],
      'derisk-level-rationale': [list.levelRationale],
      ...(e.rorIds.length ? { 'ror-id': e.rorIds.map((r) => `https://ror.org/${r}`) } : {}),
      ...(aliases.length ? { synonyms: aliases } : {}),
      ...(e.country ? { country: [e.country] } : {}),
      ...(e.category ? { category: [e.category] } : {}),
      refs,
      'derisk-list-version': [list.version],
      licence: [list.provenance.licence],
    },
  };
}

function galaxy(list: RiskList, entries: RiskEntry[]): Json {
  return {
    uuid: nameUuid(`galaxy/${list.id}`),
    name: list.provenance.title,
    type: `derisk-${list.id}`,
    description: `${list.provenance.title} (${list.provenance.publisher}), as derisk reads it: risk level per entry (${list.levelRationale || 'see the list catalogue'}), ROR ids, aliases and sources.`,
    version: list.version,
    namespace: 'derisk',
    GalaxyCluster: entries.map((e) => cluster(list, e)),
  };
}

interface Org {
  id: string;
  name: string;
  uuid: string;
}

function analyst(kind: 'Note' | 'Opinion', uuid: string, objectUuid: string, org: Org, publisher: Org, createdAt: string, distribution: string, body: Json): Json {
  return {
    id: '0',
    uuid,
    object_uuid: objectUuid,
    object_type: 'Attribute',
    authors: org.name,
    org_uuid: publisher.uuid,
    orgc_uuid: org.uuid,
    created: misDate(createdAt),
    modified: misDate(createdAt),
    distribution,
    sharing_group_id: '0',
    ...body,
    note_type_name: kind,
    Orgc: org,
    Org: publisher,
  };
}

/** An item restricted to named partners inherits its event's distribution: the event's sharing group. */
const mispDistribution = (item: { distribution: keyof typeof MISP_DISTRIBUTION; recipients?: Recipient[] }) => (item.recipients?.length ? INHERIT : MISP_DISTRIBUTION[item.distribution]);
const INHERIT = '5';
const SHARING_GROUP = '4';

/**
 * The MISP sharing group (core format §sharing_group) of an export for a set of recipients: the
 * publishing installation, which owns it, and the partners. Its UUID follows from the members, so
 * the same partners make the same group at every publication; its id numbers it within the export.
 */
function sharingGroup(id: string, publisher: Org, recipients: Recipient[], stamp: string): Json & { id: string } {
  const members = [publisher, ...recipients.map((r, i) => ({ id: String(1000 + i), name: r.name, uuid: r.uuid }))];
  return {
    id,
    uuid: nameUuid(
      `sharing-group/${publisher.uuid}/${recipients
        .map((r) => r.uuid)
        .sort()
        .join(',')}`,
    ),
    name: `${publisher.name} with ${recipients.map((r) => r.name).join(', ')}`,
    releasability: `Only ${recipients.map((r) => r.name).join(', ')} (and ${publisher.name}, which publishes it)`,
    description: 'Items a derisk administrator restricted to these partner institutions',
    organisation_uuid: publisher.uuid,
    org_id: publisher.id,
    active: true,
    local: false,
    roaming: true,
    created: stamp,
    modified: stamp,
    Organisation: publisher,
    SharingGroupOrg: members.map((o, i) => ({ id: String(i + 1), sharing_group_id: id, org_id: o.id, extend: o === publisher, Organisation: o })),
    SharingGroupServer: [],
  };
}

const maxTlp = (tlps: Tlp[]) => tlps.reduce<Tlp>((m, t) => (TLPS.indexOf(t) > TLPS.indexOf(m) ? t : m), 'clear');

function event(info: string, uuid: string, org: Org, publisher: Org, attributes: (Json & { tlp: Tlp; distribution: string })[], now: Date, galaxies: Json[] = [], group?: Json & { id: string }): { Event: Json } {
  const ts = String(Math.floor(now.getTime() / 1000));
  const attrs = attributes.map(({ tlp, ...a }, i) => ({ id: String(i + 1), event_id: '1', to_ids: false, deleted: false, disable_correlation: false, sharing_group_id: '0', timestamp: ts, ...a, Tag: [mispTlpTag(tlp), ...((a.Tag as Json[] | undefined) ?? [])] }));
  const tlp = maxTlp(attributes.map((a) => a.tlp));
  return {
    Event: {
      id: '1',
      uuid,
      info,
      published: true,
      threat_level_id: '4',
      analysis: '2',
      date: now.toISOString().slice(0, 10),
      timestamp: ts,
      publish_timestamp: ts,
      first_publication: ts,
      org_id: publisher.id,
      orgc_id: org.id,
      attribute_count: String(attrs.length),
      distribution: group ? SHARING_GROUP : attributes.some((a) => a.distribution === MISP_DISTRIBUTION.everyone) ? MISP_DISTRIBUTION.everyone : MISP_DISTRIBUTION.community,
      sharing_group_id: group ? group.id : '0',
      ...(group ? { SharingGroup: group } : {}),
      extends_uuid: '',
      locked: true,
      Org: publisher,
      Orgc: org,
      Tag: [{ id: '0', ...mispTlpTag(attributes.length ? tlp : 'clear') }],
      Attribute: attrs,
      ...(galaxies.length ? { Galaxy: galaxies } : {}),
    },
  };
}

function noteAttribute(n: EntityNote, org: Org, publisher: Org, lists: Map<string, RiskList>) {
  const distribution = mispDistribution(n);
  const entry = n.subject.kind === 'entry' ? entryOf(lists, n.subject.value) : null;
  return {
    uuid: n.id,
    type: n.subject.kind === 'ror' ? 'link' : 'text',
    category: 'External analysis',
    value: n.subject.kind === 'ror' ? `https://ror.org/${n.subject.value}` : n.subject.label,
    comment: `derisk note on ${n.subject.kind === 'entry' ? `list entry ${n.subject.value}` : n.subject.kind === 'ror' ? 'a ROR institution' : 'a name as written'}`,
    distribution,
    tlp: n.tlp,
    Tag: [{ name: `${TAG.subject}="${n.subject.kind}:${n.subject.value}"`, colour: '#0088cc', exportable: true }],
    ...(entry ? { Galaxy: [galaxy(entry.list, [entry.entry])] } : {}),
    Note: [analyst('Note', nameUuid(`note/${n.id}`), n.id, org, publisher, n.createdAt, distribution, { note: n.body, language: 'en' })],
    ...(n.opinion !== null ? { Opinion: [analyst('Opinion', nameUuid(`opinion/${n.id}`), n.id, org, publisher, n.createdAt, distribution, { opinion: String(n.opinion), comment: n.body })] } : {}),
  };
}

function namesakeAttribute(d: NamesakeDecision, org: Org, publisher: Org) {
  const distribution = mispDistribution(d);
  return {
    uuid: d.id,
    type: 'text',
    category: 'External analysis',
    value: d.name,
    comment: `Not the listed entity ${d.entryName} (${d.listId}/${d.entryId})`,
    distribution,
    tlp: d.tlp,
    Tag: [{ name: `${TAG.notListed}="${d.listId}/${d.entryId}"`, colour: '#339900', exportable: true }],
    // Type 1: seen and confirmed as a false positive (core format §Sighting).
    Sighting: [{ uuid: d.id, type: '1', date_sighting: unix(d.createdAt), source: `derisk namesake decision: ${d.listId}/${d.entryId}` }],
    Note: [analyst('Note', nameUuid(`note/${d.id}`), d.id, org, publisher, d.createdAt, distribution, { note: d.reason, language: 'en' })],
  };
}

/**
 * A match correction: the affiliation string as the value, the decision in the tag
 * (`derisk:match-correction="is:<ROR id>"`, `"not:<ROR id>"` or `"none"`), the reason as its Note.
 */
function correctionAttribute(c: SharedCorrection, org: Org, publisher: Org) {
  const distribution = mispDistribution(c);
  return {
    uuid: c.id,
    type: 'text',
    category: 'External analysis',
    value: c.string,
    comment: c.verdict === 'none' ? 'derisk match correction: names no ROR institution' : `derisk match correction: ${c.verdict === 'is' ? 'is' : 'is not'} https://ror.org/${c.rorId}`,
    distribution,
    tlp: c.tlp,
    Tag: [{ name: `${TAG.correction}="${c.verdict === 'none' ? 'none' : `${c.verdict}:${c.rorId}`}"`, colour: '#7a4fbf', exportable: true }],
    Note: [analyst('Note', nameUuid(`note/${c.id}`), c.id, org, publisher, c.createdAt, distribution, { note: c.reason, language: 'en' })],
  };
}

function assessmentAttribute(a: AnonymisedAssessment, publisher: Org) {
  const distribution = MISP_DISTRIBUTION[a.distribution];
  const { uuid, distribution: _d, tlp, ...doc } = a;
  const partners = a.partners.map((p) => p.name ?? `https://ror.org/${p.ror}`).join('; ');
  return {
    uuid,
    type: 'text',
    category: 'Other',
    value: partners,
    comment: `Anonymised derisk assessment: overall ${a.overall}; ${Object.entries(a.categories)
      .map(([c, v]) => `${c} ${v}`)
      .join(', ')}; criteria ${a.criteria.join(', ') || 'none'}`,
    distribution,
    tlp,
    Tag: [{ name: TAG.assessment, colour: '#cc6600', exportable: true }],
    Note: [analyst('Note', nameUuid(`note/${uuid}`), uuid, publisher, publisher, `${a.month}-01T00:00:00Z`, distribution, { note: JSON.stringify(doc), language: 'en' })],
  };
}

function entryOf(lists: Map<string, RiskList>, key: string): { list: RiskList; entry: RiskEntry } | null {
  const slash = key.indexOf('/');
  const list = lists.get(key.slice(0, slash));
  const entry = list?.entries.find((e) => e.id === key.slice(slash + 1));
  return list && entry ? { list, entry } : null;
}

/**
 * The MISP events for what `outgoing` let through, and with `lists` the lists as galaxies. Events
 * with nothing in them are not written.
 */
export function mispEvents(publisher: Publisher, out: Outgoing, lists: RiskList[], now = new Date(), withGalaxies = false): { Event: Json }[] {
  const pub: Org = { id: '1', name: publisher.name, uuid: publisher.uuid };
  const byList = new Map(lists.map((l) => [l.id, l]));
  const orgIds = new Map<string, Org>();
  // One event per organisation, and one more per set of partners it restricted items to (the event carries their sharing group).
  const orgs = new Map<string, { id: string; org: Org; recipients: Recipient[]; attrs: (Json & { tlp: Tlp; distribution: string })[] }>();
  const orgOf = (id: string, name: string, recipients: Recipient[] = []) => {
    let org = orgIds.get(id);
    if (!org) orgIds.set(id, (org = { id: String(orgIds.size + 2), name, uuid: nameUuid(`org/${publisher.uuid}/${id}`) }));
    const key = `${id}\u0000${recipients.map((r) => r.uuid).join(',')}`;
    let o = orgs.get(key);
    if (!o) orgs.set(key, (o = { id, org, recipients, attrs: [] }));
    return o;
  };
  for (const n of out.notes) {
    const o = orgOf(n.orgId, n.orgName, n.recipients);
    o.attrs.push(noteAttribute(n, o.org, pub, byList));
  }
  for (const d of out.namesakes) {
    const o = orgOf(d.orgId, d.orgName, d.recipients);
    o.attrs.push(namesakeAttribute(d, o.org, pub));
  }
  for (const c of out.corrections) {
    const o = orgOf(c.orgId, c.orgName, c.recipients);
    o.attrs.push(correctionAttribute(c, o.org, pub));
  }
  // A retraction is the attribute as it went out, revoked (core format §deleted), stamped when it ended so an instance takes it as the newer.
  for (const c of out.retractions ?? []) {
    const o = orgOf(c.orgId, c.orgName, c.recipients);
    o.attrs.push({ ...correctionAttribute(c, o.org, pub), deleted: true, timestamp: unix(c.retractedAt) });
  }
  const groups = new Map<string, Json & { id: string }>();
  const groupOf = (recipients: Recipient[]) => {
    const key = recipients.map((r) => r.uuid).join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = sharingGroup(String(groups.size + 1), pub, recipients, misDate(now.toISOString()))));
    return g;
  };
  const events = [...orgs.values()].map((o) => {
    if (o.recipients.length === 0) return event(`derisk: notes and namesake decisions of ${o.org.name}`, nameUuid(`event/${publisher.uuid}/org/${o.id}`), o.org, pub, o.attrs, now);
    const group = groupOf(o.recipients);
    return event(`derisk: notes and namesake decisions of ${o.org.name} for ${o.recipients.map((r) => r.name).join(', ')} only`, nameUuid(`event/${publisher.uuid}/org/${o.id}/group/${String(group.uuid)}`), o.org, pub, o.attrs, now, [], group);
  });
  if (out.assessments.length) {
    events.push(
      event(
        `derisk: anonymised assessments (each partner assessed by at least ${out.heldBack.k} organisations)`,
        nameUuid(`event/${publisher.uuid}/assessments`),
        pub,
        pub,
        out.assessments.map((a) => assessmentAttribute(a, pub)),
        now,
      ),
    );
  }
  if (withGalaxies && lists.length) {
    events.push(
      event(
        `derisk: risk lists as galaxy clusters (${lists.map((l) => l.id).join(', ')})`,
        nameUuid(`event/${publisher.uuid}/lists`),
        pub,
        pub,
        [],
        now,
        lists.map((l) => galaxy(l, l.entries)),
      ),
    );
  }
  return events;
}

/** The MISP feed manifest entry of an event (core format §Manifest). */
export function manifestEntry(e: { Event: Json }, sha256: string): Json {
  const ev = e.Event;
  return { info: ev.info, Orgc: ev.Orgc, analysis: ev.analysis, timestamp: ev.timestamp, date: ev.date, threat_level_id: ev.threat_level_id, Tag: (ev.Tag as Json[]).map(({ name, colour }) => ({ name, colour })), 'integrity:sha256': sha256 };
}

export interface Refused {
  uuid: string;
  reason: string;
}

const tagged = (tags: unknown, prefix: string): string | null => {
  for (const t of Array.isArray(tags) ? tags : []) {
    const name = (t as Json)?.name;
    if (typeof name === 'string' && name.startsWith(prefix)) return name.slice(prefix.length);
  }
  return null;
};
const unquote = (v: string) => v.replace(/^"/, '').replace(/"$/, '');
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') throw new Error(`${what} is missing`);
  return v;
};

/**
 * The sharing group an item at distribution 4 names (core format: `sharing_group_id` with the
 * `SharingGroup` object beside it), with its member organisations' UUIDs.
 */
function sharingGroupOf(holder: Json, what: string): { name: string; members: Set<string> } {
  const id = String(holder.sharing_group_id ?? '0');
  if (!/^[1-9]\d*$/.test(id)) throw new Error(`distribution 4 (sharing group) but ${what} names no sharing_group_id`);
  const group = (Array.isArray(holder.SharingGroup) ? holder.SharingGroup[0] : holder.SharingGroup) as Json | undefined;
  if (!group || typeof group !== 'object') throw new Error(`distribution 4 (sharing group ${id}) but ${what} carries no SharingGroup saying who is in it`);
  if (group.id !== undefined && String(group.id) !== id) throw new Error(`sharing_group_id ${id} but the SharingGroup given is ${JSON.stringify(group.id)}`);
  const members = new Set<string>();
  for (const m of Array.isArray(group.SharingGroupOrg) ? (group.SharingGroupOrg as Json[]) : []) {
    const uuid = (m?.Organisation as Json | undefined)?.uuid;
    if (typeof uuid === 'string') members.add(uuid.toLowerCase());
  }
  return { name: typeof group.name === 'string' ? group.name : `sharing group ${id}`, members };
}

/** A correction as a feed or file states it, checked: the string, is/not a ROR id or none, the reason. */
export function receivedCorrection(string: string, verdict: string, rorId: string, reason: string, createdAt: string): { subjectKey: string; doc: ReceivedCorrection } {
  if (!['is', 'not', 'none'].includes(verdict)) throw new Error(`match correction verdict ${JSON.stringify(verdict)} is not is, not or none`);
  if (verdict === 'none' ? rorId !== '' : !/^0[a-hj-km-np-tv-z0-9]{6}\d{2}$/.test(rorId)) throw new Error(`match correction "${verdict}" ${verdict === 'none' ? 'takes no ROR id' : `needs a ROR id, got ${JSON.stringify(rorId)}`}`);
  const subjectKey = correctionKey(string);
  if (subjectKey === '') throw new Error('the corrected string has no letters or digits to match on');
  if (reason.trim() === '') throw new Error('the reason is missing');
  return { subjectKey, doc: { string, verdict: verdict as ReceivedCorrection['verdict'], rorId, reason, createdAt } };
}

/**
 * Reads derisk's items back from a MISP event, taken `via` a feed (kept for every organisation of
 * the installation) or a file (imported into one organisation). An item marked TLP:RED or meant
 * for its organisation only should never have left it, one marked TLP:AMBER+STRICT is for one
 * recipient organisation (so never taken from a feed), and one for a sharing group is for its
 * members (`self`, the reading installation, by its organisation UUID): otherwise refused, with the
 * reason, not kept.
 */
export function readMispEvent(doc: unknown, file: string, via: 'feed' | 'file', self?: Publisher): { items: ReceivedItem[]; refused: Refused[] } {
  const ev = (doc as { Event?: Json })?.Event;
  if (!ev || typeof ev !== 'object') throw new Error(`${file}: not a MISP event (no "Event" object)`);
  const orgc = ev.Orgc as Json | undefined;
  const origin = typeof orgc?.name === 'string' ? orgc.name : 'unknown organisation';
  const eventTlp = tagged(ev.Tag, 'tlp:');
  const items: ReceivedItem[] = [];
  const refused: Refused[] = [];
  const attributes = Array.isArray(ev.Attribute) ? (ev.Attribute as Json[]) : [];
  for (const [i, a] of attributes.entries()) {
    const written = typeof a.uuid === 'string' ? a.uuid.toLowerCase() : '';
    // Received items are kept under their UUID (and an organisation's imports under <org>/<UUID>):
    // anything else could take another item's key.
    const uuid = UUID.test(written) ? written : `${file} attribute ${i + 1}`;
    try {
      if (uuid !== written) throw new Error(`its uuid ${a.uuid === undefined ? 'is missing' : `${JSON.stringify(String(a.uuid).slice(0, 80))} is not a UUID`}`);
      const subject = tagged(a.Tag, `${TAG.subject}=`);
      const notListed = tagged(a.Tag, `${TAG.notListed}=`);
      const isAssessment = tagged(a.Tag, TAG.assessment) !== null;
      const correction = tagged(a.Tag, `${TAG.correction}=`);
      if (subject === null && notListed === null && !isAssessment && correction === null) continue;
      // Revoked (core format §deleted): not actionable. derisk reads a revoked correction as its retraction.
      const deleted = a.deleted === true;
      if (deleted && correction === null) throw new Error('deleted (revoked) in its event: nothing to take');
      const tlpTag = tagged(a.Tag, 'tlp:') ?? eventTlp;
      // No marking: the most cautious reading that may still be shared within the organisation.
      const tlp = tlpTag === null ? 'amber' : parseTlp(tlpTag, `${uuid}: tlp tag`);
      if (tlp === 'red') throw new Error(`marked TLP:RED: for its named recipients only, never taken from a ${via}`);
      if (tlp === 'amber+strict' && via === 'feed') throw new Error("marked TLP:AMBER+STRICT: for its recipient's organisation only, and a feed is kept for every organisation of this installation (import it as a file into the organisation it was sent to)");
      // 5 is "inherit the event's" (core format §Attribute distribution).
      const own = String(a.distribution ?? '5');
      const distribution = own === '5' ? String(ev.distribution ?? '') : own;
      if (distribution === '0') throw new Error('distribution "Your organisation only": it should not have left its organisation');
      if (!['1', '2', '3', '4'].includes(distribution)) throw new Error(`distribution ${JSON.stringify(distribution)} is not a MISP distribution level`);
      if (distribution === '4') {
        const group = sharingGroupOf(own === '5' ? ev : a, own === '5' ? 'the event' : 'the attribute');
        if (!self || !group.members.has(self.uuid)) throw new Error(`restricted to sharing group ${JSON.stringify(group.name)}, of which this installation (${self?.name ?? 'unnamed'}) is not a member`);
      }
      const note = ((a.Note as Json[] | undefined) ?? [])[0];
      const value = str(a.value, 'value');
      const kind: ItemKind = isAssessment ? 'assessment' : notListed !== null ? 'namesake' : correction !== null ? 'correction' : 'note';
      let docOut: Json | ReceivedCorrection;
      let subjectKey: string;
      if (kind === 'namesake') {
        const [listId, entryId] = unquote(notListed!).split('/');
        if (!listId || !entryId) throw new Error(`tag ${TAG.notListed} does not name <list>/<entry>`);
        const entryName = /^Not the listed entity (.*) \([^()]*\)$/.exec(String(a.comment ?? ''))?.[1] ?? entryId;
        docOut = { name: value, listId, entryId, entryName, reason: str(note?.note, 'the reason (Note)'), createdAt: String(note?.created ?? '') };
        subjectKey = screenKey(value);
      } else if (kind === 'correction') {
        const decided = unquote(correction!);
        const m = /^(?:none|(is|not):(0[a-hj-km-np-tv-z0-9]{6}\d{2}))$/.exec(decided);
        if (!m) throw new Error(`tag ${TAG.correction} says ${JSON.stringify(decided)}, not is:<ROR id>, not:<ROR id> or none`);
        ({ subjectKey, doc: docOut } = receivedCorrection(value, m[1] ?? 'none', m[2] ?? '', str(note?.note, 'the reason (Note)'), String(note?.created ?? '')));
      } else if (kind === 'note') {
        const s = unquote(subject!);
        const colon = s.indexOf(':');
        const opinion = ((a.Opinion as Json[] | undefined) ?? [])[0]?.opinion;
        docOut = { subject: { kind: s.slice(0, colon), value: s.slice(colon + 1), label: value }, body: str(note?.note, 'the note (Note)'), opinion: opinion === undefined ? null : Number(opinion), createdAt: String(note?.created ?? '') };
        subjectKey = s;
      } else {
        const body = JSON.parse(str(note?.note, 'the assessment (Note)')) as Json;
        if (typeof body.overall !== 'string' || !Array.isArray(body.partners) || !Array.isArray(body.criteria)) throw new Error('the anonymised assessment has no overall verdict, partners or criteria');
        docOut = body;
        subjectKey = (body.partners as Json[])
          .map((p) => (p.ror as string | null) ?? `name:${screenKey(String(p.name ?? ''))}`)
          .sort()
          .join('|');
      }
      const revokedAt = deleted ? new Date(Number(a.timestamp ?? ev.timestamp ?? 0) * 1000) : null;
      if (revokedAt && Number.isNaN(revokedAt.getTime())) throw new Error(`deleted with a timestamp that is not one (${JSON.stringify(a.timestamp)})`);
      items.push({ kind, uuid, originOrg: origin, distribution, tlp, subjectKey, doc: docOut, ...(revokedAt ? { retractedAt: revokedAt.toISOString() } : {}) });
    } catch (e) {
      refused.push({ uuid, reason: `${uuid === written ? `${file}, attribute ${uuid}` : uuid}: ${(e as Error).message}` });
    }
  }
  return { items, refused };
}
