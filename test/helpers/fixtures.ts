import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';

export const INPUT = new URL('../input/', import.meta.url).pathname;
export const MIRROR = loadConfig().mirror;

// Every directory a test file made goes when its process exits, passed or failed: the runs of
// earlier rounds left thousands of them (tens of GB) in the temporary directory.
const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});

export function tempDir(prefix = 'derisk-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function writeTemp(name: string, content: string | Buffer, dir = tempDir()): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

export function gzipTemp(name: string, content: string | Buffer, dir = tempDir()): string {
  return writeTemp(name, gzipSync(content), dir);
}

export const streamOf = (content: string | Buffer): Readable => Readable.from([Buffer.from(content)]);

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** A JSON Lines file of n small works, every 97th line broken, for crash tests; `place` names the Chinese co-author's institution. */
export function syntheticWorks(n: number, place = 'Zhejiang University, Hangzhou'): string {
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) {
    if (i % 97 === 0) lines.push(`{"id":"https://openalex.org/W${i}", "broken`);
    else lines.push(JSON.stringify({ id: `https://openalex.org/W${i}`, doi: `10.5555/crash.${i}`, publication_year: 2010 + (i % 13), authorships: [{ raw_affiliation_strings: [`Lab ${i % 50}, ${place}, China`] }, { raw_affiliation_strings: ['University of Oxford, Oxford, UK'] }] }));
  }
  return `${lines.join('\n')}\n`;
}

/** A loopback port nobody listens on right now. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
