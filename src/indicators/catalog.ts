import { fieldOf, type Taxonomy } from '../fields/taxonomy.ts';
import type { RegionCatalogue } from '../regions/catalogue.ts';
import type { Store } from '../store/store.ts';
import { copublications } from './copubs.ts';
import type { Filters } from './filters.ts';
import { aggregatePairs, aggregateSeries, copublicationWorkCount, copublicationWorks, countryBreakdown, fieldBreakdown, funders, leadership, publicationsByRegion, topInstitutions, topPairs } from './landscape.ts';
import { copatentSectors, copatents, topApplicantPairs, topApplicants } from './patents.ts';
import { ValidationError } from '../errors.ts';

/** Every indicator by name, for the CLI, the HTTP API and the web app alike. */
export const INDICATORS = ['copubs', 'publications', 'top-institutions', 'top-pairs', 'countries', 'fields', 'leadership', 'funders', 'works', 'aggregate-copubs', 'copatents', 'applicants', 'applicant-pairs', 'copatent-sectors', 'aggregate-series'] as const;
export type IndicatorName = (typeof INDICATORS)[number];

/**
 * The columns of each indicator's rows, in order, as data: a table or CSV of an answer with no
 * rows (an empty home, a narrow filter) still has its header, and the same one as a full answer.
 */
export const INDICATOR_COLUMNS: Record<IndicatorName, readonly string[]> = {
  copubs: ['year', 'full', 'fractional'],
  publications: ['region', 'year', 'full', 'fractional'],
  'top-institutions': ['rorId', 'name', 'countryCode', 'copublications', 'mainPartnerId', 'mainPartnerName', 'withMainPartner'],
  'top-pairs': ['aId', 'aName', 'aCountry', 'bId', 'bName', 'copublications'],
  countries: ['countryCode', 'copublications', 'share'],
  fields: ['fieldId', 'copublications', 'share', 'name'],
  leadership: ['region', 'role', 'works', 'share'],
  funders: ['funder', 'works'],
  works: ['workId', 'year', 'title', 'doi', 'records', 'institutions', 'countries'],
  'aggregate-copubs': ['year', 'pairSum', 'dataset', 'caveats'],
  copatents: ['year', 'copatents'],
  applicants: ['applicant', 'countryCode', 'copatents'],
  'applicant-pairs': ['applicantA', 'applicantB', 'copatents'],
  'copatent-sectors': ['fieldId', 'copatents', 'share', 'name'],
  'aggregate-series': ['countryCode', 'place', 'attribute', 'year', 'value', 'dataset', 'caveats'],
};

export interface IndicatorRequest {
  name: IndicatorName;
  /** Two region ids; "publications" and "aggregate-series" take any number. */
  regions: string[];
  filters: Filters;
  limit: number;
  institution: string | null;
}

export class IndicatorError extends ValidationError {}

/** The pairs the landscape summary and the dashboard's first view compare. */
export const STANDARD_PAIRS: [string, string][] = [
  ['EU27AC', 'CN'],
  ['US', 'CN'],
  ['EU27AC', 'US'],
];

/** Indicators over any number of regions compare these when the request names none (two-region indicators need two named). */
export const DEFAULT_REGIONS = ['EU27AC', 'CN', 'US'];

/**
 * The regions of a request as the CLI (--regions) and the HTTP API (regions=) take them: ids
 * separated by commas, or the indicator's defaults when none are given, so both doors answer alike.
 */
export function requestedRegions(name: IndicatorName, given: string | undefined): string[] {
  const regions = (given ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return regions.length === 0 && (name === 'publications' || name === 'aggregate-series') ? [...DEFAULT_REGIONS] : regions;
}

const ROR_ID = /^0[a-hj-km-np-tv-z0-9]{6}\d{2}$/;

/** Checks a request against the catalogue and taxonomy; the message says what is wrong. */
export function validateRequest(request: IndicatorRequest, taxonomy: Taxonomy, catalogue: RegionCatalogue): void {
  if (!INDICATORS.includes(request.name)) throw new IndicatorError(`unknown indicator ${JSON.stringify(request.name)}; available: ${INDICATORS.join(', ')}`);
  const anyNumber = request.name === 'publications' || request.name === 'aggregate-series';
  if (anyNumber ? request.regions.length === 0 : request.regions.length !== 2) {
    throw new IndicatorError(anyNumber ? 'give at least one region' : 'give two region ids, e.g. EU27AC,CN');
  }
  for (const r of request.regions) if (!catalogue.regions.has(r.toUpperCase())) throw new IndicatorError(`unknown region ${JSON.stringify(r)}; known: ${[...catalogue.regions.keys()].join(', ')}`);
  const ids = request.regions.map((r) => r.toUpperCase());
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  // A pair counts a work with an affiliation in each region: with one region twice, or two that share
  // a country, a work from that country alone would count as co-operation between them.
  if (twice) throw new IndicatorError(`regions: ${twice} is given twice; ${anyNumber ? 'name each region once' : 'a pair is two regions with no country in common (what one region publishes is the publications indicator)'}`);
  if (!anyNumber) {
    const [a, b] = ids.map((id) => catalogue.regions.get(id)!);
    const shared = a!.countries.filter((c) => b!.countries.includes(c));
    if (shared.length > 0) throw new IndicatorError(`regions: ${a!.id} and ${b!.id} share ${shared.join(', ')}: a work with an affiliation there alone would count as co-operation between them; a pair is two regions with no country in common`);
  }
  if (request.filters.field !== null) {
    try {
      fieldOf(taxonomy, request.filters.field);
    } catch (e) {
      throw new IndicatorError((e as Error).message);
    }
  }
  if (request.institution !== null && !ROR_ID.test(request.institution)) throw new IndicatorError(`institution must be a ROR id, got ${JSON.stringify(request.institution)}`);
  // A listing of works may be asked for whole (`derisk indicators works --all`); ranked indicators stop at 1000.
  if (request.name === 'works' ? !Number.isSafeInteger(request.limit) || request.limit < 1 : !Number.isInteger(request.limit) || request.limit < 1 || request.limit > 1000) {
    throw new IndicatorError(`limit must be a whole number from 1${request.name === 'works' ? '' : ' to 1000'}`);
  }
}

/** Field rows with the taxonomy's names. */
export const named = <T extends { fieldId: string }>(rows: T[], taxonomy: Taxonomy) => rows.map((r) => ({ ...r, name: taxonomy.fields.get(r.fieldId)?.name ?? r.fieldId }));

/** An indicator's answer from one evidence store: the embedded store's (runIndicator) or the cluster's (runClickHouseIndicator). */
export type AskIndicator = (request: IndicatorRequest) => Promise<object[]>;

/** How many works the `works` indicator lists without its limit (its rows are the first `limit` of them). */
export type CountWorks = (request: IndicatorRequest) => Promise<number>;

/** The embedded store's count of the works a `works` request lists. */
export const workCountOf =
  (store: Store, catalogue: RegionCatalogue, taxonomy: Taxonomy): CountWorks =>
  (request) => {
    validateRequest(request, taxonomy, catalogue);
    return copublicationWorkCount(store, catalogue, request.regions[0]!, request.regions[1]!, request.filters, request.institution);
  };

/** The embedded store's indicators as an AskIndicator. */
export const indicatorsOf =
  (store: Store, catalogue: RegionCatalogue, taxonomy: Taxonomy): AskIndicator =>
  (request) =>
    runIndicator(store, catalogue, taxonomy, request);

export async function runIndicator(store: Store, catalogue: RegionCatalogue, taxonomy: Taxonomy, request: IndicatorRequest): Promise<object[]> {
  validateRequest(request, taxonomy, catalogue);
  const { filters, limit, regions } = request;
  const [a, b] = [regions[0]!, regions[1]!];
  switch (request.name) {
    case 'copubs':
      return copublications(store, catalogue, a, b, filters);
    case 'publications':
      return publicationsByRegion(store, catalogue, regions, filters);
    case 'top-institutions':
      return topInstitutions(store, catalogue, a, b, limit, filters);
    case 'top-pairs':
      return topPairs(store, catalogue, a, b, limit, filters);
    case 'countries':
      return countryBreakdown(store, catalogue, a, b, filters);
    case 'fields':
      return named(await fieldBreakdown(store, catalogue, a, b, filters), taxonomy);
    case 'leadership':
      return leadership(store, catalogue, a, b, filters);
    case 'funders':
      return funders(store, catalogue, a, b, limit, filters);
    case 'works':
      return copublicationWorks(store, catalogue, a, b, filters, request.institution, limit);
    case 'aggregate-copubs':
      return aggregatePairs(store, catalogue, a, b, filters);
    case 'copatents':
      return copatents(store, catalogue, a, b, filters);
    case 'applicants':
      return topApplicants(store, catalogue, a, b, limit, filters);
    case 'applicant-pairs':
      return topApplicantPairs(store, catalogue, a, b, limit, filters);
    case 'aggregate-series':
      return aggregateSeries(store, catalogue, regions, filters);
    case 'copatent-sectors':
      return named(await copatentSectors(store, catalogue, a, b, filters), taxonomy);
  }
}
