import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AskIndicator, IndicatorName } from './catalog.ts';
import type { CopubYear } from './copubs.ts';
import { NO_FILTERS, type Filters } from './filters.ts';
import type { CountryShare, RegionYear, TopInstitution } from './landscape.ts';
import type { ApplicantCount, CopatentYear } from './patents.ts';
import { SMALL_SAMPLE } from './corpus.ts';

export const BUNDLED_FACTS = fileURLToPath(new URL('../../data/facts/reconnect-brief-2.json', import.meta.url));

interface FactFile {
  provenance: Record<string, string>;
  facts: { id: string; check: string; claim: string; where: string; params: Record<string, any> }[];
}

export type Verdict = 'agrees' | 'differs' | 'not enough data';

export interface FactCheck {
  id: string;
  claim: string;
  source: string;
  /** What the data points to; read it with `tooFew`. */
  verdict: Verdict;
  dataSays: string;
  /** Every count the verdict compares (both sides of a comparison), so a reader sees what it rests on. */
  basis: FactBasis[];
  /** A count of the basis is under the landscape's small-sample threshold: a difference of a few works is noise, so the fact cannot be judged. */
  tooFew: boolean;
  /** The verdict in the words every surface shows: `verdict`, or "few works — too few to judge (…)". */
  judgement: string;
}

/** One count a verdict compares: the works behind it (co-patents for the patent fact), whatever the counting. */
export interface FactBasis {
  of: string;
  works: number;
}

/** Whether a verdict rests on a count under the landscape's small-sample threshold ("not enough data" is already no judgement). */
export function tooFewToJudge(verdict: Verdict, basis: FactBasis[]): boolean {
  return verdict !== 'not enough data' && basis.some((b) => b.works < SMALL_SAMPLE);
}

/** How a check reads to a person: "too few to judge" wins over what a handful of works points to. */
export function judgement(check: Pick<FactCheck, 'verdict' | 'tooFew'>): string {
  return check.tooFew ? `few works — too few to judge (the data leans: ${check.verdict})` : check.verdict;
}

/** The basis in words: "EU27AC–CN co-publications in 2021: 2 works; …". */
export function basisWords(basis: FactBasis[]): string {
  return basis.map((b) => `${b.of}: ${b.works}`).join('; ');
}

/** What the facts are checked on: the works the filters admit, counted in full (as the brief counts) or fractionally. */
export interface FactScope {
  filters: Filters;
  counting: 'full' | 'fractional';
}

/**
 * Each published fact of the brief, set against what the loaded data says under `scope` (a
 * year range that leaves out a fact's years makes it "not enough data"). The facts and their
 * parameters are data; each kind of check is a small function here.
 */
export async function checkFacts(ask: AskIndicator, file = BUNDLED_FACTS, scope: FactScope = { filters: NO_FILTERS, counting: 'full' }): Promise<FactCheck[]> {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as FactFile;
  if (!parsed.provenance?.document) throw new Error(`${file}: a fact file must say which document its facts come from (provenance.document)`);
  const out: FactCheck[] = [];
  for (const fact of parsed.facts) {
    const check = CHECKS[fact.check];
    if (!check) throw new Error(`${file}: fact ${fact.id} uses unknown check ${JSON.stringify(fact.check)}; known: ${Object.keys(CHECKS).join(', ')}`);
    const { verdict, dataSays, basis } = await check(ask, fact.params, scope);
    const tooFew = tooFewToJudge(verdict, basis);
    out.push({ id: fact.id, claim: fact.claim, source: `${parsed.provenance.document} (${parsed.provenance.date}), ${fact.where}`, verdict, dataSays, basis, tooFew, judgement: judgement({ verdict, tooFew }) });
  }
  return out;
}

type Check = (ask: AskIndicator, params: Record<string, any>, scope: FactScope) => Promise<{ verdict: Verdict; dataSays: string; basis: FactBasis[] }>;

const byYear = (years: CopubYear[], counting: FactScope['counting']) => new Map(years.map((y) => [y.year, y[counting]]));
const label = (pair: string[]) => pair.join('–');
/** An indicator's rows, asked of whichever evidence store answers. */
const rowsOf = async <T>(ask: AskIndicator, name: IndicatorName, regions: string[], filters: Filters, limit = 15) => (await ask({ name, regions, filters, limit, institution: null })) as T[];

const CHECKS: Record<string, Check> = {
  async 'pair-overtakes'(ask, p, { filters, counting }) {
    const leaderYears = await rowsOf<CopubYear>(ask, 'copubs', p.leader, filters);
    const followerYears = await rowsOf<CopubYear>(ask, 'copubs', p.follower, filters);
    const leader = byYear(leaderYears, counting);
    const follower = byYear(followerYears, counting);
    const year = p.year as number;
    const years = [year - 1, year];
    const works = (pair: string[], rows: CopubYear[]) => years.map((y) => ({ of: `${label(pair)} co-publications in ${y}`, works: rows.find((r) => r.year === y)?.full ?? 0 }));
    const basis = [...works(p.leader, leaderYears), ...works(p.follower, followerYears)];
    if (!years.every((y) => leader.has(y) || follower.has(y))) return { verdict: 'not enough data', dataSays: `need co-publications of either pair in ${year - 1} and ${year}`, basis };
    const at = (y: number) => `${y}: ${label(p.leader)} ${leader.get(y) ?? 0}, ${label(p.follower)} ${follower.get(y) ?? 0}`;
    const overtook = (leader.get(year) ?? 0) > (follower.get(year) ?? 0) && (leader.get(year - 1) ?? 0) <= (follower.get(year - 1) ?? 0);
    return { verdict: overtook ? 'agrees' : 'differs', dataSays: `${at(year - 1)}; ${at(year)}`, basis };
  },
  async 'pair-falls-after'(ask, p, { filters, counting }) {
    const rows = await rowsOf<CopubYear>(ask, 'copubs', p.pair, filters);
    const counts = byYear(rows, counting);
    const base = counts.get(p.year);
    const later = [...counts.entries()].filter(([y]) => y > p.year).sort((a, b) => a[0] - b[0]);
    // The base year is compared with each later year: each of those counts is a side.
    const basis = rows.filter((r) => r.year >= p.year).map((r) => ({ of: `${label(p.pair)} co-publications in ${r.year}`, works: r.full }));
    if (base === undefined || later.length === 0) return { verdict: 'not enough data', dataSays: `need ${label(p.pair)} co-publications in ${p.year} and after`, basis };
    const falls = later.every(([, n]) => n < base);
    return { verdict: falls ? 'agrees' : 'differs', dataSays: `${p.year}: ${base}; after: ${later.map(([y, n]) => `${y}: ${n}`).join(', ')}`, basis };
  },
  async 'region-rank-change'(ask, p, { filters, counting }) {
    const rows = await rowsOf<RegionYear>(ask, 'publications', [p.region, ...p.others], filters);
    const at = (year: number) => new Map(rows.filter((r) => r.year === year).map((r) => [r.region, r[counting]]));
    const start = at(p.from);
    const end = at(p.to);
    const regions = [p.region, ...p.others];
    const basis = [p.from, p.to].flatMap((year) => regions.map((region) => ({ of: `${region} publications in ${year}`, works: rows.find((r) => r.region === region && r.year === year)?.full ?? 0 })));
    if (regions.some((r) => !start.has(r) || !end.has(r))) return { verdict: 'not enough data', dataSays: `need publications of ${regions.join(', ')} in both ${p.from} and ${p.to}`, basis };
    const lowest = regions.every((r) => r === p.region || start.get(r)! > start.get(p.region)!);
    const highest = regions.every((r) => r === p.region || end.get(r)! < end.get(p.region)!);
    const fmt = (m: Map<string, number>) => regions.map((r) => `${r} ${m.get(r)}`).join(', ');
    return { verdict: lowest && highest ? 'agrees' : 'differs', dataSays: `${p.from}: ${fmt(start)}; ${p.to}: ${fmt(end)}`, basis };
  },
  async 'country-share'(ask, p, { filters }) {
    const shares = await rowsOf<CountryShare>(ask, 'countries', p.pair, filters);
    const total = (await rowsOf<CopubYear>(ask, 'copubs', p.pair, filters)).reduce((sum, y) => sum + y.full, 0);
    // A share is one count set against a published figure: the works it is a share of.
    const basis = [{ of: `${label(p.pair)} co-publications`, works: total }];
    if (shares.length === 0) return { verdict: 'not enough data', dataSays: `no ${label(p.pair)} co-publications`, basis };
    const own = shares.find((s) => s.countryCode === p.country)?.share ?? 0;
    const next = shares
      .filter((s) => s.countryCode !== p.country)
      .slice(0, p.next.length)
      .map((s) => s.countryCode);
    const close = Math.abs(own - p.share) <= p.tolerance;
    return { verdict: close ? 'agrees' : 'differs', dataSays: `${p.country} ${(own * 100).toFixed(1)}% of ${label(p.pair)} co-publications; next: ${next.join(', ') || 'no other country'}`, basis };
  },
  async 'main-partner'(ask, p, { filters }) {
    // The brief's claim is about parents: rolled up whatever the filter says.
    const top = await rowsOf<TopInstitution>(ask, 'top-institutions', p.pair, { ...filters, rollUp: true }, p.top);
    if (top.length === 0) return { verdict: 'not enough data', dataSays: `no ${label(p.pair)} co-publications with resolved institutions`, basis: [] };
    // The verdict counts main partners: each rests on the works an institution shares with its main partner,
    // and an institution with hundreds of co-publications can have a main partner of one work.
    const weakest = top.reduce((min, t) => (t.withMainPartner < min.withMainPartner ? t : min));
    const partnerOf = weakest.mainPartnerName ?? 'its main partner';
    const basis = [
      {
        of: top.length === 1 ? `co-publications of ${weakest.name} with ${partnerOf}` : `co-publications of ${weakest.name} with ${partnerOf}, the fewest behind a main partner of the top ${top.length}`,
        works: weakest.withMainPartner,
      },
    ];
    const n = top.filter((t) => t.mainPartnerId === p.partner).length;
    return { verdict: n === p.count ? 'agrees' : 'differs', dataSays: `${p.partnerName} is the main partner of ${n} of the top ${top.length} institutions (parents rolled up)`, basis };
  },
  async 'copatent-sector'(ask, p, { filters }) {
    const top = await rowsOf<ApplicantCount>(ask, 'applicants', ['EU27AC', 'CN'], filters, p.firms.length);
    const total = (await rowsOf<CopatentYear>(ask, 'copatents', ['EU27AC', 'CN'], filters)).reduce((sum, y) => sum + y.copatents, 0);
    const basis = [{ of: 'EU27AC–CN co-patents', works: total }];
    if (top.length === 0) return { verdict: 'not enough data', dataSays: 'no EU27AC–CN co-patents in the loaded data (derisk ingest lens|patstat …)', basis };
    const firms = (p.firms as string[]).map((f) => f.toLowerCase());
    const named = top.filter((t) => firms.some((f) => t.applicant.toLowerCase().includes(f)));
    return {
      verdict: named.length * 2 >= top.length ? 'agrees' : 'differs',
      dataSays: `top applicants: ${top.map((t) => `${t.applicant} (${t.copatents})`).join(', ')}; ${named.length} of ${top.length} are among the named firms`,
      basis,
    };
  },
};
