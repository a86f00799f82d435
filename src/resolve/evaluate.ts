import { createReadStream } from 'node:fs';
import { readCsv } from '../ingest/csv.ts';
import { stripRorPrefix } from '../ingest/records.ts';
import { TIER_RANK, type AffiliationResolver, type Resolution, type Tier } from './matcher.ts';

export interface LabelledString {
  affiliation: string;
  gold: string[];
}

/** Reads ROR's matching evaluation sets: `affiliation,ror_id` with "NP" where no institution applies. */
export async function readLabelled(path: string): Promise<LabelledString[]> {
  const out: LabelledString[] = [];
  let header: string[] | null = null;
  for await (const row of readCsv(createReadStream(path))) {
    if ('error' in row) throw new Error(`${path}:${row.lineNo}: ${row.error}`);
    if (!header) {
      header = row.fields;
      if (header[0] !== 'affiliation' || header[1] !== 'ror_id') throw new Error(`${path}: expected columns affiliation,ror_id`);
      continue;
    }
    const gold = (row.fields[1] ?? '').split(/[|;\s]+/).filter((g) => g && g !== 'NP').map(stripRorPrefix);
    out.push({ affiliation: row.fields[0] ?? '', gold });
  }
  return out;
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
  /** Strings whose institution is not in the registry that still got a (necessarily wrong) match. */
  outOfRegistry: number;
  outOfRegistryMatched: number;
  stringsPerSecond: number;
  errors: { affiliation: string; gold: string[]; predicted: string[]; kind: 'fp' | 'fn' }[];
}

/** Precision and recall per string (ROR's convention): each predicted id is right or wrong, each gold id found or missed. */
export function scoreMatching(resolver: AffiliationResolver, items: LabelledString[], minTier: Tier = 'strong', primaryOnly = false): MatchingScore {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let inRegistry = 0;
  let outside = 0;
  let outsideMatched = 0;
  const errors: MatchingScore['errors'] = [];
  const started = performance.now();
  const resolutions: Resolution[] = items.map((i) => resolver.resolve(i.affiliation));
  const seconds = (performance.now() - started) / 1000;
  items.forEach((item, k) => {
    const predicted = resolutions[k]!.institutions.filter((m) => TIER_RANK[m.tier] >= TIER_RANK[minTier] && (!primaryOnly || m.primary)).map((m) => m.rorId);
    const known = item.gold.filter((g) => resolver.institution(g));
    if (item.gold.length > 0 && known.length === 0) {
      outside++;
      if (predicted.length > 0) outsideMatched++;
      return;
    }
    if (known.length === 0) return;
    inRegistry++;
    const hits = predicted.filter((p) => known.includes(p)).length;
    tp += hits;
    fp += predicted.length - hits;
    fn += known.length - hits;
    if (predicted.length - hits > 0) errors.push({ affiliation: item.affiliation, gold: known, predicted, kind: 'fp' });
    else if (known.length - hits > 0) errors.push({ affiliation: item.affiliation, gold: known, predicted, kind: 'fn' });
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
    outOfRegistry: outside,
    outOfRegistryMatched: outsideMatched,
    stringsPerSecond: items.length / seconds,
    errors,
  };
}
