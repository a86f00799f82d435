import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Config } from '../src/config.ts';
import { openInput, readLines } from '../src/ingest/lines.ts';
import { readOpenAlex } from '../src/ingest/openalex.ts';
import { readRor, type Institution } from '../src/ingest/ror.ts';
import { readScopus } from '../src/ingest/scopus.ts';
import { readWos } from '../src/ingest/wos.ts';
import { locate, sourceById } from '../src/sources.ts';
import { generateOpenAlex } from './generate-openalex.ts';

export interface ReaderFigure {
  file: string;
  bytes: number;
  records: number;
  quarantined: number;
  /** Splitting the file into checked lines alone: the floor under every reader. */
  linesSeconds: number;
  readerSeconds: number;
  mbPerSecond: number;
  recordsPerSecond: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(run: () => Promise<void>, runs: number): Promise<number> {
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await run();
    seconds.push((performance.now() - t) / 1000);
  }
  return median(seconds);
}

async function measure(file: string, read: (s: Readable) => AsyncIterable<{ ok: boolean }>, runs: number): Promise<ReaderFigure> {
  let records = 0;
  let quarantined = 0;
  const linesSeconds = await time(async () => {
    for await (const _ of readLines(openInput(file)));
  }, runs);
  const readerSeconds = await time(async () => {
    records = 0;
    quarantined = 0;
    for await (const item of read(openInput(file))) {
      records++;
      if (!item.ok) quarantined++;
    }
  }, runs);
  const bytes = statSync(file).size;
  return { file, bytes, records, quarantined, linesSeconds, readerSeconds, mbPerSecond: bytes / 1e6 / readerSeconds, recordsPerSecond: records / readerSeconds };
}

/**
 * Reader throughput alone (no store, no resolution) on the real exports in the mirror and on
 * synthetic OpenAlex JSON Lines, beside the time to split the same file into checked lines.
 */
export async function readerBench(config: Config, registry: Institution[], works: number, runs: number, out: string): Promise<ReaderFigure[]> {
  const figures: ReaderFigure[] = [];
  const real: [string, (s: Readable) => AsyncIterable<{ ok: boolean }>][] = [
    [locate(config, sourceById('openalex-tu9-sample')), readOpenAlex],
    [locate(config, sourceById('wos-ble-sample')), readWos],
    [locate(config, sourceById('scopus-litstudy-sample')), readScopus],
  ];
  const india = join(config.mirror, 'openalex-works-2024-indiainresearch/data');
  if (existsSync(india)) for (const f of readdirSync(india).sort()) real.push([join(india, f), readOpenAlex]);
  for (const [file, read] of real) figures.push(await measure(file, read, runs));
  const rorPath = locate(config, sourceById('ror'));
  figures.push(await measure(rorPath, () => readRor(rorPath), runs));
  const synthetic = join(out, `openalex-synthetic-${works}.jsonl`);
  if (!existsSync(synthetic)) await generateOpenAlex(synthetic, works, registry);
  figures.push(await measure(synthetic, readOpenAlex, 1));
  console.log('\nReader throughput (read and validate only; median of runs, synthetic: one run)');
  console.log('  file                                          MB   records  quarantined  lines s  reader s    MB/s   records/s');
  for (const f of figures) {
    const name = f.file.split('/').slice(-1)[0]!;
    console.log(
      `  ${name.padEnd(42)} ${(f.bytes / 1e6).toFixed(1).padStart(6)} ${String(f.records).padStart(9)} ${String(f.quarantined).padStart(12)} ${f.linesSeconds.toFixed(3).padStart(8)} ${f.readerSeconds.toFixed(3).padStart(9)} ${f.mbPerSecond.toFixed(1).padStart(7)} ${f.recordsPerSecond.toFixed(0).padStart(11)}`,
    );
  }
  return figures;
}
