import { createReadStream } from 'node:fs';
import { readCsv } from '../ingest/csv.ts';
import { stripRorPrefix } from '../ingest/records.ts';
import type { Basis } from './calibration.ts';
import { TIER_RANK, type AffiliationResolver, type Resolution, type Tier } from './matcher.ts';

export interface LabelledString {
  affiliation: string;
  /** Gold institutions; empty when none applies ("NP") or, with `institutionsLabelled` false, when only the country is labelled. */
  gold: string[];
  institutionsLabelled: boolean;
  /** Gold countries (any one is right); empty means the right answer is "no country"; absent means not labelled. */
  countries?: string[];
  /** The failure class a hand-checked string stands for. */
  group?: string;
  reason?: string;
}

/** Reads ROR's matching evaluation sets: `affiliation,ror_id` with "NP" where no institution applies. */
export async function readLabelled(path: string): Promise<LabelledString[]> {
  const out: LabelledString[] = [];
  for await (const { fields } of rowsUnder(path, ['affiliation', 'ror_id'])) {
    out.push({ affiliation: fields[0] ?? '', gold: goldIds(fields[1] ?? ''), institutionsLabelled: true });
  }
  return out;
}

/** The data rows of a labelled CSV file whose header must begin with `columns`; a bad row fails the whole set. */
async function* rowsUnder(path: string, columns: string[]): AsyncGenerator<{ fields: string[]; lineNo: number }> {
  let headerSeen = false;
  for await (const row of readCsv(createReadStream(path))) {
    if ('error' in row) throw new Error(`${path}:${row.lineNo}: ${row.error}`);
    if (headerSeen) {
      yield row;
      continue;
    }
    if (columns.some((c, i) => row.fields[i] !== c)) throw new Error(`${path}: expected columns ${columns.join(',')}`);
    headerSeen = true;
  }
}

const goldIds = (field: string) =>
  field
    .split(/[|;\s]+/)
    .filter((g) => g && g !== 'NP')
    .map(stripRorPrefix);

/**
 * Reads the hand-checked strings of each failure class (`group,affiliation,ror_id,country,reason`):
 * `ror_id` may be empty (no registry institution is right) and `country` may be "unknown"
 * (the right answer is to give none).
 */
export async function readFailureClasses(path: string): Promise<LabelledString[]> {
  const out: LabelledString[] = [];
  for await (const row of rowsUnder(path, ['group', 'affiliation', 'ror_id', 'country', 'reason'])) {
    const [group, affiliation, ror, country, reason] = row.fields;
    if (!group || !affiliation || !country || !reason) throw new Error(`${path}:${row.lineNo}: group, affiliation, country and reason are required`);
    out.push({ affiliation, gold: goldIds(ror ?? ''), institutionsLabelled: true, countries: country === 'unknown' ? [] : country.split(';'), group, reason });
  }
  return out;
}

/** A labelled string whose gold country is documented wrong: the set, the string, the gold as labelled, the right country ("none" for no country) and why. */
export interface CountryLabelError {
  set: string;
  affiliation: string;
  gold: string[];
  right: string[];
  reason: string;
}

/** Reads `set,affiliation,gold,right,reason` (bench/labelled/country-label-errors.csv); every field is required. */
export async function readCountryLabelErrors(path: string): Promise<CountryLabelError[]> {
  const out: CountryLabelError[] = [];
  for await (const row of rowsUnder(path, ['set', 'affiliation', 'gold', 'right', 'reason'])) {
    const [set, affiliation, gold, right, reason] = row.fields;
    if (!set || !affiliation || !gold || !right || !reason) throw new Error(`${path}:${row.lineNo}: set, affiliation, gold, right and reason are required`);
    out.push({ set, affiliation, gold: gold.split(';'), right: right === 'none' ? [] : right.split(';'), reason });
  }
  return out;
}

/**
 * The set's strings with the documented gold errors corrected, so that the bench prints the country figures both as
 * labelled and with them corrected. A listed string whose gold is no longer as written names the row, so that the
 * list cannot drift from the sets unseen.
 */
export function withCountryGoldCorrected(setName: string, items: LabelledString[], errors: CountryLabelError[]): { items: LabelledString[]; corrected: number } {
  const mine = new Map(errors.filter((e) => e.set === setName).map((e) => [e.affiliation, e]));
  const found = new Set<string>();
  const out = items.map((item) => {
    const e = mine.get(item.affiliation);
    if (!e) return item;
    if ((item.countries ?? []).join(';') !== e.gold.join(';')) throw new Error(`country label errors: "${e.affiliation}" in ${setName} is labelled ${(item.countries ?? []).join(';') || 'none'}, not ${e.gold.join(';')} as listed`);
    found.add(item.affiliation);
    return { ...item, countries: e.right };
  });
  const missing = [...mine.keys()].filter((a) => !found.has(a));
  if (missing.length > 0) throw new Error(`country label errors: not in ${setName}: ${missing.map((a) => `"${a}"`).join(', ')}`);
  return { items: out, corrected: out.filter((item, i) => item !== items[i]).length };
}

export interface Reliability {
  from: number;
  to: number;
  matches: number;
  meanScore: number;
  right: number;
}

export interface MatchingScore {
  strings: number;
  inRegistry: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
  /** Precision and recall counting the gold institution's registry parent or unit as right: the level, not the institution, was missed. */
  treePrecision: number;
  treeRecall: number;
  /** Strings whose institution is not in the registry that still got a (necessarily wrong) match. */
  outOfRegistry: number;
  outOfRegistryMatched: number;
  /**
   * Of those, matches to a record the registry itself links to the gold (its parent, a unit, a related hospital: "Department
   * of Psychiatry, McLean Hospital, Harvard Medical School" labelled McLean Hospital, matched to Harvard University): the
   * institution named, at another level than the label; the rest are some other institution.
   */
  outOfRegistryLinked: number;
  /** Strings naming no institution at all ("NP") that still got a match. */
  noInstitution: number;
  noInstitutionMatched: number;
  country: CountryScore;
  stringsPerSecond: number;
  /** The primary match of every labelled string, right (the gold institution, or a unit of it the match names) or wrong: what calibration and the reliability table read. */
  observations: { basis: Basis; score: number; tier: Tier; right: boolean }[];
  /** `oor`: a string whose institution is not in the registry, matched to some other institution (not one the registry links to it). */
  errors: { affiliation: string; gold: string[]; predicted: string[]; kind: 'fp' | 'fn' | 'oor'; group?: string }[];
  countryErrors: { affiliation: string; gold: string[]; predicted: string | null; evidence: string; group?: string }[];
}

export interface CountryScore {
  labelled: number;
  /** Strings given a country. */
  predicted: number;
  correct: number;
  /** Labelled strings given no country. */
  missing: number;
  /** Strings whose right answer is "no country" (a company's lab without a place) and that got none. */
  abstainedRightly: number;
  precision: number;
  recall: number;
}

/**
 * Precision and recall per string (ROR's convention): each predicted id is right or wrong, each
 * gold id found or missed. Country precision counts every country given, recall every string
 * whose country is labelled.
 */
export function scoreMatching(resolver: AffiliationResolver, items: LabelledString[], minTier: Exclude<Tier, 'unresolved'> = 'strong', primaryOnly = true): MatchingScore {
  const started = performance.now();
  const resolutions: Resolution[] = items.map((i) => resolver.resolve(i.affiliation));
  const seconds = (performance.now() - started) / 1000;
  return scoreResolutions(resolver, items, resolutions, minTier, primaryOnly, items.length / seconds);
}

export function scoreResolutions(resolver: AffiliationResolver, items: LabelledString[], resolutions: Resolution[], minTier: Exclude<Tier, 'unresolved'>, primaryOnly: boolean, stringsPerSecond: number): MatchingScore {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let inRegistry = 0;
  let outside = 0;
  let outsideMatched = 0;
  let outsideLinked = 0;
  let none = 0;
  let noneMatched = 0;
  let treeHits = 0;
  const country = { labelled: 0, predicted: 0, correct: 0, missing: 0, abstainedRightly: 0 };
  const observations: MatchingScore['observations'] = [];
  const errors: MatchingScore['errors'] = [];
  const countryErrors: MatchingScore['countryErrors'] = [];
  items.forEach((item, k) => {
    const r = resolutions[k]!;
    if (item.countries) scoreCountry(item, r, country, countryErrors);
    if (!item.institutionsLabelled) return;
    const accepted = r.institutions.filter((m) => TIER_RANK[m.tier] >= TIER_RANK[minTier] && (!primaryOnly || m.primary));
    const predicted = accepted.map((m) => m.rorId);
    const known = item.gold.filter((g) => resolver.institution(g));
    const primary = r.institutions.find((m) => m.primary);
    // What a score promises is that the string was read right: the institution, or a unit of it the string names and the
    // match keeps ("Inst Automat, Chinese Acad Sci": CAS, its unit CASIA). ROR's labels name either level for strings of the
    // same shape (crossref_train: the institution 189 times, the unit 89), so the level is not what the score is about;
    // precision and recall still count the primary institution alone.
    if (primary) observations.push({ basis: primary.basis, score: primary.score, tier: primary.tier, right: known.includes(primary.rorId) || primary.units.some((u) => known.includes(u.rorId)) });
    if (item.gold.length === 0) {
      none++;
      if (predicted.length > 0) noneMatched++;
      return;
    }
    if (known.length === 0) {
      outside++;
      if (predicted.length === 0) return;
      outsideMatched++;
      const linked = (id: string) => {
        const e = resolver.institution(id);
        return e !== undefined && item.gold.some((g) => e.parents.includes(g) || e.children.includes(g) || e.related.includes(g));
      };
      if (predicted.every(linked)) outsideLinked++;
      else errors.push({ affiliation: item.affiliation, gold: item.gold, predicted, kind: 'oor', group: item.group });
      return;
    }
    inRegistry++;
    const hits = predicted.filter((p) => known.includes(p)).length;
    treeHits += predicted.filter((p) => known.some((g) => resolver.sameTree(p, g))).length;
    tp += hits;
    fp += predicted.length - hits;
    fn += known.length - hits;
    if (predicted.length - hits > 0) errors.push({ affiliation: item.affiliation, gold: known, predicted, kind: 'fp', group: item.group });
    else if (known.length - hits > 0) errors.push({ affiliation: item.affiliation, gold: known, predicted, kind: 'fn', group: item.group });
  });
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return {
    strings: items.length,
    inRegistry,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    treePrecision: tp + fp === 0 ? 0 : treeHits / (tp + fp),
    treeRecall: tp + fn === 0 ? 0 : Math.min(1, treeHits / (tp + fn)),
    outOfRegistry: outside,
    outOfRegistryMatched: outsideMatched,
    outOfRegistryLinked: outsideLinked,
    noInstitution: none,
    noInstitutionMatched: noneMatched,
    country: {
      ...country,
      precision: country.predicted === 0 ? 0 : country.correct / country.predicted,
      recall: country.labelled === 0 ? 0 : country.correct / country.labelled,
    },
    stringsPerSecond,
    observations,
    errors,
    countryErrors,
  };
}

function scoreCountry(item: LabelledString, r: Resolution, tally: { labelled: number; predicted: number; correct: number; missing: number; abstainedRightly: number }, errors: MatchingScore['countryErrors']): void {
  const gold = item.countries!;
  if (r.countryCode !== null) tally.predicted++;
  if (gold.length === 0) {
    // The right answer is no country: giving one is an error, giving none is right but recalls nothing.
    if (r.countryCode === null) tally.abstainedRightly++;
    else errors.push({ affiliation: item.affiliation, gold, predicted: r.countryCode, evidence: r.countryEvidence, group: item.group });
    return;
  }
  tally.labelled++;
  if (r.countryCode === null) tally.missing++;
  if (r.countryCode !== null && gold.includes(r.countryCode)) tally.correct++;
  else errors.push({ affiliation: item.affiliation, gold, predicted: r.countryCode, evidence: r.countryEvidence, group: item.group });
}

/** Bins of calibrated score against the share of matches in each that were right: a score of 0.9 should be right about 9 times in 10. */
export function reliabilityTable(observations: { score: number; right: boolean }[], edges = [0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 1.0001]): Reliability[] {
  const out: Reliability[] = [];
  for (let i = 0; i < edges.length - 1; i++) {
    const inBin = observations.filter((o) => o.score >= edges[i]! && o.score < edges[i + 1]!);
    out.push({
      from: edges[i]!,
      to: Math.min(1, edges[i + 1]!),
      matches: inBin.length,
      meanScore: inBin.length === 0 ? 0 : inBin.reduce((a, o) => a + o.score, 0) / inBin.length,
      right: inBin.filter((o) => o.right).length,
    });
  }
  return out;
}
