import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { dirname, join } from 'node:path';
import { mock, test } from 'node:test';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import type { Institution } from '../../src/ingest/ror.ts';
import { readLabelled } from '../../src/resolve/evaluate.ts';
import { loadMatcherIndex, saveMatcherIndex } from '../../src/resolve/kept.ts';
import { ALIASES_FILE } from '../../src/screening/aliases.ts';
import { buildScreeningContext, type ScreeningContext } from '../../src/screening/context.ts';
import { loadListCatalogue, readWatchlist, type RiskList } from '../../src/screening/lists.ts';
import { loadScreeningIndex, saveScreeningIndex, screeningIndexPath } from '../../src/screening/persisted.ts';
import { loadedLists, saveLists, screeningContext } from '../../src/screening/store.ts';
import { Store } from '../../src/store/store.ts';
import { derisk, deriskModules, isTypeBox } from '../helpers/cli.ts';
import { INPUT, MIRROR, tempDir, writeTemp } from '../helpers/fixtures.ts';
import { buildRealScreeningContext, demoLists, REAL_SCREENER_SIGNATURE, STATE_NAMES, statesStore } from '../helpers/screening.ts';
import { FUZZ_SEED, Rng } from '../helpers/fuzz.ts';
import { watchlist } from '../helpers/watchlist.ts';

const FIXTURE_ROR = join(INPUT, 'ror-small.jsonl');
const haveMirror = existsSync(MIRROR) && loadListCatalogue().lists.every((spec) => existsSync(join(MIRROR, spec.mirror_path)));
/** Two listed-looking names on a watchlist: lists enough for what a test proves of the index file itself, whatever the lists hold. */
const officeWatchlist = (): RiskList =>
  readWatchlist(
    watchlist([
      { name: 'Harbin Institute of Technology', country: 'China', level: 'very-high', aliases: ['HIT'] },
      { name: 'Beijing Institute of Technology', country: 'China', level: 'high' },
    ]),
  );
/** The demo's lists when the mirror is here; the watchlist above otherwise. */
const listsForTest = (): RiskList[] => (haveMirror ? demoLists() : [officeWatchlist()]);

async function storeWith(lists: RiskList[], ror = FIXTURE_ROR): Promise<Store> {
  const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  await ingestRegistry(store, ror);
  await saveLists(store, lists);
  return store;
}

/**
 * Names written the way people write them, drawn from the registry and the lists: whole names,
 * WoS abbreviations, a typing slip, words dropped or swapped, an address around them, lower
 * case, Chinese names, ROR ids, and strings that name nothing.
 */
function namesToScreen(context: ScreeningContext, registryNames: string[], rorIds: string[], n: number, rng: Rng): string[] {
  const listNames = context.lists.flatMap((l) => l.entries.flatMap((e) => e.names.map((x) => x.value)));
  const pool = [...registryNames, ...listNames];
  const pick = <T>(xs: T[]) => xs[rng.int(0, xs.length - 1)]!;
  const wos = (s: string) =>
    s
      .replace(/University/g, 'Univ')
      .replace(/Institute/g, 'Inst')
      .replace(/Technology/g, 'Technol')
      .replace(/Science/g, 'Sci');
  const mutations: ((s: string) => string)[] = [
    (s) => s,
    wos,
    (s) => {
      const i = rng.int(0, Math.max(0, s.length - 1));
      return s.slice(0, i) + s.slice(i + 1);
    },
    (s) => s.split(' ').reverse().join(' '),
    (s) => s.split(' ').slice(1).join(' ') || s,
    (s) => `Sch Comp Sci, ${wos(s)}, ${pick(['Beijing 100081, Peoples R China', 'Harbin 150001, Peoples R China', 'Boston, MA 02115, USA', 'Berlin, Germany', 'Wuhan, China'])}`,
    (s) => s.toLowerCase(),
    (s) => `${s}, ${pick(pool)}`,
    (s) => `Department of ${pick(['Physics', 'Automation', 'Computer Science'])}, ${s}`,
  ];
  const out = new Set<string>(['Harbin Institute of Technology', 'Northeastern University', 'NUDT', 'Huawei', '华为', '哈尔滨工业大学', 'Nothing Listed Here Institute', '  Beijing Institute of Technology  ']);
  while (out.size < n) {
    const r = rng.next();
    if (r < 0.08) out.add(pick(rorIds));
    else if (r < 0.12) out.add(Array.from({ length: rng.int(1, 4) }, () => pick(['Quantum', 'Robotics', 'Lab', 'Institute', 'of', 'Zhejiang', 'Univ', 'Technology', 'Ltd'])).join(' '));
    else out.add(pick(mutations)(pick(pool)));
  }
  return [...out].filter((s) => s.trim() !== '');
}

/** Screens every name (or ROR id) and resolves it: what a caller of the index can observe. */
function observe(context: ScreeningContext, names: string[]): unknown[] {
  return names.map((q) => {
    try {
      const screened = /^0[a-z0-9]{6}\d{2}$/.test(q) ? context.screener.screenRor(q) : context.screener.screen(q);
      return { q, screened, resolved: context.resolver.resolve(q), rollUp: screened.institutions.map((i) => context.resolver.rollUp(i.rorId)) };
    } catch (e) {
      return { q, error: (e as Error).message };
    }
  });
}

/**
 * The fixture registry and the lists for the test in a store, and the screening context built
 * afresh from what it holds: built once for the tests that compare with it or write it (tests 1 and 7).
 */
let fixtureBuilt: Promise<{ context: ScreeningContext; registry: Institution[] }> | null = null;
const fixtureContext = () =>
  (fixtureBuilt ??= (async () => {
    const store = await storeWith(listsForTest());
    try {
      const registry = await loadRegistry(store);
      return { context: buildScreeningContext(await loadedLists(store), registry), registry };
    } finally {
      store.close();
    }
  })());

/** `fresh` kept in an index file (a map or array from `lazyFrom` entries on read lazily), and read back. */
function keptIndex(fresh: ScreeningContext, lazyFrom?: number): ScreeningContext | null {
  const path = join(tempDir(), 'screening-index');
  saveScreeningIndex(path, 'test-signature', fresh, lazyFrom);
  return loadScreeningIndex(path, 'test-signature');
}

function assertSameAsKept(fresh: ScreeningContext, kept: ScreeningContext | null, registry: Institution[], n: number, seed: number): void {
  assert.ok(kept, 'the index file just written is read back');
  const names = namesToScreen(
    fresh,
    registry.flatMap((i) => i.names.map((x) => x.value)),
    registry.map((i) => i.id),
    n,
    new Rng(seed),
  );
  // The kept context is read from the file: it shares no object with the one it was written from.
  const expected = observe(fresh, names);
  const got = observe(kept, names);
  for (let i = 0; i < names.length; i++) assert.deepEqual(got[i], expected[i], `screening ${JSON.stringify(names[i])} (seed ${seed})`);
  assert.equal(kept.links.linked, fresh.links.linked);
  assert.deepEqual(kept.links.ambiguous, fresh.links.ambiguous);
  assert.deepEqual([...kept.links.countriesByName].sort(), [...fresh.links.countriesByName].sort());
  assert.deepEqual([...kept.links.links.keys()].sort(), [...fresh.links.links.keys()].sort());
}

test('a kept screening index screens and resolves every name exactly as one built afresh (fixture registry, every map read lazily)', async () => {
  const { context: fresh, registry } = await fixtureContext();
  // Both files are written before either is screened: each keeps the context as it was built.
  const everyMapLazy = keptIndex(fresh, 1);
  const asDefault = keptIndex(fresh);
  assertSameAsKept(fresh, everyMapLazy, registry, 600, FUZZ_SEED);
  assertSameAsKept(fresh, asDefault, registry, 300, FUZZ_SEED + 1);
});

/** The real screener's context built afresh once for this file (the two tests below compare what is kept of it with it). */
let realBuilt: ReturnType<typeof buildRealScreeningContext> | null = null;
const freshRealContext = () => (realBuilt ??= buildRealScreeningContext());

test('a kept screening index screens exactly as one built afresh on the demo lists and the real registry', { skip: !haveMirror && 'data mirror not present' }, async () => {
  // Built as the other files' real screener is (test/helpers/screening.ts), from the registry read
  // without a store (test 1 reads it from one), and kept where they read it: they need not build it again.
  const { context: fresh, path, institutions } = await freshRealContext();
  assertSameAsKept(fresh, loadScreeningIndex(path, REAL_SCREENER_SIGNATURE), institutions, 400, FUZZ_SEED + 2);
});

test('a kept matcher index resolves the labelled strings of the mirror exactly as the matcher built afresh on the real registry', { skip: !haveMirror && 'data mirror not present' }, async () => {
  const { context, institutions } = await freshRealContext();
  const dir = tempDir();
  try {
    const path = join(dir, 'matcher-index');
    saveMatcherIndex(path, 'test-signature', { resolver: context.resolver, institutions: institutions.length });
    const kept = loadMatcherIndex(path, 'test-signature');
    assert.ok(kept, 'the index file just written is read back');
    assert.equal(kept.institutions, institutions.length);
    // ROR's query logs whole and every fourth Crossref string: about 2,400 strings, most of their variety at a third of the time.
    const labelled = [...(await readLabelled(join(MIRROR, 'matching-dev/ror_logs_train.csv'))), ...(await readLabelled(join(MIRROR, 'matching-dev/crossref_train.csv'))).filter((_, i) => i % 4 === 0)];
    assert.ok(labelled.length > 2_000);
    // Every field of the answer: institutions (tier, score, evidence, basis, units), country and its evidence, companies.
    for (const { affiliation } of labelled) assert.deepEqual(kept.resolver.resolve(affiliation), context.resolver.resolve(affiliation), affiliation);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const hitsOf = async (store: Store, q: string) => (await screeningContext(store)).screener.screen(q).hits.map((h) => `${h.list}:${h.entry}`);
const mtimeOf = (path: string) => statSync(path).mtimeMs;

test('the index is kept beside the store and used again; a new list version, registry or alias file rebuilds it, and the next screen sees the change', async () => {
  const dir = tempDir();
  // A watchlist's version is its content's hash: each edit is a new version.
  const list = (entries: object[]) => readWatchlist(watchlist(entries, { id: 'office', title: 'Office list', publisher: 'Research Security Office', source_url: 'https://example.org/list', retrieved: '2026-11-01', licence: 'internal' }, dir));
  const store = await storeWith([list([{ name: 'Harbin Institute of Technology', country: 'China', level: 'high' }])]);
  try {
    const path = screeningIndexPath(store)!;
    assert.deepEqual(await hitsOf(store, 'Harbin Engineering University'), []);
    assert.ok(existsSync(path), `the index is written beside the store (${path})`);
    const written = mtimeOf(path);
    assert.deepEqual(await hitsOf(store, 'Harbin Institute of Technology'), ['office:Harbin Institute of Technology']);
    assert.equal(mtimeOf(path), written, 'an unchanged store reads the index it has');

    // A new version of the list.
    await saveLists(store, [
      list([
        { name: 'Harbin Institute of Technology', country: 'China', level: 'high' },
        { name: 'Harbin Engineering University', country: 'China', level: 'high' },
      ]),
    ]);
    assert.deepEqual(await hitsOf(store, 'Harbin Engineering University'), ['office:Harbin Engineering University']);
    assert.notEqual(mtimeOf(path), written);

    // A new registry: an institution it did not know is resolved now.
    const before = (await screeningContext(store)).screener.screen('Shenzhen Quantum Robotics Institute, Shenzhen, China').institutions;
    assert.deepEqual(before, []);
    const more = writeTemp(
      'ror-more.jsonl',
      `${readFileSync(FIXTURE_ROR, 'utf8').trimEnd()}\n${JSON.stringify({ id: 'https://ror.org/05zzzzz99', status: 'active', types: ['facility'], names: [{ value: 'Shenzhen Quantum Robotics Institute', types: ['ror_display', 'label'], lang: 'en' }], locations: [{ geonames_details: { country_code: 'CN', country_name: 'China', name: 'Shenzhen' } }], relationships: [] })}\n`,
    );
    await ingestRegistry(store, more);
    assert.deepEqual(
      (await screeningContext(store)).screener.screen('Shenzhen Quantum Robotics Institute, Shenzhen, China').institutions.map((i) => i.rorId),
      ['05zzzzz99'],
    );

    // Another alias file: a curated name for the listed entity is found at once.
    assert.deepEqual(await hitsOf(store, 'Gongda of Harbin'), []);
    const aliases = JSON.parse(readFileSync(ALIASES_FILE, 'utf8'));
    aliases.curated.push({ entity: 'Harbin Institute of Technology', country: 'China', names: [{ value: 'Gongda of Harbin', kind: 'alias', source: 'test' }] });
    process.env.DERISK_ALIASES_FILE = writeTemp('aliases.json', JSON.stringify(aliases));
    try {
      assert.deepEqual(await hitsOf(store, 'Gongda of Harbin'), ['office:Harbin Institute of Technology']);
    } finally {
      delete process.env.DERISK_ALIASES_FILE;
    }
    assert.deepEqual(await hitsOf(store, 'Gongda of Harbin'), [], 'back to the bundled aliases, the index is rebuilt again');
  } finally {
    store.close();
  }
});

test('a truncated, damaged or foreign index file is detected and rebuilt, never trusted', async () => {
  // Each damage costs a rebuild; what is refused is the file, whatever lists it was built from: the small watchlist (the demo's lists cost 2 s of CPU a rebuild).
  const store = await storeWith([officeWatchlist()]);
  try {
    const expected = (await screeningContext(store)).screener.screen('Harbin Institute of Technology');
    const path = screeningIndexPath(store)!;
    const good = readFileSync(path);
    const damages: [string, () => void][] = [
      ['truncated by one byte', () => truncateSync(path, good.length - 1)],
      ['cut in half', () => truncateSync(path, Math.floor(good.length / 2))],
      ['empty', () => truncateSync(path, 0)],
      ['a byte flipped in the middle', () => writeFileSync(path, Buffer.from(good).fill(good[good.length >> 1]! ^ 0xff, good.length >> 1, (good.length >> 1) + 1))],
      ['a byte flipped in the header', () => writeFileSync(path, Buffer.from(good).fill(good[20]! ^ 0x01, 20, 21))],
      ['a byte flipped at the end', () => writeFileSync(path, Buffer.from(good).fill(good.at(-1)! ^ 0x01, good.length - 1))],
      ['bytes appended', () => writeFileSync(path, Buffer.concat([good, Buffer.from('x')]))],
      ['not an index file', () => writeFileSync(path, 'hello')],
      // Anyone who can write the file can compute the signature and plant a screener that answers otherwise.
      ['a sound index file that group and others may write', () => chmodSync(path, 0o666)],
    ];
    // Tests run as root here can give the file away; as another user they cannot, and that case is not tried.
    if (process.getuid?.() === 0) damages.push(['a sound index file owned by another user', () => chownSync(path, 65534, 65534)]);
    for (const [what, damage] of damages) {
      damage();
      assert.equal(loadScreeningIndex(path, readSignature(good)), null, `${what}: refused`);
      assert.ok(!existsSync(path), `${what}: the damaged file is removed`);
      writeFileSync(path, good, { mode: 0o600 });
      damage();
      assert.deepEqual((await screeningContext(store)).screener.screen('Harbin Institute of Technology'), expected, `${what}: screening is unchanged`);
      assert.ok(loadScreeningIndex(path, readSignature(good)), `${what}: a sound index is written again`);
      assert.equal(statSync(path).mode & 0o777, 0o600, `${what}: kept for its owner alone`);
    }
    assert.equal(loadScreeningIndex(path, 'another-signature'), null, 'an index for other inputs is refused');

    // A directory where the index is kept is the user's: left as it is, screening goes on with what it built in memory.
    mkdirSync(path);
    writeFileSync(join(path, 'notes.txt'), 'mine');
    const said = mock.method(console, 'error', () => undefined);
    try {
      assert.deepEqual((await screeningContext(store)).screener.screen('Harbin Institute of Technology'), expected, 'a directory at the path: screening is unchanged');
    } finally {
      said.mock.restore();
    }
    assert.match(said.mock.calls.map((c) => String(c.arguments[0])).join('\n'), /screening index is not used .*not a file/);
    assert.deepEqual(readdirSync(path), ['notes.txt'], 'the directory is left as it was');
  } finally {
    store.close();
    rmSync(dirname(store.path), { recursive: true, force: true });
  }
});

/** The signature an index file was written under (its header is JSON after 16 bytes). */
function readSignature(file: Buffer): string {
  return (JSON.parse(file.subarray(16, 16 + file.readUInt32LE(8)).toString('utf8')) as { signature: string }).signature;
}

/** The file rewritten as if an index for other inputs (another lists version, another derisk): a sound file, another signature. */
function withOtherSignature(file: Buffer): Buffer {
  const headerLength = file.readUInt32LE(8);
  const header = JSON.parse(file.subarray(16, 16 + headerLength).toString('utf8')) as { signature: string };
  const bytes = Buffer.from(JSON.stringify({ ...header, signature: `${header.signature.slice(0, -4)}0000` }), 'utf8');
  const lead = Buffer.from(file.subarray(0, 16));
  lead.writeUInt32LE(bytes.length, 8);
  lead.writeUInt32LE(crc32(bytes), 12);
  return Buffer.concat([lead, bytes, file.subarray(16 + headerLength)]);
}

/** The store file as if last written a minute ago: a screen trusts what it noted of a store only once its file has settled (src/screening/kept.ts). */
const settle = (storeFile: string) => utimesSync(storeFile, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));

test('derisk screen and brief print the same bytes and exit the same from the kept index as from one built afresh; a damaged, cut or outdated index is said on stderr and rebuilt', async () => {
  const home = tempDir();
  (await statesStore(home)).close();
  settle(join(home, 'derisk.duckdb'));
  const env = { DERISK_HOME: home };
  const path = join(home, 'derisk.duckdb.screening-index');
  // Listed, ambiguous (a namesake abroad), unknown, not listed, one organisation on two lists, a country said, a ROR id, lower case.
  const runs = [...Object.values(STATE_NAMES), 'Dahua Technology Company', 'Northeastern University, China', '04t5xt781', 'tsinghua university'].map((name) => ['screen', name]);
  runs.push(['screen', 'Tsinghua University', '--json'], ['brief', 'Tsinghua University']);
  const afresh = runs.map((args) => {
    rmSync(path, { force: true });
    const r = derisk(args, env);
    assert.ok(existsSync(path), `${args.join(' ')}: the index is kept`);
    assert.doesNotMatch(r.stderr, /screening index/, 'a missing index is built without a word');
    return r;
  });
  assert.deepEqual(
    afresh.map((r) => r.status),
    [10, 0, 12, 11, 10, 10, 0, 10, 10, 0],
  );
  // The first run (a listed name) and the last (a briefing) record the modules they load, looked at below: the same runs, not two more.
  const modules: string[][] = [];
  runs.forEach((args, i) => {
    const recorded = i === 0 || i === runs.length - 1 ? deriskModules(args, env, join(home, 'modules.txt')) : null;
    const kept = recorded ?? derisk(args, env);
    if (recorded) modules.push(recorded.modules);
    assert.equal(kept.stdout, afresh[i]!.stdout, `${args.join(' ')}: the same output from the kept index`);
    assert.equal(kept.status, afresh[i]!.status, `${args.join(' ')}: the same exit code`);
    assert.doesNotMatch(kept.stderr, /screening index/);
  });
  const [listed, brief] = modules as [string[], string[]];
  // A name screens without loading TypeBox (the list catalogue's and the regions' schemas): it cost each call more than half a second;
  // nor DuckDB, while the store is as it was when last screened: opening it cost about half a second more.
  assert.ok(listed.some((m) => m.endsWith('/dist/cli/screening.js')) && listed.some((m) => m.endsWith('/dist/cli/namesakes.js')), 'the modules screening loads are recorded');
  assert.deepEqual(
    listed.filter((m) => isTypeBox(m) || m.includes('/node_modules/@duckdb/') || m.endsWith('/dist/store/store.js')),
    [],
    'derisk screen loads no TypeBox module, and no DuckDB',
  );
  // Nor a briefing sheet TypeBox: the bundled regions were checked against their schema when derisk was built.
  assert.deepEqual(brief.filter(isTypeBox), [], 'derisk brief loads no TypeBox module');
  const good = readFileSync(path);
  const damages: [string, () => void, RegExp][] = [
    ['a byte flipped in the middle', () => writeFileSync(path, Buffer.from(good).fill(good[good.length >> 1]! ^ 0xff, good.length >> 1, (good.length >> 1) + 1)), /checksum differs/],
    ['cut short', () => truncateSync(path, good.length - 1000), /truncated or appended to/],
    ['built for other inputs', () => writeFileSync(path, withOtherSignature(good)), /built from other inputs/],
  ];
  for (const [what, damage, why] of damages) {
    damage();
    const r = derisk(runs[0]!, env);
    assert.match(r.stderr, new RegExp(`derisk: the screening index is not used \\(.*${why.source}.*\\); building it again`), `${what}: said on stderr`);
    assert.equal(r.stdout, afresh[0]!.stdout, `${what}: the answer is unchanged`);
    assert.equal(r.status, afresh[0]!.status);
    assert.ok(loadScreeningIndex(path, readSignature(good)), `${what}: a sound index is kept again`);
  }
  // A new version of a list written since, the file's modification time put back as a coarse clock would leave it: the store is opened, the new version screened.
  const storeFile = join(home, 'derisk.duckdb');
  const { mtime } = statSync(storeFile);
  const store = await Store.open(storeFile);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', country: 'China', level: 'high' }]))]);
  store.close();
  utimesSync(storeFile, mtime, mtime);
  assert.match(afresh[0]!.stdout, /\[MEDIUM\] Tsinghua University/);
  const changed = derisk(runs[0]!, env);
  assert.match(changed.stdout, /\[HIGH\] Tsinghua University/, changed.stdout);
  settle(storeFile);
  assert.equal(derisk(runs[0]!, env).stdout, changed.stdout, 'and from the index kept for it');
});

test('a screener field that is not plain data, or an input that is not the one it was built from, is refused when the index is written, never kept changed', async () => {
  // The context test 1 compared: its screener is changed here and put back as it was.
  const { context } = await fixtureContext();
  const path = join(tempDir(), 'screening-index');
  const screener = context.screener as unknown as Record<string, unknown>;
  const lists = screener.lists;
  try {
    screener.extra = new (class Tally {})();
    assert.throws(() => saveScreeningIndex(path, 'sig', context), /screener\.extra: an instance of Tally cannot be kept/);
    screener.extra = new Map([['a', new URL('https://example.org')]]);
    assert.throws(() => saveScreeningIndex(path, 'sig', context), /an instance of URL cannot be kept/);
    delete screener.extra;
    screener.lists = [...context.lists];
    assert.throws(() => saveScreeningIndex(path, 'sig', context), /the screener's lists is not the one it was built from/);
  } finally {
    delete screener.extra;
    screener.lists = lists;
  }
  saveScreeningIndex(path, 'sig', context);
  assert.ok(loadScreeningIndex(path, 'sig'));
});
