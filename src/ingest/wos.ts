import type { Readable } from 'node:stream';
import { isBlank } from '../resolve/normalize.ts';
import { readLines, wrongFormat, type Line, type TextLine } from './lines.ts';
import { InputError, NO_DOI_EFFECT, RecordError, checkFieldValues, excerptOf, limitsOf, normalizeDoi, parseYear, type Authorship, type FieldTag, type ReadItem, type ReadLimits, type Warn, type WorkRecord } from './records.ts';

/** Tag → values, the common ground of both Web of Science export formats. */
type Tags = Map<string, string[]>;

const EXPECTED = 'a Web of Science export (plain text starting with "FN", or tab-delimited starting with "PT")';

/**
 * Reads Web of Science exports in either format: the plain-text tagged one (`FN` … `ER` … `EF`)
 * or the tab-delimited full record (a `PT\tAU\t…` header, one record per line). `warn` is told of a header without DI,
 * or of a plain-text export none of whose records has a DI field.
 */
export async function* readWos(stream: Readable, options?: Partial<ReadLimits>, warn: Warn = () => {}): AsyncGenerator<ReadItem> {
  const limits = limitsOf(options);
  const lines = readLines(stream, { maxLineBytes: limits.maxRecordBytes });
  let first: Line | null = null;
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    if ('text' in next.value && next.value.text.trim() === '') continue;
    first = next.value;
    break;
  }
  if (first === null) throw new InputError('the file holds nothing but blank lines');
  let start: TextLine;
  let recordNo = 0;
  if ('error' in first || !startsExport(first)) {
    // The tail of a record cut at the start of the file, a line a tool wrote before the export or
    // one that cannot be read (too long, bad bytes) is not another format: the export starting on
    // one of the next lines settles it, and each line before it is set aside. A file with no start
    // near its top is refused as what it looks like, or with why its first line cannot be read.
    const before: Line[] = [first];
    let found: TextLine | null = null;
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const line = next.value;
      if ('text' in line && startsExport(line)) {
        found = line;
        break;
      }
      before.push(line);
      if (('error' in line && line.kind === 'cut') || before.length > LOOK_AHEAD_LINES) break;
    }
    if (!found) throw 'error' in first ? new InputError(`the first line cannot be read: ${first.error}`) : wrongFormat(EXPECTED, first.text);
    for (const line of before) {
      if ('error' in line) yield { ok: false, recordNo: ++recordNo, lineNo: line.lineNo, reason: line.error, excerpt: line.excerpt };
      else if (line.text.trim() !== '') yield { ok: false, recordNo: ++recordNo, lineNo: line.lineNo, reason: `line ${line.lineNo} comes before the Web of Science export starts (line ${found.lineNo}): ${JSON.stringify(line.text.slice(0, 80))}`, excerpt: excerptOf(line.text) };
    }
    start = found;
  } else start = first;
  if (start.text.startsWith('PT\t')) yield* readTabDelimited(start.text.split('\t'), lines, limits, recordNo, warn);
  else yield* readTagged(start, lines, limits, recordNo, warn);
}

/** How many lines after a first line that starts no export are looked at for its start. */
const LOOK_AHEAD_LINES = 10;
const startsExport = (line: TextLine) => /^(FN|PT) /.test(line.text) || line.text.startsWith('PT\t');

async function* readTabDelimited(header: string[], lines: AsyncGenerator<Line>, limits: ReadLimits, recordsBefore: number, warn: Warn): AsyncGenerator<ReadItem> {
  while (header.length > 0 && header[header.length - 1] === '') header.pop();
  for (const required of ['UT', 'PY', 'C1']) {
    if (!header.includes(required)) throw new InputError(`the Web of Science header has no ${required} column`);
  }
  if (!header.includes('DI')) warn(`the Web of Science header has no DI (DOI) column: ${NO_DOI_EFFECT}`);
  let recordNo = recordsBefore;
  for await (const line of lines) {
    if ('error' in line) {
      yield { ok: false, recordNo: ++recordNo, lineNo: line.lineNo, reason: line.error, excerpt: line.excerpt };
      continue;
    }
    if (line.text.trim() === '') continue;
    recordNo++;
    const values = line.text.split('\t');
    while (values.length > header.length && values[values.length - 1] === '') values.pop();
    if (values.length !== header.length) {
      yield { ok: false, recordNo, lineNo: line.lineNo, reason: `expected ${header.length} tab-separated fields, found ${values.length}`, excerpt: excerptOf(line.text) };
      continue;
    }
    if (!line.terminated) {
      yield { ok: false, recordNo, lineNo: line.lineNo, reason: UNTERMINATED, excerpt: excerptOf(line.text) };
      continue;
    }
    const tags: Tags = new Map();
    header.forEach((tag, i) => {
      const v = values[i]!.trim();
      if (v !== '') tags.set(tag, [v]);
    });
    yield toItem(tags, recordNo, line.lineNo, line.text, limits);
  }
}

/** A field tag line ("TI Title", or a bare "ER"); its tag, or null for any other line. */
const tagOf = (text: string) => (/^[A-Z][A-Z0-9](?: |$)/.test(text) ? text.slice(0, 2) : null);

interface TaggedRecord {
  startLine: number;
  tags: Tags;
  current: string | null;
  raw: string;
  bytes: number;
  /** Why the record cannot be trusted, once something in it is found wrong. */
  fault: string | null;
}

/**
 * The plain-text format: a record runs from its `PT` line to its `ER` line. A record with a line
 * that cannot be read, a line that is neither a tag nor a continuation, or no `ER` before the
 * next `PT` (or blank line) is set aside whole (a damaged line may have been a field), and
 * reading resumes at the next `PT`, so a damaged record never takes its neighbour with it.
 */
async function* readTagged(first: TextLine, rest: AsyncGenerator<Line>, limits: ReadLimits, recordsBefore: number, warn: Warn): AsyncGenerator<ReadItem> {
  let recordNo = recordsBefore;
  let rec: TaggedRecord | null = null;
  // The plain-text format has no header to miss DI from: an export without it has no DI line in any record.
  let kept = 0;
  let anyDoiField = false;
  const start = (lineNo: number, fault: string | null): TaggedRecord => ({ startLine: lineNo, tags: new Map(), current: null, raw: '', bytes: 0, fault });
  const close = (r: TaggedRecord, missingEnd: string | null = null): ReadItem => {
    recordNo++;
    anyDoiField ||= r.tags.has('DI');
    const fault = r.fault ?? missingEnd;
    if (fault) return { ok: false, recordNo, lineNo: r.startLine, reason: fault, excerpt: excerptOf(r.raw) };
    const item = toItem(r.tags, recordNo, r.startLine, r.raw, limits);
    if (item.ok) kept++;
    return item;
  };
  const take = (r: TaggedRecord, text: string, bytes: number) => {
    r.bytes += bytes;
    if (r.raw.length < 300) r.raw += `${text.slice(0, 300)}\n`;
    if (r.bytes > limits.maxRecordBytes && !r.fault) {
      r.fault = `record is longer than ${limits.maxRecordBytes} bytes`;
      r.tags.clear();
    }
  };
  const neither = (line: TextLine) => `line ${line.lineNo} is neither a field tag nor a continuation: ${JSON.stringify(line.text.slice(0, 40))}`;
  for await (const line of prepend(first, rest)) {
    if ('error' in line) {
      if (line.kind === 'cut') {
        if (rec) yield close(rec, `line ${line.lineNo}: ${line.error}`);
        else yield { ok: false, recordNo: ++recordNo, lineNo: line.lineNo, reason: line.error, excerpt: line.excerpt };
        rec = null;
        break;
      }
      rec ??= start(line.lineNo, null);
      rec.fault ??= `line ${line.lineNo}: ${line.error}`;
      take(rec, line.excerpt, line.bytes);
      continue;
    }
    const text = line.text;
    if (text.trim() === '') {
      // Records are separated by blank lines and never hold one: a record still open lost its end.
      if (rec) yield close(rec, `record has no closing ER line (a blank line follows at line ${line.lineNo})`);
      rec = null;
      continue;
    }
    const tag = tagOf(text);
    if (tag === 'FN' || tag === 'VR' || tag === 'EF') {
      // File header and end: a record still open here lost its end.
      if (rec) yield close(rec, `record has no closing ER line (line ${line.lineNo} is ${tag})`);
      rec = null;
      continue;
    }
    if (tag === 'ER') {
      if (rec) yield close(rec);
      else yield { ok: false, recordNo: ++recordNo, lineNo: line.lineNo, reason: `ER line ${line.lineNo} closes no record`, excerpt: text };
      rec = null;
      continue;
    }
    if (tag === 'PT') {
      if (rec) yield close(rec, `record has no closing ER line: the next record starts at line ${line.lineNo}`);
      rec = start(line.lineNo, null);
    } else if (!rec) {
      rec = start(line.lineNo, tag ? `record does not start with a PT line (line ${line.lineNo} is ${tag})` : neither(line));
    }
    take(rec, text, line.bytes);
    if (rec.fault) continue;
    if (tag) {
      rec.current = tag;
      const values = rec.tags.get(tag) ?? [];
      const v = text.slice(3).trim();
      if (v !== '') values.push(v);
      rec.tags.set(tag, values);
    } else if (text.startsWith('   ') && rec.current) {
      rec.tags.get(rec.current)!.push(text.trim());
    } else rec.fault = neither(line);
  }
  if (rec) yield close(rec, 'record has no closing ER line (the file ends inside it: truncated?)');
  if (kept > 0 && !anyDoiField) warn(`no record of the Web of Science export has a DI (DOI) field: ${NO_DOI_EFFECT}`);
}

async function* prepend<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield first;
  yield* rest;
}

const UNTERMINATED = 'the file ends inside this record, without a line break after it: it may be cut short';

function toItem(tags: Tags, recordNo: number, lineNo: number, raw: string, limits: ReadLimits): ReadItem {
  try {
    const record = wosRecord(tags);
    checkFieldValues(record, limits);
    return { ok: true, recordNo, record };
  } catch (e) {
    if (!(e instanceof RecordError)) throw e;
    return { ok: false, recordNo, lineNo, reason: e.message, excerpt: excerptOf(raw) };
  }
}

const one = (tags: Tags, tag: string) => tags.get(tag)?.join(' ') ?? null;
/** Multi-valued fields come one per line in the tagged format and '; '-joined in the tab format. */
const many = (tags: Tags, tag: string) =>
  (tags.get(tag) ?? [])
    .flatMap((v) => v.split(/;\s*/))
    .map((s) => s.trim())
    .filter(Boolean);

export function wosRecord(tags: Tags): WorkRecord {
  const ut = one(tags, 'UT');
  // Core Collection numbers have 15 digits, so one cut short is caught; other databases vary.
  if (!ut || !(/^WOS:\d{15}$/i.test(ut) || /^(MEDLINE|INSPEC|BCI|CCC|KJD|RSCI|SCIELO|ZOOREC|DIIDW|CSCD|GRANTS|BIOSIS):?\S+$/i.test(ut))) {
    throw new RecordError(`missing or malformed UT accession number: ${JSON.stringify(ut === null ? null : excerptOf(ut, 60))}`);
  }
  const year = parseYear(one(tags, 'PY'), 'PY') ?? parseYear(one(tags, 'EA')?.match(/\d{4}/)?.[0], 'EA');
  const fullNames = many(tags, 'AF').length > 0 ? many(tags, 'AF') : many(tags, 'AU');
  const addresses = addressesOf(tags);
  const reprintNames = correspondingNames(one(tags, 'RP') ?? '');
  const abbreviated = many(tags, 'AU');
  const mapped = addresses.some((a) => a.authors.length > 0);
  const authorships: Authorship[] = fullNames.map((name, i) => {
    const key = name.toLowerCase();
    const mine = mapped ? addresses.filter((a) => a.authors.includes(key)) : addresses;
    return {
      name,
      position: i === 0 ? 'first' : i === fullNames.length - 1 ? 'last' : 'middle',
      isCorresponding: reprintNames.length === 0 ? null : reprintNames.includes((abbreviated[i] ?? name).toLowerCase()),
      affiliations: mine.map((a) => ({ raw: a.address, givenRorIds: [], givenNames: [], givenCountryCodes: [] })),
    };
  });
  // Addresses no listed author claims still witness the work's institutions.
  const orphans = mapped ? addresses.filter((a) => a.authors.length === 0 || !a.authors.some((n) => fullNames.some((f) => f.toLowerCase() === n))) : [];
  if (orphans.length > 0) authorships.push({ name: null, position: null, isCorresponding: null, affiliations: orphans.map((a) => ({ raw: a.address, givenRorIds: [], givenNames: [], givenCountryCodes: [] })) });
  if (fullNames.length === 0 && addresses.length > 0) authorships.push({ name: null, position: null, isCorresponding: null, affiliations: addresses.map((a) => ({ raw: a.address, givenRorIds: [], givenNames: [], givenCountryCodes: [] })) });
  const fields: FieldTag[] = [...many(tags, 'WC').map((name): FieldTag => ({ scheme: 'wos-category', id: name, name, score: null })), ...many(tags, 'SC').map((name): FieldTag => ({ scheme: 'wos-research-area', id: name, name, score: null }))];
  return {
    source: 'wos',
    sourceId: ut.toUpperCase(),
    doi: normalizeDoi(one(tags, 'DI')),
    pmid: one(tags, 'PM'),
    title: one(tags, 'TI'),
    year,
    type: one(tags, 'DT'),
    authorships,
    fields,
    funders: many(tags, 'FU').map(withoutGrantNumbers),
  };
}

interface Address {
  authors: string[];
  address: string;
}

/**
 * "[Author A; Author B] Address 1; [Author C] Address 2", or plain addresses. Scanned with
 * indexOf rather than a regular expression, whose backtracking is quadratic on a value of
 * thousands of unclosed brackets.
 */
function addressesOf(tags: Tags): Address[] {
  const out: Address[] = [];
  for (const value of tags.get('C1') ?? []) {
    if (value.trimStart().startsWith('[')) {
      for (let open = value.indexOf('['); open !== -1;) {
        const close = value.indexOf(']', open);
        if (close === -1) throw new RecordError(`C1 has an author list opened with "[" and never closed: ${JSON.stringify(excerptOf(value.slice(open), 60))}`);
        const next = value.indexOf('[', close);
        const address = value
          .slice(close + 1, next === -1 ? undefined : next)
          .replace(/;\s*$/, '')
          .trim();
        if (!isBlank(address))
          out.push({
            authors: value
              .slice(open + 1, close)
              .split(/;\s*/)
              .map((n) => n.trim().toLowerCase()),
            address,
          });
        open = next;
      }
    } else {
      for (const address of value.split(/;\s*/)) if (!isBlank(address)) out.push({ authors: [], address: address.trim() });
    }
  }
  return out;
}

/** "Wang, L (corresponding author), Univ X; Li, X (corresponding author), Univ Y" → ["wang, l", "li, x"]. */
function correspondingNames(rp: string): string[] {
  const marker = '(corresponding author)';
  const names: string[] = [];
  for (let at = rp.indexOf(marker); at !== -1; at = rp.indexOf(marker, at + marker.length)) {
    let from = at;
    while (from > 0 && !';()'.includes(rp[from - 1]!)) from--;
    const name = rp.slice(from, at).trim().toLowerCase();
    if (name) names.push(name);
  }
  return names;
}

/** "Funder Name [grant 1, grant 2]" → "Funder Name". */
function withoutGrantNumbers(funder: string): string {
  const t = funder.trimEnd();
  const open = t.lastIndexOf('[');
  return t.endsWith(']') && open !== -1 && t.indexOf(']', open) === t.length - 1 ? t.slice(0, open).trimEnd() : funder;
}
