import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openInput } from '../src/ingest/lines.ts';
import { readOpenAlex } from '../src/ingest/openalex.ts';
import { stripRorPrefix } from '../src/ingest/records.ts';
import { readWos } from '../src/ingest/wos.ts';
import { readFailureClasses, readLabelled, type LabelledString } from '../src/resolve/evaluate.ts';
import type { Gazetteer } from '../src/resolve/gazetteer.ts';
import { segments } from '../src/resolve/normalize.ts';

/**
 * The labelled sets the matching benchmark reads. All but the hand-checked strings are derived
 * from the data mirror each time the benchmark runs (bench/labelled/README.md says how), so no
 * mirror data is copied into the repository.
 */
export interface LabelledSet {
  name: string;
  /** What the gold is, in a few words, for the printed table. */
  gold: string;
  /**
   * Part of the tuning set: calibration is fitted on the primary matches of every such set
   * together, so their institution figures are in-sample. ROR's crossref_train split labels
   * many strings at another level than the institution they name (a department, a hospital);
   * OpenAlex's assertions are at the institution level, as derisk counts.
   */
  tuning?: boolean;
  /** Whose assertions the gold holds, when it is a source's matching rather than a person's. */
  assertedBy?: 'OpenAlex';
  items: LabelledString[];
}

export const FAILURE_CLASSES = fileURLToPath(new URL('./labelled/failure-classes.csv', import.meta.url));

export async function labelledSets(mirror: string, registryHas: (id: string) => boolean, gazetteer: Gazetteer): Promise<LabelledSet[]> {
  const sets: LabelledSet[] = [
    { name: 'crossref_train', gold: 'ROR-labelled, tuning split', tuning: true, items: await readLabelled(join(mirror, 'matching-dev/crossref_train.csv')) },
    { name: 'ror_logs_train', gold: 'ROR-labelled, held out', items: await readLabelled(join(mirror, 'matching-dev/ror_logs_train.csv')) },
    { name: 'failure classes', gold: 'hand-checked, per class', items: await readFailureClasses(FAILURE_CLASSES) },
  ];
  const tu9 = join(mirror, 'openalex-works-sample-tu9/works_tu9_2022_api.json.gz');
  if (existsSync(tu9)) sets.push({ name: 'openalex tu9 2022', gold: 'what OpenAlex asserts', tuning: true, assertedBy: 'OpenAlex', items: await openAlexAsserted(tu9, registryHas) });
  const venues = join(mirror, 'openalex-works-2024-indiainresearch/data');
  if (existsSync(venues)) sets.push({ name: 'openalex CS venues 2024', gold: 'what OpenAlex asserts, strings from the papers', tuning: true, assertedBy: 'OpenAlex', items: paperAffiliations(venues, registryHas) });
  const wos = join(mirror, 'wos-export-sample-ble-scientopy/wos_ble_2015_2026_tabdelimited.txt.gz');
  if (existsSync(wos)) {
    const addresses = await wosAddresses(wos, gazetteer);
    sets.push({ name: 'wos addresses', gold: "the address's own country", items: addresses.map((a) => ({ affiliation: a.address, gold: [], institutionsLabelled: false, countries: [a.country] })) });
    sets.push({ name: 'wos, country removed', gold: 'the removed country', items: addresses.filter((a) => a.without !== '').map((a) => ({ affiliation: a.without, gold: [], institutionsLabelled: false, countries: [a.country] })) });
  }
  return sets;
}

/** Each distinct raw affiliation string of the OpenAlex sample with the institutions and countries OpenAlex tied to it. */
async function openAlexAsserted(path: string, registryHas: (id: string) => boolean): Promise<LabelledString[]> {
  const byString = new Map<string, { ids: Set<string>; countries: Set<string> }>();
  for await (const item of readOpenAlex(openInput(path))) {
    if (!item.ok) continue;
    for (const a of item.record.authorships) {
      for (const aff of a.affiliations) {
        if (aff.raw.trim() === '' || (aff.givenRorIds.length === 0 && aff.givenCountryCodes.length === 0)) continue;
        const entry = byString.get(aff.raw) ?? { ids: new Set(), countries: new Set() };
        for (const id of aff.givenRorIds) entry.ids.add(id);
        for (const c of aff.givenCountryCodes) entry.countries.add(c);
        byString.set(aff.raw, entry);
      }
    }
  }
  return asserted(byString, registryHas);
}

/**
 * The CS-venue sample pairs each author's affiliation as printed in the paper
 * (`aff_names_from_paper`) with the institutions OpenAlex gives the same author; only works
 * whose two author lists have the same length are used, so the pairs line up.
 */
function paperAffiliations(dir: string, registryHas: (id: string) => boolean): LabelledString[] {
  const byString = new Map<string, { ids: Set<string>; countries: Set<string> }>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const works = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { authorships?: { institutions?: { institution?: { ror?: string | null; country_code?: string | null } }[] }[]; aff_names_from_paper?: (string | null)[] }[];
    for (const w of works) {
      const strings = w.aff_names_from_paper ?? [];
      const authors = w.authorships ?? [];
      if (strings.length !== authors.length) continue;
      strings.forEach((raw, i) => {
        if (!raw || raw.trim() === '') return;
        const insts = (authors[i]!.institutions ?? []).map((x) => x.institution ?? {});
        const entry = byString.get(raw) ?? { ids: new Set(), countries: new Set() };
        for (const inst of insts) {
          if (inst.ror) entry.ids.add(stripRorPrefix(inst.ror));
          if (inst.country_code) entry.countries.add(inst.country_code);
        }
        byString.set(raw, entry);
      });
    }
  }
  return asserted(byString, registryHas);
}

function asserted(byString: Map<string, { ids: Set<string>; countries: Set<string> }>, registryHas: (id: string) => boolean): LabelledString[] {
  const out: LabelledString[] = [];
  for (const [affiliation, { ids, countries }] of byString) {
    if (ids.size === 0 && countries.size === 0) continue;
    const item: LabelledString = { affiliation, gold: [...ids], institutionsLabelled: [...ids].some(registryHas) };
    if (countries.size > 0) item.countries = [...countries];
    out.push(item);
  }
  return out;
}

/**
 * Distinct WoS addresses with the country WoS writes at their end ("…, Wuhan 430074, Peoples R
 * China"), read with derisk's country names, Hong Kong, Macao and Taiwan kept apart as derisk
 * counts them; and the same address with that last part removed, to see what derisk infers
 * from the institution and city alone.
 */
async function wosAddresses(path: string, gazetteer: Gazetteer): Promise<{ address: string; without: string; country: string }[]> {
  const seen = new Map<string, { address: string; without: string; country: string }>();
  for await (const item of readWos(openInput(path))) {
    if (!item.ok) continue;
    for (const a of item.record.authorships) {
      for (const aff of a.affiliations) {
        if (seen.has(aff.raw)) continue;
        const parts = segments(aff.raw);
        const last = parts[parts.length - 1] ?? '';
        // US addresses end "…, Norfolk, VA 23504 USA": the last part holds state, ZIP and country.
        let country = / USA$/.test(last) || last === 'USA' ? 'US' : gazetteer.countryCodeOf(last);
        if (!country) continue;
        // "…, Hong Kong 999077, Peoples R China": the part before the country, postcode aside.
        const apart = parts
          .slice(0, -1)
          .map((p) => gazetteer.countryCodeOf(p.replace(/\d+/g, ' ').trim()))
          .find((c) => c === 'HK' || c === 'MO' || c === 'TW');
        if (country === 'CN' && apart) country = apart;
        // "Macau Univ Sci & Technol, Taipa, Peoples R China": the institution's own name says Macao, unless a mainland city follows it.
        else if (country === 'CN' && /\b(Hong Kong|Maca[uo])\b/i.test(aff.raw) && gazetteer.detect(aff.raw.slice(0, aff.raw.lastIndexOf(last))).countryCode !== 'CN') country = /\bHong Kong\b/i.test(aff.raw) ? 'HK' : 'MO';
        const cut = aff.raw.lastIndexOf(last);
        seen.set(aff.raw, { address: aff.raw, without: aff.raw.slice(0, cut).replace(/[\s,;]+$/, ''), country });
      }
    }
  }
  return [...seen.values()];
}
