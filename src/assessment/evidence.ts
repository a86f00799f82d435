import { listValue } from '../store/duckdb.ts';
import { retractedWorks, workMerges, type MergeDifference } from '../store/merges.ts';
import type { Hit, ScreenResult, Screener } from '../screening/screener.ts';
import { LEVELS, type Level } from '../screening/lists.ts';
import type { Store } from '../store/store.ts';
import { typedKey } from '../resolve/normalize.ts';
import { rorIdWritten } from '../resolve/ror-id.ts';
import { countryCodeOf } from '../regions/countries.ts';
import { TIERS } from './ai-act.ts';
import type { PolicyBundle } from './bundle.ts';
import { MINORITY_POPULATIONS, type Answer, type Case, type PartyKind } from './case.ts';
import type { Value } from './expression.ts';
import { mapInSlices } from '../event-loop.ts';

/** Every fact a criterion may read, with what it means. A rulebook naming any other is refused. */
export const EVIDENCE: Record<string, string> = {
  'partners.identified': 'every partner resolves to a known organisation (a registry institution or a listed entity)',
  'partners.max_level': 'highest risk level of any partner on any loaded list: 0 none, 1 low, 2 medium, 3 high, 4 very high (unknown while a partner is unidentified)',
  'partners.level_without_third_country': 'highest risk level of any partner on a list other than a third country’s restriction list (a foreign designation alone does not reach it)',
  'partners.listed': 'some partner is on a loaded list (directly or through a listed parent)',
  'partners.lists': 'ids of the lists naming a partner',
  'partners.binding_listed': 'some partner is on a list that binds an EU institution (EU restrictive measures, national export control; data/assessment/list-categories.json)',
  'partners.third_country_listed': 'some partner is on a third country’s restriction list (U.S. export control, sanctions, procurement bans; Canada’s named research organisations)',
  'partners.defence_level': 'highest level of any partner on a list assessing military or defence links (ASPI, Sec. 1286, Sec. 1260H, MEU, Canada NRO)',
  'partners.defence_level_without_third_country': 'highest level of any partner on a list assessing military or defence links that is not a third country’s (ASPI’s tracker, a list of the institution’s own): a foreign designation alone does not reach it',
  'partners.military': 'some partner is declared a military or defence-industry body',
  'partners.company': 'some partner is a company',
  'partners.chinese': 'some partner is in the People’s Republic of China (incl. Hong Kong and Macao) (unknown while a partner’s country is)',
  'funding.known': 'the funders and in-kind providers are given (a list, possibly empty)',
  'funding.identified': 'every funder and in-kind provider resolves to a known organisation',
  'funding.listed': 'a funder or in-kind provider is on a loaded list',
  'funding.max_level': 'highest risk level of any funder or in-kind provider (0–4)',
  'funding.level_without_third_country': 'highest risk level of any funder or in-kind provider on a list other than a third country’s restriction list',
  'funding.binding_listed': 'a funder or in-kind provider is on a list that binds an EU institution',
  'funding.third_country_listed': 'a funder or in-kind provider is on a third country’s restriction list',
  'funding.defence_level': 'highest level of any funder or in-kind provider on a list assessing military or defence links',
  'funding.defence_level_without_third_country': 'highest level of any funder or in-kind provider on a list assessing military or defence links that is not a third country’s',
  'funding.company': 'a company funds the project or supports it in kind',
  'personnel.talent_programme': 'someone on the project takes part in a foreign talent programme (unknown if personnel or their programmes are not given)',
  'personnel.talent_programme_listed': 'a talent programme named is on a loaded list (e.g. Sec. 1286 Table 2)',
  'personnel.affiliation_listed': 'someone on the project holds an affiliation with a listed entity',
  'personnel.mobility': 'someone on the project visits, is seconded, is co-supervised or holds a joint appointment across the sides',
  'personnel.long_mobility': 'someone is seconded, co-supervised as a doctoral candidate or holds a joint appointment (more than a visit)',
  'technology.critical': 'the fields include an EU critical technology area (Rec. (EU) 2023/2113)',
  'technology.most_sensitive': 'the fields include AI, semiconductors, quantum or biotechnology (the four most immediate risks)',
  'technology.sensitivity': 'highest field sensitivity weight (data/screening/sensitivity.json)',
  'technology.dual_use': 'the technology has declared dual-use potential',
  'technology.export_controlled': 'the technology or any equipment is export-controlled',
  'application.ai_act_tier': 'EU AI Act tier of the intended application: out-of-scope, minimal, limited, high, unacceptable',
  'application.ai_act_rank': 'the tier as a rank: 0 out of scope, 1 minimal, 2 limited, 3 high, 4 unacceptable',
  'application.all_prohibited': 'every intended use is a prohibited AI practice: the whole project is the practice, not a sub-topic',
  'application.surveillance': 'an intended use serves surveillance (social scoring, policing, border control, biometric identification)',
  'application.biometric': 'an intended use processes biometric data',
  'application.military': 'an intended use is military or defence',
  'application.minorities': 'the application targets ethnic, religious or minority-language groups, or a language of concern (data/assessment/languages.json)',
  'application.minorities_whole': 'the minority-language or minority-targeted component is the whole project: nothing of the joint work is left without it (the case’s answer)',
  'application.vulnerable': 'the application targets minors, dissidents or journalists, or migrants',
  'data.none': 'no data is involved',
  'data.personal': 'personal data (incl. health and biometric) is involved',
  'data.important': '"important data" in the sense of China’s Data Security Law is involved',
  'data.sensitive': 'personal, health, biometric, important or proprietary data is involved',
  'data.transfer_to_china': 'data will be transferred to China',
  'data.stored_in_china': 'data will be stored in China',
  'data.subjects_eu': 'the data is about residents of the EU',
  'data.subjects_china': 'the data is about residents of China',
  'data.subjects_vulnerable': 'the data is about minors or groups at risk',
  'data.partner_access': 'the partner has access to data held by the European side (remote access is a transfer)',
  'terms.equal_access_to_data': 'both sides have equal access to the project data',
  'terms.equal_right_to_publish': 'both sides have an equal right to publish',
  'terms.ip_agreement': 'a written IP agreement with a fair share of results exists',
  'terms.partner_veto_on_publication': 'the partner can veto publication',
  'research.basic': 'the research is basic research',
  'research.open_publication': 'results will be published openly',
  'copubs.listed_5y': 'most co-publications with listed entities of any one non-European partner in the five years before the assessment (evidence store)',
  'copubs.partner_works_5y': 'works of the non-European partners in the evidence store in those five years',
  'standards.forum_kind': 'kind of standardisation forum: international-sdo, european-sdo, un-body, chinese-national-committee, industry-alliance',
  'standards.rules_based': 'the forum works under the international rules of standardisation (transparency, openness, consensus, impartiality): an international or European standards body',
  'standards.topics': 'ids of the standardisation topics (data/assessment/standards.json)',
  'standards.reciprocity': 'participation is reciprocal: voting rights, access to drafts, open leadership positions and proportionate fees',
  'standards.leading_role': 'the European side would hold an editor or convenor role',
  'standards.sep_without_frand': 'patents are declared essential to the standard without a FRAND licensing commitment',
};

/** Each fact's short name in a report ("export control: not answered"); EVIDENCE says what it means. */
export const EVIDENCE_LABELS: Record<string, string> = {
  'partners.identified': 'every partner identified',
  'partners.max_level': 'highest risk level of a partner',
  'partners.level_without_third_country': 'highest risk level of a partner, third-country lists aside',
  'partners.listed': 'a partner on a risk list',
  'partners.lists': 'lists naming a partner',
  'partners.binding_listed': 'a partner on a list binding the EU side',
  'partners.third_country_listed': 'a partner on a third country’s list',
  'partners.defence_level': 'highest defence-link level of a partner',
  'partners.defence_level_without_third_country': 'highest defence-link level of a partner, third-country lists aside',
  'partners.military': 'a military or defence-industry partner',
  'partners.company': 'a company as partner',
  'partners.chinese': 'a partner in China',
  'funding.known': 'funders given',
  'funding.identified': 'every funder identified',
  'funding.listed': 'a funder on a risk list',
  'funding.max_level': 'highest risk level of a funder',
  'funding.level_without_third_country': 'highest risk level of a funder, third-country lists aside',
  'funding.binding_listed': 'a funder on a list binding the EU side',
  'funding.third_country_listed': 'a funder on a third country’s list',
  'funding.defence_level': 'highest defence-link level of a funder',
  'funding.defence_level_without_third_country': 'highest defence-link level of a funder, third-country lists aside',
  'funding.company': 'company funding or in-kind support',
  'personnel.talent_programme': 'talent programme',
  'personnel.talent_programme_listed': 'a listed talent programme',
  'personnel.affiliation_listed': 'a participant affiliated with a listed entity',
  'personnel.mobility': 'mobility between the sides',
  'personnel.long_mobility': 'secondment, co-supervision or joint appointment',
  'technology.critical': 'EU critical technology',
  'technology.most_sensitive': 'one of the four most sensitive fields',
  'technology.sensitivity': 'field sensitivity',
  'technology.dual_use': 'dual use',
  'technology.export_controlled': 'export control',
  'application.ai_act_tier': 'AI Act tier',
  'application.ai_act_rank': 'AI Act tier (rank)',
  'application.all_prohibited': 'every use a prohibited AI practice',
  'application.surveillance': 'surveillance use',
  'application.biometric': 'biometric data in use',
  'application.military': 'military use',
  'application.minorities': 'aimed at minorities or a language of concern',
  'application.minorities_whole': 'the minority component is the whole project',
  'application.vulnerable': 'aimed at vulnerable groups',
  'data.none': 'no data involved',
  'data.personal': 'personal data',
  'data.important': '"important data" (China)',
  'data.sensitive': 'sensitive data',
  'data.transfer_to_china': 'data transfer to China',
  'data.stored_in_china': 'data stored in China',
  'data.subjects_eu': 'data about EU residents',
  'data.subjects_china': 'data about residents of China',
  'data.subjects_vulnerable': 'data about minors or groups at risk',
  'data.partner_access': 'partner access to European data',
  'terms.equal_access_to_data': 'equal access to data',
  'terms.equal_right_to_publish': 'equal right to publish',
  'terms.ip_agreement': 'written IP agreement',
  'terms.partner_veto_on_publication': 'partner veto on publication',
  'research.basic': 'basic research',
  'research.open_publication': 'open publication',
  'copubs.listed_5y': 'co-publications with listed entities (5 years)',
  'copubs.partner_works_5y': 'partners’ works (5 years)',
  'standards.forum_kind': 'kind of standards forum',
  'standards.rules_based': 'forum under international standardisation rules',
  'standards.topics': 'standardisation topics',
  'standards.reciprocity': 'reciprocal participation',
  'standards.leading_role': 'European editor or convenor role',
  'standards.sep_without_frand': 'essential patents without FRAND',
};

const LEVEL_WORDS = ['none', 'low', 'medium', 'high', 'very high'];
const TIER_WORDS = ['out of scope', 'minimal', 'limited', 'high', 'unacceptable'];

/** A fact as an officer reads it: "export control: not answered", "highest risk level of a partner: high". */
export function evidenceInWords(path: string, value: Value): string {
  const label = EVIDENCE_LABELS[path] ?? path;
  // Facts about the parties are unknown until they are identified; the others are the case's answers.
  const unknown = /^(partners|funding|copubs)\./.test(path) ? 'unknown' : 'not answered';
  const words =
    value === null || value === undefined
      ? unknown
      : typeof value === 'boolean'
        ? value
          ? 'yes'
          : 'no'
        : typeof value === 'number' && /level(_without_third_country)?$/.test(path)
          ? (LEVEL_WORDS[value] ?? String(value))
          : typeof value === 'number' && path === 'application.ai_act_rank'
            ? (TIER_WORDS[value] ?? String(value))
            : Array.isArray(value)
              ? value.length
                ? value.join(', ')
                : 'none'
              : String(value);
  return `${label}: ${words}`;
}

/** What to ask for when a fact is unknown: the request the verdict makes of the applicant. */
export const REQUESTS: Record<string, string> = {
  'partners.identified': 'identify the partner: its registered name or ROR id',
  'partners.max_level': 'identify every partner (registered name or ROR id) so that it can be screened',
  'partners.level_without_third_country': 'identify every partner (registered name or ROR id) so that it can be screened',
  'partners.chinese': 'say in which country each partner is (or identify it: registered name or ROR id)',
  'partners.listed': 'identify every partner (registered name or ROR id) so that it can be screened',
  'partners.binding_listed': 'identify every partner (registered name or ROR id) so that it can be screened',
  'partners.third_country_listed': 'identify every partner (registered name or ROR id) so that it can be screened',
  'partners.defence_level': 'identify every partner (registered name or ROR id) so that it can be screened',
  'partners.defence_level_without_third_country': 'identify every partner (registered name or ROR id) so that it can be screened',
  'partners.military': 'say what kind of organisation each partner is (university, research institute, company, government body, military or defence-industry body)',
  'funding.known': 'list the funders and in-kind providers, or say there are none',
  'funding.listed': 'name every funder and in-kind provider, or say there are none',
  'funding.max_level': 'name every funder and in-kind provider, or say there are none',
  'funding.level_without_third_country': 'name every funder and in-kind provider, or say there are none',
  'funding.binding_listed': 'name every funder and in-kind provider, or say there are none',
  'funding.third_country_listed': 'name every funder and in-kind provider, or say there are none',
  'funding.defence_level': 'name every funder and in-kind provider, or say there are none',
  'funding.defence_level_without_third_country': 'name every funder and in-kind provider, or say there are none',
  'funding.company': 'say whether a company funds the project or supports it in kind',
  'personnel.talent_programme': 'ask every participant about talent-programme participation',
  'personnel.talent_programme_listed': 'ask every participant about talent-programme participation',
  'personnel.affiliation_listed': 'list the participants and each one’s affiliations (or say a participant has none)',
  'personnel.long_mobility': 'say whether anyone is seconded, co-supervised or jointly appointed',
};

export interface PartyScreen {
  role: string;
  /** What the case names (null for a party not yet named). */
  query: string | null;
  /** What the evidence calls it: as the case writes it, or the registry’s name for a party given only by its ROR id. */
  name?: string | null;
  description: string | null;
  /** Whether the name resolves to a known organisation: a registry institution or a listed entity. */
  identified: boolean;
  why: string;
  rorId: string | null;
  countryCode: string | null;
  rorTypes: string[];
  hits: Hit[];
  similar: ScreenResult['similar'];
  /** Parts of the (unlisted) institution named that the lists name: which one is meant is asked. */
  listedParts?: ScreenResult['listedParts'];
  /** Listed institutions the registry marks as related to the one named: how closely it is tied is asked. */
  related?: ScreenResult['related'];
}

/**
 * What the world said when the case was assessed: the screening of every party and the evidence
 * store's counts. Stored with the assessment, so a re-run under another bundle replays it.
 */
export interface Observations {
  parties: PartyScreen[];
  /** Per registry institution: its works and those co-authored with a listed entity, in the window. */
  copubs: Record<string, { works: number; listed: number }>;
  window: [number, number];
  /** The works of the evidence store in the window's years, any institution's (not recorded before verdicts kept it). */
  windowWorks?: number;
  /** Per registry institution: the works behind its `listed` count, the first LISTED_WORKS_KEPT (not recorded before verdicts kept them). */
  listedWorks?: ListedWorks;
}

/** A co-publication with a listed entity behind a verdict's count: the work, and each affiliation of another listed entity that made it count. */
export interface ListedWork {
  workId: string;
  year: number;
  title: string | null;
  /** Each listed affiliation string once, with how many of the work's authors it names when more than one (absent before verdicts counted them). */
  listed: { affiliation: string; hits: { list: string; entry: string; level: string }[]; authors?: number }[];
  /** A source marks the work retracted (OpenAlex's is_retracted): it still counts, as the co-authorship happened (absent when none does). */
  retracted?: true;
  /** When several sources recorded the work: the record counted and what each other record differs in from it (absent when one source did). */
  sources?: { kept: string; others: { source: string; sourceId: string; differs: MergeDifference[] }[] };
}

/** Per institution, its listed co-publications in the window by year and id; how many there are in all is its `listed` count. */
export type ListedWorks = Record<string, ListedWork[]>;

/** How many listed co-publications a verdict keeps per partner: enough to check a count by hand, few enough to store with every verdict. */
export const LISTED_WORKS_KEPT = 200;

export interface Evidence {
  facts: Record<string, Value>;
  /** Where each fact came from, in words, for the report. */
  notes: Record<string, string>;
  /** What to ask for an unknown fact where the case says more than REQUESTS does (which institute of a partner). */
  requests?: Record<string, string>;
  parties: PartyScreen[];
  /** Facts whose "does not hold" the store cannot support (too few works to show absence), with why: a criterion they leave false needs information instead. */
  thin?: Record<string, string>;
  /** Per counted partner with co-publications with listed entities: the works behind its count (absent when the observations did not keep them). */
  copubWorks?: CopubWorks[];
}

/** A partner's count of co-publications with listed entities and the works behind it, as kept (at most LISTED_WORKS_KEPT). */
export interface CopubWorks {
  partner: string;
  rorId: string;
  listed: number;
  window: [number, number];
  works: ListedWork[];
}

const CHINA_CODES = new Set(['CN', 'HK', 'MO']);

/**
 * Whether a partner is in China: as the registry places it, else as the case writes its country
 * (in any case). A partner neither placed nor given a country is unknown, never "not in China";
 * nor does the country of a registry institution it merely resembles place it.
 */
function inChina(written: string | null, party: PartyScreen | undefined): boolean | null {
  const placed = party && (party.identified || party.rorId !== null) ? party.countryCode : null;
  const said = countryCodeOf(written);
  if ((placed && CHINA_CODES.has(placed)) || (said && CHINA_CODES.has(said))) return true;
  return placed || written ? false : null;
}

const REGION_NAMES = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

/**
 * The parties as the bundle reads them. A placeholder ("TBD") names nobody: not named yet, whatever
 * the registry resolves it to. A party placed by the registry in another country than the case says
 * (Hong Kong, Macao and Taiwan are their own places, as in the regions) is not identified: the name
 * may have resolved to another institution, so its screening is not the partner's.
 */
function judgeParties(c: Case, parties: PartyScreen[], bundle: PolicyBundle): PartyScreen[] {
  const stated = [...c.partners.map((p) => p.country), ...(c.funders ?? []).map((f) => f.country)];
  return parties.map((p, i) => {
    const placeholder = p.query === null ? undefined : bundle.placeholders.reasonFor(p.query);
    if (placeholder !== undefined) {
      // What screening found on a list among the parties the field speaks of ("…, subcontracting to a Huawei subsidiary") stands.
      return {
        ...p,
        identified: false,
        why: `not named yet: "${p.query}" is a placeholder (${placeholder}; data/assessment/placeholder-names.json), not a name: identify the partner (registered name or ROR id)`,
        rorId: null,
        countryCode: null,
        rorTypes: [],
      };
    }
    const said = countryCodeOf(stated[i] ?? null);
    if (!p.identified || p.rorId === null || !p.countryCode || !said || p.countryCode === said) return p;
    return {
      ...p,
      identified: false,
      why: `${p.why}, in ${REGION_NAMES.of(p.countryCode)} (${p.countryCode}), but the case places it in ${stated[i]}: the name may stand for another institution; identify the partner (registered name or ROR id) or correct its country`,
      rorId: null,
      countryCode: null,
      rorTypes: [],
    };
  });
}

/** Any of several three-valued facts: true if one is, unknown if none is but one is unknown. */
const anyOf = (vs: (boolean | null)[]): boolean | null => (vs.includes(true) ? true : vs.includes(null) ? null : false);

const levelRank = (l: Level): number => LEVELS.length - LEVELS.indexOf(l);
const tri = (a: Answer): boolean | null => (a === 'unknown' ? null : a === 'yes');

export interface ObservationSources {
  screener: Pick<Screener, 'screen' | 'screenRor'>;
  /** The co-publication rows of the evidence store the verdict reads (copubYears on the embedded store, clickHouseCopubYears on a cluster). */
  copubYears: ReadCopubYears;
  resolver: { institution(id: string): { types: string[]; countryCode: string | null } | undefined };
  /** Once aborted (the client has gone, the server is stopping), no further party is screened. */
  signal?: AbortSignal;
}

const ROR_TIE = 'in the ROR registry';

function screenParty(sources: Pick<ObservationSources, 'screener' | 'resolver'>, role: string, written: string | null, givenRor: string | null, description: string | null = null): PartyScreen {
  // A ROR id written where a name goes is read as `derisk screen` reads it.
  const idAsName = givenRor || !written ? null : rorIdWritten(written);
  const [name, ror] = idAsName ? [null, idAsName] : [written, givenRor];
  if (!name && !ror) return { role, query: null, description, identified: false, why: `not named yet${description ? ` ("${description}")` : ''}: identify the partner`, rorId: null, countryCode: null, rorTypes: [], hits: [], similar: [] };
  const r = ror ? sources.screener.screenRor(ror) : sources.screener.screen(name!);
  const exact = r.institutions.find((i) => i.tier === 'exact');
  const rorId = ror ?? exact?.rorId ?? null;
  const direct = r.hits.filter((h) => !h.inherited);
  // A unit named after a listed company ("Huawei Noah's Ark Lab") is identified as that company's unit.
  const unitOf = r.hits.find((h) => h.inherited?.relation === 'company-unit');
  // "Chinese Academy of Sciences" alone: not listed itself, but its listed institutes may be the partner.
  const parts = r.hits.length === 0 ? (r.listedParts ?? []) : [];
  // A hospital the registry marks as related to a listed university: no listing, yet not cleared either.
  const related = r.hits.length === 0 && parts.length === 0 ? (r.related ?? []) : [];
  // A name listed in one country and borne elsewhere ("Army Research Institute") is not identified by the registry's namesake.
  const namesake = r.state === 'ambiguous' && parts.length === 0 && related.length === 0;
  const identified = parts.length === 0 && related.length === 0 && !namesake && (rorId !== null || direct.length > 0 || unitOf !== undefined);
  const why =
    parts.length > 0
      ? `${r.institutions[0]?.name ?? name ?? ror} is on no loaded list itself, but ${parts.length} of its institutes are (${parts.map((p) => `${p.name}: ${[...new Set(p.listings.map((l) => `${l.entry} on ${l.listName}, ${l.level}`))].join('; ')}`).join(' | ')}): identify the institute`
      : related.length > 0
        ? `${r.institutions[0]?.name ?? name ?? ror} is on no loaded list itself, but is related to ${related.map((p) => `${p.name} (${p.rorId}) ${p.tie ?? ROR_TIE}, which ${[...new Set(p.listings.map((l) => `${l.listName} lists as ${l.entry} (${l.level})`))].join('; ')}`).join(' | ')}: a related institution, not a part and not a direct listing; establish how closely it is tied`
        : namesake
          ? `${r.headline} Identify the partner`
          : ror
            ? `ROR ${ror} (${r.institutions[0]?.name ?? ror})`
            : exact
              ? `the registry resolves "${name}" to ${exact.name} (${exact.rorId})`
              : direct.length > 0
                ? `"${name}" is the listed entity ${direct[0]!.entry}`
                : unitOf
                  ? `"${name}" is a unit named after the listed company ${unitOf.entry}`
                  : `"${name}" resolves to no registry institution and no listed entity: identify the partner (registered name or ROR id)`;
  const inst = rorId ? sources.resolver.institution(rorId) : undefined;
  return {
    role,
    query: ror ?? name,
    name: name ?? (ror ? (r.institutions.find((i) => i.rorId === ror)?.name ?? null) : null),
    description,
    identified,
    why,
    rorId,
    countryCode: exact?.countryCode ?? inst?.countryCode ?? r.institutions[0]?.countryCode ?? null,
    rorTypes: inst?.types ?? [],
    hits: r.hits,
    similar: r.similar,
    ...(parts.length > 0 ? { listedParts: parts } : {}),
    ...(related.length > 0 ? { related } : {}),
  };
}

/** The screening of each party of the case, in order, to run (the screener answers alone: no store is read). */
export function partyScreens(c: Case, sources: Pick<ObservationSources, 'screener' | 'resolver'>): (() => PartyScreen)[] {
  return [
    ...c.partners.map((p) => () => screenParty(sources, `partner (${p.role})`, p.name, p.ror, p.description)),
    ...(c.funders ?? []).map((f) => () => screenParty(sources, 'funder', f.name, null, f.name ? null : 'a funder not named yet')),
    ...(c.inKind ?? []).map((k) => () => screenParty(sources, `in kind: ${k.what}`, k.from, null, k.from ? null : 'a provider not named yet')),
    ...(c.personnel ?? []).flatMap((p) => [...(p.affiliations ?? []).map((a) => () => screenParty(sources, `affiliation of ${p.name}`, a, null)), ...(p.talentProgrammes ?? []).map((t) => () => screenParty(sources, `talent programme of ${p.name}`, t, null))]),
  ];
}

/** Screens every party of the case in slices that give the event loop back: a case of many parties, posted to the server, holds no other request up. */
export const screenParties = (c: Case, sources: Pick<ObservationSources, 'screener' | 'resolver' | 'signal'>): Promise<PartyScreen[]> => mapInSlices(partyScreens(c, sources), (screen) => screen(), sources.signal);

/** The partners' ROR ids whose co-publications a verdict counts. */
export const partnerRors = (parties: PartyScreen[]): string[] => [
  ...new Set(
    parties
      .filter((p) => p.role.startsWith('partner'))
      .map((p) => p.rorId)
      .filter((id): id is string => id !== null),
  ),
];

/** The five years before the assessment's year, whose co-publications a verdict counts. */
export const copubWindow = (asOf: string): [number, number] => [Number(asOf.slice(0, 4)) - 5, Number(asOf.slice(0, 4)) - 1];

export type CopubYears = Map<string, { year: number; works: number; listed: number }[]>;
export type ReadCopubYears = (rorIds: string[], from?: number, to?: number) => Promise<CopubYears>;

/** Per institution and year: its works and those with a listed co-author (the rows the window sums). */
export async function copubYears(store: Store, rorIds: string[], from = 0, to = 9999): Promise<CopubYears> {
  const out: CopubYears = new Map();
  if (rorIds.length === 0) return out;
  const rows = await store.all<{ ror_id: string; year: number; works: number | null; listed: number | null }>(
    `SELECT ror_id, year, sum(works)::DOUBLE AS works, sum(listed)::DOUBLE AS listed FROM institution_listed_copubs
     WHERE list_contains($1::VARCHAR[], ror_id) AND year >= $2 AND year <= $3 GROUP BY ror_id, year ORDER BY ror_id, year`,
    [listValue(rorIds), from, to],
  );
  for (const r of rows) out.set(r.ror_id, [...(out.get(r.ror_id) ?? []), { year: Number(r.year), works: Number(r.works ?? 0), listed: Number(r.listed ?? 0) }]);
  return out;
}

/** The works an institution's `listed` count counts, as both stores pick them: by year, then id, the first `kept` of each. */
export type PickedWork = {
  ror_id: string;
  work_id: string;
  year: number;
};

/** An author affiliation with a screening hit on a picked work, once per hit, with the institutions it is counted at. */
export type ListedSlot = {
  work_id: string;
  title: string | null;
  author_seq: number;
  aff_seq: number;
  raw: string;
  rors: string[];
  list_id: string;
  entry_name: string;
  level: string;
};

/**
 * The picked works with the listed affiliations that made each count: those not counted at the
 * institution itself. Each distinct affiliation string once per work, with every list entry it hit
 * and, when several author affiliations on the work read it, how many authors did.
 */
export function listedWorksOf(picked: PickedWork[], slots: ListedSlot[]): ListedWorks {
  const byWork = new Map<string, ListedSlot[]>();
  for (const s of slots) {
    const mine = byWork.get(s.work_id);
    if (mine) mine.push(s);
    else byWork.set(s.work_id, [s]);
  }
  const out: ListedWorks = {};
  for (const p of [...picked].sort((a, b) => a.ror_id.localeCompare(b.ror_id) || a.year - b.year || a.work_id.localeCompare(b.work_id))) {
    const mine = byWork.get(p.work_id) ?? [];
    const others = mine.filter((s) => !s.rors.includes(p.ror_id)).sort((a, b) => a.author_seq - b.author_seq || a.aff_seq - b.aff_seq || a.list_id.localeCompare(b.list_id) || a.entry_name.localeCompare(b.entry_name));
    const listed = new Map<string, { entry: ListedWork['listed'][number]; authors: Set<number>; hits: Set<string> }>();
    for (const s of others) {
      let seen = listed.get(s.raw);
      if (!seen) listed.set(s.raw, (seen = { entry: { affiliation: s.raw, hits: [] }, authors: new Set(), hits: new Set() }));
      seen.authors.add(s.author_seq);
      const hit = `${s.list_id}\u0000${s.entry_name}`;
      if (!seen.hits.has(hit)) {
        seen.hits.add(hit);
        seen.entry.hits.push({ list: s.list_id, entry: s.entry_name, level: s.level });
      }
    }
    const entries = [...listed.values()].map(({ entry, authors }) => (authors.size > 1 ? { ...entry, authors: authors.size } : entry));
    (out[p.ror_id] ??= []).push({ workId: p.work_id, year: p.year, title: mine[0]?.title ?? null, listed: entries });
  }
  return out;
}

/** The works behind each institution's `listed` count in the years from–to (the first `kept` of each), from the embedded store. */
export async function listedWorks(store: Store, rorIds: string[], from = 0, to = 9999, kept = LISTED_WORKS_KEPT): Promise<ListedWorks> {
  if (rorIds.length === 0) return {};
  // As institution_listed_copubs counts them (src/screening/store.ts): a listed affiliation not counted at the institution.
  const picked = await store.all<PickedWork>(
    `WITH wi AS (SELECT DISTINCT ror_id, work_id, year FROM work_institutions WHERE list_contains($1::VARCHAR[], ror_id) AND year >= $2 AND year <= $3),
     slots AS (SELECT work_id, coalesce(list(ror_id) FILTER (WHERE ror_id IS NOT NULL), []) AS rors FROM listed_affiliations
       WHERE work_id IN (SELECT work_id FROM wi) GROUP BY work_id, author_seq, aff_seq),
     counted AS (SELECT DISTINCT wi.ror_id, wi.work_id, wi.year FROM wi JOIN slots s USING (work_id) WHERE NOT list_contains(s.rors, wi.ror_id))
     SELECT ror_id, work_id, year::INTEGER AS year FROM (SELECT *, row_number() OVER (PARTITION BY ror_id ORDER BY year, work_id) AS n FROM counted) WHERE n <= $4`,
    [listValue(rorIds), from, to, kept],
  );
  if (picked.length === 0) return {};
  const slots = await store.all<ListedSlot>(
    `SELECT w.work_id, w.title, a.author_seq::INTEGER AS author_seq, a.aff_seq::INTEGER AS aff_seq, a.raw, h.list_id, h.entry_name, h.level,
       coalesce((SELECT list(DISTINCT wa.ror_id) FROM work_affiliations wa WHERE wa.work_id = w.work_id AND wa.author_seq = a.author_seq AND wa.aff_seq = a.aff_seq AND wa.ror_id IS NOT NULL), []) AS rors
     FROM works w JOIN affiliations a ON a.source = w.source AND a.source_id = w.source_id
     JOIN (SELECT DISTINCT raw, list_id, entry_name, level FROM screen_hits) h ON h.raw = a.raw
     WHERE list_contains($1::VARCHAR[], w.work_id)`,
    [listValue([...new Set(picked.map((p) => p.work_id))])],
  );
  return listedWorksOf(
    picked.map((p) => ({ ...p, year: Number(p.year) })),
    slots.map((s) => ({ ...s, author_seq: Number(s.author_seq), aff_seq: Number(s.aff_seq), rors: [...s.rors] })),
  );
}

/**
 * The listed works with what the shared base's records say of them beyond the counted one: a
 * retraction, and the other sources' records with what they differ in. Read from the embedded store
 * whichever store counted them, so a verdict is the same on either.
 */
export async function withRecordNotes(store: Store, works: ListedWorks): Promise<ListedWorks> {
  const ids = [...new Set(Object.values(works).flatMap((ws) => ws.map((w) => w.workId)))];
  if (ids.length === 0) return works;
  const [retracted, merges] = await Promise.all([retractedWorks(store, ids), workMerges(store, { workIds: ids })]);
  const merged = new Map(merges.map((m) => [m.workId, m]));
  const noted = (w: ListedWork): ListedWork => {
    const m = merged.get(w.workId);
    return {
      ...w,
      ...(retracted.has(w.workId) ? { retracted: true as const } : {}),
      ...(m ? { sources: { kept: m.kept.source, others: m.others.map((o) => ({ source: o.source, sourceId: o.sourceId, differs: o.differs })) } } : {}),
    };
  };
  return Object.fromEntries(Object.entries(works).map(([ror, ws]) => [ror, ws.map(noted)]));
}

/** What a verdict observes, from its screened parties and the co-publication rows of its partners. */
export function observationsOf(parties: PartyScreen[], years: Map<string, { year: number; works: number; listed: number }[]>, asOf: string): Observations {
  const [from, to] = copubWindow(asOf);
  const copubs: Observations['copubs'] = {};
  for (const id of partnerRors(parties)) {
    const inWindow = (years.get(id) ?? []).filter((y) => y.year >= from && y.year <= to);
    copubs[id] = { works: inWindow.reduce((n, y) => n + y.works, 0), listed: inWindow.reduce((n, y) => n + y.listed, 0) };
  }
  return { parties, copubs, window: [from, to] };
}

/** Screens every party of the case and reads the evidence store: everything a verdict observes. */
export async function observe(c: Case, sources: ObservationSources, asOf: string): Promise<Observations> {
  const parties = await screenParties(c, sources);
  const [from, to] = copubWindow(asOf);
  return observationsOf(parties, await sources.copubYears(partnerRors(parties), from, to), asOf);
}

const RELATION: Record<NonNullable<Hit['inherited']>['relation'], string> = { part: 'a part of the listed entity', successor: 'the listed successor of a withdrawn record', 'company-unit': 'a unit named after the listed company' };
const describeHit = (h: Hit) => `${h.entry} on ${h.list} (${h.level}, ${h.match}${h.inherited ? `, inherited via ${h.inherited.via}: ${RELATION[h.inherited.relation]}` : ''}; ${h.listTitle}, version ${h.listVersion})`;

/** A party's kind: as declared, else as the registry types it. */
function kindOf(declared: PartyKind, party: PartyScreen | undefined): PartyKind {
  if (declared !== 'unknown') return declared;
  const t = party?.rorTypes ?? [];
  if (t.includes('company')) return 'company';
  if (t.includes('education')) return 'university';
  if (t.includes('government')) return 'government';
  if (t.some((x) => ['facility', 'healthcare', 'nonprofit', 'archive', 'funder'].includes(x))) return 'research-institute';
  return 'unknown';
}

/**
 * Listing facts over a group of parties. A party not identified could be on any list: "listed"
 * is then unknown unless an identified party is listed, and a level is unknown below the top.
 */
function listingFacts(parties: PartyScreen[], unresolved: number, bundle: PolicyBundle) {
  const hits = parties.flatMap((p) => p.hits);
  const inCategory = (h: Hit, cat: string) => (bundle.listCategories.byList.get(h.list) ?? bundle.listCategories.fallback).includes(cat);
  const open = parties.filter((p) => !p.identified).length + unresolved;
  const flag = (found: boolean): boolean | null => (found ? true : open > 0 ? null : false);
  const level = (hs: Hit[]): number | null => {
    const known = hs.reduce((m, h) => Math.max(m, levelRank(h.level)), 0);
    return open > 0 && known < levelRank('very-high') ? null : known;
  };
  return {
    hits,
    open,
    listed: flag(hits.length > 0),
    maxLevel: level(hits),
    levelWithoutThirdCountry: level(hits.filter((h) => !inCategory(h, 'third-country'))),
    binding: flag(hits.some((h) => inCategory(h, 'binding'))),
    thirdCountry: flag(hits.some((h) => inCategory(h, 'third-country'))),
    defenceLevel: level(hits.filter((h) => inCategory(h, 'defence-link'))),
    defenceLevelWithoutThirdCountry: level(hits.filter((h) => inCategory(h, 'defence-link') && !inCategory(h, 'third-country'))),
  };
}

function partyNote(parties: PartyScreen[], empty: string): string {
  if (parties.length === 0) return empty;
  // A party on no list says which registry institution it was taken for, so that a wrong recognition shows.
  return parties.map((p) => `${p.name ?? p.query ?? p.description ?? 'not named'} (${p.role}): ${!p.identified ? p.why : p.hits.length ? p.hits.map(describeHit).join('; ') : `on no loaded list (${p.why})`}`).join(' | ');
}

/**
 * The facts the criteria read, derived from the case, what was observed and the policy bundle.
 * Pure: the same case, observations and bundle give the same facts (a stored assessment replays).
 */
export function deriveFacts(c: Case, obs: Observations, bundle: PolicyBundle): Evidence {
  const parties = judgeParties(c, obs.parties, bundle);
  const partnerParties = parties.filter((p) => p.role.startsWith('partner'));
  const fundingParties = parties.filter((p) => p.role === 'funder' || p.role.startsWith('in kind'));
  const affiliationParties = parties.filter((p) => p.role.startsWith('affiliation of'));
  const programmeParties = parties.filter((p) => p.role.startsWith('talent programme of'));
  const partners = listingFacts(partnerParties, 0, bundle);
  const funding = listingFacts(fundingParties, (c.funders === null ? 1 : 0) + (c.inKind === null ? 1 : 0), bundle);
  const people = c.personnel;

  const kinds = c.partners.map((p, i) => kindOf(p.kind, partnerParties[i]));
  const anyKind = (k: PartyKind, ks: PartyKind[]): boolean | null => (ks.includes(k) ? true : ks.includes('unknown') ? null : false);
  const funderKinds = [...(c.funders ?? []).map((f, i) => kindOf(f.kind, fundingParties[i])), ...(c.inKind ?? []).map((k, i) => kindOf(k.kind, fundingParties[(c.funders?.length ?? 0) + i]))];

  const fields = c.technology.fields;
  const { taxonomy, weights, uses: catalogue } = bundle;
  const critical = fields === null ? null : fields.some((f) => taxonomy.fields.get(f)?.family === 'eu-critical-2023' || (weights.field.get(f)?.weight ?? 0) >= 2);
  const sensitivity = fields === null ? null : Math.max(weights.defaultField.weight, ...fields.map((f) => weights.field.get(f)?.weight ?? weights.defaultField.weight));
  const uses = c.application.uses?.map((u) => catalogue.get(u)!) ?? null;
  const tier = uses === null ? null : uses.length === 0 ? 'minimal' : uses.reduce<string>((worst, u) => (TIERS.indexOf(u.tier) > TIERS.indexOf(worst as never) ? u.tier : worst), 'out-of-scope');
  const tagged = (tag: string) => (uses === null ? null : uses.some((u) => u.tags.includes(tag)));
  const dataKinds = c.data.kinds;
  const has = (...k: string[]) => (dataKinds === null ? null : dataKinds.some((x) => k.includes(x)));
  const subjects = c.data.subjects;
  const about = (...k: string[]) => (subjects === null ? (dataKinds?.includes('none') ? false : null) : subjects.some((x) => k.includes(x)));
  const equipmentControlled = c.equipment.some((e) => e.exportControlled === 'yes') ? true : c.equipment.every((e) => e.exportControlled === 'no') ? false : null;
  const technologyControlled = tri(c.technology.exportControlled) === true || equipmentControlled === true ? true : tri(c.technology.exportControlled) === false && equipmentControlled === false ? false : null;
  const languages = (c.application.languages ?? []).map((l) => bundle.languages.get(typedKey(l))).filter((l): l is string => l !== undefined);
  const populations = c.application.populations;
  const minorities = languages.length > 0 || (populations ?? []).some((p) => MINORITY_POPULATIONS.includes(p)) ? true : populations === null ? null : false;
  const vulnerable = populations === null ? null : populations.some((p) => ['minors', 'dissidents-or-journalists', 'migrants'].includes(p));

  const programmeHits = programmeParties.flatMap((p) => p.hits);
  const affiliationHits = affiliationParties.flatMap((p) => p.hits);
  const programmesUnknown = people === null || people.some((p) => p.talentProgrammes === null);
  const mobility = people === null ? null : people.some((p) => (p.mobility ?? []).some((m) => m !== 'none')) ? true : people.some((p) => p.mobility === null) ? null : false;
  const longMobility = people === null ? null : people.some((p) => (p.mobility ?? []).some((m) => ['secondment', 'co-supervised-doctorate', 'joint-appointment'].includes(m))) ? true : people.some((p) => p.mobility === null) ? null : false;

  // Co-publications concern the non-European partners: a large European lead must not trigger it.
  const europe = new Set(bundle.regions.regions.get('EU27AC')?.countries ?? []);
  const countryOf = (i: number) => partnerParties[i]?.countryCode ?? (c.partners[i]?.country && c.partners[i]!.country!.length === 2 ? c.partners[i]!.country : null);
  const counted = partnerParties.map((p, i) => ({ p, country: countryOf(i) })).filter(({ p, country }) => p.rorId !== null && !(country && europe.has(country)));
  const perPartner = counted.map(({ p, country }) => ({ p, country, ...(obs.copubs[p.rorId!] ?? { works: 0, listed: 0 }) }));
  const skipped = partnerParties.map((p, i) => ({ p, country: countryOf(i) })).filter(({ p, country }) => p.rorId !== null && country && europe.has(country));
  const nonEuropean = partnerParties.filter((_, i) => !(countryOf(i) && europe.has(countryOf(i)!)));
  // A window the store holds no works of (years never loaded) says nothing about co-publications: unknown, not none.
  const windowEmpty = obs.windowWorks === 0;
  const copubsKnown = !windowEmpty && nonEuropean.length > 0 && nonEuropean.every((p) => p.rorId !== null);
  const listedMax = perPartner.reduce((m, x) => Math.max(m, x.listed), 0);

  const standards = c.standards;
  const forum = standards?.forum ? bundle.standards.forums.get(standards.forum) : undefined;
  const reciprocity = standards ? [standards.votingRights, standards.accessToDrafts, standards.leadershipOpen, standards.feesProportionate] : [];

  const facts: Record<string, Value> = {
    'partners.identified': partners.open === 0,
    'partners.max_level': partners.maxLevel,
    'partners.level_without_third_country': partners.levelWithoutThirdCountry,
    'partners.listed': partners.listed,
    'partners.lists': [...new Set(partners.hits.map((h) => h.list))].sort(),
    'partners.binding_listed': partners.binding,
    'partners.third_country_listed': partners.thirdCountry,
    'partners.defence_level': partners.defenceLevel,
    'partners.defence_level_without_third_country': partners.defenceLevelWithoutThirdCountry,
    'partners.military': anyKind('military-or-defence', kinds),
    'partners.company': anyKind('company', kinds),
    'partners.chinese': anyOf(c.partners.map((p, i) => inChina(p.country, partnerParties[i]))),
    'funding.known': c.funders !== null && c.inKind !== null,
    'funding.identified': funding.open === 0,
    'funding.listed': funding.listed,
    'funding.max_level': funding.maxLevel,
    'funding.level_without_third_country': funding.levelWithoutThirdCountry,
    'funding.binding_listed': funding.binding,
    'funding.third_country_listed': funding.thirdCountry,
    'funding.defence_level': funding.defenceLevel,
    'funding.defence_level_without_third_country': funding.defenceLevelWithoutThirdCountry,
    'funding.company': funderKinds.includes('company') ? true : c.funders === null || c.inKind === null || funderKinds.includes('unknown') ? null : false,
    'personnel.talent_programme': people?.some((p) => (p.talentProgrammes ?? []).length > 0) ? true : programmesUnknown ? null : false,
    'personnel.talent_programme_listed': programmeHits.length > 0 ? true : programmesUnknown ? null : false,
    // An affiliation nobody identified could be a listed entity's: unknown, as for a partner.
    'personnel.affiliation_listed': affiliationHits.length > 0 ? true : people === null || people.some((p) => p.affiliations === null) || affiliationParties.some((p) => !p.identified) ? null : false,
    'personnel.mobility': mobility,
    'personnel.long_mobility': longMobility,
    'technology.critical': critical,
    'technology.most_sensitive': fields === null ? null : (sensitivity ?? 0) >= 3,
    'technology.sensitivity': sensitivity,
    'technology.dual_use': tri(c.technology.dualUse),
    'technology.export_controlled': technologyControlled,
    'application.ai_act_tier': tier,
    'application.ai_act_rank': tier === null ? null : TIERS.indexOf(tier as never),
    'application.all_prohibited': uses === null ? null : uses.length > 0 && uses.every((u) => u.tier === 'unacceptable'),
    'application.surveillance': tagged('surveillance'),
    'application.biometric': tagged('biometric'),
    'application.military': tagged('military'),
    'application.minorities': minorities,
    'application.minorities_whole': tri(c.application.minoritiesWholeProject),
    'application.vulnerable': vulnerable,
    'data.none': dataKinds === null ? null : dataKinds.includes('none'),
    'data.personal': has('personal', 'health', 'biometric'),
    'data.important': has('important'),
    'data.sensitive': has('personal', 'health', 'biometric', 'important', 'proprietary'),
    'data.transfer_to_china': tri(c.data.transferToChina),
    'data.stored_in_china': c.data.storage === null ? null : c.data.storage.includes('CN'),
    'data.subjects_eu': about('eu-residents'),
    'data.subjects_china': about('china-residents'),
    'data.subjects_vulnerable': about('minors', 'groups-at-risk'),
    'data.partner_access': c.data.access === 'unknown' ? (dataKinds?.includes('none') ? false : null) : c.data.access === 'partner-accesses-eu-data' || c.data.access === 'both',
    'terms.equal_access_to_data': tri(c.terms.equalAccessToData),
    'terms.equal_right_to_publish': tri(c.terms.equalRightToPublish),
    'terms.ip_agreement': tri(c.terms.ipAgreement),
    'terms.partner_veto_on_publication': tri(c.terms.partnerVetoOnPublication),
    'research.basic': c.research.type === 'unknown' ? null : c.research.type === 'basic',
    'research.open_publication': tri(c.research.openPublication),
    'copubs.listed_5y': listedMax > 0 || copubsKnown ? listedMax : null,
    'copubs.partner_works_5y': copubsKnown ? perPartner.reduce((s, x) => s + x.works, 0) : null,
    'standards.forum_kind': forum?.kind ?? null,
    'standards.rules_based': forum ? ['international-sdo', 'european-sdo'].includes(forum.kind) : null,
    'standards.topics': standards?.topics ?? null,
    'standards.reciprocity': reciprocity.length === 0 ? null : reciprocity.includes('no') ? false : reciprocity.includes('unknown') ? null : true,
    'standards.leading_role': !standards || standards.role === 'unknown' ? null : standards.role === 'editor' || standards.role === 'convenor',
    'standards.sep_without_frand': !standards ? null : standards.patentsDeclared === 'no' ? false : standards.patentsDeclared === 'yes' && standards.frandCommitment !== 'unknown' ? standards.frandCommitment === 'no' : null,
  };
  const listingNote = partyNote(partnerParties, 'no partner');
  const fundingNote = c.funders === null && c.inKind === null ? 'funders and in-kind support not given' : `${partyNote(fundingParties, 'none declared')}${c.funders === null ? ' | funders not given' : ''}${c.inKind === null ? ' | in-kind support not given' : ''}`;
  const notes: Record<string, string> = {};
  for (const k of ['partners.identified', 'partners.max_level', 'partners.level_without_third_country', 'partners.listed', 'partners.lists', 'partners.binding_listed', 'partners.third_country_listed', 'partners.defence_level', 'partners.defence_level_without_third_country']) notes[k] = listingNote;
  for (const k of ['funding.identified', 'funding.listed', 'funding.max_level', 'funding.level_without_third_country', 'funding.binding_listed', 'funding.third_country_listed', 'funding.defence_level', 'funding.defence_level_without_third_country']) notes[k] = fundingNote;
  notes['partners.military'] = c.partners.map((p, i) => `${p.name ?? p.ror ?? p.description ?? 'not named'}: ${kinds[i]}${p.kind === 'unknown' && kinds[i] !== 'unknown' ? ' (registry type)' : ''}`).join('; ');
  notes['personnel.talent_programme_listed'] = partyNote(programmeParties, people === null ? 'personnel not given' : 'no talent programme named');
  const unstated = (people ?? []).filter((p) => p.affiliations === null).map((p) => `${p.name}: affiliations not given`);
  notes['personnel.affiliation_listed'] = [...(affiliationParties.length > 0 || unstated.length === 0 ? [partyNote(affiliationParties, people === null ? 'personnel not given' : 'no affiliation given')] : []), ...unstated].join(' | ');
  notes['application.ai_act_tier'] = uses === null ? 'intended uses not given' : uses.length === 0 ? 'no use with specific obligations' : uses.map((u) => `${u.label}: ${u.tier} (${u.cite})`).join('; ');
  if (languages.length) notes['application.minorities'] = `languages of concern: ${languages.join(', ')} (data/assessment/languages.json)`;
  notes['copubs.listed_5y'] = windowEmpty
    ? `the evidence store holds no works of ${obs.window[0]}–${obs.window[1]} (no publications of those years were loaded): co-publications unknown`
    : [
        ...perPartner.map((x) => `${x.p.query}${x.country ? ` (${x.country})` : ''}: ${x.listed} of its ${x.works} works in ${obs.window[0]}–${obs.window[1]} co-authored with a listed entity other than itself`),
        ...skipped.map(({ p, country }) => `${p.query} (${country}) not counted: a European partner`),
        ...nonEuropean.filter((p) => p.rorId === null).map((p) => `${p.query ?? p.description ?? 'a partner'}: not resolved to a registry institution, so its co-publications are unknown`),
      ].join('; ') || 'no non-European partner';
  // Few works in the window can show a pattern of co-publication but not its absence: "does not hold" needs a record of some size.
  const minimum = bundle.rulebook.minimumEvidence?.copubsPartnerWorks;
  const thinPartners = minimum && !windowEmpty ? perPartner.filter((x) => x.works < minimum.atLeast) : [];
  const thin: Record<string, string> = {};
  if (thinPartners.length > 0) {
    const why = `${thinPartners.map((x) => `${x.works === 0 ? 'no works' : `only ${x.works} work${x.works === 1 ? '' : 's'}`} of ${x.p.query} in ${obs.window[0]}–${obs.window[1]} in the store`).join('; ')}; at least ${minimum!.atLeast} needed to say it does not hold`;
    for (const k of ['copubs.listed_5y', 'copubs.partner_works_5y']) thin[k] = `${why}: load more of the partner's publications, or establish its co-publications with listed entities otherwise`;
    notes['copubs.listed_5y'] = `${notes['copubs.listed_5y']} | too few works to show absence: ${minimum!.rationale} (rulebook minimum_evidence)`;
  }
  const copubWorks = obs.listedWorks === undefined || windowEmpty ? undefined : perPartner.filter((x) => x.listed > 0).map((x): CopubWorks => ({ partner: x.p.query ?? x.p.rorId!, rorId: x.p.rorId!, listed: x.listed, window: obs.window, works: obs.listedWorks![x.p.rorId!] ?? [] }));
  if (forum) notes['standards.forum_kind'] = `${forum.name}: ${forum.note}`;
  const requests: Record<string, string> = {};
  const institutes = partnerParties.filter((p) => (p.listedParts ?? []).length > 0);
  // A partner the registry marks as related to a listed institution (a military university's hospital): the tie is what to establish.
  const tied = partnerParties.filter((p) => (p.related ?? []).length > 0);
  const asks = [
    ...(institutes.length > 0
      ? [
          `identify the institute: ${institutes
            .map(
              (p) =>
                `${p.query} is not listed itself, but its institutes ${p
                  .listedParts!.slice(0, 5)
                  .map((x) => x.name)
                  .join(', ')}${p.listedParts!.length > 5 ? ', …' : ''} are`,
            )
            .join('; ')}`,
        ]
      : []),
    ...tied.map(
      (p) =>
        `establish the tie: ${p.query} is on no loaded list itself, but ${p.related!.every((x) => (x.tie ?? ROR_TIE) === ROR_TIE) ? 'the ROR registry marks it as related to' : 'it is related to'} ${p
          .related!.map((x) => `${x.name} (ROR ${x.rorId}${(x.tie ?? ROR_TIE) === ROR_TIE ? '' : `; ${x.tie}`}), listed on ${[...new Set(x.listings.map((l) => `${l.listName} as ${l.entry} (${l.level})`))].join('; ')}`)
          .join(' and ')}: establish whether ${p.query} is governed, funded or staffed by ${p.related!.map((x) => x.name).join(' or ')} (an affiliated or teaching hospital, joint appointments), and whether that institution or its staff take part in the project or receive its results`,
    ),
  ];
  if (asks.length > 0) {
    const ask = `${asks.join('; ')}${partnerParties.some((p) => !p.identified && !p.listedParts && !p.related) ? `; ${REQUESTS['partners.identified']}` : ''}`;
    for (const k of ['partners.identified', 'partners.max_level', 'partners.level_without_third_country', 'partners.listed', 'partners.binding_listed', 'partners.third_country_listed', 'partners.defence_level', 'partners.defence_level_without_third_country']) requests[k] = ask;
  }
  if (windowEmpty) for (const k of ['copubs.listed_5y', 'copubs.partner_works_5y']) requests[k] = `load publications of ${obs.window[0]}–${obs.window[1]} into the evidence store (it holds none), or assess as of a date whose five years before it the store covers`;
  return { facts, notes, parties, ...(Object.keys(requests).length > 0 ? { requests } : {}), ...(Object.keys(thin).length > 0 ? { thin } : {}), ...(copubWorks ? { copubWorks } : {}) };
}
