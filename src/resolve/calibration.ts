import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * How a match was made, in the few dimensions that decide how often such a match is right.
 * The calibrated score of a match is the share of matches with the same basis that were right
 * on the tuning sets (ROR's crossref_train split and the institutions OpenAlex asserts for raw
 * affiliation strings, bench/labelled/README.md), smoothed toward coarser bases where few were seen.
 */
export interface Basis {
  /** Which rule found the name. */
  how: How;
  /** Whether the registry holds the matched words as its name or label, or only as an alias. */
  held: 'name' | 'alias';
  /** Whether one institution bore the name, or a place, a unit of it the string names, or a tie-break chose among several. */
  ambiguity: 'unique' | 'place' | 'unit' | 'tiebreak';
  /** Whether the string's place agrees with the institution's, names its city, names nothing, or disagrees. */
  place: 'agrees' | 'city' | 'none' | 'conflict';
  /** A short name of common words ("Heart Institute") that could be a unit anywhere. */
  generic: boolean;
  /** Whether the string names this institution alone or with units of it (where the registry's level may be meant instead). */
  named: 'alone' | 'with-units';
}

export type How =
  | 'correction'
  | 'exact'
  | 'cjk'
  | 'reordered'
  | 'reordered-university'
  | 'child-first'
  | 'inside'
  | 'inside-unit'
  | 'inside-school'
  | 'inside-hospital'
  | 'inside-glued'
  | 'inside-longer'
  | 'extension'
  | 'fuzzy'
  | 'fuzzy-low'
  | 'fuzzy-city'
  | 'fuzzy-city-other'
  | 'acronym-city'
  | 'acronym-country'
  | 'acronym-beside'
  | 'company'
  | 'company-unplaced';

/** Rules whose evidence is the registry's own name, the only ones that can make the "exact" tier. */
const EXACT_HOWS = new Set<How>(['correction', 'exact', 'cjk']);
/** Acronyms, a company without its country record, and a name that is only the start of a longer one never decide a match, however often they were right. */
const CAPPED_AT_POSSIBLE = new Set<How>(['acronym-city', 'acronym-country', 'company-unplaced', 'inside-longer']);

export type CalibratedTier = 'exact' | 'strong' | 'possible';

export interface Cell {
  n: number;
  right: number;
}

export interface CalibrationFile {
  provenance: { title: string; built: string; from: string; resolverVersion: string; registry: string; method: string };
  /** Score at or above which a match is "exact" (if its evidence is a registry name) or "strong". */
  cuts: { exact: number; strong: number };
  /** Pseudo-count with which a basis's rate is pulled toward its coarser basis. */
  smoothing: number;
  /** Rates for rules the tuning set hardly reaches (user corrections, companies), with the reason. */
  priors: Record<string, { rate: number; why: string }>;
  cells: Record<string, Cell>;
}

/** Coarser and coarser keys of one basis; the last is the whole tuning set. */
export function basisKeys(b: Basis): string[] {
  const generic = b.generic ? 'generic' : 'specific';
  // A rule seen rarely is pulled toward the rate of its family (a registry name read whole, or
  // not), not toward the whole set's, which the names read whole dominate.
  const family = EXACT_HOWS.has(b.how) ? 'family:whole-name' : 'family:other';
  return [`${b.how}|${b.held}|${b.ambiguity}|${b.place}|${generic}|${b.named}`, `${b.how}|${b.ambiguity}|${b.place}|${b.named}`, `${b.how}|${b.place}|${b.named}`, `${b.how}|${b.named}`, b.how, family, '*'];
}

export const describeBasis = (b: Basis): string => `${b.how}, ${b.held}, ${b.ambiguity}, place ${b.place}${b.generic ? ', generic name' : ''}, ${b.named}`;

const DEFAULT_PATH = fileURLToPath(new URL('../../data/resolve/calibration.json', import.meta.url));

/** Turns a match's basis into a calibrated score and a tier. */
export class Calibration {
  private readonly memo = new Map<string, number>();

  constructor(readonly file: CalibrationFile) {}

  static load(path = DEFAULT_PATH): Calibration {
    if (!existsSync(path)) return new Calibration(UNCALIBRATED);
    return new Calibration(JSON.parse(readFileSync(path, 'utf8')) as CalibrationFile);
  }

  score(b: Basis): number {
    const keys = basisKeys(b);
    const memoKey = keys[0]!;
    const known = this.memo.get(memoKey);
    if (known !== undefined) return known;
    const prior = this.file.priors[b.how]?.rate ?? this.file.priors[`${b.how}|${b.place}`]?.rate;
    // From the coarsest key to the finest, each rate pulled toward the one before it. A finer key
    // holding the same strings as the coarser one adds nothing and is skipped, so a handful of
    // strings is not counted again at every level.
    let rate = prior ?? this.rateOf('*', 0.5);
    let seen = this.file.cells['*']?.n ?? 0;
    for (const key of prior === undefined ? [...keys].reverse().slice(1) : []) {
      const n = this.file.cells[key]?.n ?? 0;
      if (n === seen) continue;
      rate = this.rateOf(key, rate);
      seen = n;
    }
    // A match a rule keeps at "possible" does not show the score of a strong one: a company's
    // prior rate, say, is for its record where the string places it, not for a record elsewhere.
    const score = Math.min(Math.round(rate * 1000) / 1000, this.cappedAt(b) ?? 1);
    this.memo.set(memoKey, score);
    return score;
  }

  /** The highest score a "possible" match may show: just under the strong cut. */
  get belowStrong(): number {
    return Math.round(this.file.cuts.strong * 1000 - 1) / 1000;
  }

  /** The score a rule caps this basis at ("possible" whatever its rate), or null when none does. */
  private cappedAt(b: Basis): number | null {
    return b.how !== 'correction' && (b.place === 'conflict' || CAPPED_AT_POSSIBLE.has(b.how)) ? this.belowStrong : null;
  }

  tier(b: Basis, score: number): CalibratedTier {
    if (b.how === 'correction') return 'exact';
    if (this.cappedAt(b) !== null) return 'possible';
    if (score >= Math.max(this.file.cuts.exact, this.file.cuts.strong) && EXACT_HOWS.has(b.how)) return 'exact';
    return score >= this.file.cuts.strong ? 'strong' : 'possible';
  }

  private rateOf(key: string, toward: number): number {
    const cell = this.file.cells[key];
    const m = this.file.smoothing;
    return cell ? (cell.right + m * toward) / (cell.n + m) : toward;
  }
}

/**
 * Builds the calibration from observed matches (the primary match of each tuning string, right
 * or wrong). The tier cuts are given, not fitted: they say what a tier promises ("strong: right
 * at least 7 times in 10"), and the reliability table in the benchmark checks the promise.
 */
export function fitCalibration(observations: { basis: Basis; right: boolean }[], meta: Omit<CalibrationFile['provenance'], 'method'> & { cuts: CalibrationFile['cuts']; priors: CalibrationFile['priors'] }): CalibrationFile {
  const cells: Record<string, Cell> = {};
  for (const o of observations) {
    for (const key of basisKeys(o.basis)) {
      const cell = (cells[key] ??= { n: 0, right: 0 });
      cell.n++;
      if (o.right) cell.right++;
    }
  }
  const { cuts, priors, ...provenance } = meta;
  return {
    provenance: { ...provenance, method: `share right per basis, smoothed toward the coarser basis with a pseudo-count of ${SMOOTHING}; exact = a registry name scored ≥ ${cuts.exact}, strong = scored ≥ ${cuts.strong}` },
    cuts,
    smoothing: SMOOTHING,
    priors,
    cells,
  };
}

const SMOOTHING = 8;

/** Used only before any calibration was built: every basis scores its prior or one half. */
const UNCALIBRATED: CalibrationFile = {
  provenance: { title: 'uncalibrated', built: '', from: 'nothing', resolverVersion: '', registry: '', method: 'none' },
  cuts: { exact: 0.97, strong: 0.9 },
  smoothing: SMOOTHING,
  priors: {},
  cells: {},
};
