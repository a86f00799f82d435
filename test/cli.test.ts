import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAppDb } from '../src/appdb/open.ts';
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
  assert.deepEqual(modulesLoaded(['--help']), ['bin/derisk.js', 'dist/cli/main.js', 'dist/cli/args.js', 'dist/cli/common.js', 'dist/cli/io.js']);
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
  assert.equal(typo.stderr, `derisk: no organisation "org-bb" (derisk users list shows each user's)\n`);
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
  assert.deepEqual(mistakes, ['derisk: unknown option --jsn — did you mean --json?', 'derisk: --regions-file needs a value (got --china-includes-hk=yes; write --regions-file=--china-includes-hk=yes if that is the value)', 'derisk: unexpected argument "extra"']);
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
  ];
  for (const args of commands) {
    const r = derisk(args, env);
    assert.deepEqual([r.status, r.stderr.includes(missing)], [1, true], `derisk ${args.join(' ')}: ${r.stderr}`);
  }
  // Round 47: a directory where a file goes printed only "EISDIR: illegal operation on a directory, read". A backup is a folder: restore is not asked.
  const folder = tempDir();
  const kinds = ['lens', 'patstat', 'aggregate', 'nsf', 'openalex-merged', 'openalex', 'scopus'].map((kind) => ['ingest', kind, missing]);
  for (const args of [...commands.filter((c) => c[0] !== 'restore'), ...kinds].map((c) => c.map((a) => (a === missing ? folder : a)))) {
    const r = derisk(args, env);
    assert.deepEqual([r.status, r.stderr.includes(folder)], [1, true], `derisk ${args.join(' ')}: ${r.stderr}`);
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
