import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Rejected } from '../../src/ingest/records.ts';

/**
 * A seeded mutator for reader fuzzing: files built from units (a clean record, a damaged one, a
 * harmlessly changed one, or a junk line between records), read by a reader, and checked
 * against what each unit should give. The seed comes from DERISK_FUZZ_SEED when set, so a
 * failure can be replayed exactly.
 */
export const FUZZ_SEED = Number(process.env.DERISK_FUZZ_SEED ?? 20_250_611);

export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  /** mulberry32 */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Spread over orders of magnitude: as many small values as huge ones. */
  logInt(lo: number, hi: number): number {
    return Math.round(Math.exp(Math.log(lo) + this.next() * (Math.log(hi) - Math.log(lo))));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  /** Words with accents, CJK and an emoji, so that cuts and flips land inside multi-byte characters. */
  words(n: number): string {
    return Array.from({ length: n }, () => this.pick(WORDS)).join(' ');
  }

  digits(n: number): string {
    return Array.from({ length: n }, () => this.int(0, 9)).join('');
  }
}

const WORDS = ['learning', 'réseaux', 'Zürich', 'données', 'graph', 'neural', '北京', '清华大学', 'vision', 'edge', 'São', 'Paulo', 'Kraków', 'model', '🚀', 'privacy', 'federated', 'Łódź', 'quantum', 'control'];

/** How a unit should come out of the reader. */
export type Expect = 'kept' | 'quarantined' | 'kept-or-quarantined';

export interface Unit {
  /** The unit's bytes in the file (ending with its line break unless it ends the file). */
  bytes: Buffer;
  /** The record's id, or null for a junk line. */
  id: string | null;
  expect: Expect;
  /** What was done to it, for failure messages. */
  how: string;
}

export interface Mutation {
  name: string;
  /** Damage a reader must notice, or a change it must see through (CRLF, a BOM). */
  harmless: boolean;
  apply(rng: Rng, record: Buffer): Buffer;
}

// Byte-level damage, each of which a reader can detect in principle.

/** Sets the high bit of one byte: in UTF-8 that byte (or its neighbour) always becomes invalid. */
export function flipHighBit(bytes: Buffer, at: number): Buffer {
  const out = Buffer.from(bytes);
  out[at] = out[at]! ^ 0x80;
  return out;
}

export const INVALID_UTF8 = [[0xff], [0xfe], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]];

export function insertBytes(bytes: Buffer, at: number, insert: number[] | Buffer): Buffer {
  return Buffer.concat([bytes.subarray(0, at), Buffer.from(insert), bytes.subarray(at)]);
}

export function deleteByte(bytes: Buffer, at: number): Buffer {
  return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
}

/** Line breaks of a unit as CRLF, some or all. */
export function crlf(rng: Rng, bytes: Buffer): Buffer {
  const all = rng.chance(0.5);
  const parts: Buffer[] = [];
  let from = 0;
  for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, from)) {
    parts.push(bytes.subarray(from, nl), Buffer.from(all || rng.chance(0.5) ? '\r\n' : '\n'));
    from = nl + 1;
  }
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}

export const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A line of junk that is not blank and, per format, not mistakable for a record's line. */
export function junkLine(rng: Rng, firstChars = 'abcdefghijklmnopqrstuvwxyz0123456789#%&*<>?@~é中'): string {
  const body = Array.from({ length: rng.int(0, 60) }, () => rng.pick([...'abcdefghij KLMNOP 0123456789 .;:!?-_/()<>é中文', '\t'])).join('');
  return `${rng.pick([...firstChars])}${body}`.trimEnd();
}

export interface FuzzFormat<R> {
  name: string;
  /** Lines before the records (a header row, "FN …") and after them ("EF"). */
  header: string;
  footer: string;
  /** A clean record, with its line break. */
  record(rng: Rng, n: number): { text: string; id: string };
  /** Damage and harmless changes this format's records can suffer. */
  mutations: Mutation[];
  junk(rng: Rng): string;
  /** How far into a record a cut may fall (default: anywhere). */
  cutLimit?: (record: Buffer) => number;
  /** A junk unit or damage in the first record would make the file unrecognisable (JSON). */
  firstUnitClean: boolean;
  /** Whether a last record with no line break after it is read (self-delimiting formats). */
  unterminatedLastIsKept: boolean;
  read(stream: Readable): AsyncIterable<({ ok: true; recordNo: number } & R) | ({ ok: false } & Rejected)>;
  idOf(kept: R): string;
  /** What is compared with the clean original. */
  valueOf(kept: R): unknown;
}

export interface FuzzStats {
  units: number;
  mutated: number;
  kept: number;
  quarantined: number;
  seconds: number;
}

/**
 * Builds `files` files of clean, mutated and junk units, reads each, and checks that every unit
 * gives exactly one outcome (kept + quarantined = units), that clean and harmlessly changed
 * records are kept, junk is quarantined, every quarantined item points into its unit, and every
 * kept record deep-equals the record read from its clean original.
 */
export async function fuzzReader<R>(format: FuzzFormat<R>, options: { seed: number; mutated: number; files: number }): Promise<FuzzStats> {
  const started = performance.now();
  const rng = new Rng(options.seed);
  const stats: FuzzStats = { units: 0, mutated: 0, kept: 0, quarantined: 0, seconds: 0 };
  const perFile = Math.ceil(options.mutated / options.files);
  let n = 0;
  for (let f = 0; f < options.files; f++) {
    const units: Unit[] = [];
    const clean = new Map<string, Buffer>();
    let mutatedHere = 0;
    while (mutatedHere < perFile) {
      const first = units.length === 0;
      if (!(first && format.firstUnitClean) && rng.chance(0.04)) {
        units.push({ bytes: Buffer.from(`${format.junk(rng)}\n`), id: null, expect: 'quarantined', how: 'junk line' });
        continue;
      }
      const { text, id } = format.record(rng, n++);
      const bytes = Buffer.from(text);
      clean.set(id, bytes);
      if ((first && format.firstUnitClean) || rng.chance(0.35)) {
        units.push({ bytes, id, expect: 'kept', how: 'clean' });
        continue;
      }
      mutatedHere++;
      let out: Buffer = bytes;
      const done: string[] = [];
      let harmless = true;
      for (let k = rng.chance(0.2) ? 2 : 1; k > 0; k--) {
        const m = rng.pick(format.mutations);
        out = m.apply(rng, out);
        done.push(m.name);
        harmless &&= m.harmless;
      }
      units.push({ bytes: out, id, expect: harmless ? 'kept' : 'kept-or-quarantined', how: done.join(' + ') });
    }
    // How the file ends: normally; cut inside its last record; or without the last line break.
    const ending = rng.pick(['normal', 'normal', 'cut', 'no-final-newline'] as const);
    let footer = format.footer;
    const last = units[units.length - 1]!;
    if (ending !== 'normal') {
      footer = '';
      const body = last.bytes.subarray(0, last.bytes.length - 1);
      const limit = Math.min(body.length, format.cutLimit?.(last.bytes) ?? body.length);
      const lead = body.subarray(0, 3).equals(BOM) ? 3 : 0;
      if (ending === 'cut' && limit > lead + 1) {
        last.bytes = body.subarray(0, rng.int(lead + 1, limit - 1));
        last.expect = last.id === null ? 'quarantined' : 'kept-or-quarantined';
        last.how += ' + file cut inside it';
      } else {
        last.bytes = body;
        if (!format.unterminatedLastIsKept && last.expect === 'kept') last.expect = 'kept-or-quarantined';
        last.how += ' + no final line break';
      }
    }
    await checkFile(format, units, clean, footer, options.seed, f);
    stats.units += units.length;
    stats.mutated += mutatedHere;
  }
  stats.seconds = (performance.now() - started) / 1000;
  return stats;

  async function checkFile(fmt: FuzzFormat<R>, units: Unit[], clean: Map<string, Buffer>, footer: string, seed: number, file: number) {
    const where = `${fmt.name}, seed ${seed}, file ${file} (replay with DERISK_FUZZ_SEED=${seed})`;
    // The clean originals, read together.
    const originals = new Map<string, unknown>();
    for await (const item of fmt.read(Readable.from([Buffer.from(fmt.header), ...clean.values(), Buffer.from(fmt.footer)]))) {
      assert.ok(item.ok, `${where}: a clean record was refused: ${!item.ok && item.reason}`);
      originals.set(fmt.idOf(item), fmt.valueOf(item));
    }
    assert.equal(originals.size, clean.size, `${where}: clean records read`);
    // Where each unit starts and ends, in lines.
    let line = countLines(Buffer.from(fmt.header)) + 1;
    const spans = units.map((u) => {
      const span = { from: line, to: line + Math.max(0, countLines(u.bytes) - (u.bytes[u.bytes.length - 1] === 10 ? 1 : 0)) };
      line += countLines(u.bytes);
      return span;
    });
    const unitOfLine = (lineNo: number) => {
      let lo = 0;
      let hi = spans.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (lineNo < spans[mid]!.from) hi = mid - 1;
        else if (lineNo > spans[mid]!.to) lo = mid + 1;
        else return mid;
      }
      return -1;
    };
    const byId = new Map(units.map((u, i) => [u.id, i]));
    const outcomes = new Array<string | null>(units.length).fill(null);
    const input = Buffer.concat([Buffer.from(fmt.header), ...units.map((u) => u.bytes), Buffer.from(footer)]);
    // The file of a failing run is kept for a look with other tools.
    const kept = () => {
      const path = join(tmpdir(), `derisk-fuzz-${fmt.name.replace(/\W+/g, '-')}-${seed}-${file}`);
      writeFileSync(path, input);
      return path;
    };
    const show = (i: number) => `unit ${i} (${units[i]!.how}, lines ${spans[i]!.from}-${spans[i]!.to} of ${kept()}): ${JSON.stringify(units[i]!.bytes.toString('utf8').slice(0, 400))}`;
    for await (const item of fmt.read(Readable.from([input]))) {
      if (item.ok) {
        stats.kept++;
        const id = fmt.idOf(item);
        const i = byId.get(id);
        if (i === undefined) assert.fail(`${where}: kept a record with an id no unit has: ${id}`);
        if (outcomes[i] !== null) assert.fail(`${where}: ${show(i)} came out twice (${outcomes[i]} and kept)`);
        outcomes[i] = 'kept';
        if (!isDeepStrictEqual(fmt.valueOf(item), originals.get(id))) assert.deepEqual(fmt.valueOf(item), originals.get(id), `${where}: ${show(i)} was kept but differs from its clean original ${JSON.stringify(clean.get(id)!.toString('utf8').slice(0, 400))}`);
      } else {
        stats.quarantined++;
        assert.ok(item.lineNo !== null && item.reason.length > 0, `${where}: a quarantined item names its line and reason`);
        const i = unitOfLine(item.lineNo!);
        if (i === -1) assert.fail(`${where}: quarantined line ${item.lineNo} is in no unit: ${item.reason}`);
        if (outcomes[i] !== null) assert.fail(`${where}: ${show(i)} came out twice (${outcomes[i]} and quarantined: ${item.reason})`);
        outcomes[i] = `quarantined: ${item.reason}`;
      }
    }
    units.forEach((u, i) => {
      if (outcomes[i] === null) assert.fail(`${where}: ${show(i)} was lost (neither kept nor quarantined)`);
      if (u.expect === 'kept' && outcomes[i] !== 'kept') assert.fail(`${where}: ${show(i)} should be kept, was ${outcomes[i]}`);
      if (u.expect === 'quarantined' && outcomes[i] === 'kept') assert.fail(`${where}: ${show(i)} should be quarantined`);
    });
  }
}

function countLines(bytes: Buffer): number {
  let n = 0;
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) n++;
  return n;
}
