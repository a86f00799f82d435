import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RiskEntry, RiskList } from '../screening/lists.ts';
import type { Store } from '../store/store.ts';
import { ValidationError } from '../errors.ts';
import { authorize, type Actor } from '../service/authorize.ts';
import type { Publisher } from './misp.ts';
import { unrestricted } from './marking.ts';
import type { Outgoing, Sharing, Subject } from './service.ts';
import { sha256Hex } from '../sha256.ts';

/** One FollowTheMoney entity as OpenSanctions writes them, one per line: `{id, schema, properties}`. */
export interface FtmEntity {
  id: string;
  schema: string;
  properties: Record<string, string[]>;
  datasets?: string[];
}

interface FtmTopics {
  vocabulary: Record<string, string>;
  lists: Record<string, string[]>;
}

export const FTM_TOPICS = fileURLToPath(new URL('../../data/exchange/ftm.json', import.meta.url));

export function loadFtmTopics(path = FTM_TOPICS): FtmTopics {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as FtmTopics & { provenance?: unknown };
  if (!raw.provenance) throw new Error(`${path}: no provenance block`);
  for (const [list, topics] of Object.entries(raw.lists)) {
    const unknown = topics.filter((t) => !(t in raw.vocabulary));
    if (unknown.length) throw new Error(`${path}: list ${list}: ${unknown.join(', ')} not in the topic vocabulary`);
  }
  return raw;
}

/** Stable across runs and installations: the same listing is the same entity wherever it is exported. */
export const ftmEntityId = (listId: string, entryId: string, kind: 'entity' | 'sanction' = 'entity'): string => `derisk-${kind === 'sanction' ? 'sanction-' : ''}${sha256Hex(`${listId}/${entryId}`).slice(0, 24)}`;

let countryCodes: Map<string, string> | null = null;

/** FtM's country type is the ISO 3166-1 alpha-2 code in lower case; lists write the English name ("China") or a code. */
export function ftmCountry(value: string): string | null {
  if (!countryCodes) {
    countryCodes = new Map();
    const english = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    for (let a = 65; a <= 90; a++) {
      for (let b = 65; b <= 90; b++) {
        const code = String.fromCharCode(a, b);
        const name = english.of(code);
        if (name && name !== code) countryCodes.set(name.toLowerCase(), code.toLowerCase());
      }
    }
    const places = JSON.parse(readFileSync(fileURLToPath(new URL('../../data/geo/places.json', import.meta.url)), 'utf8')) as { countryAliases: Record<string, string[]> };
    for (const [code, aliases] of Object.entries(places.countryAliases)) for (const alias of aliases) if (!countryCodes.has(alias.toLowerCase())) countryCodes.set(alias.toLowerCase(), code.toLowerCase());
  }
  const v = value.trim();
  if (/^[A-Za-z]{2}$/.test(v) && new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' }).of(v.toUpperCase())) return v.toLowerCase();
  return countryCodes.get(v.toLowerCase()) ?? null;
}

const isUrl = (v: unknown): v is string => typeof v === 'string' && /^https?:\/\/\S+$/.test(v);

/** Only the properties that have values: FtM has no empty or null values. */
function props(entries: Record<string, (string | null | undefined)[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, values] of Object.entries(entries)) {
    const kept = [...new Set(values.filter((v): v is string => typeof v === 'string' && v.trim() !== ''))];
    if (kept.length) out[k] = kept;
  }
  return out;
}

function entryEntities(list: RiskList, entry: RiskEntry, topics: FtmTopics): FtmEntity[] {
  const id = ftmEntityId(list.id, entry.id);
  const p = list.provenance;
  const publisherUrl = isUrl(p.official_url) ? p.official_url : p.source_url;
  const country = entry.country ? ftmCountry(entry.country) : null;
  const organization: FtmEntity = {
    id,
    schema: 'Organization',
    properties: props({
      name: [entry.name],
      // Names the list gives; a subsidiary is another organisation, not another name of this one.
      alias: entry.names.filter((n) => n.value !== entry.name && n.kind !== 'subsidiary' && !n.source).map((n) => n.value),
      country: [country],
      topics: [...(topics.lists[list.id] ?? []), ...(entry.topics ?? []).filter((t) => t in topics.vocabulary)],
      classification: [entry.category],
      sourceUrl: [isUrl(entry.url) ? entry.url : null],
      publisher: [p.publisher],
      publisherUrl: [isUrl(publisherUrl) ? publisherUrl : null],
      program: [p.title],
      retrievedAt: [p.retrieved],
    }),
    datasets: [list.id],
  };
  const sanction: FtmEntity = {
    id: ftmEntityId(list.id, entry.id, 'sanction'),
    schema: 'Sanction',
    properties: props({
      entity: [id],
      authority: [p.publisher],
      program: [p.title],
      programUrl: [isUrl(publisherUrl) ? publisherUrl : null],
      reason: [entry.sourceText],
      sourceUrl: [isUrl(entry.url) ? entry.url : isUrl(p.source_url) ? p.source_url : null],
      recordId: [entry.id],
      summary: [`derisk risk level ${entry.level}${list.levelRationale ? `: ${list.levelRationale}` : ''}`],
      retrievedAt: [p.retrieved],
    }),
    datasets: [list.id],
  };
  return [organization, sanction];
}

/**
 * The entries of risk lists as FollowTheMoney entities: each entry an `Organization` (names,
 * country code, topics, source), and a `Sanction` tying it to its list (authority, program,
 * reason, derisk's level), so a FtM tool (OpenSanctions' yente, Aleph) can match against them.
 */
export function ftmListEntities(lists: RiskList[], topics = loadFtmTopics()): FtmEntity[] {
  return lists.flatMap((list) => list.entries.flatMap((entry) => entryEntities(list, entry, topics)));
}

const digest = (s: string) => sha256Hex(s).slice(0, 24);

/** A name as written in the evidence: the same string is the same entity in every export. */
const ftmStringId = (raw: string) => `derisk-string-${digest(raw)}`;

/** What screening found in one string of the evidence (a row of screen_hits). */
export interface ScreenedHit {
  raw: string;
  list: string;
  entryId: string;
  match: string;
  score: number;
  evidence: string;
}

/**
 * Screening hits as FtM: each string of the evidence that hit a listed entry as a `LegalEntity`
 * of that name, tied to the entry's `Organization` by a `Similar` (FtM's presumed-same link, with
 * the score, how it matched and the screener's version), beside the entries hit and their Sanctions.
 */
export function ftmHitEntities(hits: ScreenedHit[], lists: RiskList[], screener: string, topics = loadFtmTopics()): FtmEntity[] {
  const hitEntries = new Set(hits.map((h) => `${h.list}/${h.entryId}`));
  const entries = lists.flatMap((list) => list.entries.filter((e) => hitEntries.has(`${list.id}/${e.id}`)).flatMap((e) => entryEntities(list, e, topics)));
  const known = new Set(entries.map((e) => e.id));
  const strings = new Map<string, FtmEntity>();
  const links: FtmEntity[] = [];
  for (const h of hits) {
    const match = ftmEntityId(h.list, h.entryId);
    // A hit on an entry of a list no longer loaded has nothing to point at.
    if (!known.has(match)) continue;
    const candidate = ftmStringId(h.raw);
    if (!strings.has(candidate)) strings.set(candidate, { id: candidate, schema: 'LegalEntity', properties: { name: [h.raw] } });
    links.push({
      id: `derisk-hit-${sha256Hex(`${h.raw}\u0000${h.list}/${h.entryId}`).slice(0, 24)}`,
      schema: 'Similar',
      properties: props({ candidate: [candidate], match: [match], confidenceScore: [String(h.score)], criteria: [`${h.match}: ${h.evidence}`], matcher: [`derisk screener ${screener}`] }),
    });
  }
  return [...entries, ...strings.values(), ...links];
}

/** The same, for a person of the installation allowed to let data leave it (as `exchange export`). */
export function exportFtm(actor: Actor, lists: RiskList[], only: string[] = []): { entities: FtmEntity[]; lists: string[] } {
  authorize(actor, 'exchange.publish');
  const unknown = only.filter((id) => !lists.some((l) => l.id === id));
  if (unknown.length) throw new ValidationError(`no loaded list ${unknown.join(', ')} (loaded: ${lists.map((l) => l.id).join(', ') || 'none'})`);
  const chosen = only.length ? lists.filter((l) => only.includes(l.id)) : lists;
  return { entities: ftmListEntities(chosen), lists: chosen.map((l) => l.id) };
}

export const ftmJsonLines = (entities: FtmEntity[]): string => entities.map((e) => JSON.stringify(e)).join('\n') + (entities.length ? '\n' : '');

/**
 * The TLP marking and distribution of an item as `keywords` (FtM has no marking property): `tlp:green`
 * as MISP tags it, and `distribution:community`, so a FtM tool can filter on them.
 */
const markingKeywords = (s: Sharing): string[] => {
  if (s.tlp === 'red') throw new Error('TLP:RED never leaves the installation');
  return [`tlp:${s.tlp}`, `distribution:${s.distribution}`];
};

/**
 * What `outgoing` let through as FtM entities, beside the entities they are about: each note and
 * namesake decision a `Note` whose `entity` is the listed entry's `Organization` (the id `export ftm`
 * gives it, so both files join), a namesake decision also on the string as a `LegalEntity` (the id
 * `export ftm --hits` gives it) and saying it is not that entry; each anonymised assessment a `Note`
 * on its partners (FtM's `Assessment` has an author but nothing to point at what was assessed).
 * TLP and distribution go in `keywords`; the organisation that wrote an item in `publisher`.
 */
export function ftmOutgoingEntities(publisher: Publisher, outgoing: Outgoing, lists: RiskList[], topics = loadFtmTopics()): FtmEntity[] {
  // FtM cannot say who may read an entity: items restricted to named partners stay out.
  const out = unrestricted(outgoing);
  const entities = new Map<string, FtmEntity>();
  const add = (e: FtmEntity) => {
    const known = entities.get(e.id);
    if (!known) entities.set(e.id, e);
    else for (const [k, v] of Object.entries(e.properties)) known.properties[k] = [...new Set([...(known.properties[k] ?? []), ...v])];
    return e.id;
  };
  const entries = new Map<string, { l: RiskList; e: RiskEntry }>(lists.flatMap((l) => l.entries.map((e) => [`${l.id}/${e.id}`, { l, e }] as const)));
  const subjectEntity = (s: Subject, country: string | null = null): string => {
    if (s.kind === 'entry') {
      const found = entries.get(s.value);
      if (found) return entryEntities(found.l, found.e, topics).map(add)[0]!;
      // An entry of a list no longer loaded: still the same id, with the name the item gave it.
      const [listId, ...entry] = s.value.split('/');
      return add({ id: ftmEntityId(listId!, entry.join('/')), schema: 'Organization', properties: props({ name: [s.label] }) });
    }
    if (s.kind === 'ror') return add({ id: `derisk-ror-${s.value}`, schema: 'Organization', properties: props({ name: [s.label], country: [country], sourceUrl: [`https://ror.org/${s.value}`] }) });
    return add({ id: ftmStringId(s.value), schema: 'LegalEntity', properties: props({ name: [s.value], country: [country] }) });
  };
  const origin = (orgName: string) => `${orgName} (via ${publisher.name})`;
  for (const n of out.notes) {
    add({
      id: `derisk-note-${digest(`note/${n.id}`)}`,
      schema: 'Note',
      properties: props({
        entity: [subjectEntity(n.subject)],
        name: [`Note on ${n.subject.label}`],
        description: [n.body],
        summary: [n.opinion === null ? null : `opinion ${n.opinion} of 100 (50 neutral): how much of a concern the author thinks the entity is`],
        publisher: [origin(n.orgName)],
        createdAt: [n.createdAt.slice(0, 10)],
        keywords: markingKeywords(n),
      }),
    });
  }
  for (const d of out.namesakes) {
    add({
      id: `derisk-namesake-${digest(`namesake/${d.id}`)}`,
      schema: 'Note',
      properties: props({
        entity: [subjectEntity({ kind: 'entry', value: `${d.listId}/${d.entryId}`, label: d.entryName }), subjectEntity({ kind: 'name', value: d.name, label: d.name })],
        name: [`"${d.name}" is not ${d.entryName}`],
        summary: [`Namesake decision: screening matched "${d.name}" to the listed entity ${d.entryName}; it is NOT that entity`],
        description: [d.reason],
        publisher: [origin(d.orgName)],
        createdAt: [d.createdAt.slice(0, 10)],
        keywords: ['derisk:namesake', ...markingKeywords(d)],
      }),
    });
  }
  for (const a of out.assessments) {
    const partners = a.partners.map((p) => subjectEntity(p.ror ? { kind: 'ror', value: p.ror, label: p.name ?? p.ror } : { kind: 'name', value: p.name!, label: p.name! }, ftmCountry(p.country)));
    add({
      id: `derisk-assessment-${a.uuid}`,
      schema: 'Note',
      properties: props({
        entity: partners,
        name: [`Anonymised assessment: overall ${a.overall}`],
        summary: [
          `Overall ${a.overall}; ${Object.entries(a.categories)
            .map(([c, v]) => `${c} ${v}`)
            .join(', ')}`,
        ],
        description: [`Criteria that hold: ${a.criteria.join(', ') || 'none'}. Fields: ${a.fields === null ? 'unknown' : a.fields.join(', ') || 'none'}. Lists: ${a.lists.map((l) => `${l.id} ${l.version}`).join(', ') || 'none'}; rulebook ${a.rulebook}; policy bundle ${a.bundle}.`],
        publisher: [publisher.name],
        createdAt: [a.month],
        keywords: ['derisk:assessment', ...markingKeywords(a)],
      }),
    });
  }
  return [...entities.values()];
}

/** A partner as a case document writes it (the stored input: only strings are read). */
interface CasePartnerInput {
  name?: unknown;
  ror?: unknown;
  country?: unknown;
  role?: unknown;
  description?: unknown;
}

const hashId = (prefix: string, key: string) => `derisk-${prefix}-${sha256Hex(key).slice(0, 24)}`;
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/** What the loaded ROR registry says of an institution: its name and country (ISO code). */
export interface RegistryRecord {
  name: string;
  country: string | null;
}

/** The registry records of these ROR ids that the store has (those it lacks are absent). */
export type RegistryLookup = (rors: string[]) => Promise<Map<string, RegistryRecord>>;

/** The registry the evidence store holds (`derisk demo` / `derisk ingest ror` load it). */
export const storeRegistry =
  (store: Pick<Store, 'all'>): RegistryLookup =>
  async (rors) => {
    if (rors.length === 0) return new Map();
    const rows = await store.all<{ ror_id: string; name: string; country_code: string | null }>(`SELECT ror_id, name, country_code FROM institutions WHERE ror_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`, [JSON.stringify(rors)]);
    return new Map(rows.map((r) => [r.ror_id, { name: r.name, country: r.country_code }]));
  };

/** The ROR ids the cases' partners name, without the address prefix. */
export function casePartnerRors(docs: unknown[]): string[] {
  const rors = new Set<string>();
  for (const doc of docs) {
    const list = (doc as { partners?: unknown })?.partners;
    for (const p of Array.isArray(list) ? (list as CasePartnerInput[]) : []) {
      const ror = rorOf(p);
      if (ror) rors.add(ror);
    }
  }
  return [...rors].sort();
}

const rorOf = (p: CasePartnerInput): string | null => str(p.ror)?.replace(/^https?:\/\/ror\.org\//, '') ?? null;

/**
 * An organisation's cases as FollowTheMoney: each case a `Project` (its title, its id, the latest
 * verdict as status), each partner an `Organization` tied to it by a `ProjectParticipant` with the
 * partner's role. A partner with a ROR id is one entity across cases (and installations: its id is
 * the ROR id's hash), named and placed as the registry has it (the names the cases wrote, where
 * different, as aliases); one the loaded registry lacks says so in its notes, named as the case
 * wrote it or by its id. One named only is one per name within the organisation; one nobody
 * identified yet is its own entity, named so, with the case's description of who is meant.
 */
export function ftmCasePartnerEntities(orgId: string, cases: { id: string; title: string; overall: string | null; doc: unknown }[], registry: ReadonlyMap<string, RegistryRecord>): FtmEntity[] {
  const partners = new Map<string, FtmEntity>();
  const out: FtmEntity[] = [];
  for (const c of cases) {
    const project: FtmEntity = { id: hashId('project', `${orgId}/${c.id}`), schema: 'Project', properties: props({ name: [c.title], projectId: [c.id], status: [c.overall ? `derisk verdict ${c.overall}` : null] }) };
    out.push(project);
    const list = ((c.doc as { partners?: unknown })?.partners ?? []) as CasePartnerInput[];
    for (const [i, p] of (Array.isArray(list) ? list : []).entries()) {
      const ror = rorOf(p);
      const name = str(p.name) === 'unknown' ? null : str(p.name);
      const country = str(p.country) && ftmCountry(str(p.country)!);
      const record = ror ? registry.get(ror) : undefined;
      const key = ror ? `ror/${ror}` : name ? `${orgId}/name/${name.toLowerCase()}` : `${orgId}/${c.id}/partner/${i}`;
      const id = hashId('partner', key);
      let entity = partners.get(id);
      if (!entity) {
        const named = record?.name ?? name ?? (ror ? `ROR ${ror}` : 'Partner not identified yet');
        entity = {
          id,
          schema: 'Organization',
          properties: props({
            name: [named],
            country: [record ? record.country && ftmCountry(record.country) : country],
            sourceUrl: [ror ? `https://ror.org/${ror}` : null],
            description: [ror || name ? null : str(p.description)],
            notes: [ror && !record ? `ROR id ${ror} is not in the ROR registry this installation loaded: its name and country are as the cases write them (its id where none names it)` : null],
          }),
        };
        partners.set(id, entity);
        out.push(entity);
      } else if (!record && country && !entity.properties.country?.includes(country)) entity.properties.country = [...(entity.properties.country ?? []), country];
      // A partner known only by its id so far, named by a later case; another name a case wrote for the same institution kept, as FtM keeps other names.
      if (name && !record && ror && entity.properties.name![0] === `ROR ${ror}`) entity.properties.name = [name];
      else if (name && !entity.properties.name!.some((n) => n.toLowerCase() === name.toLowerCase()) && !entity.properties.alias?.some((n) => n.toLowerCase() === name.toLowerCase())) entity.properties.alias = [...(entity.properties.alias ?? []), name];
      out.push({ id: hashId('participant', `${project.id}/${i}`), schema: 'ProjectParticipant', properties: props({ project: [project.id], participant: [id], role: [str(p.role)] }) });
    }
  }
  return out;
}
