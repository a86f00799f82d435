import { statSync } from 'node:fs';
import { readTextFile } from '../text-file.ts';
import { parse as parseYaml } from 'yaml';
import Type, { type Static, type TSchema } from '../vendor/typebox.ts';
import { ValidationError } from '../errors.ts';
import { checkSchema, choicesAt, type Choice } from '../schema.ts';
import { countryCodeOf } from '../regions/countries.ts';
import { overPartyLimit } from '../screening/field-limit.ts';

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
  /** Null when not given: a participant's affiliations unknown are not "none". */
  affiliations: string[] | null;
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
  /** minoritiesWholeProject: the minority-language or minority-targeted component is the whole project (nothing is left without it). */
  application: { uses: string[] | null; description: string | null; populations: string[] | null; languages: string[] | null; minoritiesWholeProject: Answer };
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
/** The populations that make an application one aimed at minorities (beside a language of concern). */
export const MINORITY_POPULATIONS: readonly string[] = ['ethnic-minorities', 'religious-minorities', 'minority-language-speakers'];
export const MOBILITY = ['none', 'visit', 'secondment', 'co-supervised-doctorate', 'joint-appointment'] as const;
export const STANDARDS_ROLES = ['member', 'observer', 'editor', 'convenor', 'unknown'] as const;
const ROLES = ['lead', 'partner', 'subcontractor', 'host', 'funder'] as const;
const RESEARCH = ['unknown', 'basic', 'applied', 'development'] as const;

// The case document as written (a YAML or JSON file, an HTTP body): the one schema that checks both,
// documents the API and lists the form's choices. Every list may be "unknown" (or absent, or null):
// unknown is never read as "none", which is said explicitly where it makes sense.
const enumeration = <T extends string>(values: readonly T[]) => Type.Enum([...values]);
/** Choices with the words a form shows for them (JSON Schema's const with a title). */
const titled = <T extends string>(choices: Record<T, string>, options: { description?: string } = {}) =>
  Type.Unsafe<T>(
    Type.Union(
      Object.entries<string>(choices).map(([v, title]) => Type.Literal(v, { title })),
      options,
    ),
  );
/**
 * Round 50 (bound54): every text and list of a case is bounded, and the whole case is at most CASE_MAX_BYTES
 * as a file or an HTTP body. The bounds are far above any real case (a screened party field is refused over
 * 500 characters in the core, with its own reason), so a case stored before them is read as it was.
 */
export const CASE_TEXT_CHARS = 10_000;
export const CASE_LIST_ITEMS = 1000;
/** The most bytes a case file or case body may take: four times the server's default body limit, which it was until round 50. */
export const CASE_MAX_BYTES = 1024 * 1024;
/** Why a case of `bytes` is refused, naming where it was given. */
const overCaseLimit = (where: string, bytes: number): string => `${where}: ${bytes.toLocaleString('en')} bytes, over the ${CASE_MAX_BYTES.toLocaleString('en')} a case may take`;
const list = <T extends TSchema>(items: T, options: object = {}) => Type.Array(items, { maxItems: CASE_LIST_ITEMS, ...options });
const text = Type.String({ minLength: 1, maxLength: CASE_TEXT_CHARS, pattern: '\\S' });
const optionalText = Type.Optional(Type.Union([Type.String({ maxLength: CASE_TEXT_CHARS }), Type.Null()]));
const texts = list(text);
const UNKNOWN = Type.Literal('unknown');
const NONE = Type.Literal('none', { description: 'there are none' });
/** A list, or unknown (the word, null or absent). */
const listOrUnknown = <T extends TSchema>(items: T) => Type.Optional(Type.Union([list(items), UNKNOWN, Type.Null()]));
/** A list, none (an empty list said without writing one), or unknown. */
const listNoneOrUnknown = <T extends TSchema>(items: T) => Type.Optional(Type.Union([list(items), NONE, UNKNOWN, Type.Null()]));
const ANSWER_CHOICES = { unknown: 'unknown', yes: 'yes', no: 'no' };
const ANSWER = { description: 'yes, no or unknown' };
const answer = Type.Optional(Type.Union([titled(ANSWER_CHOICES, ANSWER), Type.Boolean(), Type.Null()], ANSWER));
const partyKind = Type.Optional(enumeration(PARTY_KINDS));
// Empty is "not given", as for any optional text.
const ROR_ID = Type.String({ maxLength: 100, pattern: '^((https?://ror\\.org/)?0[a-z0-9]{6}\\d{2}|\\s*)$', description: 'a ROR id' });

export const CaseDocument = Type.Object(
  {
    kind: Type.Optional(titled<(typeof CASE_KINDS)[number]>({ research: 'joint research project', 'standards-engagement': 'standards engagement' })),
    title: text,
    reference: optionalText,
    partners: list(
      Type.Object(
        {
          name: optionalText,
          ror: Type.Optional(Type.Union([ROR_ID, Type.Null()], { description: 'a ROR id' })),
          description: optionalText,
          role: Type.Optional(enumeration(ROLES)),
          country: optionalText,
          kind: partyKind,
        },
        { additionalProperties: false, title: 'A partner named (name or ror), or not yet named (name: unknown, with a description of who is meant)' },
      ),
      { minItems: 1, 'x-messages': { minItems: 'a case needs at least one partner' } },
    ),
    funders: listNoneOrUnknown(Type.Object({ name: text, country: optionalText, kind: partyKind }, { additionalProperties: false })),
    in_kind: listNoneOrUnknown(Type.Object({ from: text, what: text, kind: partyKind }, { additionalProperties: false })),
    technology: Type.Optional(Type.Object({ fields: listNoneOrUnknown(text), description: optionalText, dual_use: answer, export_controlled: answer }, { additionalProperties: false })),
    application: Type.Optional(
      Type.Object(
        {
          uses: listOrUnknown(text),
          description: optionalText,
          populations: listOrUnknown(enumeration(POPULATIONS)),
          languages: listOrUnknown(text),
          // Whether anything of the joint work is left once the minority component leaves it: the red route depends on it.
          minorities_whole_project: answer,
        },
        { additionalProperties: false },
      ),
    ),
    research: Type.Optional(Type.Object({ type: Type.Optional(enumeration(RESEARCH)), open_publication: answer }, { additionalProperties: false })),
    data: Type.Optional(
      Type.Object(
        {
          kinds: listOrUnknown(enumeration(DATA_KINDS)),
          storage: listOrUnknown(titled({ EU: 'EU', CN: 'China', other: 'elsewhere' })),
          transfer_to_china: answer,
          subjects: listOrUnknown(enumeration(DATA_SUBJECTS)),
          access: Type.Optional(enumeration(DATA_ACCESS)),
        },
        { additionalProperties: false },
      ),
    ),
    terms: Type.Optional(Type.Object({ equal_access_to_data: answer, equal_right_to_publish: answer, ip_agreement: answer, partner_veto_on_publication: answer }, { additionalProperties: false })),
    personnel: listNoneOrUnknown(Type.Object({ name: text, affiliations: listNoneOrUnknown(text), talent_programmes: listNoneOrUnknown(text), past_funding: Type.Optional(texts), mobility: listOrUnknown(enumeration(MOBILITY)) }, { additionalProperties: false })),
    equipment: Type.Optional(list(Type.Object({ item: text, export_controlled: answer }, { additionalProperties: false }))),
    duration: Type.Optional(
      Type.Object(
        {
          start: Type.Optional(Type.Union([Type.String({ maxLength: 10, pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a date (YYYY-MM-DD)' }), Type.Null()], { description: 'a date (YYYY-MM-DD)' })),
          months: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 240, description: 'a number of months (1–240)' }), Type.Null()], { description: 'a number of months (1–240)' })),
        },
        { additionalProperties: false },
      ),
    ),
    standards: Type.Optional(
      Type.Union([
        Type.Object(
          {
            forum: optionalText,
            topics: listOrUnknown(text),
            role: Type.Optional(enumeration(STANDARDS_ROLES)),
            voting_rights: answer,
            access_to_drafts: answer,
            leadership_open: answer,
            fees_proportionate: answer,
            patents_declared: answer,
            frand_commitment: answer,
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
    ),
  },
  { additionalProperties: false, title: 'A proposed collaboration (case)' },
);
export type CaseDocument = Static<typeof CaseDocument>;

/** What a case document may say where it offers fixed choices, read from its schema: the web form's options. */
export function caseChoices(): Record<string, Choice[]> {
  const at = (...path: string[]) => choicesAt(CaseDocument, path);
  return {
    kind: at('kind'),
    partnerRole: at('partners', '[]', 'role'),
    partyKind: at('partners', '[]', 'kind'),
    answer: at('terms', 'ip_agreement'),
    researchType: at('research', 'type'),
    populations: at('application', 'populations', '[]'),
    dataKinds: at('data', 'kinds', '[]'),
    storage: at('data', 'storage', '[]'),
    dataSubjects: at('data', 'subjects', '[]'),
    dataAccess: at('data', 'access'),
    mobility: at('personnel', '[]', 'mobility', '[]'),
    standardsRole: at('standards', 'role'),
  };
}

export interface KnownOptions {
  fields: Set<string>;
  uses: Set<string>;
  forums: Set<string>;
  topics: Set<string>;
}

/** A case file as data (YAML or JSON), before validation. */
export function readCaseDocument(file: string): unknown {
  // Refused before it is read or parsed, with the limit the HTTP body has.
  const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  if (size > CASE_MAX_BYTES) throw new CaseError(overCaseLimit(file, size));
  const text = readTextFile(file, (m) => new CaseError(m));
  try {
    // Dates stay text ("2027-01-01"), as JSON would give them: the file and the HTTP body are one document.
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { schema: 'core' });
  } catch (e) {
    throw new CaseError(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** The case's fields screened as parties, each refused over the bound a party field may hold, naming the field. */
function partyFieldsOver(root: CaseDocument): void {
  const list = <T>(l: T[] | string | null | undefined): T[] => (Array.isArray(l) ? l : []);
  const fields: [string, string | null | undefined][] = [
    ...root.partners.map((p, i): [string, string | null | undefined] => [`partners[${i}].name`, p.name]),
    ...list(root.funders).map((f, i): [string, string] => [`funders[${i}].name`, f.name]),
    ...list(root.in_kind).map((k, i): [string, string] => [`in_kind[${i}].from`, k.from]),
    ...list(root.personnel).flatMap((p, i) => [...list(p.affiliations).map((a, j): [string, string] => [`personnel[${i}].affiliations[${j}]`, a]), ...list(p.talent_programmes).map((t, j): [string, string] => [`personnel[${i}].talent_programmes[${j}]`, t])]),
  ];
  for (const [where, value] of fields) {
    const over = typeof value === 'string' ? overPartyLimit(where, value) : undefined;
    if (over) throw new CaseError(over);
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

/**
 * A case stored with a verdict, as it was assessed: checked when it was, it is not checked again
 * against today's vocabularies or registry (a use renamed since must not make an old report unprintable).
 */
export const caseAsAssessed = (doc: unknown): Case => validateCase(doc, null);

/**
 * Validates a case given as data (from a file, the web form or the HTTP API): the schema, then the
 * bundle's vocabularies and the answers together. Without vocabularies (null), a case stored with a
 * verdict is read as it was assessed, whatever today's bundle calls its fields and uses.
 */
export function validateCase(doc: unknown, known: KnownOptions | null): Case {
  checkSchema(CaseDocument, doc, (m) => new CaseError(m), 'the case');
  const root = doc as CaseDocument;
  // A new case's screened fields are bounded as any party field is; one stored with a verdict (known null) is read as assessed.
  if (known) partyFieldsOver(root);
  const kind = root.kind ?? 'research';
  const partners = root.partners.map((p, i) => {
    const named = p.name === 'unknown' ? null : trimmed(p.name);
    const ror = trimmed(p.ror)?.replace(/^https?:\/\/ror\.org\//, '') ?? null;
    const description = trimmed(p.description);
    // A partner not yet named is allowed, but must be said so: it is screened as unknown, never as unlisted.
    if (!named && !ror && p.name !== 'unknown' && !description) throw new CaseError(`partners[${i}]: give a name or a ROR id (or name: unknown with a description of who is meant)`);
    return { name: named, ror, description, role: p.role ?? 'partner', country: countryOf(`partners[${i}].country`, p.country, known), kind: p.kind ?? 'unknown' };
  });
  const technology = root.technology ?? {};
  const fields = listOf(technology.fields);
  for (const f of fields ?? []) if (known && !known.fields.has(f)) throw new CaseError(`technology.fields: unknown field ${JSON.stringify(f)} (derisk fields lists them)`);
  const application = root.application ?? {};
  const uses = listOf(application.uses);
  for (const u of uses ?? []) if (known && !known.uses.has(u)) throw new CaseError(`application.uses: unknown use ${JSON.stringify(u)} (see data/assessment/ai-act-uses.json)`);
  const research = root.research ?? {};
  const data = root.data ?? {};
  const terms = root.terms ?? {};
  const duration = root.duration ?? {};
  const c: Case = {
    kind,
    title: root.title.trim(),
    reference: trimmed(root.reference),
    partners,
    funders: listOf(root.funders)?.map((f, i) => ({ name: f.name === 'unknown' ? null : f.name.trim(), country: countryOf(`funders[${i}].country`, f.country, known), kind: f.kind ?? 'unknown' })) ?? null,
    inKind: listOf(root.in_kind)?.map((f) => ({ from: f.from === 'unknown' ? null : f.from.trim(), what: f.what.trim(), kind: f.kind ?? 'unknown' })) ?? null,
    technology: { fields, description: trimmed(technology.description), dualUse: answerOf(technology.dual_use), exportControlled: answerOf(technology.export_controlled) },
    application: { uses, description: trimmed(application.description), populations: listOf(application.populations), languages: listOf(application.languages), minoritiesWholeProject: answerOf(application.minorities_whole_project) },
    research: { type: research.type ?? 'unknown', openPublication: answerOf(research.open_publication) },
    data: { kinds: listOf(data.kinds), storage: listOf(data.storage), transferToChina: answerOf(data.transfer_to_china), subjects: listOf(data.subjects), access: data.access ?? 'unknown' },
    terms: {
      equalAccessToData: answerOf(terms.equal_access_to_data),
      equalRightToPublish: answerOf(terms.equal_right_to_publish),
      ipAgreement: answerOf(terms.ip_agreement),
      partnerVetoOnPublication: answerOf(terms.partner_veto_on_publication),
    },
    personnel:
      listOf(root.personnel)?.map((p) => ({
        name: p.name.trim(),
        affiliations: listOf(p.affiliations),
        talentProgrammes: listOf(p.talent_programmes),
        pastFunding: (p.past_funding ?? []).map((f) => f.trim()),
        mobility: listOf(p.mobility),
      })) ?? null,
    equipment: (root.equipment ?? []).map((e) => ({ item: e.item.trim(), exportControlled: answerOf(e.export_controlled) })),
    duration: { start: trimmed(duration.start), months: duration.months ?? null },
    standards: root.standards ? standardsOf(root.standards, known) : null,
  };
  if (kind === 'standards-engagement' && !c.standards) throw new CaseError('standards: a standards-engagement case says at least which forum (standards.forum, or unknown)');
  if (kind === 'research' && c.standards) throw new CaseError('standards: only a case of kind standards-engagement describes a standards forum');
  checkConsistency(c);
  return c;
}

/**
 * A party's country as written, when derisk reads it as a country: an ISO 3166-1 alpha-2 code
 * ("UK" and "EL", common but not ISO, are read as GB and GR) or a country's name. Anything else is
 * refused: the screening and the exchange tell where a partner is, and whether it is European, by
 * it. A case stored with a verdict keeps the country it was assessed with.
 */
function countryOf(where: string, given: string | null | undefined, known: KnownOptions | null): string | null {
  const country = trimmed(given);
  if (country === null || known === null || countryCodeOf(country) !== null) return country;
  throw new CaseError(`${where}: ${JSON.stringify(country)} is no country derisk knows: give its ISO 3166-1 alpha-2 code (GB for the United Kingdom, GR for Greece, CN for China; data/regions/countries.json lists them) or its name`);
}

function standardsOf(o: NonNullable<CaseDocument['standards']>, known: KnownOptions | null): Standards {
  const forum = o.forum === 'unknown' ? null : trimmed(o.forum);
  if (forum && known && !known.forums.has(forum)) throw new CaseError(`standards.forum: unknown forum ${JSON.stringify(forum)} (see data/assessment/standards.json)`);
  const topics = listOf(o.topics);
  for (const t of topics ?? []) if (known && !known.topics.has(t)) throw new CaseError(`standards.topics: unknown topic ${JSON.stringify(t)} (see data/assessment/standards.json)`);
  return {
    forum,
    topics,
    role: o.role ?? 'unknown',
    votingRights: answerOf(o.voting_rights),
    accessToDrafts: answerOf(o.access_to_drafts),
    leadershipOpen: answerOf(o.leadership_open),
    feesProportionate: answerOf(o.fees_proportionate),
    patentsDeclared: answerOf(o.patents_declared),
    frandCommitment: answerOf(o.frand_commitment),
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
  const subjects = c.data.subjects?.filter((s) => s !== 'none') ?? [];
  if (c.data.kinds?.includes('none') && subjects.length > 0) throw new CaseError(`data: no data is involved (kinds: none), yet data.subjects names ${subjects.join(', ')}`);
  const { populations, languages } = c.application;
  if (c.application.minoritiesWholeProject === 'yes' && populations !== null && !populations.some((p) => MINORITY_POPULATIONS.includes(p)) && languages !== null && languages.length === 0)
    throw new CaseError(`application.minorities_whole_project is yes, yet the application is aimed at no minority (populations: ${populations.join(', ') || 'none'}) and handles no language`);
  c.personnel?.forEach((p, i) => {
    if (p.mobility && p.mobility.includes('none') && p.mobility.length > 1) throw new CaseError(`personnel[${i}].mobility: "none" contradicts ${p.mobility.filter((m) => m !== 'none').join(', ')}`);
  });
}

/** Optional text as the case keeps it: trimmed, and null when empty. */
function trimmed(v: string | null | undefined): string | null {
  return v === undefined || v === null || v.trim() === '' ? null : v.trim();
}

/** A list as the case keeps it: null when unknown, [] for "none", each text trimmed. */
function listOf<T>(v: readonly T[] | 'none' | 'unknown' | null | undefined): T[] | null {
  if (v === undefined || v === null || v === 'unknown') return null;
  if (v === 'none') return [];
  return v.map((x) => (typeof x === 'string' ? (x.trim() as T) : x));
}

function answerOf(v: boolean | 'yes' | 'no' | 'unknown' | null | undefined): Answer {
  if (v === true || v === 'yes') return 'yes';
  if (v === false || v === 'no') return 'no';
  return 'unknown';
}
