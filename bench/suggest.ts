import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../src/config.ts';
import { ingestRegistry, suggestInstitutions } from '../src/ingest/registry.ts';
import { locate, sourceById } from '../src/sources.ts';
import { Store } from '../src/store/store.ts';
import { baselineBin } from './baseline.ts';

// What one types into a partner picker, keystroke by keystroke past the second character.
const TYPED = ['Tsinghua University', 'univ of oxford', 'Max Planck', 'Harbin Institute of Technology', 'Delft', '华为技术', 'KU Leuven'].flatMap((t) => [...t].map((_, i) => t.slice(0, i + 1)).filter((p) => p.trim().length >= 2));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Registry suggestions (GET /api/institutions?q=) on the full registry: every keystroke of a few
 * names typed, each answered `runs` times by this tree and by the baseline revision's code, on
 * the same store. The index is built at the first suggestion: its time is said apart.
 */
export async function suggestBench(config: Config, runs: number, out: string, baseline = '65120a8'): Promise<object> {
  const store = await Store.open(':memory:');
  await ingestRegistry(store, locate(config, sourceById('ror')));
  const bin = baselineBin(out, baseline);
  const old = bin ? ((await import(pathToFileURL(join(bin, '..', '..', 'dist', 'ingest', 'registry.js')).href)) as { suggestInstitutions: typeof suggestInstitutions }).suggestInstitutions : null;
  const t0 = performance.now();
  await suggestInstitutions(store, 'ts');
  const firstMs = performance.now() - t0;
  const time = async (f: typeof suggestInstitutions, q: string) => {
    const ms: number[] = [];
    let answer: string[] = [];
    for (let r = 0; r < runs; r++) {
      const s = performance.now();
      answer = (await f(store, q)).map((x) => x.rorId);
      ms.push(performance.now() - s);
    }
    return { ms: median(ms), answer };
  };
  const rows: { q: string; ms: number; baselineMs: number | null; sameAnswer: boolean | null }[] = [];
  for (const q of TYPED) {
    const now = await time(suggestInstitutions, q);
    const before = old ? await time(old, q) : null;
    rows.push({ q, ms: now.ms, baselineMs: before?.ms ?? null, sameAnswer: before ? JSON.stringify(before.answer) === JSON.stringify(now.answer) : null });
  }
  const total = (k: 'ms' | 'baselineMs') => rows.reduce((a, r) => a + (r[k] ?? 0), 0);
  const summary = {
    keystrokes: rows.length,
    indexBuildMs: Math.round(firstMs),
    medianMs: +median(rows.map((r) => r.ms)).toFixed(2),
    baselineMedianMs: old ? +median(rows.map((r) => r.baselineMs!)).toFixed(2) : null,
    totalMs: Math.round(total('ms')),
    baselineTotalMs: old ? Math.round(total('baselineMs')) : null,
    differing: rows.filter((r) => r.sameAnswer === false).map((r) => r.q),
  };
  console.log(`suggest: ${rows.length} keystrokes on the full registry, index built in ${summary.indexBuildMs} ms; median per keystroke ${summary.medianMs} ms (baseline ${baseline}: ${summary.baselineMedianMs} ms); answers differing from the baseline: ${summary.differing.length}`);
  for (const r of rows) console.log(`  ${JSON.stringify(r.q).padEnd(34)} ${r.ms.toFixed(2).padStart(8)} ms  baseline ${r.baselineMs?.toFixed(2).padStart(8) ?? '-'} ms${r.sameAnswer === false ? '  (answer differs)' : ''}`);
  store.close();
  return { ...summary, rows };
}
