import type { Readable } from 'node:stream';
import { readLines } from './lines.ts';
import {
  RecordError,
  excerptOf,
  normalizeDoi,
  parseYear,
  type Authorship,
  type FieldTag,
  type ReadItem,
  type WorkRecord,
} from './records.ts';

/** Tag → values, the common ground of both Web of Science export formats. */
type Tags = Map<string, string[]>;

/**
 * Reads Web of Science exports in either format: the plain-text tagged one (`FN` … `ER` … `EF`)
 * or the tab-delimited full record (a `PT\tAU\t…` header, one record per line).
 */
export async function* readWos(stream: Readable): AsyncGenerator<ReadItem> {
  const lines = readLines(stream);
  const first = await lines.next();
  if (first.done) return;
  const head = first.value;
  if ('error' in head) {
    yield { ok: false, recordNo: 1, lineNo: head.lineNo, reason: head.error, excerpt: '' };
    return;
  }
  if (head.text.startsWith('FN ')) yield* readTagged(lines);
  else if (head.text.startsWith('PT\t')) yield* readTabDelimited(head.text.split('\t'), lines);
  else throw new Error('not a Web of Science export: expected a tab-delimited header starting with "PT" or a plain-text file starting with "FN"');
}

async function* readTabDelimited(header: string[], lines: AsyncIterable<import('./lines.ts').Line>): AsyncGenerator<ReadItem> {
  while (header.length > 0 && header[header.length - 1] === '') header.pop();
  for (const required of ['UT', 'PY', 'C1']) {
    if (!header.includes(required)) throw new Error(`Web of Science header has no ${required} column`);
  }
  let recordNo = 0;
  for await (const line of lines) {
    if ('error' in line) {
      yield { ok: false, recordNo: ++recordNo, lineNo: line.lineNo, reason: line.error, excerpt: '' };
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
    const tags: Tags = new Map();
    header.forEach((tag, i) => {
      const v = values[i]!.trim();
      if (v !== '') tags.set(tag, [v]);
    });
    yield toItem(tags, recordNo, line.lineNo, line.text);
  }
}

async function* readTagged(lines: AsyncIterable<import('./lines.ts').Line>): AsyncGenerator<ReadItem> {
  let recordNo = 0;
  let tags: Tags | null = null;
  let current: string | null = null;
  let startLine = 0;
  let raw = '';
  for await (const line of lines) {
    if ('error' in line) {
      if (tags) {
        // The damaged line belongs to this record: the whole record is set aside.
        yield { ok: false, recordNo: ++recordNo, lineNo: line.lineNo, reason: line.error, excerpt: excerptOf(raw) };
        tags = null;
      } else yield { ok: false, recordNo: ++recordNo, lineNo: line.lineNo, reason: line.error, excerpt: '' };
      continue;
    }
    const text = line.text;
    const tag = text.slice(0, 2);
    if (text.startsWith('   ') && tags && current) {
      tags.get(current)!.push(text.trim());
    } else if (tag === 'ER') {
      if (tags) yield toItem(tags, ++recordNo, startLine, raw);
      tags = null;
      current = null;
    } else if (tag === 'EF' || tag === 'VR' || tag === 'FN' || text.trim() === '') {
      continue;
    } else if (/^[A-Z][A-Z0-9] /.test(text) || /^[A-Z][A-Z0-9]$/.test(text)) {
      if (!tags) {
        tags = new Map();
        startLine = line.lineNo;
        raw = '';
      }
      current = tag;
      const values = tags.get(tag) ?? [];
      const v = text.slice(3).trim();
      if (v !== '') values.push(v);
      tags.set(tag, values);
    } else if (tags) {
      yield { ok: false, recordNo: ++recordNo, lineNo: line.lineNo, reason: `line is neither a field tag nor a continuation: ${JSON.stringify(text.slice(0, 40))}`, excerpt: excerptOf(raw) };
      tags = null;
      continue;
    }
    if (tags && raw.length < 300) raw += `${text}\n`;
  }
  if (tags) yield { ok: false, recordNo: ++recordNo, lineNo: startLine, reason: 'record has no closing ER line (truncated file?)', excerpt: excerptOf(raw) };
}

function toItem(tags: Tags, recordNo: number, lineNo: number, raw: string): ReadItem {
  try {
    return { ok: true, recordNo, record: wosRecord(tags) };
  } catch (e) {
    if (!(e instanceof RecordError)) throw e;
    return { ok: false, recordNo, lineNo, reason: e.message, excerpt: excerptOf(raw) };
  }
}

const one = (tags: Tags, tag: string) => tags.get(tag)?.join(' ') ?? null;
/** Multi-valued fields come one per line in the tagged format and '; '-joined in the tab format. */
const many = (tags: Tags, tag: string) => (tags.get(tag) ?? []).flatMap((v) => v.split(/;\s*/)).map((s) => s.trim()).filter(Boolean);

export function wosRecord(tags: Tags): WorkRecord {
  const ut = one(tags, 'UT');
  if (!ut || !/^(WOS|MEDLINE|INSPEC|BCI|CCC|KJD|RSCI|SCIELO|ZOOREC|DIIDW|CSCD|GRANTS|BIOSIS):?\S+$/i.test(ut)) {
    throw new RecordError(`missing or malformed UT accession number: ${JSON.stringify(ut)}`);
  }
  const year = parseYear(one(tags, 'PY'), 'PY') ?? parseYear(one(tags, 'EA')?.match(/\d{4}/)?.[0], 'EA');
  const fullNames = many(tags, 'AF').length > 0 ? many(tags, 'AF') : many(tags, 'AU');
  const addresses = addressesOf(tags);
  const reprintNames = (one(tags, 'RP') ?? '').match(/([^;()]+?)\s*\(corresponding author\)/g)?.map((m) => m.replace(/\(corresponding author\)/, '').trim().toLowerCase()) ?? [];
  const abbreviated = many(tags, 'AU');
  const mapped = addresses.some((a) => a.authors.length > 0);
  const authorships: Authorship[] = fullNames.map((name, i) => {
    const key = name.toLowerCase();
    const mine = mapped ? addresses.filter((a) => a.authors.includes(key)) : addresses;
    return {
      name,
      position: i === 0 ? 'first' : i === fullNames.length - 1 ? 'last' : 'middle',
      isCorresponding: reprintNames.length === 0 ? null : reprintNames.includes((abbreviated[i] ?? name).toLowerCase()),
      affiliations: mine.map((a) => ({ raw: a.address, givenRorIds: [], givenCountryCodes: [] })),
    };
  });
  // Addresses no listed author claims still witness the work's institutions.
  const orphans = mapped ? addresses.filter((a) => a.authors.length === 0 || !a.authors.some((n) => fullNames.some((f) => f.toLowerCase() === n))) : [];
  if (orphans.length > 0) authorships.push({ name: null, position: null, isCorresponding: null, affiliations: orphans.map((a) => ({ raw: a.address, givenRorIds: [], givenCountryCodes: [] })) });
  if (fullNames.length === 0 && addresses.length > 0) authorships.push({ name: null, position: null, isCorresponding: null, affiliations: addresses.map((a) => ({ raw: a.address, givenRorIds: [], givenCountryCodes: [] })) });
  const fields: FieldTag[] = [
    ...many(tags, 'WC').map((name): FieldTag => ({ scheme: 'wos-category', id: name, name, score: null })),
    ...many(tags, 'SC').map((name): FieldTag => ({ scheme: 'wos-research-area', id: name, name, score: null })),
  ];
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
    funders: many(tags, 'FU').map((f) => f.replace(/\s*\[[^\]]*\]\s*$/, '')),
  };
}

interface Address {
  authors: string[];
  address: string;
}

function addressesOf(tags: Tags): Address[] {
  const out: Address[] = [];
  for (const value of tags.get('C1') ?? []) {
    if (value.trimStart().startsWith('[')) {
      for (const m of value.matchAll(/\[([^\]]*)\]\s*([^[]*)/g)) {
        const address = m[2]!.replace(/;\s*$/, '').trim();
        if (address) out.push({ authors: m[1]!.split(/;\s*/).map((n) => n.trim().toLowerCase()), address });
      }
    } else {
      for (const address of value.split(/;\s*/)) if (address.trim()) out.push({ authors: [], address: address.trim() });
    }
  }
  return out;
}
