import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../src/config.ts';
import { csvField } from '../src/ingest/csv.ts';
import type { Institution } from '../src/ingest/ror.ts';
import { Calibration, fitCalibration } from '../src/resolve/calibration.ts';
import { readCountryLabelErrors, reliabilityTable, scoreResolutions, withCountryGoldCorrected, type MatchingScore } from '../src/resolve/evaluate.ts';
import { AffiliationResolver, RESOLVER_VERSION, TIER_RANK, type Resolution, type Tier } from '../src/resolve/matcher.ts';
import { labelledSets, type LabelledSet } from './labelled.ts';

const CALIBRATION = fileURLToPath(new URL('../data/resolve/calibration.json', import.meta.url));
const COUNTRY_LABEL_ERRORS = fileURLToPath(new URL('./labelled/country-label-errors.csv', import.meta.url));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (n: number, d: number) => (d === 0 ? '   –  ' : `${((100 * n) / d).toFixed(1).padStart(5)}%`);
const f3 = (x: number, n = 1) => (n === 0 ? '  –  ' : x.toFixed(3));

/**
 * Affiliation matching on every labelled set (bench/labelled/README.md): institution precision,
 * recall and F1 (primary institution, tier strong or better), out-of-registry and no-institution
 * false matches, country precision and recall, strings per second, per failure class, a
 * reliability table of calibrated scores, and how often OpenAlex's own assertions disagree with
 * derisk's resolution. With `calibrate`, the calibration is first refitted on the tuning sets.
 */
export async function matchingBench(config: Config, registry: Institution[], runs: number, calibrate: boolean, out: string): Promise<Record<string, unknown>> {
  let resolver = new AffiliationResolver(registry);
  const sets = await labelledSets(config.mirror, (id) => resolver.institution(id) !== undefined, resolver.gazetteer);
  if (calibrate) {
    const tuning = sets.filter((s) => s.tuning);
    const observed = tuning.flatMap(
      (set) =>
        scoreResolutions(
          resolver,
          set.items,
          set.items.map((i) => resolver.resolve(i.affiliation)),
          'strong',
          true,
          0,
        ).observations,
    );
    const from = tuning.map((s) => `${s.name} (${s.items.filter((i) => i.institutionsLabelled).length} strings)`).join(', ');
    const file = fitCalibration(observed, {
      title: 'Calibrated match scores and tier cuts',
      built: new Date().toISOString().slice(0, 10),
      from: `${from}; ${observed.length} primary matches observed`,
      resolverVersion: RESOLVER_VERSION,
      registry: 'ror-records-union/ror_records_latest_v2.jsonl.gz (data mirror)',
      // What each tier promises: exact (a registry name) right at least 9 times in 10, strong at least 7 in 10.
      cuts: { exact: 0.9, strong: 0.7 },
      priors: {
        correction: { rate: 1, why: 'a user said so; the correction is shown with who, when and why' },
        company: { rate: 0.97, why: 'companies and labs come from a hand-checked list (data/resolve/companies.json); the tuning set holds almost none' },
        'company-unplaced': { rate: 0.5, why: 'the company is known but not the country record; never above possible' },
        extension: {
          rate: 0.8,
          why: 'the tuning sets hold one such string; the rule needs the country the string names and exactly one institution there whose name extends the one written (École Normale Supérieure, Paris → ENS - PSL), so it is set at strong, not exact, until a labelled set reaches it',
        },
        'inside-longer': {
          rate: 0.25,
          why: 'the tuning sets hold two such strings (both another institution: the longer name was not in the registry); set at the rate of a name glued to a proper word before it (inside-glued, 31 of 127 right on the tuning sets), the same evidence from the other side, and never above possible',
        },
        'acronym-beside': {
          rate: 0.8,
          why: "the tuning sets hold almost no such strings; the acronym is read only beside a whole registry name and only where exactly one registry institution in that name's country holds it (Harvard University MIT), so it is set at strong, not exact, as the second institution and never the primary, until a labelled set reaches it",
        },
      },
    });
    writeFileSync(CALIBRATION, `${JSON.stringify(file, null, 2)}\n`);
    console.log(`\ncalibration refitted on ${tuning.map((s) => s.name).join(', ')}: strong ≥ ${file.cuts.strong}, exact ≥ ${file.cuts.exact} (written to data/resolve/calibration.json)`);
    resolver = new AffiliationResolver(registry, { calibration: Calibration.load(CALIBRATION) });
  }
  const cal = resolver.calibration.file;
  console.log(`\nAffiliation matching (resolver ${RESOLVER_VERSION}; calibration from ${cal.provenance.from}, built ${cal.provenance.built}; strong ≥ ${cal.cuts.strong}, exact ≥ ${cal.cuts.exact})`);
  console.log('Institution: primary match at tier strong or better. OOR: strings whose institution is not in the registry that still got a match; NP: strings naming no institution that got one.');
  console.log(`${'set'.padEnd(34)} ${'strings'.padStart(7)}  inst P  inst R   F1     OOR matched     NP matched   ctry P  ctry R  no ctry  strings/s`);
  const results: Record<string, unknown> = { resolverVersion: RESOLVER_VERSION, calibration: cal.provenance, cuts: cal.cuts };
  const errorRows: string[] = ['set,group,kind,affiliation,gold,predicted,evidence'];
  const labelErrors = await readCountryLabelErrors(COUNTRY_LABEL_ERRORS);
  const reliability: Record<string, unknown> = {};
  for (const set of sets) {
    const timed: { resolutions: Resolution[]; perSecond: number }[] = [];
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      const resolutions = set.items.map((i) => resolver.resolve(i.affiliation));
      timed.push({ resolutions, perSecond: set.items.length / ((performance.now() - started) / 1000) });
    }
    const resolutions = timed[0]!.resolutions;
    const perSecond = median(timed.map((t) => t.perSecond));
    const score = scoreResolutions(resolver, set.items, resolutions, 'strong', true, perSecond);
    const label = `${set.name}${set.tuning ? ' (tuning)' : ''}`;
    printRow(label, score);
    if (score.inRegistry > 0 && !set.assertedBy) console.log(`${''.padEnd(34)}   counting the gold's registry parent or unit as right: P ${f3(score.treePrecision)} R ${f3(score.treeRecall)}`);
    if (score.outOfRegistryMatched > 0)
      console.log(
        `${''.padEnd(34)}   out of registry: ${score.outOfRegistryLinked} of the ${score.outOfRegistryMatched} matched to a record the registry links to the gold (its parent, a unit, a related hospital); another institution: ${score.outOfRegistryMatched - score.outOfRegistryLinked}/${score.outOfRegistry} ${pct(score.outOfRegistryMatched - score.outOfRegistryLinked, score.outOfRegistry).trim()}`,
      );
    const entry: Record<string, unknown> = { gold: set.gold, ...summarise(score) };
    if (score.inRegistry > 0 && !set.assertedBy) {
      // The indicators count every institution a string gives at strong or better, not only the primary
      // (src/store/refresh.sql, work_affiliations): this is the precision the counts inherit.
      const counted = scoreResolutions(resolver, set.items, resolutions, 'strong', false, perSecond);
      console.log(`${''.padEnd(34)}   every institution the counts take (non-primary matches too): P ${f3(counted.precision)} R ${f3(counted.recall)} F1 ${f3(counted.f1)}`);
      entry.counted = { precision: counted.precision, recall: counted.recall, f1: counted.f1 };
    }
    const corrected = withCountryGoldCorrected(set.name, set.items, labelErrors);
    if (corrected.corrected > 0) {
      const c = scoreResolutions(resolver, corrected.items, resolutions, 'strong', true, perSecond).country;
      console.log(`${''.padEnd(34)}   country with ${corrected.corrected} documented label errors corrected (bench/labelled/country-label-errors.csv): P ${f3(c.precision, c.predicted)} R ${f3(c.recall, c.labelled)}`);
      entry.countryLabelErrorsCorrected = { documented: corrected.corrected, precision: c.precision, recall: c.recall };
    }
    if (set.name === 'failure classes') entry.perClass = perClass(resolver, set, resolutions, perSecond);
    if (set.assertedBy) entry.disagreement = disagreement(set, resolutions, resolver);
    entry.perTier = perTier(set, resolutions, resolver);
    results[set.name] = entry;
    reliability[set.name] = reliabilityTable(score.observations);
    for (const e of score.errors) errorRows.push([set.name, e.group ?? '', e.kind, e.affiliation, e.gold.join(';'), e.predicted.join(';'), ''].map(csvField).join(','));
    for (const e of score.countryErrors) errorRows.push([set.name, e.group ?? '', 'country', e.affiliation, e.gold.join(';') || 'none', e.predicted ?? 'none', e.evidence].map(csvField).join(','));
  }
  const failures = results['failure classes'] as { perClass: Record<string, ReturnType<typeof summarise>> };
  console.log('\nPer failure class (hand-checked strings, bench/labelled/failure-classes.csv):');
  for (const [group, s] of Object.entries(failures.perClass)) printRow(`  ${group}`, s);
  console.log('\nOpenAlex against derisk on the same strings (institutions: both matched one in the registry; countries: both gave one):');
  for (const set of sets.filter((s) => s.assertedBy)) {
    const d = (results[set.name] as { disagreement: Disagreement }).disagreement;
    console.log(
      `  ${set.name.padEnd(32)} institution differs ${pct(d.institutionDiffers, d.institutionBoth)} of ${d.institutionBoth} (derisk's counted, resolved at the exact tier: ${d.institutionOverruled}), same institution family ${pct(d.institutionFamily, d.institutionBoth)}; country differs ${pct(d.countryDiffers, d.countryBoth)} of ${d.countryBoth}`,
    );
    console.log(`  ${''.padEnd(32)} an institution not in the loaded registry asserted on ${d.unregistered.asserted} strings; derisk resolves ${d.unregistered.contradicted} of them at the exact tier to another (counted instead)`);
    console.log(`  ${''.padEnd(32)} Hong Kong: derisk gives HK to ${d.hongKong.derisk} labelled strings; OpenAlex labels ${d.hongKong.labelHK} of them HK, ${d.hongKong.labelCN} CN and not HK (counted as derisk's errors; see bench/labelled/README.md)`);
  }
  console.log('\nReliability of calibrated scores (primary match of each string with an institution label; right = the gold institution, or its unit the match names):');
  console.log(
    `  ${'score'.padEnd(12)}${sets
      .filter((s) => s.items.some((i) => i.institutionsLabelled))
      .map((s) => s.name.slice(0, 24).padStart(26))
      .join('')}`,
  );
  const labelledSetsOnly = sets.filter((s) => s.items.some((i) => i.institutionsLabelled));
  const bins = reliability[labelledSetsOnly[0]!.name] as ReturnType<typeof reliabilityTable>;
  bins.forEach((bin, k) => {
    const cells = labelledSetsOnly.map((s) => {
      const b = (reliability[s.name] as ReturnType<typeof reliabilityTable>)[k]!;
      return (b.matches === 0 ? '–' : `${(b.right / b.matches).toFixed(2)} of ${b.matches}`).padStart(26);
    });
    console.log(`  ${`${bin.from.toFixed(2)}–${bin.to.toFixed(2)}`.padEnd(12)}${cells.join('')}`);
  });
  console.log('\nError budget per tier (primary institution right = the gold institution; country right = a gold country; a country given with no institution is under "unresolved"):');
  console.log(`  ${'set'.padEnd(26)}${TIERS.map((t) => `${t.padStart(11)} inst      ctry`).join('')}`);
  for (const set of sets) {
    const t = (results[set.name] as { perTier: Record<Tier, TierFigures> }).perTier;
    const cell = (n: number, of: number) => (of === 0 ? '–'.padStart(9) : `${(n / of).toFixed(3)}/${of}`.padStart(9));
    console.log(`  ${set.name.slice(0, 25).padEnd(26)}${TIERS.map((k) => `  ${cell(t[k].institutionRight, t[k].institutionLabelled)} ${cell(t[k].countryRight, t[k].countryGiven)}`).join('')}`);
  }
  console.log('  reference (ROR, full registry, their test sets): former default P 0.907 R 0.642 F1 0.752; NER fallback P 0.892 R 0.792 F1 0.839; S2AFF P 0.827 R 0.802 F1 0.814');
  writeFileSync(join(out, 'matching-errors.csv'), `${errorRows.join('\n')}\n`);
  console.log(`  every error, per set and class: ${join(out, 'matching-errors.csv')}`);
  results.reliability = reliability;
  return results;
}

function printRow(label: string, s: ReturnType<typeof summarise> | MatchingScore): void {
  const m = 'observations' in s ? summarise(s) : s;
  const inst = m.inRegistry > 0;
  console.log(
    `${label.padEnd(34)} ${String(m.strings).padStart(7)}  ${inst ? f3(m.precision) : '  –  '}   ${inst ? f3(m.recall) : '  –  '}  ${inst ? f3(m.f1) : '  –  '}  ${`${m.outOfRegistryMatched}/${m.outOfRegistry}`.padStart(7)} ${pct(m.outOfRegistryMatched, m.outOfRegistry)}  ${`${m.noInstitutionMatched}/${m.noInstitution}`.padStart(7)} ${pct(m.noInstitutionMatched, m.noInstitution)}   ${f3(m.country.precision, m.country.predicted)}   ${f3(m.country.recall, m.country.labelled)}  ${pct(m.country.missing, m.country.labelled)}  ${m.stringsPerSecond.toFixed(0).padStart(9)}`,
  );
}

function summarise(s: MatchingScore) {
  const { observations: _o, errors: _e, countryErrors: _c, ...figures } = s;
  return figures;
}

function perClass(resolver: AffiliationResolver, set: LabelledSet, resolutions: Resolution[], perSecond: number): Record<string, ReturnType<typeof summarise>> {
  const out: Record<string, ReturnType<typeof summarise>> = {};
  for (const group of [...new Set(set.items.map((i) => i.group!))]) {
    const idx = set.items.map((i, k) => (i.group === group ? k : -1)).filter((k) => k >= 0);
    out[group] = summarise(
      scoreResolutions(
        resolver,
        idx.map((k) => set.items[k]!),
        idx.map((k) => resolutions[k]!),
        'strong',
        true,
        perSecond,
      ),
    );
  }
  return out;
}

interface Disagreement {
  institutionBoth: number;
  /** Both name an institution and derisk's is neither OpenAlex's nor, in the registry, the parent or a child of one of them. */
  institutionDiffers: number;
  /** Of the differing strings, those where the store counts derisk's (src/store/schema.sql, source_counts). */
  institutionOverruled: number;
  /** Derisk's institution is the parent or a child of one OpenAlex asserts (the university and its unit): the same family, not a disagreement (round 49). */
  institutionFamily: number;
  countryBoth: number;
  countryDiffers: number;
  /** Strings derisk places in Hong Kong, and how OpenAlex labels them (HK is counted apart from CN, as ROR does). */
  hongKong: { derisk: number; labelHK: number; labelCN: number };
  examples: { affiliation: string; openalex: string; derisk: string }[];
  /** Strings where OpenAlex names an institution the loaded registry lacks, and of them those derisk resolves at the exact tier to none of OpenAlex's: derisk's counts there (round 48). */
  unregistered: { asserted: number; contradicted: number };
}

/** An institution's ancestors in the registry, through every level (the store's registry_ancestors). */
function ancestorsOf(resolver: AffiliationResolver, id: string): string[] {
  const seen = new Set<string>();
  const todo = [...(resolver.institution(id)?.parents ?? [])];
  while (todo.length > 0) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    todo.push(...(resolver.institution(p)?.parents ?? []));
  }
  seen.delete(id);
  return [...seen];
}

/** How often the institution or country OpenAlex asserts for a string differs from derisk's own resolution of it. */
function disagreement(set: LabelledSet, resolutions: Resolution[], resolver: AffiliationResolver): Disagreement {
  const d: Disagreement = { institutionBoth: 0, institutionDiffers: 0, institutionOverruled: 0, institutionFamily: 0, countryBoth: 0, countryDiffers: 0, hongKong: { derisk: 0, labelHK: 0, labelCN: 0 }, examples: [], unregistered: { asserted: 0, contradicted: 0 } };
  set.items.forEach((item, k) => {
    const r = resolutions[k]!;
    const ours = r.institutions.find((m) => m.primary && TIER_RANK[m.tier] >= TIER_RANK.strong);
    const theirs = item.gold.filter((g) => resolver.institution(g));
    // The store's rule (source_counts, counting from the strong tier): derisk's counts where it finds none of OpenAlex's nor a unit of
    // one, and resolves the string at a counted tier to a unit of one (a descendant in the registry), or at the exact tier to
    // institutions none of which is an ancestor of one (round 50: within one registry family the more specific counts).
    const named = r.institutions.flatMap((m) => [m.rorId, ...m.units.map((u) => u.rorId)]);
    const exact = r.institutions.filter((m) => m.tier === 'exact').map((m) => m.rorId);
    const goldUp = new Set(item.gold.flatMap((g) => ancestorsOf(resolver, g)));
    const unitOfGold = r.institutions.some((m) => TIER_RANK[m.tier] >= TIER_RANK.strong && ancestorsOf(resolver, m.rorId).some((a) => item.gold.includes(a)));
    const overrules = item.gold.length > 0 && !item.gold.some((g) => named.includes(g)) && (unitOfGold || (exact.length > 0 && !exact.some((e) => goldUp.has(e))));
    if (item.gold.some((g) => !resolver.institution(g))) {
      d.unregistered.asserted++;
      if (overrules) d.unregistered.contradicted++;
    }
    if (ours && theirs.length > 0) {
      d.institutionBoth++;
      const entry = resolver.institution(ours.rorId);
      if (theirs.includes(ours.rorId)) {
        // The same institution.
      } else if (entry && theirs.some((g) => entry.parents.includes(g) || entry.children.includes(g))) d.institutionFamily++;
      else {
        d.institutionDiffers++;
        if (overrules) d.institutionOverruled++;
        if (d.examples.length < 20) d.examples.push({ affiliation: item.affiliation, openalex: theirs.map((g) => resolver.institution(g)!.name).join('; '), derisk: ours.name });
      }
    }
    if (r.countryCode && item.countries && item.countries.length > 0) {
      d.countryBoth++;
      if (!item.countries.includes(r.countryCode)) d.countryDiffers++;
      if (r.countryCode === 'HK') {
        d.hongKong.derisk++;
        if (item.countries.includes('HK')) d.hongKong.labelHK++;
        else if (item.countries.includes('CN')) d.hongKong.labelCN++;
      }
    }
  });
  return d;
}

const TIERS: Tier[] = ['exact', 'strong', 'possible', 'unresolved'];

interface TierFigures {
  /** Strings whose primary match is at this tier and whose institution is labelled (a match on a string naming no registry institution is wrong). */
  institutionLabelled: number;
  institutionRight: number;
  /** Strings at this tier given a country whose country is labelled. */
  countryGiven: number;
  countryRight: number;
}

/** What each tier delivers: how often its primary institution and its country are right. The README's error budget is read from here. */
function perTier(set: LabelledSet, resolutions: Resolution[], resolver: AffiliationResolver): Record<Tier, TierFigures> {
  const out = Object.fromEntries(TIERS.map((t) => [t, { institutionLabelled: 0, institutionRight: 0, countryGiven: 0, countryRight: 0 }])) as Record<Tier, TierFigures>;
  set.items.forEach((item, k) => {
    const r = resolutions[k]!;
    const primary = r.institutions.find((m) => m.primary);
    const tier: Tier = primary?.tier ?? 'unresolved';
    const f = out[tier];
    // Only a source's or a person's institution label counts; OpenAlex's own matching is compared apart.
    if (primary && item.institutionsLabelled && !set.assertedBy) {
      f.institutionLabelled++;
      if (item.gold.filter((g) => resolver.institution(g)).includes(primary.rorId)) f.institutionRight++;
    }
    if (r.countryCode && item.countries && item.countries.length > 0) {
      f.countryGiven++;
      if (item.countries.includes(r.countryCode)) f.countryRight++;
    }
  });
  return out;
}
