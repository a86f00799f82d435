import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { readOpenAlex } from '../../src/ingest/openalex.ts';
import { readLens, readPatstat, type PatentRecord } from '../../src/ingest/patents.ts';
import type { ReadLimits, WorkRecord } from '../../src/ingest/records.ts';
import { rorInstitution, type Institution } from '../../src/ingest/ror.ts';
import { convertDocuments } from '../../src/ingest/json-documents.ts';
import { readScopus } from '../../src/ingest/scopus.ts';
import { readWos } from '../../src/ingest/wos.ts';
import { csvField } from '../../src/ingest/csv.ts';
import { readCountryPairs, type CountryPairCount } from '../../src/ingest/aggregates.ts';
import { readNsfSeries, type SeriesValue } from '../../src/ingest/nsf.ts';
import { Gazetteer } from '../../src/resolve/gazetteer.ts';
import { BOM, FUZZ_SEED, INVALID_UTF8, crlf, deleteByte, flipHighBit, fuzzReader, insertBytes, junkLine, type FuzzFormat, type Mutation, type Rng } from '../helpers/fuzz.ts';

/*
 * Per reader, 10,000 mutated records (cut short, a byte flipped, junk lines, a delimiter
 * deleted, huge fields, deep nesting, invalid UTF-8, CRLF, BOMs) mixed with clean records and
 * junk lines: every record comes out exactly once, kept or quarantined, and every kept record
 * equals the record read from its clean original. Small limits make "huge" affordable.
 */
const LIMITS: ReadLimits = { maxRecordBytes: 64 * 1024, maxFieldChars: 1_000, maxAffiliationChars: 1_000 };
const MUTATED = Number(process.env.DERISK_FUZZ_RECORDS ?? 10_000);
const FILES = 20;

// Mutations every line-based format suffers.

const body = (b: Buffer) => (b[b.length - 1] === 10 ? b.subarray(0, b.length - 1) : b);
/** Where the record's last line ends (before its line breaks and CRs). */
const contentEnd = (b: Buffer) => {
  let end = b.length;
  while (end > 0 && (b[end - 1] === 10 || b[end - 1] === 13)) end--;
  return end;
};

/** Bytes of a BOM an earlier change put in front, which a cut must go beyond to leave something. */
const lead = (b: Buffer) => (b.subarray(0, 3).equals(BOM) ? 3 : 0);

/** Cut short before `limit(record)` (at least one byte of it kept), the rest of the record lost. */
const truncate = (limit: (b: Buffer) => number = (b) => body(b).length): Mutation => ({
  name: 'truncated',
  harmless: false,
  apply: (rng, b) => Buffer.concat([b.subarray(0, rng.int(lead(b) + 1, Math.max(lead(b) + 1, limit(b) - 1))), Buffer.from('\n')]),
});

/** Edits the record as text, unless earlier damage made it invalid UTF-8 (decoding would repair it). */
const asText = (b: Buffer, edit: (text: string) => string) => (isUtf8(b) ? Buffer.from(edit(b.toString('utf8'))) : b);

const flip = (protect: (b: Buffer) => Set<number> = () => new Set()): Mutation => ({
  name: 'byte flipped',
  harmless: false,
  apply: (rng, b) => {
    const keep = protect(b);
    const n = body(b).length;
    for (let tries = 0; tries < 20; tries++) {
      const at = rng.int(0, n - 1);
      if (!keep.has(at)) return flipHighBit(b, at);
    }
    return b;
  },
});

const invalidUtf8: Mutation = { name: 'invalid UTF-8', harmless: false, apply: (rng, b) => insertBytes(b, rng.int(0, contentEnd(b)), rng.pick(INVALID_UTF8)) };
const crlfEndings: Mutation = { name: 'CRLF line breaks', harmless: true, apply: (rng, b) => crlf(rng, b) };
const bom: Mutation = { name: 'BOM', harmless: true, apply: (_rng, b) => Buffer.concat([BOM, b]) };

/** Deletes one of the bytes `positions` finds (a delimiter). */
const deleteDelimiter = (positions: (b: Buffer) => number[]): Mutation => ({
  name: 'delimiter deleted',
  harmless: false,
  apply: (rng, b) => {
    const at = positions(b);
    return at.length === 0 ? b : deleteByte(b, rng.pick(at));
  },
});

const huge = (rng: Rng) => 'x'.repeat(rng.logInt(LIMITS.maxFieldChars + 1, 100_000));
const hugeLine = (rng: Rng) => 'z'.repeat(rng.logInt(LIMITS.maxRecordBytes + 1, 2 * LIMITS.maxRecordBytes));
const deep = (rng: Rng) => {
  const n = rng.logInt(LIMITS.maxFieldChars + 1, 100_000);
  return rng.chance(0.5) ? '['.repeat(n) : `${'['.repeat(n)}${']'.repeat(n)}`;
};

// JSON Lines (OpenAlex, ROR).

/** Brackets, braces, colons, commas and string quotes outside strings. */
function jsonDelimiters(b: Buffer): number[] {
  const out: number[] = [];
  let inString = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) {
        inString = false;
        out.push(i);
      }
    } else if (c === 0x22) {
      inString = true;
      out.push(i);
    } else if ('{}[]:,'.includes(String.fromCharCode(c))) out.push(i);
  }
  return out;
}

/** Replaces a value somewhere in a JSON record (a field the reader knows, one it ignores, or the whole record). */
function jsonValue(name: string, make: (rng: Rng) => string, paths: string[][]): Mutation {
  return {
    name,
    harmless: false,
    apply: (rng, b) => {
      // A BOM and a CR from earlier harmless changes are kept around the changed record.
      const bomLength = b.subarray(0, 3).equals(BOM) ? 3 : 0;
      const end = b.length - (b[b.length - 2] === 0x0d ? 2 : 1);
      const core = b.subarray(bomLength, end);
      let doc: Record<string, unknown>;
      try {
        if (!isUtf8(core)) throw new Error('damaged');
        doc = JSON.parse(core.toString('utf8'));
        if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a record any more');
      } catch {
        // Already damaged: more damage keeps it so.
        return insertBytes(b, rng.int(0, body(b).length), Buffer.from(make(rng)));
      }
      const value = () => (name === 'deep nesting' ? make(rng) : JSON.stringify(make(rng)));
      const serialised = (d: unknown) => {
        try {
          return JSON.stringify(d);
        } catch {
          return null; // nested too deeply by an earlier mutation
        }
      };
      const path = rng.pick(paths);
      let text: string;
      if (path.length === 0) text = value();
      else {
        let at: Record<string, unknown> = doc;
        for (const key of path.slice(0, -1)) {
          const next = at[key];
          if (typeof next !== 'object' || next === null) break;
          at = next as Record<string, unknown>;
        }
        at[path[path.length - 1]!] = '\u0000VALUE\u0000';
        const json = serialised(doc);
        if (json === null) return insertBytes(b, rng.int(0, body(b).length), Buffer.from(make(rng)));
        text = json.replace('"\\u0000VALUE\\u0000"', value);
      }
      return Buffer.concat([b.subarray(0, bomLength), Buffer.from(text), b.subarray(end)]);
    },
  };
}

const jsonMutations = (paths: string[][]): Mutation[] => [truncate(), flip(), deleteDelimiter(jsonDelimiters), jsonValue('huge field', huge, paths), jsonValue('deep nesting', deep, paths), invalidUtf8, crlfEndings, bom];

const openAlex: FuzzFormat<{ record: WorkRecord }> = {
  name: 'OpenAlex JSON Lines',
  header: '',
  footer: '',
  firstUnitClean: true,
  unterminatedLastIsKept: true,
  record(rng, n) {
    const id = `W${4_100_000_000 + n}`;
    const authorships = Array.from({ length: rng.int(0, 4) }, (_, a) => {
      const inst = { id: `https://openalex.org/I${rng.digits(8)}`, display_name: rng.words(3), ror: rng.chance(0.7) ? `https://ror.org/0${rng.digits(8)}` : null, country_code: rng.pick(['CN', 'DE', 'FR', 'US', null]) };
      const raw = `${rng.words(4)}, ${rng.words(2)}, China`;
      return {
        author_position: a === 0 ? 'first' : 'middle',
        author: { id: `https://openalex.org/A${rng.digits(9)}`, display_name: rng.words(2) },
        institutions: [inst],
        countries: inst.country_code ? [inst.country_code] : [],
        is_corresponding: rng.chance(0.3),
        raw_affiliation_strings: [raw],
        affiliations: rng.chance(0.7) ? [{ raw_affiliation_string: raw, institution_ids: [inst.id] }] : [],
      };
    });
    const work = {
      id: `https://openalex.org/${id}`,
      doi: rng.chance(0.8) ? `https://doi.org/10.${rng.int(1000, 9999)}/x.${n}` : null,
      display_name: rng.words(rng.int(2, 9)),
      publication_year: rng.int(1990, 2025),
      type: rng.pick(['article', 'review', 'preprint']),
      ids: { openalex: `https://openalex.org/${id}`, ...(rng.chance(0.3) ? { pmid: `https://pubmed.ncbi.nlm.nih.gov/${rng.digits(8)}` } : {}) },
      authorships,
      topics: [{ id: `https://openalex.org/T${rng.digits(5)}`, display_name: rng.words(3), score: rng.int(0, 1000) / 1000 }],
      grants: rng.chance(0.3) ? [{ funder_display_name: rng.words(3) }] : [],
      abstract_inverted_index: { [rng.words(1)]: [0, 3], [rng.words(1)]: [1] },
    };
    return { text: `${JSON.stringify(work)}\n`, id };
  },
  mutations: jsonMutations([[], ['display_name'], ['authorships'], ['ids'], ['topics'], ['publication_year'], ['abstract_inverted_index'], ['id'], ['authorships', '0'], ['grants']]),
  junk: (rng) => junkLine(rng),
  read: (s: Readable) => readOpenAlex(s, LIMITS),
  idOf: (k) => k.record.sourceId,
  valueOf: (k) => k.record,
};

const ROR_CHARS = '0123456789abcdefghjkmnpqrstvwxyz';
const ror: FuzzFormat<{ institution: Institution }> = {
  name: 'ROR JSON Lines',
  header: '',
  footer: '',
  firstUnitClean: true,
  unterminatedLastIsKept: true,
  record(rng, n) {
    const id = `0${Array.from({ length: 6 }, (_, i) => ROR_CHARS[(Math.floor(n / 32 ** i) + i) % 32]).join('')}${rng.digits(2)}`;
    const rec = {
      id: `https://ror.org/${id}`,
      status: rng.pick(['active', 'inactive', 'withdrawn']),
      types: [rng.pick(['education', 'facility', 'company'])],
      established: rng.chance(0.8) ? rng.int(1800, 2020) : null,
      names: [{ value: rng.words(3), types: ['ror_display', 'label'], lang: 'en' }, ...(rng.chance(0.5) ? [{ value: rng.words(2), types: ['alias'], lang: null }] : []), ...(rng.chance(0.5) ? [{ value: 'ABC', types: ['acronym'], lang: null }] : [])],
      locations: [{ geonames_id: rng.int(1, 9e6), geonames_details: { country_code: rng.pick(['CN', 'DE', 'US']), country_name: rng.words(1), name: rng.words(1), country_subdivision_name: rng.words(1) } }],
      relationships: rng.chance(0.5) ? [{ type: 'parent', id: `https://ror.org/0${ROR_CHARS.slice(0, 6)}${rng.digits(2)}`, label: rng.words(2) }] : [],
    };
    return { text: `${JSON.stringify(rec)}\n`, id };
  },
  mutations: jsonMutations([[], ['names'], ['status'], ['locations'], ['relationships'], ['types'], ['names', '0'], ['external_ids']]),
  junk: (rng) => junkLine(rng),
  read: async function* (s: Readable) {
    for await (const item of convertDocuments(s, rorInstitution, LIMITS)) yield item.ok ? { ok: true as const, recordNo: item.recordNo, institution: item.value } : item;
  },
  idOf: (k) => k.institution.id,
  valueOf: (k) => k.institution,
};

// Web of Science, plain-text tagged.

function wosFields(rng: Rng, n: number) {
  const authors = Array.from({ length: rng.int(1, 3) }, (_, i) => ({ short: `Auth${n}x${i}, ${rng.pick(['A', 'B', 'LJ'])}`, full: `Auth${n}x${i}, ${rng.words(1)}` }));
  return {
    authors,
    title: rng.words(rng.int(3, 12)),
    addresses: authors.map((a) => `[${a.full}] ${rng.words(3)}, ${rng.pick(['Beijing 100084, Peoples R China', 'Munich, Germany', 'Paris, France'])}.`),
    year: rng.int(1990, 2025),
    ut: `WOS:${String(n).padStart(9, '0')}${rng.digits(6)}`,
    funders: rng.chance(0.5) ? [`${rng.words(2)} [${rng.digits(6)}]`] : [],
    categories: rng.pick(['Computer Science, Information Systems; Telecommunications', 'Engineering, Electrical & Electronic']),
  };
}

/** The line ranges of a tagged record's lines, for mutations that work line by line. */
const editLines = (b: Buffer, edit: (lines: string[]) => void) =>
  asText(b, (text) => {
    const lines = text.split('\n');
    edit(lines);
    return lines.join('\n');
  });

/** Cut short before its ER line; the blank line between records survives (else junk after it would be ambiguous). */
const wosTruncate: Mutation = {
  name: 'truncated',
  harmless: false,
  apply: (rng, b) => Buffer.concat([b.subarray(0, rng.int(1, Math.max(1, b.lastIndexOf('\nER\n')))), Buffer.from('\n\n')]),
};

const wosTaggedMutations: Mutation[] = [
  wosTruncate,
  flip(),
  {
    name: 'junk line inside',
    harmless: false,
    apply: (rng, b) =>
      editLines(b, (lines) => {
        const at = rng.int(1, Math.max(1, lines.indexOf('ER') - 1));
        lines.splice(at, 0, junkLine(rng));
      }),
  },
  {
    name: 'tag separator deleted',
    harmless: false,
    apply: (rng, b) =>
      editLines(b, (lines) => {
        const tagged = lines.map((l, i) => (/^[A-Z][A-Z0-9] /.test(l) ? i : -1)).filter((i) => i >= 0);
        if (tagged.length === 0) return;
        const i = rng.pick(tagged);
        lines[i] = lines[i]!.slice(0, 2) + lines[i]!.slice(3);
      }),
  },
  {
    name: 'continuation indent cut',
    harmless: false,
    apply: (rng, b) =>
      editLines(b, (lines) => {
        const cont = lines.map((l, i) => (l.startsWith('   ') ? i : -1)).filter((i) => i >= 0);
        if (cont.length === 0) return;
        const i = rng.pick(cont);
        lines[i] = lines[i]!.slice(rng.int(1, 2));
      }),
  },
  { name: 'ER line deleted', harmless: false, apply: (_rng, b) => asText(b, (t) => t.replace('\nER\n', '\n')) },
  {
    name: 'huge field',
    harmless: false,
    apply: (rng, b) => asText(b, (t) => (rng.chance(0.5) ? t.replace(/\nTI [^\n]*/, () => `\nTI ${huge(rng)}`) : t.replace('\nER\n', () => `\nAB ${'y'.repeat(rng.logInt(1_000, 2 * LIMITS.maxRecordBytes))}\nER\n`))),
  },
  { name: 'deep nesting', harmless: false, apply: (rng, b) => asText(b, (t) => t.replace(/\nC1 [^\n]*/, () => `\nC1 ${deep(rng)}`)) },
  invalidUtf8,
  crlfEndings,
  bom,
];

const wosTagged: FuzzFormat<{ record: WorkRecord }> = {
  name: 'Web of Science tagged',
  header: 'FN Clarivate Analytics Web of Science\nVR 1.0\n',
  footer: 'EF\n',
  firstUnitClean: false,
  unterminatedLastIsKept: true,
  record(rng, n) {
    const f = wosFields(rng, n);
    const multi = (tag: string, values: string[]) => (values.length === 0 ? [] : [`${tag} ${values[0]}`, ...values.slice(1).map((v) => `   ${v}`)]);
    const lines = [
      'PT J',
      ...multi(
        'AU',
        f.authors.map((a) => a.short),
      ),
      ...multi(
        'AF',
        f.authors.map((a) => a.full),
      ),
      ...(rng.chance(0.3) ? [`TI ${f.title}`, `   ${rng.words(3)}`] : [`TI ${f.title}`]),
      'SO IEEE ACCESS',
      'DT Article',
      ...multi('C1', f.addresses),
      `RP ${f.authors[0]!.short} (corresponding author), ${rng.words(2)}, Peoples R China.`,
      ...multi('FU', f.funders),
      `PY ${f.year}`,
      `WC ${f.categories}`,
      `UT ${f.ut}`,
      'ER',
    ];
    return { text: `${lines.join('\n')}\n\n`, id: f.ut };
  },
  mutations: wosTaggedMutations,
  // Between records, like records, junk is followed by the blank line that separates entries.
  junk: (rng) => `${junkLine(rng)}\n`,
  read: (s: Readable) => readWos(s, LIMITS),
  idOf: (k) => k.record.sourceId,
  valueOf: (k) => k.record,
};

// Web of Science, tab-delimited.

const WOS_TAB = ['PT', 'AU', 'AF', 'TI', 'SO', 'DT', 'C1', 'RP', 'FU', 'PY', 'DI', 'WC', 'SC', 'PM', 'UT'];
const replaceColumn = (b: Buffer, column: number, value: string) =>
  asText(b, (text) => {
    const cells = text.replace(/\n$/, '').split('\t');
    cells[column] = value;
    return `${cells.join('\t')}\n`;
  });
function positionsOf(b: Buffer, byte: number): number[] {
  const out: number[] = [];
  const end = body(b).length;
  for (let at = b.indexOf(byte); at !== -1 && at < end; at = b.indexOf(byte, at + 1)) out.push(at);
  return out;
}

const wosTab: FuzzFormat<{ record: WorkRecord }> = {
  name: 'Web of Science tab-delimited',
  header: `${WOS_TAB.join('\t')}\n`,
  footer: '',
  firstUnitClean: false,
  unterminatedLastIsKept: false,
  record(rng, n) {
    const f = wosFields(rng, n);
    const row: Record<string, string> = {
      PT: 'J',
      AU: f.authors.map((a) => a.short).join('; '),
      AF: f.authors.map((a) => a.full).join('; '),
      TI: f.title,
      SO: 'IEEE ACCESS',
      DT: 'Article',
      C1: f.addresses.join(' '),
      RP: `${f.authors[0]!.short} (corresponding author), ${rng.words(2)}, Peoples R China.`,
      FU: f.funders.join('; '),
      PY: String(f.year),
      DI: rng.chance(0.7) ? `10.1109/ACCESS.${n}` : '',
      WC: f.categories,
      SC: 'Computer Science',
      PM: '',
      UT: f.ut,
    };
    return { text: `${WOS_TAB.map((c) => row[c]).join('\t')}${rng.chance(0.3) ? '\t' : ''}\n`, id: f.ut };
  },
  mutations: [
    truncate((b) => body(b).toString('latin1').replace(/\t+$/, '').lastIndexOf('\t') + 1),
    flip(),
    deleteDelimiter((b) => positionsOf(b, 0x09)),
    { name: 'huge field', harmless: false, apply: (rng, b) => replaceColumn(b, 3, huge(rng)) },
    { name: 'huge line', harmless: false, apply: (rng, b) => replaceColumn(b, 12, hugeLine(rng)) },
    { name: 'deep nesting', harmless: false, apply: (rng, b) => replaceColumn(b, 6, deep(rng)) },
    invalidUtf8,
    crlfEndings,
    bom,
  ],
  junk: (rng) => junkLine(rng).replace(/\t/g, ' '),
  read: (s: Readable) => readWos(s, LIMITS),
  idOf: (k) => k.record.sourceId,
  valueOf: (k) => k.record,
};

// CSV exports (Scopus, Lens, PATSTAT-like).

/** Quote characters, and separators outside quotes; and the quotes that open a field running over lines. */
const structures = new WeakMap<Buffer, { delimiters: number[]; openers: Set<number> }>();
function csvStructure(b: Buffer): { delimiters: number[]; openers: Set<number> } {
  const known = structures.get(b);
  if (known) return known;
  const found = scanCsv(b);
  structures.set(b, found);
  return found;
}

function scanCsv(b: Buffer): { delimiters: number[]; openers: Set<number> } {
  const delimiters: number[] = [];
  const openers = new Set<number>();
  let inQuotes = false;
  let opened = -1;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x22) {
      delimiters.push(i);
      if (!inQuotes) opened = i;
      inQuotes = !inQuotes;
    } else if (c === 0x2c && !inQuotes) delimiters.push(i);
    else if (c === 0x0a && inQuotes) openers.add(opened);
  }
  return { delimiters, openers };
}

/*
 * In a record whose quoted field runs over lines, damage to its quoting makes the record's end
 * ambiguous (the next line may continue it or start a row): the reader keeps every good row and
 * may quarantine the record in more than one piece, which the test of csv.test.ts checks. Here
 * such records get every other kind of damage; records on one line get all of them.
 */
const multiLine = (b: Buffer) => csvStructure(b).openers.size > 0;
/** Cuts fall before the quote that opens a field running over lines (see above). */
const csvCutLimit = (b: Buffer) => Math.min(body(b).length, ...csvStructure(b).openers);

const csvMutations = (columns: number, hugeColumn: number, deepColumn: number, spareColumn: number): Mutation[] => [
  // Cut before the last separator: a cut after it leaves an empty last cell, which no reader can tell from "no value".
  truncate((b) => Math.min(Math.max(-1, ...csvStructure(b).delimiters.filter((i) => b[i] === 0x2c)), csvCutLimit(b))),
  flip((b) => new Set(multiLine(b) ? csvStructure(b).delimiters : [])),
  deleteDelimiter((b) => (multiLine(b) ? [] : csvStructure(b).delimiters)),
  { name: 'huge field', harmless: false, apply: (rng, b) => (multiLine(b) ? b : setCell(b, columns, hugeColumn, huge(rng))) },
  { name: 'huge row', harmless: false, apply: (rng, b) => (multiLine(b) ? b : setCell(b, columns, spareColumn, hugeLine(rng))) },
  { name: 'deep nesting', harmless: false, apply: (rng, b) => (multiLine(b) ? b : setCell(b, columns, deepColumn, deep(rng))) },
  {
    name: 'invalid UTF-8',
    harmless: false,
    // In a record running over lines, only inside a quoted value: between fields it is damage to the quoting.
    apply: (rng, b) => {
      if (!multiLine(b)) return invalidUtf8.apply(rng, b);
      const quotes = csvStructure(b).delimiters.filter((i) => b[i] === 0x22);
      const k = rng.int(0, quotes.length / 2 - 1);
      return insertBytes(b, rng.int(quotes[2 * k]! + 1, quotes[2 * k + 1]!), rng.pick(INVALID_UTF8));
    },
  },
  crlfEndings,
  bom,
];

/** Rewrites one cell of a one-line row (a row already damaged is left to its damage). */
function setCell(b: Buffer, columns: number, column: number, value: string): Buffer {
  if (!isUtf8(b)) return b;
  const commas = csvStructure(b).delimiters.filter((i) => b[i] === 0x2c);
  if (commas.length !== columns - 1) return b;
  const from = column === 0 ? 0 : commas[column - 1]! + 1;
  const to = column === columns - 1 ? body(b).length : commas[column]!;
  return Buffer.concat([b.subarray(0, from), Buffer.from(csvField(value)), b.subarray(to)]);
}

/** CSV junk carries a quote: a line without one after an unclosed quote could be its continuation. */
const csvJunk = (rng: Rng) => `${junkLine(rng).replace(/"/g, '')} "${rng.words(1)}`;

const SCOPUS = ['Authors', 'Title', 'Year', 'Source title', 'DOI', 'Affiliations', 'Authors with affiliations', 'Author Keywords', 'Funding Details', 'Funding Text 1', 'Correspondence Address', 'Document Type', 'Source', 'EID'];
const scopus: FuzzFormat<{ record: WorkRecord }> = {
  name: 'Scopus CSV',
  cutLimit: csvCutLimit,
  header: `\ufeff${SCOPUS.join(',')}\n`,
  footer: '',
  firstUnitClean: false,
  unterminatedLastIsKept: false,
  record(rng, n) {
    const authors = Array.from({ length: rng.int(1, 3) }, (_, i) => ({ name: `Auth${n}x${i}, ${rng.pick(['A.', 'B.C.', 'L.'])}`, affil: `${rng.words(3)}, ${rng.pick(['Beijing, China', 'Munich, Germany'])}` }));
    const eid = `2-s2.0-85${String(n).padStart(9, '0')}`;
    const quoted = (v: string) => `"${v.replace(/"/g, '""')}"`;
    const cells = [
      quoted(authors.map((a) => a.name.replace(',', '')).join(', ')),
      quoted(rng.chance(0.1) ? `A "quoted" ${rng.words(3)}` : rng.words(rng.int(2, 8))),
      quoted(String(rng.int(1990, 2025))),
      quoted(rng.words(2)),
      quoted(rng.chance(0.7) ? `10.1000/s.${n}` : ''),
      quoted(authors.map((a) => a.affil).join('; ')),
      quoted(authors.map((a) => `${a.name}, ${a.affil}`).join('; ')),
      quoted(rng.words(2)),
      quoted(rng.chance(0.4) ? rng.words(2) : ''),
      quoted(rng.chance(0.15) ? `${rng.words(4)}\n${rng.words(3)}${rng.chance(0.3) ? `\n${rng.words(2)}` : ''}` : ''),
      quoted(`${authors[0]!.name.split(',')[0]}; ${rng.words(2)}`),
      quoted('Article'),
      'Scopus',
      eid,
    ];
    return { text: `${cells.join(',')}\n`, id: eid };
  },
  mutations: csvMutations(SCOPUS.length, 1, 6, 7),
  junk: csvJunk,
  read: (s: Readable) => readScopus(s, LIMITS),
  idOf: (k) => k.record.sourceId,
  valueOf: (k) => k.record,
};

/** CPC symbols as Lens and others write them: with or without a space, subgroups of two digits or more, section Y too. */
const cpcCell = (rng: Rng) => Array.from({ length: rng.int(1, 3) }, () => `${rng.pick(['G06N', 'H04L', 'Y02E', 'A61K'])}${rng.pick(['', ' '])}${rng.int(1, 2999)}/${rng.digits(rng.int(2, 6))}`).join(';;');
const LENS = ['Lens ID', 'Title', 'Publication Year', 'Applicants', 'CPC Classifications'];
const lens: FuzzFormat<{ patent: PatentRecord }> = {
  name: 'Lens CSV',
  cutLimit: csvCutLimit,
  header: `${LENS.join(',')}\n`,
  footer: '',
  firstUnitClean: false,
  unterminatedLastIsKept: false,
  record(rng, n) {
    const id = `${String(n)
      .padStart(9, '0')
      .replace(/(\d{3})(\d{3})(\d{3})/, '$1-$2-$3')}-${rng.digits(3)}-${rng.digits(3)}`;
    const cells = [id, csvField(rng.words(rng.int(2, 8))), String(rng.int(1990, 2025)), csvField(Array.from({ length: rng.int(1, 3) }, () => `${rng.words(2)} CO LTD`).join(';;')), cpcCell(rng)];
    return { text: `${cells.join(',')}\n`, id };
  },
  mutations: csvMutations(LENS.length, 3, 1, 1),
  junk: csvJunk,
  read: (s: Readable) => readLens(s, LIMITS),
  idOf: (k) => k.patent.patentId,
  valueOf: (k) => k.patent,
};

const PATSTAT = ['appln_id', 'appln_filing_year', 'person_name', 'person_ctry_code', 'applt_seq_nr', 'cpc_class_symbol'];
const patstat: FuzzFormat<{ patent: PatentRecord }> = {
  name: 'PATSTAT-like CSV',
  cutLimit: csvCutLimit,
  header: `${PATSTAT.join(',')}\n`,
  footer: '',
  firstUnitClean: false,
  unterminatedLastIsKept: false,
  // One row per application: a row too damaged to show its application cannot be tied to it.
  record(rng, n) {
    const id = String(500_000_000 + n);
    const cells = [id, String(rng.int(1990, 2025)), csvField(`${rng.words(2)}, ${rng.pick(['INC', 'CO LTD', 'GMBH'])}`), rng.pick(['CN', 'DE', 'US', '']), '1', `H04W ${rng.int(1, 99)}/${rng.digits(2)}`];
    return { text: `${cells.join(',')}\n`, id };
  },
  mutations: csvMutations(PATSTAT.length, 2, 2, 2),
  junk: csvJunk,
  read: (s: Readable) => readPatstat(s, LIMITS),
  idOf: (k) => k.patent.patentId,
  valueOf: (k) => k.patent,
};

// Aggregate tables (counts published by others): one row, one record.

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const iso2 = (k: number) => `${LETTERS[Math.floor(k / 26) % 26]}${LETTERS[k % 26]}`;
const countryPairs: FuzzFormat<CountryPairCount> = {
  name: 'country-pair counts CSV',
  cutLimit: csvCutLimit,
  header: 'year,country_a,country_b,coauthored_works\n',
  footer: '',
  firstUnitClean: false,
  unterminatedLastIsKept: false,
  // Year and pair are the row's key, so each record gets its own.
  record(rng, n) {
    const year = 1990 + (Math.floor(n / (676 * 676)) % 34);
    return { text: `${year},${iso2(n)},${iso2(Math.floor(n / 676))},${rng.logInt(1, 5_000_000)}\n`, id: `${year} ${iso2(n)} ${iso2(Math.floor(n / 676))}` };
  },
  mutations: csvMutations(4, 3, 3, 3),
  junk: csvJunk,
  read: (s: Readable) => readCountryPairs(s, LIMITS),
  idOf: (k) => `${k.year} ${k.a} ${k.b}`,
  valueOf: ({ year, a, b, works }) => ({ year, a, b, works }),
};

const NCSES = ['table_id', 'row_id', 'region_country_or_economy_full_path', 'region_country_or_economy_level_1', 'region_country_or_economy_level_2', 'region_country_or_economy_level_3', 'region_country_or_economy_level_4', 'region_country_or_economy_hierarchy_depth', 'field_2021', 'field_2022'];
const PLACES = ['China', 'Germany', 'United Kingdom<sup>a</sup>', 'France', 'United States', 'Georgia', '"Congo, Republic of the"'];
/** An NCSES row gives one value per year: the reader's values of one row are gathered into the record they came from. */
type NcsesRow = { recordNo: number; values: Omit<SeriesValue, 'recordNo'>[] };
const gazetteer = new Gazetteer([]);
const ncses: FuzzFormat<NcsesRow> = {
  name: 'NCSES row-hierarchical CSV',
  cutLimit: csvCutLimit,
  header: `${NCSES.join(',')}\n`,
  footer: '',
  firstUnitClean: false,
  unterminatedLastIsKept: false,
  record(rng, n) {
    const place = rng.pick(PLACES);
    const attribute = `Group ${n}`;
    const figure = () => (rng.chance(0.3) ? `"${rng.int(1, 99)},${rng.digits(3)}"` : String(rng.int(0, 999)));
    const path = `World -> ${place.replace(/"/g, '')} -> Total articles -> ${attribute}`;
    // A row without figures holds nothing (see readNsfSeries): every record here has one at least, some only one.
    const figures = rng.chance(0.1) ? [figure(), ''] : [figure(), figure()];
    const cells = ['10067', `r${n}`, path.includes(',') ? `"${path}"` : path, 'World', place, 'Total articles', attribute, '4', ...figures];
    return { text: `${cells.join(',')}\n`, id: `Total articles / ${attribute}` };
  },
  mutations: [...csvMutations(NCSES.length, 6, 2, 1), deleteDelimiter((b) => (multiLine(b) ? [] : positionsOf(b, 0x3e)))],
  junk: csvJunk,
  read: async function* (s: Readable) {
    let row: ({ ok: true } & NcsesRow) | null = null;
    for await (const item of readNsfSeries(s, gazetteer, LIMITS)) {
      if (item.ok && row?.recordNo === item.recordNo) {
        row.values.push(valueOnly(item));
        continue;
      }
      if (row) yield row;
      row = null;
      if (item.ok) row = { ok: true, recordNo: item.recordNo, values: [valueOnly(item)] };
      else yield item;
    }
    if (row) yield row;
  },
  idOf: (k) => k.values[0]!.attribute,
  valueOf: (k) => k.values,
};
function valueOnly(v: SeriesValue & { recordNo: number; ok: true }): Omit<SeriesValue, 'recordNo'> {
  const { recordNo: _recordNo, ok: _ok, ...value } = v;
  return value;
}

for (const format of [openAlex, ror, wosTagged, wosTab, scopus, lens, patstat, countryPairs, ncses] as FuzzFormat<unknown>[]) {
  test(`fuzz: ${format.name}: ${MUTATED.toLocaleString('en')} mutated records, each kept as its clean original or quarantined, none lost`, async () => {
    const stats = await fuzzReader(format, { seed: FUZZ_SEED, mutated: MUTATED, files: FILES });
    assert.equal(stats.kept + stats.quarantined, stats.units);
    assert.ok(stats.mutated >= MUTATED);
    assert.ok(stats.quarantined > stats.mutated / 3, `most damage is noticed (${stats.quarantined} quarantined of ${stats.mutated} mutated)`);
  });
}
