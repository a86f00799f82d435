import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { SCREEN_EXIT } from '../../src/cli/screening.ts';
import { derisk, deriskAsync } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { STATE_NAMES, statesStore } from '../helpers/screening.ts';
import { testService } from '../helpers/service.ts';

test('derisk screen: each state has its own words and exit code; ambiguous names say which ones; one organisation across lists', async () => {
  const home = tempDir();
  (await statesStore(home)).close();
  const env = { DERISK_HOME: home };
  const expected = {
    listed: [10, /^LISTED \(medium\): Listed, medium: Tsinghua University on 1 list \(Our office watchlist\)/m],
    'not-listed': [0, /^RECOGNISED, NOT LISTED: Recognised, not listed: University of Oxford \(United Kingdom, ROR 052gg0110\)/m],
    unknown: [12, /^UNKNOWN ORGANISATION: Unknown organisation: neither the registry nor any loaded list recognised "Acme Widgets Ltd"\. Identify it before relying on this/m],
    ambiguous: [11, /^AMBIGUOUS: Ambiguous: "Northeastern University" is listed in China and is also the name of an institution in United States/m],
  } as const;
  for (const [state, [code, words]] of Object.entries(expected)) {
    const r = derisk(['screen', STATE_NAMES[state as keyof typeof STATE_NAMES]], env);
    assert.equal(r.status, code, `${state}: ${r.stdout}${r.stderr}`);
    assert.equal(SCREEN_EXIT[state as keyof typeof SCREEN_EXIT], code);
    assert.match(r.stdout, words);
    const json = JSON.parse(derisk(['screen', STATE_NAMES[state as keyof typeof STATE_NAMES], '--json'], env).stdout);
    assert.equal(json.state, state);
  }
  // A placeholder names nobody: unknown, not the institution the registry reads it as.
  const tbd = derisk(['screen', 'TBD'], env);
  assert.equal(tbd.status, 12, tbd.stdout);
  assert.match(tbd.stdout, /^UNKNOWN ORGANISATION: Unknown organisation: "TBD" is a placeholder \(to be determined; [^)]+\), not a name: identify the partner/m);
  // A reader that stops early (`derisk screen … | head -1`) does not turn "listed" into success.
  const piped = deriskAsync(['screen', STATE_NAMES.listed], env);
  piped.stdout!.destroy();
  const [status] = (await once(piped, 'exit')) as [number | null];
  assert.equal(status, 10);
  assert.match(derisk(['screen', 'Northeastern University'], env).stdout, /derisk screen "Northeastern University, China" {4}# Northeastern University in China: listed \(Our office watchlist, high\)/);
  const dahua = derisk(['screen', 'Dahua Technology'], env);
  assert.match(dahua.stdout, /\[HIGH\] Dahua Technology: 2 listings\n {2}Our office watchlist \(version \w+, high\): "Dahua Technology"\n[\s\S]*\n {2}Partner office watchlist \(version \w+, medium\): "Dahua Technology Company"/);
  // Many names at once, from a file or standard input; the batch exits with its most severe state.
  const file = writeTemp('partners.csv', 'name,country\nUniversity of Oxford,GB\n"Dahua Technology",CN\nAcme Widgets Ltd,\n');
  const out = writeTemp('out.csv', '');
  const batch = derisk(['screen', '--batch', file, '--csv', out], env);
  assert.equal(batch.status, 10, batch.stderr);
  assert.match(batch.stdout, /3 names: 1 listed, 1 unknown organisation, 1 recognised, not listed\./);
  assert.match(batch.stdout, /Unknown organisations: identify them before relying on this/);
  const clear = derisk(['screen', '--batch', '-', '--json'], env, 'University of Oxford\nDelft University of Technology\n');
  assert.equal(clear.status, 0, clear.stderr);
  assert.deepEqual(
    JSON.parse(clear.stdout).results.map((r: { state: string }) => r.state),
    ['not-listed', 'not-listed'],
  );
  const unknown = derisk(['screen', '--batch', '-'], env, 'University of Oxford\nAcme Widgets Ltd\n');
  assert.equal(unknown.status, 12, 'an unknown organisation in the batch is never a clear exit');
  const placeholder = derisk(['screen', '--batch', '-', '--json'], env, 'University of Oxford\nTBA\n');
  assert.equal(placeholder.status, 12, 'a placeholder in the batch is never a clear exit');
  assert.deepEqual(
    JSON.parse(placeholder.stdout).results.map((r: { state: string }) => r.state),
    ['not-listed', 'unknown'],
  );
  // Round 49: an input without names is bad content (exit 1, naming it), not a usage error (it exited 2).
  const empty = derisk(['screen', '--batch', '-'], env, '\n# nothing\n');
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /standard input: no names to screen/);
  const emptyFile = writeTemp('EMPTY.csv', '');
  const none = derisk(['screen', '--batch', emptyFile], env);
  assert.equal(none.status, 1, none.stderr);
  assert.match(none.stderr, new RegExp(`^derisk: ${emptyFile.replace(/[.]/g, '\\.')}: no names to screen`));
  assert.doesNotMatch(none.stderr, /Usage:/);
});

test('HTTP: /api/screen gives the state; /api/screen/batch screens a list, refuses an empty or oversized one, and needs a login', async () => {
  const home = tempDir();
  const store = await statesStore(home);
  const service = await testService(store);
  const app = service.app;
  try {
    const auth = { authorization: `Bearer ${service.token}` };
    for (const [state, q] of Object.entries(STATE_NAMES)) {
      const r = await app.inject({ url: `/api/screen?q=${encodeURIComponent(q)}`, headers: auth });
      assert.equal(r.statusCode, 200);
      assert.equal(r.json().state, state, q);
      assert.ok(r.json().headline.length > 20);
    }
    const na = (await app.inject({ url: '/api/screen?q=N%2FA', headers: auth })).json();
    assert.equal(na.state, 'unknown');
    assert.match(na.headline, /"N\/A" is a placeholder \(not applicable or not available; [^)]+\), not a name: identify the partner/);
    const amb = (await app.inject({ url: '/api/screen?q=Northeastern%20University', headers: auth })).json();
    assert.deepEqual(
      amb.choices.map((c: { query: string }) => c.query),
      ['Northeastern University, China', 'Northeastern University, United States'],
    );
    const dahua = (await app.inject({ url: '/api/screen?q=Dahua%20Technology%20Company', headers: auth })).json();
    assert.deepEqual(
      dahua.organisations.map((o: { name: string; listings: { list_name: string }[] }) => [o.name, o.listings.map((l) => l.list_name)]),
      [['Dahua Technology', ['Our office watchlist', 'Partner office watchlist']]],
    );
    assert.equal(dahua.level, 'high');
    const text = Object.values(STATE_NAMES).join('\n');
    assert.equal((await app.inject({ method: 'POST', url: '/api/screen/batch', payload: { text } })).statusCode, 401);
    const b = await app.inject({ method: 'POST', url: '/api/screen/batch', headers: auth, payload: { text } });
    assert.equal(b.statusCode, 200, b.body);
    assert.deepEqual(
      b.json().rows.map((r: { state: string }) => r.state),
      Object.keys(STATE_NAMES),
    );
    assert.equal(b.json().state, 'listed');
    const csv = await app.inject({ method: 'POST', url: '/api/screen/batch?format=csv', headers: auth, payload: { text: '=HYPERLINK("x")\nTsinghua University' } });
    assert.match(csv.headers['content-type'] as string, /text\/csv/);
    assert.match(csv.body, /^"'=HYPERLINK\(""x""\)"/m, 'a name a spreadsheet would run is quoted');
    const none = await app.inject({ method: 'POST', url: '/api/screen/batch', headers: auth, payload: { text: '  \n' } });
    assert.equal(none.statusCode, 400);
    assert.match(none.json().message, /no names to screen/);
    const many = await app.inject({ method: 'POST', url: '/api/screen/batch', headers: auth, payload: { text: Array.from({ length: 501 }, (_, i) => `P${i}`).join('\n') } });
    assert.equal(many.statusCode, 400);
    assert.match(many.json().message, /at most 500/);
  } finally {
    await service.close();
    store.close();
  }
});

test('a ROR id is read the same however it is written, by the CLI and by every HTTP route that screens: bare, as its URL, with a trailing slash, in capitals', async () => {
  const home = tempDir();
  const store = await statesStore(home);
  const service = await testService(store);
  const written = [
    '03cve4549',
    'https://ror.org/03cve4549',
    'http://ror.org/03cve4549/',
    'ror.org/03CVE4549',
    ' https://www.ror.org/03cve4549 ',
    'ror:03cve4549',
    'https://ror.org/03cve4549?utm_source=x',
    'https://ror.org//03cve4549#top',
    '<https://ror.org/03cve4549>',
    '\u200b03cve4549',
    '０３ｃｖｅ４５４９',
  ];
  try {
    const auth = { authorization: `Bearer ${service.token}` };
    for (const q of written) {
      const r = (await service.app.inject({ url: `/api/screen?q=${encodeURIComponent(q)}`, headers: auth })).json();
      assert.equal(r.state, 'listed', `${q}: ${r.headline}`);
      assert.deepEqual(
        r.institutions.map((i: { rorId: string; tier: string }) => [i.rorId, i.tier]),
        [['03cve4549', 'exact']],
        q,
      );
      const brief = await service.app.inject({ url: `/api/brief?q=${encodeURIComponent(q)}`, headers: auth });
      assert.equal(brief.statusCode, 200, brief.body);
      assert.match(brief.body, /Our office watchlist/, q);
    }
    const b = (await service.app.inject({ method: 'POST', url: '/api/screen/batch', headers: auth, payload: { text: written.join('\n') } })).json();
    // The zero-width space and the full-width digits read as the first spelling: one row for the three.
    assert.deepEqual(
      b.rows.map((r: { state: string }) => r.state),
      written.slice(2).map(() => 'listed'),
    );
  } finally {
    await service.close();
    store.close();
  }
  for (const q of ['http://ror.org/03cve4549/', 'ror.org/03CVE4549', 'ror:03cve4549']) {
    const r = derisk(['screen', q, '--json'], { DERISK_HOME: home });
    assert.equal(JSON.parse(r.stdout).state, 'listed', `${q}: ${r.stdout}${r.stderr}`);
  }
});
