import { readTextFile } from '../text-file.ts';
import { parse as parseYaml } from 'yaml';

/** An answer a case may not have yet: unknown is never read as "no". */
export type Answer = 'yes' | 'no' | 'unknown';

export interface Partner {
  name: string | null;
  ror: string | null;
  role: 'lead' | 'partner' | 'subcontractor' | 'host' | 'funder';
  country: string | null;
}

export interface Person {
  name: string;
  affiliations: string[];
  talentProgrammes: string[];
  pastFunding: string[];
}

export interface Case {
  title: string;
  reference: string | null;
  partners: Partner[];
  funders: { name: string; country: string | null }[];
  inKind: { from: string; what: string }[];
  technology: { fields: string[] | null; description: string | null; dualUse: Answer; exportControlled: Answer };
  application: { uses: string[] | null; description: string | null };
  research: { type: 'basic' | 'applied' | 'development' | 'unknown'; openPublication: Answer };
  data: { kinds: string[] | null; storage: string[] | null; transferToChina: Answer };
  terms: { equalAccessToData: Answer; equalRightToPublish: Answer; ipAgreement: Answer; partnerVetoOnPublication: Answer };
  personnel: Person[];
  equipment: { item: string; exportControlled: Answer }[];
  duration: { start: string | null; months: number | null };
}

export class CaseError extends Error {
  readonly statusCode = 400;
}

export const DATA_KINDS = ['none', 'public', 'anonymised', 'personal', 'health', 'biometric', 'important', 'proprietary'] as const;
const STORAGE = ['EU', 'CN', 'other'] as const;
const ROLES = ['lead', 'partner', 'subcontractor', 'host', 'funder'] as const;
const RESEARCH = ['basic', 'applied', 'development', 'unknown'] as const;

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
export function readCase(file: string, known: { fields: Set<string>; uses: Set<string> }): Case {
  const doc = readCaseDocument(file);
  try {
    return validateCase(doc, known);
  } catch (e) {
    if (e instanceof CaseError) throw new CaseError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Validates a case given as data (from a file, the web form or the HTTP API). */
export function validateCase(doc: unknown, known: { fields: Set<string>; uses: Set<string> }): Case {
  const root = object(doc, 'the case');
  allowOnly(root, '', ['title', 'reference', 'partners', 'funders', 'in_kind', 'technology', 'application', 'research', 'data', 'terms', 'personnel', 'equipment', 'duration']);
  const partners = list(root.partners, 'partners').map((p, i) => {
    const o = object(p, `partners[${i}]`);
    allowOnly(o, `partners[${i}].`, ['name', 'ror', 'role', 'country']);
    const name = optionalString(o.name, `partners[${i}].name`);
    const ror = optionalString(o.ror, `partners[${i}].ror`)?.replace(/^https?:\/\/ror\.org\//, '') ?? null;
    if (!name && !ror) throw new CaseError(`partners[${i}]: give a name or a ROR id`);
    if (ror && !/^0[a-z0-9]{6}\d{2}$/.test(ror)) throw new CaseError(`partners[${i}].ror: ${JSON.stringify(o.ror)} is not a ROR id`);
    return { name, ror, role: oneOf(o.role ?? 'partner', ROLES, `partners[${i}].role`), country: optionalString(o.country, `partners[${i}].country`) };
  });
  if (partners.length === 0) throw new CaseError('partners: a case needs at least one partner');
  const technology = object(root.technology ?? {}, 'technology');
  allowOnly(technology, 'technology.', ['fields', 'description', 'dual_use', 'export_controlled']);
  const fields = listOrUnknown(technology.fields, 'technology.fields');
  for (const f of fields ?? []) if (!known.fields.has(f)) throw new CaseError(`technology.fields: unknown field ${JSON.stringify(f)} (derisk fields lists them)`);
  const application = object(root.application ?? {}, 'application');
  allowOnly(application, 'application.', ['uses', 'description']);
  const uses = listOrUnknown(application.uses, 'application.uses');
  for (const u of uses ?? []) if (!known.uses.has(u)) throw new CaseError(`application.uses: unknown use ${JSON.stringify(u)} (see data/assessment/ai-act-uses.json)`);
  const research = object(root.research ?? {}, 'research');
  allowOnly(research, 'research.', ['type', 'open_publication']);
  const data = object(root.data ?? {}, 'data');
  allowOnly(data, 'data.', ['kinds', 'storage', 'transfer_to_china']);
  const kinds = listOrUnknown(data.kinds, 'data.kinds');
  for (const k of kinds ?? []) oneOf(k, DATA_KINDS, 'data.kinds');
  const storage = listOrUnknown(data.storage, 'data.storage');
  for (const s of storage ?? []) oneOf(s, STORAGE, 'data.storage');
  const terms = object(root.terms ?? {}, 'terms');
  allowOnly(terms, 'terms.', ['equal_access_to_data', 'equal_right_to_publish', 'ip_agreement', 'partner_veto_on_publication']);
  const duration = object(root.duration ?? {}, 'duration');
  allowOnly(duration, 'duration.', ['start', 'months']);
  const start = duration.start instanceof Date ? duration.start.toISOString().slice(0, 10) : optionalString(duration.start, 'duration.start');
  if (start && !/^\d{4}-\d{2}-\d{2}$/.test(start)) throw new CaseError(`duration.start: ${JSON.stringify(start)} is not a date (YYYY-MM-DD)`);
  const months = duration.months ?? null;
  if (months !== null && !(Number.isInteger(months) && (months as number) > 0 && (months as number) <= 240)) throw new CaseError(`duration.months: ${JSON.stringify(months)} is not a number of months (1–240)`);

  const c: Case = {
    title: requiredString(root.title, 'title'),
    reference: optionalString(root.reference, 'reference'),
    partners,
    funders: list(root.funders ?? [], 'funders').map((f, i) => {
      const o = object(f, `funders[${i}]`);
      allowOnly(o, `funders[${i}].`, ['name', 'country']);
      return { name: requiredString(o.name, `funders[${i}].name`), country: optionalString(o.country, `funders[${i}].country`) };
    }),
    inKind: list(root.in_kind ?? [], 'in_kind').map((f, i) => {
      const o = object(f, `in_kind[${i}]`);
      allowOnly(o, `in_kind[${i}].`, ['from', 'what']);
      return { from: requiredString(o.from, `in_kind[${i}].from`), what: requiredString(o.what, `in_kind[${i}].what`) };
    }),
    technology: { fields, description: optionalString(technology.description, 'technology.description'), dualUse: answer(technology.dual_use, 'technology.dual_use'), exportControlled: answer(technology.export_controlled, 'technology.export_controlled') },
    application: { uses, description: optionalString(application.description, 'application.description') },
    research: { type: oneOf(research.type ?? 'unknown', RESEARCH, 'research.type'), openPublication: answer(research.open_publication, 'research.open_publication') },
    data: { kinds, storage, transferToChina: answer(data.transfer_to_china, 'data.transfer_to_china') },
    terms: {
      equalAccessToData: answer(terms.equal_access_to_data, 'terms.equal_access_to_data'),
      equalRightToPublish: answer(terms.equal_right_to_publish, 'terms.equal_right_to_publish'),
      ipAgreement: answer(terms.ip_agreement, 'terms.ip_agreement'),
      partnerVetoOnPublication: answer(terms.partner_veto_on_publication, 'terms.partner_veto_on_publication'),
    },
    personnel: list(root.personnel ?? [], 'personnel').map((p, i) => {
      const o = object(p, `personnel[${i}]`);
      allowOnly(o, `personnel[${i}].`, ['name', 'affiliations', 'talent_programmes', 'past_funding']);
      return {
        name: requiredString(o.name, `personnel[${i}].name`),
        affiliations: strings(o.affiliations ?? [], `personnel[${i}].affiliations`),
        talentProgrammes: strings(o.talent_programmes ?? [], `personnel[${i}].talent_programmes`),
        pastFunding: strings(o.past_funding ?? [], `personnel[${i}].past_funding`),
      };
    }),
    equipment: list(root.equipment ?? [], 'equipment').map((e, i) => {
      const o = object(e, `equipment[${i}]`);
      allowOnly(o, `equipment[${i}].`, ['item', 'export_controlled']);
      return { item: requiredString(o.item, `equipment[${i}].item`), exportControlled: answer(o.export_controlled, `equipment[${i}].export_controlled`) };
    }),
    duration: { start, months: months as number | null },
  };
  checkConsistency(c);
  return c;
}

/** Answers that cannot all be true are refused, not averaged. */
function checkConsistency(c: Case): void {
  if (c.data.kinds && c.data.kinds.includes('none') && c.data.kinds.length > 1) throw new CaseError(`data.kinds: "none" contradicts ${c.data.kinds.filter((k) => k !== 'none').join(', ')}`);
  if (c.data.kinds?.includes('none') && c.data.transferToChina === 'yes') throw new CaseError('data: no data is involved (kinds: none), yet data.transfer_to_china is yes');
  if (c.data.storage?.includes('CN') && c.data.transferToChina === 'no') throw new CaseError('data: storage includes CN, yet data.transfer_to_china is no');
  if (c.terms.equalRightToPublish === 'yes' && c.terms.partnerVetoOnPublication === 'yes') throw new CaseError('terms: an equal right to publish contradicts a partner veto on publication');
  if (c.research.openPublication === 'yes' && c.terms.partnerVetoOnPublication === 'yes') throw new CaseError('research.open_publication is yes, yet terms.partner_veto_on_publication is yes');
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
