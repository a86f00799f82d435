import { basename } from 'node:path';
import type { Store } from '../store/store.ts';

/** Below this many works a figure is shown with a warning: a difference of a few works is noise. */
export const SMALL_SAMPLE = 30;

export interface CorpusNote {
  /** The publication exports and fetches loaded into the shared base, oldest first. */
  sources: { kind: string; file: string; records: number; loadedAt: string }[];
  /** Works in the shared base after merging records on DOI: what every indicator counts. */
  works: number;
  firstYear: number | null;
  lastYear: number | null;
  /** When the newest source was loaded (YYYY-MM-DD), or null when none is. */
  loadedAt: string | null;
  /** The year of the newest load: its works stop at that date, so the year is partial. */
  partialYear: number | null;
  smallSample: number;
}

/** What the landscape's figures are computed from: every view says it beside its figures. */
export async function corpusNote(store: Store): Promise<CorpusNote> {
  const files = await store.all<{ kind: string; path: string; records: number; finished: string }>(
    `SELECT kind, path, records_kept::DOUBLE AS records, strftime(finished_at, '%Y-%m-%d') AS finished FROM input_files
     WHERE finished_at IS NOT NULL AND kind IN ('openalex', 'wos', 'scopus') ORDER BY finished_at, path`,
  );
  const works = await store.one<{ n: number; first: number | null; last: number | null }>('SELECT count(*)::DOUBLE AS n, min(year)::DOUBLE AS first, max(year)::DOUBLE AS last FROM works');
  const loadedAt = files.length
    ? files
        .map((f) => f.finished)
        .sort()
        .at(-1)!
    : null;
  return {
    sources: files.map((f) => ({ kind: f.kind, file: basename(f.path), records: Number(f.records), loadedAt: f.finished })),
    works: Number(works?.n ?? 0),
    firstYear: works?.first ?? null,
    lastYear: works?.last ?? null,
    loadedAt,
    partialYear: loadedAt ? Number(loadedAt.slice(0, 4)) : null,
    smallSample: SMALL_SAMPLE,
  };
}
