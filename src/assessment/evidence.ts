import { listValue } from '@duckdb/node-api';
import type { Taxonomy } from '../fields/taxonomy.ts';
import type { Weights } from '../screening/portfolio.ts';
import type { Hit, ScreenResult, Screener } from '../screening/screener.ts';
import { LEVELS, type Level } from '../screening/lists.ts';
import type { Store } from '../store/store.ts';
import { TIERS, type AiUse } from './ai-act.ts';
import type { Answer, Case } from './case.ts';
import type { Value } from './expression.ts';

/** Every fact a criterion may read, with what it means. A rulebook naming any other is refused. */
export const EVIDENCE: Record<string, string> = {
  'partners.max_level': 'highest risk level of any partner on any loaded list: 0 none, 1 low, 2 medium, 3 high, 4 very high',
  'partners.listed': 'some partner is on a loaded list (directly or through a listed parent)',
  'partners.lists': 'ids of the lists naming a partner',
  'partners.sanctioned': 'some partner is on an export-control or sanctions list (BIS Entity/MEU, OFAC, State, 1260H, FCC)',
  'partners.defence_listed': 'some partner is on a defence-university or research-organisation list (ASPI, Sec. 1286, Canada NRO)',
  'partners.chinese': 'some partner is in the People’s Republic of China (incl. Hong Kong and Macao)',
  'funding.listed': 'a funder or in-kind provider is on a loaded list',
  'funding.max_level': 'highest risk level of any funder or in-kind provider (0–4)',
  'personnel.talent_programme': 'someone on the project takes part in a foreign talent programme (unknown if personnel not given)',
  'personnel.talent_programme_listed': 'a talent programme named is on a loaded list (e.g. Sec. 1286 Table 2)',
  'personnel.affiliation_listed': 'someone on the project holds an affiliation with a listed entity',
  'technology.critical': 'the fields include an EU critical technology area (Rec. (EU) 2023/2113)',
  'technology.most_sensitive': 'the fields include AI, semiconductors, quantum or biotechnology (the four most immediate risks)',
  'technology.sensitivity': 'highest field sensitivity weight (data/screening/sensitivity.json)',
  'technology.dual_use': 'the technology has declared dual-use potential',
  'technology.export_controlled': 'the technology or any equipment is export-controlled',
  'application.ai_act_tier': 'EU AI Act tier of the intended application: out-of-scope, minimal, limited, high, unacceptable',
  'application.ai_act_rank': 'the tier as a rank: 0 out of scope, 1 minimal, 2 limited, 3 high, 4 unacceptable',
  'application.surveillance': 'an intended use serves surveillance (social scoring, policing, border control, biometric identification)',
  'application.biometric': 'an intended use processes biometric data',
  'application.military': 'an intended use is military or defence',
  'data.none': 'no data is involved',
  'data.personal': 'personal data (incl. health and biometric) is involved',
  'data.important': '"important data" in the sense of China’s Data Security Law is involved',
  'data.sensitive': 'personal, health, biometric, important or proprietary data is involved',
  'data.transfer_to_china': 'data will be transferred to China',
  'data.stored_in_china': 'data will be stored in China',
  'terms.equal_access_to_data': 'both sides have equal access to the project data',
  'terms.equal_right_to_publish': 'both sides have an equal right to publish',
  'terms.ip_agreement': 'a written IP agreement with a fair share of results exists',
  'terms.partner_veto_on_publication': 'the partner can veto publication',
  'research.basic': 'the research is basic research',
  'research.open_publication': 'results will be published openly',
  'copubs.listed_5y': 'co-publications of the partners with listed entities in the five years before the assessment (evidence store)',
  'copubs.partner_works_5y': 'works of the partners in the evidence store in those five years',
};

export interface PartnerScreen {
  role: string;
  query: string;
  rorId: string | null;
  countryCode: string | null;
  hits: Hit[];
  similar: ScreenResult['similar'];
}

export interface Evidence {
  facts: Record<string, Value>;
  /** Where each fact came from, in words, for the report. */
  notes: Record<string, string>;
  partners: PartnerScreen[];
  funders: PartnerScreen[];
}

const SANCTIONS = new Set(['us-bis-entity-list', 'us-bis-meu', 'us-ofac-nscmic', 'us-ofac-eo14032', 'us-state-nonproliferation', 'us-dow-1260h', 'us-fcc-covered']);
const DEFENCE = new Set(['aspi-unitracker', 'us-dow-1286', 'ca-nro']);
const CHINA = new Set(['CN', 'HK', 'MO', 'China', 'PRC', "People's Republic of China", 'Hong Kong', 'Macao']);

const levelRank = (l: Level): number => LEVELS.length - LEVELS.indexOf(l);
const tri = (a: Answer): boolean | null => (a === 'unknown' ? null : a === 'yes');
const maxRank = (hits: Hit[]) => hits.reduce((m, h) => Math.max(m, levelRank(h.level)), 0);

export interface EvidenceSources {
  screener: Screener;
  store: Store;
  taxonomy: Taxonomy;
  weights: Weights;
  uses: Map<string, AiUse>;
}

function screenParty(screener: Screener, role: string, name: string | null, ror: string | null): PartnerScreen {
  const r = ror ? screener.screenRor(ror) : screener.screen(name!);
  const exact = r.institutions.find((i) => i.tier === 'exact');
  return { role, query: ror ?? name!, rorId: ror ?? exact?.rorId ?? null, countryCode: exact?.countryCode ?? null, hits: r.hits, similar: r.similar };
}

/** Gathers everything the criteria read: the case's answers, screening of every party, the evidence store. */
export async function gatherEvidence(c: Case, sources: EvidenceSources, asOf: string): Promise<Evidence> {
  const { screener } = sources;
  const partners = c.partners.map((p) => screenParty(screener, p.role, p.name, p.ror));
  const funders = [...c.funders.map((f) => screenParty(screener, 'funder', f.name, null)), ...c.inKind.map((k) => screenParty(screener, `in-kind: ${k.what}`, k.from, null))];
  const partnerHits = partners.flatMap((p) => p.hits);
  const funderHits = funders.flatMap((f) => f.hits);
  const people = c.personnel;
  const programmes = people.flatMap((p) => p.talentProgrammes);
  const programmeHits = programmes.flatMap((t) => screener.screen(t).hits);
  const affiliationHits = people.flatMap((p) => p.affiliations).flatMap((a) => screener.screen(a).hits);

  const fields = c.technology.fields;
  const critical = fields === null ? null : fields.some((f) => sources.taxonomy.fields.get(f)?.family === 'eu-critical-2023' || (sources.weights.field.get(f)?.weight ?? 0) >= 2);
  const sensitivity = fields === null ? null : Math.max(sources.weights.defaultField.weight, ...fields.map((f) => sources.weights.field.get(f)?.weight ?? sources.weights.defaultField.weight));
  const uses = c.application.uses?.map((u) => sources.uses.get(u)!) ?? null;
  const tier = uses === null ? null : uses.length === 0 ? 'minimal' : uses.reduce<string>((worst, u) => (TIERS.indexOf(u.tier) > TIERS.indexOf(worst as never) ? u.tier : worst), 'out-of-scope');
  const tagged = (tag: string) => (uses === null ? null : uses.some((u) => u.tags.includes(tag)));
  const kinds = c.data.kinds;
  const has = (...k: string[]) => (kinds === null ? null : kinds.some((x) => k.includes(x)));
  const equipmentControlled = c.equipment.some((e) => e.exportControlled === 'yes') ? true : c.equipment.every((e) => e.exportControlled === 'no') ? false : null;
  const technologyControlled = tri(c.technology.exportControlled) === true || equipmentControlled === true ? true : tri(c.technology.exportControlled) === false && equipmentControlled === false ? false : null;

  const copubs = await coPublications(sources.store, partners.map((p) => p.rorId).filter((id): id is string => id !== null), asOf);
  const facts: Record<string, Value> = {
    'partners.max_level': maxRank(partnerHits),
    'partners.listed': partnerHits.length > 0,
    'partners.lists': [...new Set(partnerHits.map((h) => h.list))].sort(),
    'partners.sanctioned': partnerHits.some((h) => SANCTIONS.has(h.list)),
    'partners.defence_listed': partnerHits.some((h) => DEFENCE.has(h.list)),
    'partners.chinese': c.partners.some((p) => p.country !== null && CHINA.has(p.country)) || partners.some((p) => ['CN', 'HK', 'MO'].includes(p.countryCode ?? '')),
    'funding.listed': funderHits.length > 0,
    'funding.max_level': maxRank(funderHits),
    'personnel.talent_programme': people.length === 0 ? null : programmes.length > 0,
    'personnel.talent_programme_listed': people.length === 0 ? null : programmeHits.length > 0,
    'personnel.affiliation_listed': people.length === 0 ? null : affiliationHits.length > 0,
    'technology.critical': critical,
    'technology.most_sensitive': fields === null ? null : (sensitivity ?? 0) >= 3,
    'technology.sensitivity': sensitivity,
    'technology.dual_use': tri(c.technology.dualUse),
    'technology.export_controlled': technologyControlled,
    'application.ai_act_tier': tier,
    'application.ai_act_rank': tier === null ? null : TIERS.indexOf(tier as never),
    'application.surveillance': tagged('surveillance'),
    'application.biometric': tagged('biometric'),
    'application.military': tagged('military'),
    'data.none': kinds === null ? null : kinds.includes('none'),
    'data.personal': has('personal', 'health', 'biometric'),
    'data.important': has('important'),
    'data.sensitive': has('personal', 'health', 'biometric', 'important', 'proprietary'),
    'data.transfer_to_china': tri(c.data.transferToChina),
    'data.stored_in_china': c.data.storage === null ? null : c.data.storage.includes('CN'),
    'terms.equal_access_to_data': tri(c.terms.equalAccessToData),
    'terms.equal_right_to_publish': tri(c.terms.equalRightToPublish),
    'terms.ip_agreement': tri(c.terms.ipAgreement),
    'terms.partner_veto_on_publication': tri(c.terms.partnerVetoOnPublication),
    'research.basic': c.research.type === 'unknown' ? null : c.research.type === 'basic',
    'research.open_publication': tri(c.research.openPublication),
    'copubs.listed_5y': copubs.listed,
    'copubs.partner_works_5y': copubs.works,
  };
  const notes: Record<string, string> = {
    'partners.max_level': partnerHits.length ? partnerHits.map((h) => `${h.entry} on ${h.list} (${h.level}, ${h.match}${h.inherited ? `, inherited via ${h.inherited.via}` : ''})`).join('; ') : 'no partner is on a loaded list',
    'funding.listed': funderHits.length ? funderHits.map((h) => `${h.entry} on ${h.list} (${h.level})`).join('; ') : 'no funder or in-kind provider is on a loaded list',
    'personnel.talent_programme_listed': programmeHits.map((h) => `${h.entry} on ${h.list}`).join('; '),
    'application.ai_act_tier': uses === null ? 'intended uses not given' : uses.length === 0 ? 'no use with specific obligations' : uses.map((u) => `${u.label}: ${u.tier} (${u.cite})`).join('; '),
    'copubs.listed_5y': copubs.note,
  };
  return { facts, notes, partners, funders };
}

/** The partners' co-publications with listed entities in the five years before `asOf`. */
async function coPublications(store: Store, rorIds: string[], asOf: string): Promise<{ listed: number | null; works: number | null; note: string }> {
  if (rorIds.length === 0) return { listed: null, works: null, note: 'no partner resolved to a registry institution, so its co-publications are unknown' };
  const from = Number(asOf.slice(0, 4)) - 5;
  // Summed per partner from the per-institution table: a work with two partners counts for each.
  const row = await store.one<{ works: number | null; listed: number | null }>(
    `SELECT sum(works)::DOUBLE AS works, sum(listed)::DOUBLE AS listed FROM institution_listed_copubs
     WHERE list_contains($1::VARCHAR[], ror_id) AND year >= $2 AND year < $3`,
    [listValue(rorIds), from, from + 5],
  );
  const works = Number(row?.works ?? 0);
  const listed = Number(row?.listed ?? 0);
  return { listed, works, note: `${listed} of the partners' ${works} works in ${from}–${from + 4} (evidence store, summed per partner) are co-authored with a listed entity other than the partner` };
}
