import { readTextFile } from '../text-file.ts';
import { parse as parseYaml } from 'yaml';
import { ValidationError } from '../errors.ts';

/** An answer a case may not have yet: unknown is never read as "no". */
export type Answer = 'yes' | 'no' | 'unknown';

export const PARTY_KINDS = ['university', 'research-institute', 'company', 'government', 'military-or-defence', 'unknown'] as const;
export type PartyKind = (typeof PARTY_KINDS)[number];

export interface Partner {
  /** Null for a partner not yet named (then `description` says who is meant). */
  name: string | null;
  ror: string | null;
  description: string | null;
  role: 'lead' | 'partner' | 'subcontractor' | 'host' | 'funder';
  country: string | null;
  kind: PartyKind;
}

export interface Funder {
  /** Null for a funder not yet named. */
  name: string | null;
  country: string | null;
  kind: PartyKind;
}

export interface InKind {
  from: string | null;
  what: string;
  kind: PartyKind;
}

export interface Person {
  name: string;
  affiliations: string[];
  /** Null when not asked yet: unknown is not "none". */
  talentProgrammes: string[] | null;
  pastFunding: string[];
  mobility: string[] | null;
}

export interface Standards {
  forum: string | null;
  topics: string[] | null;
  role: 'member' | 'observer' | 'editor' | 'convenor' | 'unknown';
  votingRights: Answer;
  accessToDrafts: Answer;
  leadershipOpen: Answer;
  feesProportionate: Answer;
  patentsDeclared: Answer;
  frandCommitment: Answer;
}

export interface Case {
  /** research: a joint project; standards-engagement: work in a standardisation forum. */
  kind: 'research' | 'standards-engagement';
  title: string;
  reference: string | null;
  partners: Partner[];
  /** Null when not known yet: a missing list is unknown, [] says there are none. */
  funders: Funder[] | null;
  inKind: InKind[] | null;
  technology: { fields: string[] | null; description: string | null; dualUse: Answer; exportControlled: Answer };
  application: { uses: string[] | null; description: string | null; populations: string[] | null; languages: string[] | null };
  research: { type: 'basic' | 'applied' | 'development' | 'unknown'; openPublication: Answer };
  data: { kinds: string[] | null; storage: string[] | null; transferToChina: Answer; subjects: string[] | null; access: (typeof DATA_ACCESS)[number] };
  terms: { equalAccessToData: Answer; equalRightToPublish: Answer; ipAgreement: Answer; partnerVetoOnPublication: Answer };
  personnel: Person[] | null;
  equipment: { item: string; exportControlled: Answer }[];
  duration: { start: string | null; months: number | null };
  standards: Standards | null;
}

export class CaseError extends ValidationError {}

export const CASE_KINDS = ['research', 'standards-engagement'] as const;
export const DATA_KINDS = ['none', 'public', 'anonymised', 'personal', 'health', 'biometric', 'important', 'proprietary'] as const;
/** Whose data the project processes. */
export const DATA_SUBJECTS = ['none', 'eu-residents', 'china-residents', 'minors', 'groups-at-risk'] as const;
/** Which way access to data runs between the sides. */
export const DATA_ACCESS = ['none', 'partner-accesses-eu-data', 'eu-accesses-partner-data', 'both', 'unknown'] as const;
/** Whom the application is aimed at. */
export const POPULATIONS = ['general', 'minors', 'ethnic-minorities', 'religious-minorities', 'minority-language-speakers', 'dissidents-or-journalists', 'migrants', 'patients'] as const;
export const MOBILITY = ['none', 'visit', 'secondment', 'co-supervised-doctorate', 'joint-appointment'] as const;
export const STANDARDS_ROLES = ['member', 'observer', 'editor', 'convenor', 'unknown'] as const;
const STORAGE = ['EU', 'CN', 'other'] as const;
const ROLES = ['lead', 'partner', 'subcontractor', 'host', 'funder'] as const;
const RESEARCH = ['basic', 'applied', 'development', 'unknown'] as const;

export interface KnownOptions {
  fields: Set<string>;
  uses: Set<string>;
  forums: Set<string>;
  topics: Set<string>;
}

type Json = Record<string, unknown>;

/** A case file as data (YAML or JSON), before validation. */
export function readCaseDocument(file: string): unknown {
  const text = readTextFile(file, (m) => new CaseError(m));
  try {
    // Dates stay text ("2027-01-01"), as JSON would give them.
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { schema: 'core' });
  } catch (e) {
    throw new CaseError(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Reads a case from YAML or JSON, validating every field; errors name the file and the field. */
export function readCase(file: string, known: KnownOptions): Case {
  const doc = readCaseDocument(file);
  try {
    return validateCase(doc, known);
  } catch (e) {
    if (e instanceof CaseError) throw new CaseError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Validates a case given as data (from a file, the web form or the HTTP API). */
export function validateCase(doc: unknown, known: KnownOptions): Case {
  const root = object(doc, 'the case');
  allowOnly(root, '', ['kind', 'title', 'reference', 'partners', 'funders', 'in_kind', 'technology', 'application', 'research', 'data', 'terms', 'personnel', 'equipment', 'duration', 'standards']);
  const kind = oneOf(root.kind ?? 'research', CASE_KINDS, 'kind');
  const partners = list(root.partners, 'partners').map((p, i) => {
    const o = object(p, `partners[${i}]`);
    allowOnly(o, `partners[${i}].`, ['name', 'ror', 'description', 'role', 'country', 'kind']);
    const named = o.name === 'unknown' ? null : optionalString(o.name, `partners[${i}].name`);
    const ror = optionalString(o.ror, `partners[${i}].ror`)?.replace(/^https?:\/\/ror\.org\//, '') ?? null;
    const description = optionalString(o.description, `partners[${i}].description`);
    // A partner not yet named is allowed, but must be said so: it is screened as unknown, never as unlisted.
    if (!named && !ror && o.name !== 'unknown' && !description) throw new CaseError(`partners[${i}]: give a name or a ROR id (or name: unknown with a description of who is meant)`);
    if (ror && !/^0[a-z0-9]{6}\d{2}$/.test(ror)) throw new CaseError(`partners[${i}].ror: ${JSON.stringify(o.ror)} is not a ROR id`);
    return { name: named, ror, description, role: oneOf(o.role ?? 'partner', ROLES, `partners[${i}].role`), country: optionalString(o.country, `partners[${i}].country`), kind: oneOf(o.kind ?? 'unknown', PARTY_KINDS, `partners[${i}].kind`) };
  });
  if (partners.length === 0) throw new CaseError('partners: a case needs at least one partner');
  const technology = object(root.technology ?? {}, 'technology');
  allowOnly(technology, 'technology.', ['fields', 'description', 'dual_use', 'export_controlled']);
  // "none": the topic is in no sensitive field, said without writing an empty list.
  const fields = technology.fields === 'none' ? [] : listOrUnknown(technology.fields, 'technology.fields');
  for (const f of fields ?? []) if (!known.fields.has(f)) throw new CaseError(`technology.fields: unknown field ${JSON.stringify(f)} (derisk fields lists them)`);
  const application = object(root.application ?? {}, 'application');
  allowOnly(application, 'application.', ['uses', 'description', 'populations', 'languages']);
  const uses = listOrUnknown(application.uses, 'application.uses');
  for (const u of uses ?? []) if (!known.uses.has(u)) throw new CaseError(`application.uses: unknown use ${JSON.stringify(u)} (see data/assessment/ai-act-uses.json)`);
  const populations = listOrUnknown(application.populations, 'application.populations');
  for (const p of populations ?? []) oneOf(p, POPULATIONS, 'application.populations');
  const research = object(root.research ?? {}, 'research');
  allowOnly(research, 'research.', ['type', 'open_publication']);
  const data = object(root.data ?? {}, 'data');
  allowOnly(data, 'data.', ['kinds', 'storage', 'transfer_to_china', 'subjects', 'access']);
  const kinds = listOrUnknown(data.kinds, 'data.kinds');
  for (const k of kinds ?? []) oneOf(k, DATA_KINDS, 'data.kinds');
  const storage = listOrUnknown(data.storage, 'data.storage');
  for (const s of storage ?? []) oneOf(s, STORAGE, 'data.storage');
  const subjects = listOrUnknown(data.subjects, 'data.subjects');
  for (const s of subjects ?? []) oneOf(s, DATA_SUBJECTS, 'data.subjects');
  const terms = object(root.terms ?? {}, 'terms');
  allowOnly(terms, 'terms.', ['equal_access_to_data', 'equal_right_to_publish', 'ip_agreement', 'partner_veto_on_publication']);
  const duration = object(root.duration ?? {}, 'duration');
  allowOnly(duration, 'duration.', ['start', 'months']);
  const start = duration.start instanceof Date ? duration.start.toISOString().slice(0, 10) : optionalString(duration.start, 'duration.start');
  if (start && !/^\d{4}-\d{2}-\d{2}$/.test(start)) throw new CaseError(`duration.start: ${JSON.stringify(start)} is not a date (YYYY-MM-DD)`);
  const months = duration.months ?? null;
  if (months !== null && !(Number.isInteger(months) && (months as number) > 0 && (months as number) <= 240)) throw new CaseError(`duration.months: ${JSON.stringify(months)} is not a number of months (1–240)`);

  const c: Case = {
    kind,
    title: requiredString(root.title, 'title'),
    reference: optionalString(root.reference, 'reference'),
    partners,
    funders: listOrUnknownOf(root.funders, 'funders', (f, where) => {
      const o = object(f, where);
      allowOnly(o, `${where}.`, ['name', 'country', 'kind']);
      return { name: o.name === 'unknown' ? null : requiredString(o.name, `${where}.name`), country: optionalString(o.country, `${where}.country`), kind: oneOf(o.kind ?? 'unknown', PARTY_KINDS, `${where}.kind`) };
    }),
    inKind: listOrUnknownOf(root.in_kind, 'in_kind', (f, where) => {
      const o = object(f, where);
      allowOnly(o, `${where}.`, ['from', 'what', 'kind']);
      return { from: o.from === 'unknown' ? null : requiredString(o.from, `${where}.from`), what: requiredString(o.what, `${where}.what`), kind: oneOf(o.kind ?? 'unknown', PARTY_KINDS, `${where}.kind`) };
    }),
    technology: { fields, description: optionalString(technology.description, 'technology.description'), dualUse: answer(technology.dual_use, 'technology.dual_use'), exportControlled: answer(technology.export_controlled, 'technology.export_controlled') },
    application: { uses, description: optionalString(application.description, 'application.description'), populations, languages: listOrUnknown(application.languages, 'application.languages') },
    research: { type: oneOf(research.type ?? 'unknown', RESEARCH, 'research.type'), openPublication: answer(research.open_publication, 'research.open_publication') },
    data: { kinds, storage, transferToChina: answer(data.transfer_to_china, 'data.transfer_to_china'), subjects, access: oneOf(data.access ?? 'unknown', DATA_ACCESS, 'data.access') },
    terms: {
      equalAccessToData: answer(terms.equal_access_to_data, 'terms.equal_access_to_data'),
      equalRightToPublish: answer(terms.equal_right_to_publish, 'terms.equal_right_to_publish'),
      ipAgreement: answer(terms.ip_agreement, 'terms.ip_agreement'),
      partnerVetoOnPublication: answer(terms.partner_veto_on_publication, 'terms.partner_veto_on_publication'),
    },
    personnel: listOrUnknownOf(root.personnel, 'personnel', (p, where) => {
      const o = object(p, where);
      allowOnly(o, `${where}.`, ['name', 'affiliations', 'talent_programmes', 'past_funding', 'mobility']);
      const mobility = listOrUnknown(o.mobility, `${where}.mobility`);
      for (const m of mobility ?? []) oneOf(m, MOBILITY, `${where}.mobility`);
      return {
        name: requiredString(o.name, `${where}.name`),
        affiliations: strings(o.affiliations ?? [], `${where}.affiliations`),
        talentProgrammes: o.talent_programmes === 'none' ? [] : listOrUnknown(o.talent_programmes, `${where}.talent_programmes`),
        pastFunding: strings(o.past_funding ?? [], `${where}.past_funding`),
        mobility,
      };
    }),
    equipment: list(root.equipment ?? [], 'equipment').map((e, i) => {
      const o = object(e, `equipment[${i}]`);
      allowOnly(o, `equipment[${i}].`, ['item', 'export_controlled']);
      return { item: requiredString(o.item, `equipment[${i}].item`), exportControlled: answer(o.export_controlled, `equipment[${i}].export_controlled`) };
    }),
    duration: { start, months: months as number | null },
    standards: root.standards === undefined || root.standards === null ? null : standardsOf(root.standards, known),
  };
  if (kind === 'standards-engagement' && !c.standards) throw new CaseError('standards: a standards-engagement case says at least which forum (standards.forum, or unknown)');
  if (kind === 'research' && c.standards) throw new CaseError('standards: only a case of kind standards-engagement describes a standards forum');
  checkConsistency(c);
  return c;
}

function standardsOf(v: unknown, known: KnownOptions): Standards {
  const o = object(v, 'standards');
  allowOnly(o, 'standards.', ['forum', 'topics', 'role', 'voting_rights', 'access_to_drafts', 'leadership_open', 'fees_proportionate', 'patents_declared', 'frand_commitment']);
  const forum = o.forum === 'unknown' ? null : optionalString(o.forum, 'standards.forum');
  if (forum && !known.forums.has(forum)) throw new CaseError(`standards.forum: unknown forum ${JSON.stringify(forum)} (see data/assessment/standards.json)`);
  const topics = listOrUnknown(o.topics, 'standards.topics');
  for (const t of topics ?? []) if (!known.topics.has(t)) throw new CaseError(`standards.topics: unknown topic ${JSON.stringify(t)} (see data/assessment/standards.json)`);
  return {
    forum,
    topics,
    role: oneOf(o.role ?? 'unknown', STANDARDS_ROLES, 'standards.role'),
    votingRights: answer(o.voting_rights, 'standards.voting_rights'),
    accessToDrafts: answer(o.access_to_drafts, 'standards.access_to_drafts'),
    leadershipOpen: answer(o.leadership_open, 'standards.leadership_open'),
    feesProportionate: answer(o.fees_proportionate, 'standards.fees_proportionate'),
    patentsDeclared: answer(o.patents_declared, 'standards.patents_declared'),
    frandCommitment: answer(o.frand_commitment, 'standards.frand_commitment'),
  };
}

/** Answers that cannot all be true are refused, not averaged. */
function checkConsistency(c: Case): void {
  if (c.data.kinds && c.data.kinds.includes('none') && c.data.kinds.length > 1) throw new CaseError(`data.kinds: "none" contradicts ${c.data.kinds.filter((k) => k !== 'none').join(', ')}`);
  if (c.data.kinds?.includes('none') && c.data.transferToChina === 'yes') throw new CaseError('data: no data is involved (kinds: none), yet data.transfer_to_china is yes');
  if (c.data.storage?.includes('CN') && c.data.transferToChina === 'no') throw new CaseError('data: storage includes CN, yet data.transfer_to_china is no');
  if (c.terms.equalRightToPublish === 'yes' && c.terms.partnerVetoOnPublication === 'yes') throw new CaseError('terms: an equal right to publish contradicts a partner veto on publication');
  if (c.research.openPublication === 'yes' && c.terms.partnerVetoOnPublication === 'yes') throw new CaseError('research.open_publication is yes, yet terms.partner_veto_on_publication is yes');
  if (c.data.subjects && c.data.subjects.includes('none') && c.data.subjects.length > 1) throw new CaseError(`data.subjects: "none" contradicts ${c.data.subjects.filter((k) => k !== 'none').join(', ')}`);
  if (c.data.kinds?.includes('none') && c.data.access !== 'none' && c.data.access !== 'unknown') throw new CaseError(`data: no data is involved (kinds: none), yet data.access is ${c.data.access}`);
  c.personnel?.forEach((p, i) => {
    if (p.mobility && p.mobility.includes('none') && p.mobility.length > 1) throw new CaseError(`personnel[${i}].mobility: "none" contradicts ${p.mobility.filter((m) => m !== 'none').join(', ')}`);
  });
}

function object(v: unknown, where: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CaseError(`${where}: expected an object`);
  return v as Json;
}

function allowOnly(o: Json, prefix: string, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new CaseError(`${prefix}${k}: unknown field (known: ${keys.join(', ')})`);
}

function list(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new CaseError(`${where}: expected a list`);
  return v;
}

/** A list of objects, or null when it is unknown (missing, null or "unknown"). */
function listOrUnknownOf<T>(v: unknown, where: string, item: (x: unknown, where: string) => T): T[] | null {
  if (v === undefined || v === null || v === 'unknown') return null;
  if (v === 'none') return [];
  return list(v, where).map((x, i) => item(x, `${where}[${i}]`));
}

function listOrUnknown(v: unknown, where: string): string[] | null {
  if (v === undefined || v === null || v === 'unknown') return null;
  return strings(v, where);
}

function strings(v: unknown, where: string): string[] {
  return list(v, where).map((x, i) => {
    if (typeof x !== 'string' || x.trim() === '') throw new CaseError(`${where}[${i}]: expected a non-empty text`);
    return x.trim();
  });
}

function requiredString(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new CaseError(`${where}: required text is missing`);
  return v.trim();
}

function optionalString(v: unknown, where: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new CaseError(`${where}: expected text, got ${JSON.stringify(v)}`);
  return v.trim() === '' ? null : v.trim();
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], where: string): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new CaseError(`${where}: ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
}

function answer(v: unknown, where: string): Answer {
  if (v === undefined || v === null || v === 'unknown') return 'unknown';
  if (v === true || v === 'yes') return 'yes';
  if (v === false || v === 'no') return 'no';
  throw new CaseError(`${where}: ${JSON.stringify(v)} is not yes, no or unknown`);
}
