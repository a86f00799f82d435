import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';

export const INPUT = new URL('../input/', import.meta.url).pathname;
export const MIRROR = loadConfig().mirror;

export function tempDir(prefix = 'derisk-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
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
