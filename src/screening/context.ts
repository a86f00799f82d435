import type { Institution } from '../ingest/ror.ts';
import { AffiliationResolver, type Resolution } from '../resolve/matcher.ts';
import { applyAliases, loadAliases, registryWordCounts } from './aliases.ts';
import { linkEntries, type LinkReport } from './links.ts';
import type { RiskList } from './lists.ts';
import { ScreenError, Screener, type Hit } from './screener.ts';

export interface ScreeningContext {
  screener: Screener;
  resolver: AffiliationResolver;
  links: LinkReport;
  lists: RiskList[];
}

/**
 * The screener over given lists and registry (no store: a worker thread builds it too). The names
 * people write for listed entities (data/lists/aliases.json) are added to every list, then entries
 * are linked to the registry.
 */
export function buildScreeningContext(loaded: RiskList[], registry: Institution[], resolver?: AffiliationResolver): ScreeningContext {
  const res = resolver ?? new AffiliationResolver(registry);
  const aliases = loadAliases();
  const lists = applyAliases(
    loaded,
    aliases,
    (w) => res.gazetteer.isPlace(w),
    (c) => res.gazetteer.countryCodeOf(c),
    registryWordCounts(registry),
    (a) => res.gazetteer.detect(a).countryCode ?? null,
  );
  const links = linkEntries(lists, registry, res.gazetteer);
  return { screener: new Screener(lists, res, links.links, links.countriesByName, aliases.units), resolver: res, links, lists };
}

/** What the store keeps of a hit on an affiliation string (screen_hits). */
export interface StoredHit {
  list: string;
  entryId: string;
  entry: string;
  level: Hit['level'];
  match: string;
  score: number;
  inheritedVia: string | null;
  evidence: string;
}

/** A string the screener refused (an empty name), with the reason: set aside, so that the strings beside it are screened. */
export interface ScreenRefusal {
  refused: string;
}

/** Screens strings for the store: each string's hits, or its refusal, in the order given; `resolutions[i]`, when given, is the screener's resolver's resolution of `raws[i]`, not made again. */
export function screenStrings(screener: Screener, raws: string[], resolutions?: readonly Resolution[]): (StoredHit[] | ScreenRefusal)[] {
  return raws.map((raw, i) => {
    try {
      return screener.screen(raw, { nearest: false, resolution: resolutions?.[i], parties: false }).hits.map((h) => ({ list: h.list, entryId: h.entryId, entry: h.entry, level: h.level, match: h.match, score: h.score, inheritedVia: h.inherited?.via ?? null, evidence: h.evidence }));
    } catch (e) {
      if (!(e instanceof ScreenError)) throw e;
      return { refused: e.message };
    }
  });
}
