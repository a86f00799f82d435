import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { FastifySchema } from 'fastify';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASE_LIST_ITEMS, CASE_MAX_BYTES, CaseError, readCaseDocument, validateCase } from '../../src/assessment/case.ts';
import { parseFeedOrigins } from '../../src/exchange/origins.ts';
import { unboundedParts, UTF8_BYTES_PER_CHAR, worstJsonBytes } from '../../src/json-bounds.ts';
import { BatchError, MAX_BATCH_CHARS, parseNames } from '../../src/screening/batch.ts';
import { GREEN_CASE } from '../helpers/cases.ts';
import { derisk } from '../helpers/cli.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { listedLandscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';

// Round 50 (bound54): every limit at the HTTP boundary agrees with the others and bounds something.
let store: Store;
let service: TestService;
let auth: { authorization: string };
const routes: { method: string; url: string; schema: FastifySchema | undefined; bodyLimit: number }[] = [];

before(async () => {
  store = await listedLandscapeStore(tempDir(), 'high');
  service = await testService(store, {
    // A home and a feed origin, so that every route is registered.
    home: tempDir(),
    exchange: { feeds: parseFeedOrigins('https://8.8.8.8') },
    onRoute: (method, url, _s, _r, limits) => routes.push({ method, url, ...limits }),
  });
  auth = { authorization: `Bearer ${service.token}` };
});
after(async () => {
  await service.close();
  store.close();
});

/**
 * Bodies that are documents, bounded as a whole (the route's body limit, named in its 413) beside their parts:
 * a case (CASE_MAX_BYTES, as a case file), and a knowledge-base entry, which the core checks field by field (parseEntry).
 */
const DOCUMENTS = new Set(['POST /api/assess', 'POST /api/cases', 'PUT /api/cases/:id', 'POST /api/kb/entries', 'PUT /api/kb/entries/:id']);
const FREE_FORM = new Set(['POST /api/kb/entries body.entry: an object without additionalProperties: false', 'PUT /api/kb/entries/:id body.entry: an object without additionalProperties: false']);
const schemaOf = (r: (typeof routes)[number], part: 'body' | 'querystring' | 'params' | 'headers') => r.schema?.[part] as Record<string, unknown> | undefined;
/** Every maxLength in a schema. */
const maxLengths = (s: unknown): number[] => (s && typeof s === 'object' ? [...(typeof (s as { maxLength?: unknown }).maxLength === 'number' ? [(s as { maxLength: number }).maxLength] : []), ...Object.values(s).flatMap(maxLengths)] : []);

test('every route bounds every array, string and number it takes, and a body or query string names every property it admits', () => {
  assert.ok(routes.length > 50, `${routes.length} routes`);
  assert.ok(routes.filter((r) => r.schema?.querystring).length > 10, 'the walk sees the routes’ schemas');
  const found = routes.flatMap((r) =>
    (['body', 'querystring', 'params', 'headers'] as const).flatMap((part) => {
      const s = schemaOf(r, part);
      // Headers and path parameters are an object Fastify makes, with others beside those named.
      return s ? unboundedParts(s, part, part === 'body' || part === 'querystring').map((p) => `${r.method} ${r.url} ${p}`) : [];
    }),
  );
  assert.deepEqual(
    found.filter((f) => !FREE_FORM.has(f)),
    [],
  );
  // The walk sees what it must: a bound taken away is found.
  assert.deepEqual(unboundedParts({ type: 'object', additionalProperties: false, properties: { partners: { type: 'array', items: { type: 'string', maxLength: 5 } } } }, 'body'), ['body.partners: an array without maxItems']);
});

test("every route's body limit admits the largest body its schema admits, written in any script; a document's, any one text at its bound", () => {
  const bodies = routes.filter((r) => schemaOf(r, 'body'));
  assert.ok(bodies.length > 20);
  for (const r of bodies) {
    const body = schemaOf(r, 'body')!;
    const route = `${r.method} ${r.url}`;
    if (DOCUMENTS.has(route)) for (const n of maxLengths(body)) assert.ok(2 + UTF8_BYTES_PER_CHAR * n < r.bodyLimit, `${route}: a text of ${n} characters, over ${r.bodyLimit} bytes`);
    else assert.ok(worstJsonBytes(body) <= r.bodyLimit, `${route}: ${worstJsonBytes(body)} > ${r.bodyLimit}`);
  }
  assert.equal(bodies.find((r) => r.url === '/api/cases' && r.method === 'POST')!.bodyLimit, CASE_MAX_BYTES);
});

const batch = (payload: string) => service.app.inject({ method: 'POST', url: '/api/screen/batch', headers: { ...auth, 'content-type': 'application/json' }, payload });
/** A batch's text of exactly `chars` characters: one name, and a note of 4-byte characters (UTF-8's widest). */
const batchText = (chars: number) => {
  const head = 'name,note\nTsinghua University,';
  return head + '\u{1D538}'.repeat(chars - head.length);
};

test("a batch's text: at MAX_BATCH_CHARS characters of UTF-8's widest it is screened however many bytes that is, one more is refused naming the bound", async () => {
  const limit = routes.find((r) => r.url === '/api/screen/batch' && r.method === 'POST')!.bodyLimit;
  const json = JSON.stringify({ text: batchText(MAX_BATCH_CHARS) });
  assert.ok(Buffer.byteLength(json) > 4 * 256 * 1024, 'over 1 MiB: four times the server-wide limit');
  // Exactly at the route's body limit (JSON admits spaces after the value): screened.
  const atLimit = await batch(json + ' '.repeat(limit - Buffer.byteLength(json)));
  assert.equal(atLimit.statusCode, 200, atLimit.body);
  assert.equal(atLimit.json().rows.length, 1);
  const over = await batch(json + ' '.repeat(limit - Buffer.byteLength(json) + 1));
  assert.equal(over.statusCode, 413);
  assert.deepEqual(over.json(), { error: 'payload too large', message: `the request body is over the ${limit.toLocaleString('en')} bytes POST /api/screen/batch accepts`, limit });
  const tooLong = await batch(JSON.stringify({ text: batchText(MAX_BATCH_CHARS + 1) }));
  assert.equal(tooLong.statusCode, 400);
  assert.match(tooLong.json().message, new RegExp(`text must NOT have more than ${MAX_BATCH_CHARS} characters`));
});

test('a --batch file: the same bound, characters counted as the HTTP body counts them, exit 1 naming the file', () => {
  assert.equal(parseNames(batchText(MAX_BATCH_CHARS), 'partners.csv').length, 1);
  assert.throws(
    () => parseNames(batchText(MAX_BATCH_CHARS + 1), 'partners.csv'),
    (e: Error) => e instanceof BatchError && e.message === `partners.csv: 300,001 characters, over the 300,000 one batch may hold (split the list)`,
  );
  const dir = tempDir();
  const file = join(dir, 'partners.csv');
  writeFileSync(file, batchText(MAX_BATCH_CHARS + 1));
  const refused = derisk(['screen', '--batch', file], { DERISK_HOME: dir });
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /partners\.csv: 300,001 characters, over the 300,000 one batch may hold/);
  // A file larger than any batch's text could be in UTF-8 is refused before it is read.
  writeFileSync(file, 'x'.repeat(UTF8_BYTES_PER_CHAR * MAX_BATCH_CHARS + 1));
  const huge = derisk(['screen', '--batch', file], { DERISK_HOME: dir });
  assert.equal(huge.status, 1, huge.stderr);
  assert.match(huge.stderr, /partners\.csv: 1,200,001 bytes, over the 1,200,000 that 300,000 characters, one batch, may take/);
});

test("a case's partners: the schema's bound at its edge, in a case file and an HTTP body alike", async () => {
  const known = { fields: new Set(['ai-ml-big-data']), uses: new Set(['scientific-research-only']), forums: new Set<string>(), topics: new Set<string>() };
  const partners = (n: number) => ({ ...structuredClone(GREEN_CASE), partners: Array.from({ length: n }, (_, i) => ({ name: `University ${i}`, country: 'DE' })) });
  assert.doesNotThrow(() => validateCase(partners(CASE_LIST_ITEMS), known));
  assert.throws(
    () => validateCase(partners(CASE_LIST_ITEMS + 1), known),
    (e: Error) => e instanceof CaseError && e.message === 'partners: 1001 items, at most 1000',
  );
  const http = await service.app.inject({ method: 'POST', url: '/api/assess', headers: auth, payload: partners(CASE_LIST_ITEMS + 1) });
  assert.equal(http.statusCode, 400);
  assert.equal(http.json().message, 'partners: 1001 items, at most 1000');
});

test('a case over CASE_MAX_BYTES: a file is refused before it is read, a body with 413, each naming the bound', async () => {
  const dir = tempDir();
  const file = join(dir, 'case.json');
  const doc = JSON.stringify({ ...structuredClone(GREEN_CASE), reference: '中'.repeat(3000) });
  writeFileSync(file, doc + ' '.repeat(CASE_MAX_BYTES - Buffer.byteLength(doc)));
  assert.doesNotThrow(() => readCaseDocument(file));
  writeFileSync(file, doc + ' '.repeat(CASE_MAX_BYTES - Buffer.byteLength(doc) + 1));
  assert.throws(
    () => readCaseDocument(file),
    (e: Error) => e instanceof CaseError && e.message === `${file}: 1,048,577 bytes, over the 1,048,576 a case may take`,
  );
  const over = await service.app.inject({ method: 'POST', url: '/api/cases', headers: { ...auth, 'content-type': 'application/json' }, payload: doc + ' '.repeat(CASE_MAX_BYTES - Buffer.byteLength(doc) + 1) });
  assert.equal(over.statusCode, 413);
  assert.match(over.json().message, /over the 1,048,576 bytes POST \/api\/cases accepts/);
});

test('no value a schema admits is larger, as JSON.stringify writes it, than its worst case (property)', () => {
  const schema = {
    type: 'object',
    additionalProperties: false,
    properties: {
      text: { type: 'string', maxLength: 40 },
      names: { type: 'array', maxItems: 5, items: { type: 'string', maxLength: 8 } },
      n: { type: ['integer', 'null'], minimum: -1e15, maximum: 1e15 },
      kind: { anyOf: [{ const: 'unknown' }, { type: 'boolean' }] },
    },
  };
  // Characters JSON.stringify writes as they are, or with a two-byte escape (a control character other than those is six bytes: see worstJsonBytes).
  const char = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 1 }), fc.constantFrom('"', '\\', '\n', '\t', '\u{1D538}', '中', 'é'));
  const text = (max: number) =>
    fc.array(char, { maxLength: max }).map((cs) =>
      [...cs.join('')]
        .slice(0, max)
        .join('')
        .replace(/[\u0000-\u0008\u000b\u000e-\u001f]/g, ''),
    );
  const value = fc.record({ text: text(40), names: fc.array(text(8), { maxLength: 5 }), n: fc.oneof(fc.constant(null), fc.integer({ min: -1e15, max: 1e15 }), fc.double({ noNaN: true, noDefaultInfinity: true })), kind: fc.constantFrom('unknown', true, false) });
  const worst = worstJsonBytes(schema);
  // The widest value: every text at its bound in 4-byte characters, the longest number.
  const widest = { text: '\u{1D538}'.repeat(40), names: Array.from({ length: 5 }, () => '\u{1D538}'.repeat(8)), n: -1.7976931348623157e308, kind: 'unknown' };
  fc.assert(
    fc.property(value, (v) => Buffer.byteLength(JSON.stringify(v)) <= worst),
    { examples: [[widest]] },
  );
  assert.equal(worstJsonBytes({ type: 'array', items: { type: 'string', maxLength: 1 } }), Infinity, 'an unbounded part has no worst case');
});
