import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchOpenAlexWorks } from '../../src/fetch/openalex-api.ts';
import { tempDir } from '../helpers/fixtures.ts';

/** A stand-in for api.openalex.org answering /works with cursor paging in the documented shape. */
async function fakeOpenAlex(total: number, faults: { status: number; retryAfter?: string }[] = []) {
  const requests: URL[] = [];
  const works = Array.from({ length: total }, (_, i) => ({ id: `https://openalex.org/W${i + 1}`, publication_year: 2022, authorships: [] }));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost');
    requests.push(url);
    const fault = faults.shift();
    if (fault) {
      res.writeHead(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
      res.end('{"error":"try later"}');
      return;
    }
    if (url.pathname !== '/works' || !url.searchParams.get('filter')) {
      res.writeHead(400);
      res.end('{"error":"bad request"}');
      return;
    }
    const per = Number(url.searchParams.get('per-page'));
    const cursor = url.searchParams.get('cursor');
    const start = cursor === '*' ? 0 : Number(Buffer.from(cursor!, 'base64url').toString());
    const results = works.slice(start, start + per);
    const next = start + per < total ? Buffer.from(String(start + per)).toString('base64url') : null;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ meta: { count: total, db_response_time_ms: 5, page: null, per_page: per, next_cursor: results.length ? next : null }, results, group_by: [] }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { baseUrl: `http://127.0.0.1:${port}`, requests, close: () => server.close() };
}

const noSleep = async () => {};

test('pages through every work with the cursor and sends the contact e-mail', async () => {
  const api = await fakeOpenAlex(45);
  const out = join(tempDir(), 'works.jsonl');
  const r = await fetchOpenAlexWorks({ filter: 'institutions.country_code:CN', mailto: 'analyst@example.org', out, baseUrl: api.baseUrl, perPage: 10, sleep: noSleep });
  api.close();
  assert.deepEqual([r.fetched, r.total, r.pages, r.complete], [45, 45, 5, true]);
  const ids = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).id);
  assert.equal(new Set(ids).size, 45);
  assert.ok(api.requests.every((u) => u.searchParams.get('mailto') === 'analyst@example.org'));
});

test('retries 429 and 5xx answers, honouring Retry-After, then carries on', async () => {
  const api = await fakeOpenAlex(20, [{ status: 429, retryAfter: '2' }, { status: 503 }]);
  const waits: number[] = [];
  const out = join(tempDir(), 'works.jsonl');
  const r = await fetchOpenAlexWorks({ filter: 'x:y', mailto: 'a@b.c', out, baseUrl: api.baseUrl, perPage: 10, sleep: async (ms) => void waits.push(ms) });
  api.close();
  assert.equal(r.fetched, 20);
  // Retry-After: 2 s for the 429, then exponential back-off (1 s × 2^1) for the 503.
  assert.deepEqual(
    waits.filter((w) => w >= 1000),
    [2000, 2000],
  );
});

test('an interrupted pull resumes from the saved cursor without fetching twice', async () => {
  const api = await fakeOpenAlex(30);
  const out = join(tempDir(), 'works.jsonl');
  const first = await fetchOpenAlexWorks({ filter: 'x:y', mailto: 'a@b.c', out, baseUrl: api.baseUrl, perPage: 10, maxRecords: 10, sleep: noSleep });
  assert.deepEqual([first.fetched, first.complete], [10, false]);
  const second = await fetchOpenAlexWorks({ filter: 'x:y', mailto: 'a@b.c', out, baseUrl: api.baseUrl, perPage: 10, sleep: noSleep });
  api.close();
  assert.deepEqual([second.fetched, second.resumed, second.complete], [30, true, true]);
  const ids = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).id);
  assert.deepEqual(
    ids,
    Array.from({ length: 30 }, (_, i) => `https://openalex.org/W${i + 1}`),
  );
  await assert.rejects(fetchOpenAlexWorks({ filter: 'other:z', mailto: 'a@b.c', out, baseUrl: api.baseUrl, sleep: noSleep }), /another filter/);
});

test('a client error is not retried, and a missing contact e-mail is refused up front', async () => {
  const api = await fakeOpenAlex(5, [{ status: 403 }]);
  await assert.rejects(fetchOpenAlexWorks({ filter: 'x:y', mailto: 'a@b.c', out: join(tempDir(), 'w.jsonl'), baseUrl: api.baseUrl, sleep: noSleep }), /HTTP 403/);
  assert.equal(api.requests.length, 1);
  api.close();
  await assert.rejects(fetchOpenAlexWorks({ filter: 'x:y', mailto: 'nobody', out: join(tempDir(), 'w.jsonl') }), /contact e-mail/);
});

test('an answer without a results list (a page cut short, an error page served as 200) is fetched again, never taken for the end of the list', async () => {
  const api = await fakeOpenAlex(20, [{ status: 200 }]);
  const retries: string[] = [];
  const out = join(tempDir(), 'works.jsonl');
  const r = await fetchOpenAlexWorks({ filter: 'x:y', mailto: 'a@b.c', out, baseUrl: api.baseUrl, perPage: 10, sleep: noSleep, onRetry: (reason) => void retries.push(reason) });
  api.close();
  assert.deepEqual([r.fetched, r.complete], [20, true]);
  assert.deepEqual(retries, ['an answer without a results list']);
});
