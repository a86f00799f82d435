import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { join } from 'node:path';
import { openAppDb } from '../src/appdb/open.ts';
import { mistakesIn } from '../src/cli/args.ts';
import { COMMAND_NAMES, usageOf } from '../src/cli/main.ts';
import { DAY, PARTIAL_DATE, whole } from '../src/cli/option-values.ts';
import { loadConfig } from '../src/config.ts';
import { Accounts, OPERATOR } from '../src/service/accounts.ts';
import { INDICATOR_COLUMNS, INDICATORS } from '../src/indicators/catalog.ts';
import { readCsv } from '../src/ingest/csv.ts';
import { collect, streamOf, tempDir, writeTemp, INPUT } from './helpers/fixtures.ts';
import { BIN, derisk, isTypeBox } from './helpers/cli.ts';
import { storedVerdict } from './helpers/kb.ts';
import { realRegistryHome, ROR_DUMP } from './helpers/registry.ts';

const skip = !existsSync(ROR_DUMP) && 'data mirror not present';

/** The modules (outside Node's own) a run of the CLI loads, in order, as paths under the repository or node_modules. */
function modulesLoaded(args: string[], env: Record<string, string> = {}): string[] {
  const hook = `export async function load(url, context, next) { if (!url.startsWith('node:')) process.stderr.write('loaded ' + url + '\\n'); return next(url, context); }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1', ...env } });
  assert.equal(r.status, 0, r.stderr);
  return [...r.stderr.matchAll(/^loaded file:\/\/.*?\/((?:bin|dist|node_modules)\/.*)$/gm)].map((m) => m[1]!);
}

test('derisk --help loads the dispatcher alone: no package (TypeBox, DuckDB) and no command of its own', () => {
  // The parser's value checks (option-values) are part of it since round 49: a command line's mistakes are named together.
  assert.deepEqual(modulesLoaded(['--help']), ['bin/derisk.js', 'dist/cli/main.js', 'dist/cli/args.js', 'dist/cli/common.js', 'dist/cli/io.js', 'dist/cli/option-values.js']);
});

test("derisk assessments show: an id that is not there, or is another organisation's, is no assessment ID, on a home with no store and no risk lists", async () => {
  const home = tempDir();
  const db = await openAppDb(loadConfig({ DERISK_HOME: home }));
  const theirs = await storedVerdict(db, { org: 'org-b', title: 'B: private', holds: [] });
  await db.close();
  for (const id of ['00000000-0000-4000-8000-000000000000', theirs.assessmentId]) {
    const r = derisk(['assessments', 'show', id, '--json'], { DERISK_HOME: home });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, `derisk: no assessment ${id} in organisation local (a verdict made in another organisation is shown with --org <its id>)\n`);
    assert.equal(r.stdout, '');
  }
  assert.ok(!existsSync(join(home, 'derisk.duckdb')), 'the evidence store is not opened');
});

test("derisk assessments show --org: a verdict made in an organisation (through the server) is shown given it; another organisation's is not found; an unknown organisation is named, not created", async () => {
  const home = tempDir();
  const db = await openAppDb(loadConfig({ DERISK_HOME: home }));
  for (const org of ['org-a', 'org-b']) await new Accounts(db).createOrganisation(OPERATOR, org, org.toUpperCase());
  const theirs = await storedVerdict(db, { org: 'org-b', title: 'B: private', holds: [] });
  await storedVerdict(db, { org: 'org-a', title: 'A: its own', holds: [] });
  await db.close();
  const shown = derisk(['assessments', 'show', theirs.assessmentId, '--org', 'org-b', '--json'], { DERISK_HOME: home });
  assert.equal(shown.status, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).id, theirs.assessmentId);
  const elsewhere = derisk(['assessments', 'show', theirs.assessmentId, '--org', 'org-a', '--json'], { DERISK_HOME: home });
  assert.equal(elsewhere.status, 1);
  assert.equal(elsewhere.stderr, `derisk: no assessment ${theirs.assessmentId} in organisation org-a (a verdict made in another organisation is shown with --org <its id>)\n`);
  const typo = derisk(['assessments', 'show', theirs.assessmentId, '--org', 'org-bb'], { DERISK_HOME: home });
  assert.equal(typo.status, 1);
  assert.equal(typo.stderr, `derisk: no organisation "org-bb" (derisk users list shows each user's; derisk users add-org makes one)\n`);
  const after = await openAppDb(loadConfig({ DERISK_HOME: home }));
  try {
    assert.deepEqual(await after.query("SELECT id FROM organisations WHERE id = 'org-bb'"), [], 'reading creates no organisation');
  } finally {
    await after.close();
  }
  assert.match(derisk(['assessments', '--help'], { DERISK_HOME: home }).stdout + derisk(['assessments'], { DERISK_HOME: home }).stderr, /assessments show <[^>]+> \[--org O\]/);
});

test('usage errors exit 2 and say what is wrong', () => {
  const r = derisk(['ingest', 'nonsense', 'x']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown kind "nonsense"/);
  assert.equal(derisk(['frobnicate']).status, 2);
  assert.equal(derisk(['indicators', 'copubs', '--regions', 'EU27AC']).status, 2);
});

test("a mistyped option is named with the nearest one the command knows, and the usage is that command's alone", () => {
  const r = derisk(['indicators', 'copubs', '--regoins', 'EU27AC,CN']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option --regoins — did you mean --regions\?/);
  assert.doesNotMatch(r.stderr, /unexpected argument/, "the mistyped option's value is not a second mistake");
  assert.match(r.stderr, /derisk indicators copubs\|/);
  assert.doesNotMatch(r.stderr, /derisk ingest|derisk serve/, 'not the help of every command');
  assert.ok(r.stderr.split('\n').length < 15, r.stderr);
});

test('a mistyped command is named with the nearest command; a word nothing like one gets the list of commands', () => {
  const r = derisk(['indicaters', 'copubs']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "indicaters" — did you mean derisk indicators\?/);
  assert.match(r.stderr, /Commands: .*\bscreen\b/);
  const far = derisk(['frobnicate']);
  assert.equal(far.status, 2);
  assert.doesNotMatch(far.stderr, /did you mean/);
});

test('every mistake of a command line is said at once', () => {
  const r = derisk(['summary', '--jsn', '--regions-file', '--china-includes-hk=yes', 'extra']);
  assert.equal(r.status, 2);
  const mistakes = r.stderr.split('\n').filter((l) => l.startsWith('derisk: '));
  assert.deepEqual(mistakes, ['derisk: unknown option --jsn — did you mean --json?', 'derisk: --regions-file needs a value (got --china-includes-hk=yes; write --regions-file=--china-includes-hk=yes if that is the value)', 'derisk: summary takes no argument "extra": not used']);
  assert.match(r.stderr, /derisk summary \[--json\]/);
});

// Found in round 45: a name beside --portfolio or --export, or --export beside --portfolio, was silently not used, and the run exited 0.
test('screen names each part of its command line it would not use, at once: a name beside --batch, --portfolio or --export, two of those, --rollup without --portfolio, --csv with one name', () => {
  const mistakes = (args: string[]) => {
    const r = derisk(['screen', ...args], { DERISK_HOME: tempDir() });
    assert.equal(r.status, 2, r.stderr);
    return r.stderr.split('\n').filter((l) => l.startsWith('derisk: '));
  };
  assert.deepEqual(mistakes(['Harbin Institute of Technology', '--portfolio', '02kkvpp62']), ['derisk: screen --portfolio screens an institution\'s works, not a name: "Harbin Institute of Technology" not used (screen a name on its own)']);
  assert.deepEqual(mistakes(['Harbin Institute of Technology', '--export', 'savedrecs.txt']), ['derisk: screen --export screens an ingested export\'s works, not a name: "Harbin Institute of Technology" not used (screen a name on its own)']);
  assert.deepEqual(mistakes(['--portfolio', '02kkvpp62', '--export', 'x.txt']), ['derisk: --portfolio and --export: screen runs one of --batch, --portfolio or --export at a time']);
  assert.deepEqual(mistakes(['--batch', 'names.txt', 'Harbin Institute of Technology']), ['derisk: screen --batch FILE takes the names from the file (or - for standard input), not from the command line: "Harbin Institute of Technology" not used']);
  assert.deepEqual(mistakes(['Tsinghua University', '--csv', 'out.csv', '--rollup']), [
    'derisk: --rollup rolls up a --portfolio (the institution with its children): not used without one',
    'derisk: --csv writes the table of a --batch, --portfolio or --export: one name has none (--json gives its answer as data)',
  ]);
  assert.deepEqual(mistakes(['--batch', '-', '--export', 'x.txt', 'Tsinghua University', '--rollup']), [
    'derisk: --batch and --export: screen runs one of --batch, --portfolio or --export at a time',
    'derisk: screen --batch FILE takes the names from the file (or - for standard input), not from the command line: "Tsinghua University" not used',
    'derisk: --rollup rolls up a --portfolio (the institution with its children): not used without one',
  ]);
});

// Round 46: `screen --batch` exited 2 (usage) for a missing file, `ingest` 1. A file the command line names that cannot be read is a failure (1, README's table), not a mistake in how the command was written.
test('a missing input file, or a directory in its place, fails with its name and exit code 1, whichever command reads it', () => {
  const env = { DERISK_HOME: tempDir() };
  // Lists loaded, so that `assess` gets as far as its file.
  assert.equal(derisk(['lists', 'load'], env).status, 0);
  const missing = '/nonexistent/input-46';
  const ftm = ['--id', 't1', '--title', 'T', '--publisher', 'P', '--licence', 'L', '--source-url', 'https://x.example', '--retrieved', '2026-01-01', '--level', 'high'];
  const commands = [
    ['ingest', 'wos', missing],
    ['ingest', 'ror', missing],
    ['screen', '--batch', missing],
    ['screen', '--export', missing],
    ['lists', 'load', '--watchlist', missing],
    ['lists', 'load', '--format', 'ftm', ...ftm, missing],
    ['lists', 'diff', missing, missing],
    ['kb', 'add', missing],
    ['assess', missing],
    ['rulebook', missing],
    ['exchange', 'import', missing, '--format', 'stix', '--from', 'University A'],
    ['restore', missing],
    // Round 48: the works kinds printed Node's "ENOENT: no such file or directory, stat 'missing'"; a region file its "cannot read region file: ENOENT: …, open".
    ['ingest', 'openalex', missing],
    ['ingest', 'scopus', missing],
    ['summary', '--regions-file', missing],
    ['indicators', 'copubs', '--regions', 'EU27AC,CN', '--regions-file', missing],
  ];
  // Node's own wording, which names no path for a directory: never what the user reads.
  const raw = /illegal operation|no such file or directory/;
  for (const args of commands) {
    const r = derisk(args, env);
    assert.deepEqual([r.status, r.stderr.includes(missing)], [1, true], `derisk ${args.join(' ')}: ${r.stderr}`);
    if (args[0] !== 'restore') assert.doesNotMatch(r.stderr, raw, `derisk ${args.join(' ')}`);
  }
  // Round 47: a directory where a file goes printed only "EISDIR: illegal operation on a directory, read". A backup is a folder: restore is not asked.
  const folder = tempDir();
  const kinds = ['lens', 'patstat', 'aggregate', 'nsf', 'openalex-merged', 'openalex', 'scopus'].map((kind) => ['ingest', kind, missing]);
  for (const args of [...commands.filter((c) => c[0] !== 'restore'), ...kinds, ['ingest', 'wos', missing, missing]].map((c) => c.map((a) => (a === missing ? folder : a)))) {
    const r = derisk(args, env);
    assert.deepEqual([r.status, r.stderr.includes(folder)], [1, true], `derisk ${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, raw, `derisk ${args.join(' ')}`);
  }
  // Round 48: serve created the administrator and opened the store before it read the region file.
  const serve = derisk(['serve', '--port', '0', '--regions-file', missing], env);
  assert.deepEqual([serve.status, serve.stdout, serve.stderr], [1, '', `derisk: ${missing}: cannot read (ENOENT)\n`]);
  // Every kind of ingest says it the same way, before reading anything.
  for (const kind of ['openalex', 'wos', 'scopus', 'ror', 'lens']) {
    const r = derisk(['ingest', kind, folder], env);
    assert.equal(r.stderr, `derisk: ${folder}: cannot read (EISDIR)\n`, kind);
  }
});

test('ingest ror, ingest works, then resolve a CSV column and read the indicator contract', { skip }, async () => {
  // `derisk ingest ror` on the real registry, run once for the test run (test/helpers/registry.ts).
  const env = { DERISK_HOME: realRegistryHome() };
  const ingest = derisk(['ingest', 'openalex', join(INPUT, 'openalex-current.jsonl')], env);
  assert.equal(ingest.status, 0, ingest.stderr);
  assert.match(ingest.stdout, /3 records kept, 0 already known, 0 quarantined/);

  const input = writeTemp(
    'affs.csv',
    'id,affiliation\n1,"Tsinghua Univ, Dept Automat, Beijing 100084, Peoples R China"\n2,"Some Lab, Palau 3, Barcelona"\n3,"Department of Physiology, Howard Hughes Medical Institute, University of Texas Southwestern Medical Center, Dallas, TX, USA"\n4,""\n5,"Huawei Noah\'s Ark Lab, London"\n',
  );
  const out = join(tempDir(), 'out.csv');
  const r = derisk(['resolve', input, '--column', 'affiliation', '--out', out], env);
  assert.equal(r.status, 0, r.stderr);
  const rows = (await collect(readCsv(streamOf(readFileSync(out))))).map((x) => ('fields' in x ? x.fields : []));
  assert.deepEqual(rows[0], ['id', 'affiliation', 'ror_id', 'name', 'country_code', 'region', 'tier', 'score', 'evidence', 'company', 'company_country', 'company_evidence']);
  assert.equal(rows.length, 6, 'every input row comes out');
  assert.deepEqual(rows[1]!.slice(2, 7), ['https://ror.org/03cve4549', 'Tsinghua University', 'CN', 'CN', 'exact']);
  assert.deepEqual(rows[2]!.slice(2, 7), ['', '', 'ES', 'EU27;EU27AC', 'unresolved']);
  assert.equal(rows[3]![2]!.split(';').length, 2, 'two institutions, separated by ";"');
  assert.equal(rows[4]![6], 'unresolved');
  // A corporate lab is a company, not a registry institution: the row says whose lab, and where.
  assert.match(rows[5]![9]!, /^Huawei\b/);
  assert.equal(rows[5]![10], 'GB');
  assert.notEqual(rows[5]![11], '');
  assert.deepEqual(rows[1]!.slice(9), ['', '', ''], 'no company named');

  const json = derisk(['indicators', 'copubs', '--regions', 'EU27AC,CN', '--json'], env);
  assert.equal(json.status, 0, json.stderr);
  const years = JSON.parse(json.stdout) as { year: number; full: number; fractional: number }[];
  assert.deepEqual(
    years.map((y) => Object.keys(y).sort()),
    years.map(() => ['fractional', 'full', 'year']),
  );
  assert.deepEqual(
    years.map((y) => [y.year, y.full]),
    [
      [2022, 1],
      [2023, 1],
    ],
  );
  assert.equal(derisk(['indicators', 'copubs', '--regions', 'EU27AC,ATLANTIS', '--json'], env).status, 2, 'an unknown region is a usage error');
  // The bundled regions were checked when derisk was built: counting by region loads no TypeBox (half a second of every run).
  const summary = modulesLoaded(['summary'], env);
  assert.ok(summary.includes('dist/cli/landscape.js'), 'the modules summary loads are recorded');
  assert.deepEqual(summary.filter(isTypeBox), []);
});

test('on a new home, before any ingest, every read command answers with nothing rather than a missing table', () => {
  const env = { DERISK_HOME: tempDir() };
  const read = (args: string[]) => {
    const r = derisk(args, env);
    assert.equal(r.status, 0, `derisk ${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Catalog Error|does not exist/, `derisk ${args.join(' ')}`);
    return r.stdout;
  };
  const summary = JSON.parse(read(['summary', '--json'])) as { pairs: { total: number }[]; works: number };
  assert.equal(summary.works, 0);
  assert.deepEqual(
    summary.pairs.map((p) => p.total),
    [0, 0, 0],
  );
  const facts = JSON.parse(read(['facts', '--json'])) as { verdict: string }[];
  assert.ok(facts.length > 0 && facts.every((f) => f.verdict === 'not enough data'), JSON.stringify(facts.map((f) => f.verdict)));
  // Every indicator over HTTP: test/server/matching-routes.test.ts. Here one of the works' and one of the patents'.
  for (const kind of ['copubs', 'copatents']) assert.deepEqual(JSON.parse(read(['indicators', kind, '--regions', 'EU27AC,CN', '--json'])), [], kind);
  // A CSV with no rows is still a CSV: each indicator's header row, and nothing else.
  for (const name of INDICATORS) {
    const csv = read(['indicators', name, ...(name === 'publications' || name === 'aggregate-series' ? [] : ['--regions', 'EU27AC,CN']), '--csv'])
      .trimEnd()
      .split('\n');
    assert.equal(csv.length, 1, `${name}: ${csv.join('|')}`);
    assert.deepEqual(csv[0]!.split(',').slice(0, INDICATOR_COLUMNS[name].length), INDICATOR_COLUMNS[name], name);
  }
  read(['export', 'parquet', join(tempDir(), 'parquet')]);
});

// Round 48: `assess --as-of 2026-13-01`, `kb changes --since yesterday` and `kb timeline --from abc` exited 1 (the core's refusal), `indicators --from abc` 2.
test('a malformed option value is a usage error in every command, naming the option and the value, each at once', () => {
  const env = { DERISK_HOME: tempDir() };
  const ftm = ['--title', 'T', '--publisher', 'P', '--licence', 'L', '--source-url', 'https://x.example', '--level', 'high'];
  const cases: [string[], string[]][] = [
    [['assess', '--as-of', '2026-13-01', 'case.yaml'], ['--as-of: "2026-13-01" is not a date (YYYY-MM-DD, a day of the calendar)']],
    [['assess', '--as-of', '2999-01-01', 'case.yaml'], ['--as-of: "2999-01-01" is after today']],
    [['kb', 'changes', '--since', 'yesterday'], ['--since: "yesterday" is not a date (YYYY-MM-DD, a day of the calendar)']],
    [
      ['kb', 'timeline', '--from', 'abc', '--to', '2025-13'],
      ['--from: "abc" is not a date (YYYY, YYYY-MM or YYYY-MM-DD)', '--to: "2025-13" is not a date (YYYY, YYYY-MM or YYYY-MM-DD)'],
    ],
    [
      ['kb', 'list', '--topic', 'nosuch', '--jurisdiction', 'cn'],
      ['--topic: "nosuch" is not one of ', '--jurisdiction: "cn" is not one of '],
    ],
    [['kb', 'show', 'eu-ai-act', '--version', '0'], ['--version: "0" is not a version number (1 or more)']],
    [['kb', 'list', '--review', 'maybe'], ['--review: "maybe" is not one of draft, reviewed']],
    [
      ['indicators', 'copubs', '--regions', 'EU27AC,CN', '--from', 'abc', '--limit', 'many'],
      ['--from: "abc" is not a year (1900 to 2100)', '--limit: "many" is not a whole number (1 or more)'],
    ],
    [['ingest', 'wos', 'savedrecs.txt', '--batch-size', '0'], ['--batch-size: "0" is not a whole number (1 or more)']],
    [['fetch', 'openalex', '--filter', 'x', '--mailto', 'a@b.example', '--out', 'w.jsonl', '--max', 'ten'], ['--max: "ten" is not a whole number (1 or more)']],
    [['demo', '--port', '99999'], ['--port: "99999" is not a port number (0 to 65535)']],
    [['serve', '--port', 'http'], ['--port: "http" is not a port number (0 to 65535)']],
    [['resolve', 'in.csv', '--column', 'a', '--out', 'out.csv', '--min-tier', 'best'], ['--min-tier: "best" is not one of exact, strong, possible']],
    [
      ['exchange', 'publish', 'feed', '--k', 'x', '--tlp', 'purple'],
      ['--tlp: "purple" is not a TLP 2.0 marking', '--k: "x" is not a whole number (1 or more)'],
    ],
    [['exchange', 'note', '--name', 'X', '--text', 't', '--opinion', '101'], ['--opinion: "101" is not a whole number (0 to 100)']],
    [['exchange', 'share', 'note', 'n1', '--distribution', 'world', '--tlp', 'green'], ['--distribution: "world" is not one of ']],
    [['users', 'add', '--org', 'local', '--email', 'e@x.example', '--role', 'king'], ['--role: "king" is not one of ']],
    [['watch', 'add', 'Tsinghua University', '--kind', 'person'], ['--kind: "person" is not one of ']],
    [['lists', 'load', '--format', 'ftm', 'entities.json', ...ftm, '--retrieved', 'yesterday'], ['--retrieved must be a date (YYYY-MM-DD), got "yesterday"']],
    // Round 49: only --regoins was named, then only --from.
    [
      ['indicators', 'copubs', '--regions', 'EU27AC,CN', '--from', '20x2', '--to', 'abc', '--limit', 'zz', '--regoins', 'x'],
      ['unknown option --regoins — did you mean --regions?', '--from: "20x2" is not a year', '--to: "abc" is not a year', '--limit: "zz" is not a whole number'],
    ],
    [
      ['indicators', 'copubs', '--regions', 'EU27AC,XX,YY', '--from', '20x2'],
      ['--from: "20x2" is not a year', '--regions: "XX", "YY" are not regions; known: '],
    ],
  ];
  for (const [args, expected] of cases) {
    const r = derisk(args, env);
    const mistakes = r.stderr.split('\n').filter((l) => l.startsWith('derisk: '));
    assert.equal(r.status, 2, `derisk ${args.join(' ')}: ${r.stderr}`);
    assert.equal(mistakes.length, expected.length, `derisk ${args.join(' ')}: ${r.stderr}`);
    for (const [i, m] of expected.entries()) assert.ok(mistakes[i]!.startsWith(`derisk: ${m}`), `derisk ${args.join(' ')}: ${mistakes[i]}`);
    assert.match(r.stderr, new RegExp(`Usage:\\n  derisk ${args[0]}`), `derisk ${args.join(' ')}: the usage of that command`);
  }
});

test('property: DAY admits exactly the days of the calendar, PARTIAL_DATE the years, months and days, whole the digits within bounds', () => {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  const leap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const daysIn = (y: number, m: number) => [31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), (y, m, d) => {
      const written = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
      const real = m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);
      assert.equal(DAY(written) === null, real, written);
      assert.equal(PARTIAL_DATE(written) === null, real, written);
      assert.equal(PARTIAL_DATE(`${pad(y, 4)}-${pad(m, 2)}`) === null, m >= 1 && m <= 12);
      assert.equal(PARTIAL_DATE(pad(y, 4)), null);
    }),
  );
  fc.assert(
    fc.property(fc.string(), (s) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) assert.notEqual(DAY(s), null, s);
      const n = Number(s);
      assert.equal(whole(1, 100)(s) === null, /^\d+$/.test(s) && n >= 1 && n <= 100, s);
    }),
  );
  fc.assert(fc.property(fc.integer({ min: 0, max: 65535 }), (port) => assert.equal(whole(0, 65535)(String(port)), null)));
});

// Round 48: `export ftm` with no list loaded exited 2, as if the command line were wrong; every read command on a new home answers with nothing.
test('export ftm with no list loaded writes an empty file (valid JSON Lines), says so and exits 0', () => {
  const env = { DERISK_HOME: tempDir() };
  const file = join(tempDir(), 'lists.ftm.json');
  const r = derisk(['export', 'ftm', '--out', file], env);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(file, 'utf8'), '');
  assert.equal(r.stderr, `no risk lists loaded (derisk lists load loads them): 0 FollowTheMoney entities written to ${file}\n`);
});

// Round 48: `derisk help users` printed the help of every command.
test("derisk help COMMAND prints that command's usage, for every command; an unknown one is named with the nearest", () => {
  for (const command of COMMAND_NAMES) {
    const r = derisk(['help', command]);
    assert.equal(r.status, 0, `help ${command}: ${r.stderr}`);
    assert.equal(r.stdout, `${usageOf(command)}\n`, `help ${command}`);
    assert.notEqual(usageOf(command), usageOf('no-such-command'), `${command} has usage lines of its own`);
    assert.match(r.stdout, new RegExp(`\\bderisk ${command}\\b`), `help ${command}`);
  }
  // The commands whose own help derisk help advertises as `derisk X help`.
  for (const command of ['kb', 'exchange']) {
    const r = derisk([command, 'help'], { DERISK_HOME: tempDir() });
    assert.equal(r.status, 0, `${command} help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`derisk ${command} \\w`), `${command} help`);
  }
  const none = derisk(['help', 'nosuch']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^derisk: unknown command "nosuch"\n/);
  assert.match(derisk(['help', 'indicaters']).stderr, /unknown command "indicaters" — did you mean derisk indicators\?/);
  assert.equal(derisk(['help', 'users', 'list']).status, 2);
});

// Round 48: `lists load DIR` loaded the published lists and exited 0; `screen --regions-file MISSING` ran as if not given.
test('an argument or option the command would not use is a usage error, named, in every command', () => {
  const env = { DERISK_HOME: tempDir() };
  const cases: [string[], string[]][] = [
    [['lists', 'load', '/data/watch'], ['lists load takes no argument "/data/watch": not used (your own list: --watchlist FILE']],
    [
      ['lists', 'load', 'mine.json', 'theirs.json'],
      ['lists load takes no argument "mine.json"', 'lists load takes no argument "theirs.json"'],
    ],
    [['lists', 'show', 'x'], ['lists show takes no argument "x"']],
    [['lists', 'load', '--title', 'T'], ['--title describes a FollowTheMoney file']],
    [['lists', 'diff', 'a.json', 'b.json', '--watchlist', 'w.json'], ['--watchlist loads your own list beside the published ones']],
    [['kb', 'list', 'ai-act'], ['kb list takes no argument "ai-act": not used (search with --search Q)']],
    [['kb', 'import', 'x'], ['kb import takes no argument "x"']],
    [['rulebook', 'a.yaml', 'b.yaml'], ['rulebook takes no argument "b.yaml"']],
    [['resolve', 'a.csv', 'b.csv', '--column', 'c', '--out', 'o.csv'], ['resolve takes no argument "b.csv"']],
    [['fetch', 'openalex', 'cn', '--filter', 'x', '--mailto', 'a@b.example', '--out', 'w.jsonl'], ['fetch openalex takes no argument "cn"']],
    [['screen', '--regions-file', '/nonexistent/regions.json', 'Tsinghua University'], ['--regions-file is for the commands that count by region (summary, indicators, facts, resolve, brief, demo, serve): not used here']],
    [['lists', '--china-includes-hk'], ['--china-includes-hk is for the commands that count by region']],
    // Round 49: these exited 0, each command counting its own arguments (or not); now each declares how many it takes.
    [['fields', 'extra'], ['fields takes no argument "extra": not used']],
    [['sources', 'extra'], ['sources takes no argument "extra": not used']],
    [['exchange', 'items', 'extra'], ['exchange items takes no argument "extra": not used']],
    [['exchange', 'received', 'extra'], ['exchange received takes no argument "extra": not used']],
    [['watch', 'list', 'extra'], ['watch list takes no argument "extra": not used']],
    [['match', 'list', 'extra'], ['match list takes no argument "extra": not used']],
    [
      ['users', 'list', 'extra', 'more'],
      ['users list takes no argument "extra": not used', 'users list takes no argument "more": not used'],
    ],
    [['indicators', 'copubs', 'cn', '--regions', 'EU27AC,CN'], ['indicators takes no argument "cn": not used']],
    // Round 49: serve was in the list it was told it is not in.
    [['serve', '--china-includes-hk'], ['--china-includes-hk is for the commands that count by region (summary, indicators, facts, resolve, brief, demo): not used here']],
  ];
  for (const [args, expected] of cases) {
    const r = derisk(args, env);
    const mistakes = r.stderr.split('\n').filter((l) => l.startsWith('derisk: '));
    assert.equal(r.status, 2, `derisk ${args.join(' ')}: ${r.stderr}`);
    assert.equal(mistakes.length, expected.length, `derisk ${args.join(' ')}: ${r.stderr}`);
    for (const [i, m] of expected.entries()) assert.ok(mistakes[i]!.startsWith(`derisk: ${m}`), `derisk ${args.join(' ')}: ${mistakes[i]}`);
  }
  assert.ok(!existsSync(join(env.DERISK_HOME, 'derisk.duckdb')), 'nothing was loaded');
});

// Round 48: `resolve --out DIR` crashed on an unheard 'error' event, `screen --batch … --csv DIR` printed Node's pathless EISDIR.
test('an output path that is a directory or in a folder that does not exist fails with its name (exit 1), before the work, never a stack trace', () => {
  const env = { DERISK_HOME: tempDir() };
  const folder = tempDir();
  const report = join(folder, 'report.html');
  mkdirSync(report);
  const names = writeTemp('names.csv', 'name\nTsinghua University\n');
  const affiliations = writeTemp('affs.csv', 'id,affiliation\n1,Tsinghua University\n');
  const outputs = (out: string): string[][] => [
    ['resolve', affiliations, '--column', 'affiliation', '--out', out],
    ['screen', '--batch', names, '--csv', out],
    ['export', 'ftm', '--out', out],
    ['exchange', 'export', '--format', 'stix', '--out', out],
    ['exchange', 'ftm-partners', '--out', out],
    ['fetch', 'openalex', '--filter', 'x', '--mailto', 'a@b.example', '--out', out],
  ];
  for (const [out, reason] of [
    [folder, 'EISDIR'],
    [join(folder, 'no-such-folder', 'out.csv'), 'ENOENT'],
  ] as const) {
    const html = out === folder ? report : out.replace(/csv$/, 'html');
    const runs: [string[], string][] = [...outputs(out).map((args): [string[], string] => [args, out]), [['assess', '--report', html, 'case.yaml'], html]];
    for (const [args, named] of runs) {
      const r = derisk(args, env);
      assert.equal(r.status, 1, `derisk ${args.join(' ')}: ${r.stderr}`);
      assert.equal(
        r.stderr.split('\n').find((l) => l.startsWith('derisk: ')),
        `derisk: ${named}: cannot write (${reason})`,
        `derisk ${args.join(' ')}: ${r.stderr}`,
      );
      assert.doesNotMatch(r.stderr, /\n\s+at |illegal operation|Unhandled/, `derisk ${args.join(' ')}`);
    }
  }
  assert.ok(!existsSync(join(env.DERISK_HOME, 'derisk.duckdb')), 'no store was opened: the path is checked first');
});

// Round 49: `users list --org nosuch` answered nothing (exit 0), and most commands made a mistyped organisation a new one.
test('an unknown organisation is refused the same way by every command that takes --org, and none is made', async () => {
  const env = { DERISK_HOME: tempDir() };
  const refusal = 'derisk: no organisation "nosuch" (derisk users list shows each user\'s; derisk users add-org makes one)';
  const commands = [
    ['users', 'list', '--org', 'nosuch'],
    ['watch', 'list', '--org', 'nosuch'],
    ['watch', 'add', 'Tsinghua University', '--org', 'nosuch'],
    ['alerts', '--org', 'nosuch'],
    ['match', 'list', '--org', 'nosuch'],
    ['exchange', 'items', '--org', 'nosuch'],
    ['exchange', 'note', '--name', 'X', '--text', 't', '--org', 'nosuch'],
    ['kb', 'list', '--org', 'nosuch'],
    ['assessments', 'show', 'a1', '--org', 'nosuch'],
  ];
  for (const args of commands) {
    const r = derisk(args, env);
    assert.equal(r.status, 1, `derisk ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.split('\n')[0], refusal, `derisk ${args.join(' ')}`);
  }
  const db = await openAppDb(loadConfig(env));
  try {
    assert.deepEqual(await db.query("SELECT id FROM organisations WHERE id = 'nosuch'"), [], 'no organisation was made');
  } finally {
    await db.close();
  }
});

// Round 49: DuckDB's "IO Error: Cannot write to …", Node's "ENOTDIR … scandir" and "ENOENT … lstat".
test('a folder a command writes into or reads from that cannot be used is named with the reason (exit 1), before any work', () => {
  const env = { DERISK_HOME: tempDir() };
  const file = writeTemp('plain.txt', 'not a folder');
  const missing = join(tempDir(), 'missing');
  const cases: [string[], string][] = [
    [['export', 'parquet', file], `${file}: cannot write (ENOTDIR)`],
    [['export', 'parquet', join(missing, 'parquet')], `${join(missing, 'parquet')}: cannot write (ENOENT)`],
    [['backup', file], `${file}: cannot write (ENOTDIR)`],
    [['backup', join(file, 'inside')], `${join(file, 'inside')}: cannot write (ENOTDIR)`],
    [['restore', missing], `${missing}: cannot read (ENOENT)`],
    [['restore', file], `${file}: cannot read (ENOTDIR)`],
  ];
  for (const [args, said] of cases) {
    const r = derisk(args, env);
    assert.equal(r.status, 1, `derisk ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, `derisk: ${said}\n`, `derisk ${args.join(' ')}`);
  }
  assert.ok(!existsSync(join(env.DERISK_HOME, 'derisk.duckdb')), 'no store was opened');
});

// Round 49: `demo` beside a running server printed its header, then DuckDB's lock error.
test('demo and serve beside a running server on the same home say so before any work', () => {
  const home = tempDir();
  // A live process's id (this one's) in an owner-only control file, as derisk serve writes it.
  writeFileSync(join(home, 'serve.control.json'), JSON.stringify({ pid: process.pid, address: 'http://127.0.0.1:1', credential: 'x'.repeat(43) }), { mode: 0o600 });
  const env = { DERISK_HOME: home, DERISK_MIRROR: tempDir() };
  const running = `derisk: a server is running on this DERISK_HOME (${home}, pid ${process.pid}, http://127.0.0.1:1): stop it first, or `;
  for (const [args, instead] of [
    [['demo'], 'use another DERISK_HOME for the demo'],
    [['serve', '--port', '0'], 'use the one running'],
  ] as const) {
    // The timeout guards against a serve that would run on (it ends the run, failing the test, as it would hang).
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1', ...env }, timeout: 120_000 });
    assert.equal(r.status, 1, `derisk ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, `${running}${instead}\n`, `derisk ${args.join(' ')}`);
    assert.equal(r.stdout, '', `derisk ${args.join(' ')}: nothing done`);
  }
  assert.ok(!existsSync(join(home, 'derisk.duckdb')), 'no store was opened');
});

test('property: a command refuses exactly the arguments past those it declares, each named', () => {
  const argument = fc.stringMatching(/^[a-z0-9][a-z0-9.]{0,8}$/);
  fc.assert(
    fc.property(fc.nat(3), fc.array(argument, { maxLength: 6 }), fc.constantFrom('list', 'show'), (most, args, sub) => {
      const whole = mistakesIn({ args, command: 'c', allowPositionals: true, takes: most, options: {} }).mistakes;
      assert.deepEqual(
        whole,
        args.slice(most).map((a) => `c takes no argument ${JSON.stringify(a)}: not used`),
      );
      const perSub = mistakesIn({ args: [sub, ...args], command: 'c', allowPositionals: true, takes: { [sub]: most }, options: {} }).mistakes;
      assert.deepEqual(
        perSub,
        args.slice(most).map((a) => `c ${sub} takes no argument ${JSON.stringify(a)}: not used`),
      );
    }),
  );
});

// Round 49 (cli51): `kb list --topic typo`, `users role E king`, `merges --doi x`, `screen --portfolio x` and `assess` without a
// case file opened a database (beside a running server: a refusal or a lock wait) before naming the mistake.
test('an option value or argument checked against data (the knowledge base vocabulary, roles, a DOI, a ROR id) is a usage error before any database opens', () => {
  const cases: [string[], string][] = [
    [['kb', 'list', '--topic', 'nosuch'], 'derisk: --topic: "nosuch" is not one of data-governance, '],
    [['kb', 'timeline', '--jurisdiction', 'XX'], 'derisk: --jurisdiction: "XX" is not one of '],
    [['kb', 'list', '--type', 'novel', '--status', 'dead'], 'derisk: --type: "novel" is not one of '],
    [['users', 'role', 'a@b.example', 'king'], 'derisk: users role: "king" is not one of viewer, analyst, officer, admin'],
    [['users', 'add', '--org', 'local'], 'derisk: users add --org ID --email E --role'],
    [['users', 'disable'], 'derisk: users add-org'],
    [['merges', '--doi', 'not-a-doi'], 'derisk: --doi "not-a-doi" is not a DOI'],
    [['screen', '--portfolio', 'Tsinghua'], 'derisk: --portfolio takes a ROR id, got "Tsinghua"'],
    [['assess'], 'derisk: assess needs one case file (YAML or JSON), or --rerun <assessment id>'],
    [['assess', '--rerun', 'a1', 'case.yaml'], 'derisk: assess --rerun replays a stored verdict: the case file "case.yaml" is not used'],
  ];
  for (const [args, said] of cases) {
    const home = tempDir();
    const r = derisk(args, { DERISK_HOME: home });
    assert.equal(r.status, 2, `derisk ${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.startsWith(said), `derisk ${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'never a stack trace');
    assert.deepEqual(readdirSync(home), [], `derisk ${args.join(' ')}: no database was opened`);
  }
});

// Round 49 (cli51): `users add --org nosuch` said the service's "no organisation nosuch"; `cases unshare CASE nosuch` that the case "is not shared with nosuch".
test('cases unshare and users add name an unknown case, organisation or user, never a stack trace', async () => {
  const env = { DERISK_HOME: tempDir() };
  const db = await openAppDb(loadConfig(env));
  for (const org of ['org-a', 'org-b']) await new Accounts(db).createOrganisation(OPERATOR, org, org.toUpperCase());
  const { caseId } = await storedVerdict(db, { org: 'org-a', title: 'A: a case', holds: [] });
  await db.close();
  const refusal = 'derisk: no organisation "nosuch" (derisk users list shows each user\'s; derisk users add-org makes one)\n';
  const runs: [string[], number, string][] = [
    [['cases', 'unshare', caseId, 'nosuch'], 1, refusal],
    [['users', 'add', '--org', 'nosuch', '--email', 'e@x.example', '--role', 'viewer'], 1, refusal],
    [['cases', 'unshare', 'no-such-case', 'org-a'], 2, 'derisk: no case no-such-case\n'],
    [['cases', 'unshare', caseId, 'org-b'], 1, `derisk: case ${caseId} is not shared with org-b\n`],
    [['users', 'role', 'nobody@x.example', 'viewer'], 2, 'derisk: no user nobody@x.example\n'],
  ];
  for (const [args, status, said] of runs) {
    const r = derisk(args, env);
    assert.equal(r.status, status, `derisk ${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.startsWith(said), `derisk ${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'never a stack trace');
  }
});

// Round 49 (cli51): `demo --help` ran the demo and `serve --help` was an unknown option; `summary|facts|lists|merges --help` ran
// their command, `fetch|fields|export|sources|bench --help` were an unknown option, `ingest|screen|resolve|kb|watch --help` exited 2.
test("COMMAND --help prints that command's usage and exits 0, in every command, doing nothing else", () => {
  // demo and serve last: were they to run, every other command has been asked first.
  const names = [...COMMAND_NAMES.filter((c) => c !== 'demo' && c !== 'serve'), 'demo', 'serve'];
  for (const command of names) {
    for (const help of ['--help', '-h']) {
      const home = tempDir();
      const r = derisk([command, help], { DERISK_HOME: home });
      assert.equal(r.status, 0, `derisk ${command} ${help}: ${r.stderr}`);
      assert.ok(r.stdout.startsWith(`Usage:\n  derisk ${command}`) || r.stdout.startsWith('Usage:\n  derisk backup'), `derisk ${command} ${help}: ${r.stdout.slice(0, 200)}`);
      assert.equal(r.stderr, '', `derisk ${command} ${help}`);
      assert.deepEqual(readdirSync(home), [], `derisk ${command} ${help}: nothing opened or made`);
    }
  }
  // After `--` it is an argument, not a request for help.
  assert.equal(derisk(['screen', '--', '-h'], { DERISK_HOME: tempDir() }).stdout.startsWith('Usage:'), false);
});

test('exchange import names a file too large to import, before reading it', () => {
  const big = writeTemp('big.json', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
  const r = derisk(['exchange', 'import', big, '--format', 'stix', '--from', 'University A'], { DERISK_HOME: tempDir() });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, `derisk: ${big}: cannot read (too large: 4,194,305 bytes, at most 4,194,304)\n`);
});
