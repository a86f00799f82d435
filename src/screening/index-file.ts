import { closeSync, existsSync, fstatSync, lstatSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { threadId } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { distrust, OWNER_ONLY_FILE } from '../owner-only.ts';
import { canonicalSerialize } from './canonical-serialize.ts';

/**
 * A file that keeps built objects (the matcher's index, the screener's inputs) so that a new
 * process can use them without building them again. Their large maps and arrays stay on disk
 * and are read entry by entry when looked up, so opening costs little however large the index;
 * everything else is read at once. The file names the signature of what it was built from, and
 * every byte is checked (length, CRC) before anything in it is trusted.
 *
 * Objects are taken as they are: a class instance is kept as its own fields, a Map with many
 * entries or a long array becomes a section read lazily, anything else is kept whole (v8
 * serialization, so Maps, Sets and shared references survive; written canonically, so the same
 * inputs give the same bytes: src/screening/canonical-serialize.ts). Nothing here knows the fields of
 * the objects it keeps, so their classes can change freely; the signature must change with them.
 *
 * The signature is computed from the store and the code, so anyone who can write the file could
 * plant objects that answer otherwise under the right signature: a file that is not the user's own,
 * or that group or others may write, is refused, as the resolution cache refuses one (src/resolve/cache.ts).
 */

const MAGIC = Buffer.from('DRSKIX02');
/** By default a Map or array at least this large is read lazily; smaller ones are kept with the rest. */
export const LAZY_FROM = 512;
const CHUNK = 1 << 20;

/** A class whose instances may be kept; they come back with its prototype and their own fields. */
export interface KeptClass {
  readonly name: string;
  readonly prototype: object;
}

/** The index file is missing, truncated, damaged, or was written for other inputs. */
export class IndexFileError extends Error {}

type Node = { t: 'value'; i: number } | { t: 'object'; cls: string; fields: Record<string, Node> } | { t: 'map'; at: number; slots: number; size: number; start: number; end: number } | { t: 'array'; at: number; length: number };

interface Header {
  signature: string;
  length: number;
  crc: number;
  eager: { at: number; length: number };
  root: Node;
}

/** FNV-1a over UTF-16 code units: the slot of a key, with no encoding step. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return h >>> 0;
}

const isPlain = (v: object) => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * The body of an index file as it is written: a few chunks of about CHUNK bytes rather than three
 * small buffers per record, which cost a checksum call and a write each (a registry's index has
 * about a million records: writing them one by one took most of the time of keeping it).
 */
class BodyWriter {
  private readonly chunks: Buffer[] = [];
  private chunk = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  /** Bytes written so far: the offset of the next. */
  size = 0;

  /** Room for `n` more bytes in the chunk being filled. */
  private room(n: number): void {
    if (this.used + n <= this.chunk.length) return;
    this.chunks.push(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.used = 0;
  }

  put(b: Buffer): number {
    const at = this.size;
    this.room(b.length);
    this.used += b.copy(this.chunk, this.used);
    this.size += b.length;
    return at;
  }

  /** A record: key and value lengths (8 bytes), the key (UTF-8), the value (v8 serialization, canonical). */
  record(key: string, value: unknown): number {
    const v = canonicalSerialize(value);
    const keyLength = Buffer.byteLength(key, 'utf8');
    const at = this.size;
    this.room(8 + keyLength + v.length);
    this.chunk.writeUInt32LE(keyLength, this.used);
    this.chunk.writeUInt32LE(v.length, this.used + 4);
    this.chunk.write(key, this.used + 8, 'utf8');
    v.copy(this.chunk, this.used + 8 + keyLength);
    this.used += 8 + keyLength + v.length;
    this.size += 8 + keyLength + v.length;
    return at;
  }

  /** Every byte written, in order. */
  parts(): Buffer[] {
    return [...this.chunks, this.chunk.subarray(0, this.used)];
  }
}

/** Writes `root` to `path` (through a temporary file and a rename, so a reader never sees half a file). */
export function writeIndexFile(path: string, signature: string, root: Record<string, unknown>, classes: readonly KeptClass[], lazyFrom = LAZY_FROM): void {
  const there = notAFile(path);
  if (there) throw new Error(`${path} is ${there}, not an index file: the index cannot be kept there (derisk removes only files)`);
  const byPrototype = new Map(classes.map((c) => [c.prototype, c.name]));
  // Offsets count from the body's start; 8 bytes of padding keep 0 free to mean "empty slot".
  const body = new BodyWriter();
  body.put(Buffer.alloc(8));
  const eager: unknown[] = [];
  const node = (value: unknown, where: string): Node => {
    if (typeof value === 'function') throw new Error(`${where}: a function cannot be kept in the index file`);
    if (value instanceof Map && value.size >= lazyFrom && [...value.keys()].every((k) => typeof k === 'string')) {
      let slots = 1;
      while (slots < value.size * 2) slots <<= 1;
      // A slot holds its key's hash beside its record's offset: a lookup reads only the records whose hash is its own.
      const table = new Uint32Array(slots * 2);
      const start = body.size;
      for (const [k, v] of value as Map<string, unknown>) {
        const h = hash(k);
        let s = h & (slots - 1);
        while (table[2 * s + 1] !== 0) s = (s + 1) & (slots - 1);
        table[2 * s] = h;
        table[2 * s + 1] = body.record(k, v);
      }
      const end = body.size;
      const at = body.put(Buffer.from(table.buffer));
      return { t: 'map', at, slots, size: value.size, start, end };
    }
    // An array of numbers is kept whole: a few bytes an element, where read lazily each cost a record, a deserialization
    // and a proxy's trap (the matcher reads its names' weights in its innermost loop: a resolver read back took half again
    // the CPU of one just built).
    if (Array.isArray(value) && value.length >= lazyFrom && !value.every((v) => typeof v === 'number')) {
      const offsets = new Uint32Array(value.length);
      value.forEach((v, i) => (offsets[i] = body.record('', v)));
      return { t: 'array', at: body.put(Buffer.from(offsets.buffer)), length: value.length };
    }
    if (value !== null && typeof value === 'object' && !(value instanceof Map) && !(value instanceof Set) && !Array.isArray(value) && !isPlain(value)) {
      const cls = byPrototype.get(Object.getPrototypeOf(value));
      if (!cls) throw new Error(`${where}: an instance of ${value.constructor?.name ?? 'an unknown class'} cannot be kept in the index file`);
      return { t: 'object', cls, fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, node(v, `${where}.${k}`)])) };
    }
    eager.push(value);
    return { t: 'value', i: eager.length - 1 };
  };
  const rootNode: Node = { t: 'object', cls: '', fields: Object.fromEntries(Object.entries(root).map(([k, v]) => [k, node(v, k)])) };
  const eagerBlob = canonicalSerialize(eager);
  const eagerAt = body.put(eagerBlob);
  const size = body.size;
  const parts = body.parts();
  let crc = 0;
  for (const p of parts) crc = crc32(p, crc);
  const header = Buffer.from(JSON.stringify({ signature, length: size, crc, eager: { at: eagerAt, length: eagerBlob.length }, root: rootNode } satisfies Header), 'utf8');
  const lead = Buffer.alloc(16);
  MAGIC.copy(lead, 0);
  lead.writeUInt32LE(header.length, 8);
  lead.writeUInt32LE(crc32(header), 12);
  // A worker thread of the same process may write it too: each thread its own temporary file.
  const tmp = `${path}.${process.pid}-${threadId}.tmp`;
  const fd = openSync(tmp, 'w', OWNER_ONLY_FILE);
  try {
    try {
      for (const p of [lead, header, ...parts]) writeSync(fd, p);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** What is at `path` when it is neither a file nor a link (a directory, a device…); null otherwise, or when nothing is. */
function notAFile(path: string): string | null {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return null;
  }
  if (stat.isFile() || stat.isSymbolicLink()) return null;
  return stat.isDirectory() ? 'a directory' : 'not a file';
}

/** Removes a refused index file (or a link in its place), never what is not a file: a directory there is the user's, and is left alone. */
export function discardIndexFile(path: string): void {
  if (notAFile(path)) return;
  rmSync(path, { force: true });
}

/** An open index file: its objects, read lazily. Closing it ends lookups in its lazy maps and arrays. */
export interface IndexFile {
  root: Record<string, unknown>;
  /** The reads of the file lookups made until its body was read whole (then they read memory). */
  reads(): number;
  close(): void;
}

/** By default the body is read whole once lookups have read the file this many times. */
export const RESIDENT_AFTER = 1 << 14;

/**
 * Opens an index file written for `signature`. Every byte is checked first (a truncated or
 * damaged file, or one for other inputs, is an IndexFileError, never used).
 */
export function openIndexFile(path: string, signature: string, classes: readonly KeptClass[], residentAfter = RESIDENT_AFTER): IndexFile {
  const byName = new Map(classes.map((c) => [c.name, c.prototype]));
  let fd: number;
  try {
    // Only a file is opened: opening a FIFO would wait for a writer.
    if (!statSync(path).isFile()) throw new Error('not a file');
    fd = openSync(path, 'r');
  } catch (e) {
    throw new IndexFileError(`${path}: ${(e as Error).message}`);
  }
  try {
    const untrusted = distrust(fstatSync(fd), 0o022);
    if (untrusted) throw new IndexFileError(`${path} ${untrusted}: someone other than you could write it and plant answers, so it is not trusted`);
    const read = (at: number, length: number): Buffer => {
      const b = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, b, got, length - got, at + got);
        if (n === 0) throw new IndexFileError(`${path}: ends before byte ${at + length}`);
        got += n;
      }
      return b;
    };
    const fileSize = fstatSync(fd).size;
    if (fileSize < 16) throw new IndexFileError(`${path}: too short to be an index file`);
    const lead = read(0, 16);
    if (!lead.subarray(0, 8).equals(MAGIC)) throw new IndexFileError(`${path}: not a derisk index file of this format`);
    const headerLength = lead.readUInt32LE(8);
    if (16 + headerLength > fileSize) throw new IndexFileError(`${path}: truncated in its header`);
    const headerBytes = read(16, headerLength);
    if (crc32(headerBytes) !== lead.readUInt32LE(12)) throw new IndexFileError(`${path}: its header is damaged`);
    const header = JSON.parse(headerBytes.toString('utf8')) as Header;
    if (header.signature !== signature) throw new IndexFileError(`${path}: built from other inputs (${header.signature}, now ${signature})`);
    const base = 16 + headerLength;
    if (fileSize !== base + header.length) throw new IndexFileError(`${path}: ${fileSize} bytes where ${base + header.length} were written (truncated or appended to)`);
    const buffer = Buffer.allocUnsafe(CHUNK);
    let crc = 0;
    for (let at = 0; at < header.length; at += CHUNK) {
      const n = Math.min(CHUNK, header.length - at);
      if (readSync(fd, buffer, 0, n, base + at) !== n) throw new IndexFileError(`${path}: ends early`);
      crc = crc32(buffer.subarray(0, n), crc);
    }
    if (crc !== header.crc) throw new IndexFileError(`${path}: its content is damaged (checksum differs)`);
    // A lookup reads its record in two small reads: cheap for a command that looks up a few
    // names, but an ingest resolving 166,000 strings made millions (a third of its resolver's
    // time, `node --cpu-prof`). Past `residentAfter` reads the body is read whole, once, and
    // lookups read memory: a few tens of MB held by a process that looks up that much.
    let resident: Buffer | null = null;
    let reads = 0;
    let open = true;
    const stillOpen = (): void => {
      if (!open) throw new IndexFileError(`${path}: closed`);
    };
    const body = (at: number, length: number): Buffer => {
      stillOpen();
      if (!resident && ++reads > residentAfter) resident = read(base, header.length);
      return resident ? resident.subarray(at, at + length) : read(base + at, length);
    };
    const eager = deserialize(body(header.eager.at, header.eager.length)) as unknown[];
    const recordAt = (at: number): { key: string; value: () => unknown } => {
      const head = body(at, 8);
      const keyLength = head.readUInt32LE(0);
      const valueLength = head.readUInt32LE(4);
      const kv = body(at + 8, keyLength + valueLength);
      return { key: kv.toString('utf8', 0, keyLength), value: () => deserialize(kv.subarray(keyLength)) };
    };
    const build = (n: Node): unknown => {
      switch (n.t) {
        case 'value':
          return eager[n.i];
        case 'object': {
          const proto = n.cls === '' ? Object.prototype : byName.get(n.cls);
          if (!proto) throw new IndexFileError(`${path}: holds a ${n.cls}, which this version does not know`);
          const o = Object.create(proto) as Record<string, unknown>;
          for (const [k, f] of Object.entries(n.fields)) o[k] = build(f);
          return o;
        }
        case 'map':
          return new LazyMap(n, body, recordAt, stillOpen);
        case 'array':
          return lazyArray(n, body, recordAt);
      }
    };
    const root = build(header.root) as Record<string, unknown>;
    const opened = fd;
    return {
      root,
      reads: () => reads,
      close: () => {
        open = false;
        resident = null;
        closeSync(opened);
      },
    };
  } catch (e) {
    closeSync(fd);
    if (e instanceof IndexFileError) throw e;
    throw new IndexFileError(`${path}: unreadable (${(e as Error).message})`);
  }
}

type Body = (at: number, length: number) => Buffer;
type RecordAt = (at: number) => { key: string; value: () => unknown };

/**
 * A read-only Map whose entries stay in the file until looked up (each found one read once, then kept). Keys not
 * there are not remembered: most never recur (a resolver asks for every word and phrase of every string), and
 * remembering them filled a map that every lookup went through; telling them apart by hash costs no read.
 */
class LazyMap<V> extends Map<string, V> {
  private table: Uint32Array | null = null;
  private readonly found = new Map<string, V>();

  constructor(
    private readonly node: Extract<Node, { t: 'map' }>,
    private readonly body: Body,
    private readonly recordAt: RecordAt,
    private readonly stillOpen: () => void,
  ) {
    super();
  }

  override get size(): number {
    return this.node.size;
  }

  override get(key: string): V | undefined {
    const known = this.found.get(key);
    if (known !== undefined) return known;
    if (typeof key !== 'string') return undefined;
    this.stillOpen();
    const table = (this.table ??= new Uint32Array(new Uint8Array(this.body(this.node.at, this.node.slots * 8)).buffer));
    const mask = this.node.slots - 1;
    const h = hash(key);
    for (let s = h & mask; table[2 * s + 1] !== 0; s = (s + 1) & mask) {
      if (table[2 * s] !== h) continue;
      const r = this.recordAt(table[2 * s + 1]!);
      if (r.key === key) {
        const value = r.value() as V;
        this.found.set(key, value);
        return value;
      }
    }
    return undefined;
  }

  override has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  override *entries(): MapIterator<[string, V]> {
    // Records lie one after another between start and end: one read for the whole map.
    const bytes = this.body(this.node.start, this.node.end - this.node.start);
    for (let at = 0; at < bytes.length;) {
      const keyLength = bytes.readUInt32LE(at);
      const valueLength = bytes.readUInt32LE(at + 4);
      const key = bytes.toString('utf8', at + 8, at + 8 + keyLength);
      const known = this.found.get(key);
      let value: V;
      if (known !== undefined) value = known;
      else {
        value = deserialize(bytes.subarray(at + 8 + keyLength, at + 8 + keyLength + valueLength)) as V;
        this.found.set(key, value);
      }
      yield [key, value];
      at += 8 + keyLength + valueLength;
    }
  }

  override *keys(): MapIterator<string> {
    const bytes = this.body(this.node.start, this.node.end - this.node.start);
    for (let at = 0; at < bytes.length;) {
      const keyLength = bytes.readUInt32LE(at);
      yield bytes.toString('utf8', at + 8, at + 8 + keyLength);
      at += 8 + keyLength + bytes.readUInt32LE(at + 4);
    }
  }

  override *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  override [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  override forEach(callback: (value: V, key: string, map: Map<string, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
  }

  override set(): this {
    throw new Error('an index read from its file cannot be changed');
  }

  override delete(): boolean {
    throw new Error('an index read from its file cannot be changed');
  }

  override clear(): void {
    throw new Error('an index read from its file cannot be changed');
  }
}

/** A read-only array whose elements stay in the file until read (each read once, then kept). */
function lazyArray(node: Extract<Node, { t: 'array' }>, body: Body, recordAt: RecordAt): unknown[] {
  let offsets: Uint32Array | null = null;
  const got: unknown[] = [];
  const at = (i: number) => {
    if (!(i in got)) {
      offsets ??= new Uint32Array(new Uint8Array(body(node.at, node.length * 4)).buffer);
      got[i] = recordAt(offsets[i]!).value();
    }
    return got[i];
  };
  const index = (prop: string | symbol) => (typeof prop === 'string' && /^(0|[1-9]\d*)$/.test(prop) ? Number(prop) : -1);
  const refuse = () => {
    throw new Error('an index read from its file cannot be changed');
  };
  return new Proxy([] as unknown[], {
    get(target, prop, receiver) {
      if (prop === 'length') return node.length;
      const i = index(prop);
      if (i >= 0) return i < node.length ? at(i) : undefined;
      if (prop === Symbol.iterator || prop === 'values')
        return function* () {
          for (let j = 0; j < node.length; j++) yield at(j);
        };
      return Reflect.get(target, prop, receiver);
    },
    has(_target, prop) {
      const i = index(prop);
      return i >= 0 ? i < node.length : prop in Array.prototype || prop === 'length';
    },
    set: refuse,
    deleteProperty: refuse,
    defineProperty: refuse,
  });
}

/**
 * The root kept at `path` for `signature`, or null when it is missing or refused: a damaged,
 * untrusted or outdated file is removed (to be built again) and `refused` hears why; a missing file is no news.
 */
export function readIndexRoot(path: string, signature: string, classes: readonly KeptClass[], refused?: (why: string) => void): Record<string, unknown> | null {
  try {
    return openIndexFile(path, signature, classes).root;
  } catch (e) {
    if (!(e instanceof IndexFileError)) throw e;
    if (existsSync(path)) refused?.(e.message);
    discardIndexFile(path);
    return null;
  }
}
