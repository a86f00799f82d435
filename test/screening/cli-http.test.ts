import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';
import { testService } from '../helpers/service.ts';

const LIST = [
  { name: 'Chinese Academy of Sciences', name_zh: '中国科学院', level: 'high', ror_ids: ['034t30j35'], note: 'test listing' },
  { name: 'Tsinghua University', level: 'medium' },
];

async function screenedStore(home: string) {
  const store = await landscapeStore(home);
  await saveLists(store, [readWatchlist(watchlist(LIST))]);
  await screenPending(store, await screeningContext(store));
  return store;
}

test('derisk screen --json keeps its contract; bad names and unknown ROR ids are usage errors', async () => {
  const home = tempDir();
  (await screenedStore(home)).close();
  const env = { DERISK_HOME: home };
  const r = derisk(['screen', 'Tsinghua University', '--json'], env);
  assert.equal(r.status, 10, `a listed name exits 10: ${r.stderr}`);
  const body = JSON.parse(r.stdout);
  assert.equal(body.query, 'Tsinghua University');
  assert.deepEqual(Object.keys(body.hits[0]).slice(0, 5), ['list', 'entry', 'level', 'match', 'score']);
  assert.deepEqual(
    body.hits.map((h: { entry: string; level: string; match: string }) => [h.entry, h.level, h.match]),
    [['Tsinghua University', 'medium', 'exact']],
  );
  assert.ok(Array.isArray(body.similar));
  const child = JSON.parse(derisk(['screen', '022c3hy66', '--json'], env).stdout);
  assert.equal(child.hits[0].entry, 'Chinese Academy of Sciences');
  assert.match(child.hits[0].inherited.how, /part of Chinese Academy of Sciences/);
  assert.equal(derisk(['screen', '  '], env).status, 2);
  const unknown = derisk(['screen', '0abcdef12'], env);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown ROR id/);
  const csv = join(home, 'p.csv');
  const p = derisk(['screen', '--portfolio', '052gg0110', '--csv', csv], env);
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /Portfolio of institution 052gg0110: 4 works, 2 co-published with a listed entity/);
  assert.equal(derisk(['screen', '--portfolio', 'Oxford'], env).status, 2);
  const brief = derisk(['brief', 'Chinese Academy of Sciences'], env);
  assert.equal(brief.status, 0, brief.stderr);
  assert.match(brief.stdout, /National Intelligence Law/);
  assert.match(brief.stdout, /2021: 1 · 2022: 2/);
});

test('HTTP: screening and portfolio routes need the token, validate input and answer as the CLI does', async () => {
  const home = tempDir();
  const store = await screenedStore(home);
  const service = await testService(store);
  const app = service.app;
  try {
    const auth = { authorization: `Bearer ${service.token}` };
    assert.equal((await app.inject({ url: '/api/screen?q=Tsinghua' })).statusCode, 401);
    const r = await app.inject({ url: '/api/screen?q=%E4%B8%AD%E5%9B%BD%E7%A7%91%E5%AD%A6%E9%99%A2', headers: auth });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().hits[0].match, 'translated');
    assert.equal((await app.inject({ url: '/api/screen?q=', headers: auth })).statusCode, 400);
    assert.equal((await app.inject({ url: '/api/screen?q=x&drop=1', headers: auth })).statusCode, 400);
    assert.equal((await app.inject({ url: '/api/portfolio?ror=052gg0110%27%20OR%201=1', headers: auth })).statusCode, 400);
    assert.equal((await app.inject({ url: '/api/portfolio?ror=0abcdef12', headers: auth })).statusCode, 404);
    const p = await app.inject({ url: '/api/portfolio?ror=02e2c7k09', headers: auth });
    assert.deepEqual(
      p
        .json()
        .partners.map((x: { name: string }) => x.name)
        .sort(),
      ['Chinese Academy of Sciences', 'Tsinghua University'],
    );
    const csv = await app.inject({ url: '/api/portfolio?ror=02e2c7k09&format=csv', headers: auth });
    assert.match(csv.headers['content-type'] as string, /text\/csv/);
    assert.equal(csv.body.trim().split('\n').length, 4, 'header and one row per flagged co-publication × partner');
  } finally {
    await service.close();
    store.close();
  }
});
