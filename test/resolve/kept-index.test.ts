import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ingestRegistry } from '../../src/ingest/registry.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { keptMatcher, loadMatcherIndex, matcherIndexInputs, matcherIndexPath, matcherIndexSignature, saveMatcherIndex } from '../../src/resolve/kept.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { ALIASES_FILE } from '../../src/screening/aliases.ts';
import { writeIndexFile } from '../../src/screening/index-file.ts';
import { registryVersion } from '../../src/screening/signature.ts';
import { Store } from '../../src/store/store.ts';
import { derisk } from '../helpers/cli.ts';
import { INPUT, tempDir, writeTemp } from '../helpers/fixtures.ts';

const FIXTURE_ROR = join(INPUT, 'ror-small.jsonl');
const STRINGS = ['Harbin Institute of Technology', 'Dept Phys, Tsinghua Univ, Beijing 100084, Peoples R China', 'Shenzhen Quantum Robotics Institute, Shenzhen, China', 'University of Oxford', 'Acme Widgets Ltd', '哈尔滨工业大学'];
const NEW_INSTITUTION = JSON.stringify({
  id: 'https://ror.org/05zzzzz99',
  status: 'active',
  types: ['facility'],
  names: [{ value: 'Shenzhen Quantum Robotics Institute', types: ['ror_display', 'label'], lang: 'en' }],
  locations: [{ geonames_details: { country_code: 'CN', country_name: 'China', name: 'Shenzhen' } }],
  relationships: [],
});

async function withFixtureStore(run: (store: Store, dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  try {
    await ingestRegistry(store, FIXTURE_ROR);
    await run(store, dir);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const answers = (resolver: AffiliationResolver) => STRINGS.map((s) => resolver.resolve(s));
const mtimeOf = (path: string) => statSync(path, { bigint: true }).mtimeNs;

test('the matcher index is kept beside the store and read again; a new registry, matcher version, code or data, or alias file rebuilds it', async () => {
  await withFixtureStore(async (store, dir) => {
    const path = matcherIndexPath(store)!;
    const refusals: string[] = [];
    const refused = (why: string) => refusals.push(why);
    const first = await keptMatcher(store, refused);
    assert.ok(existsSync(path), `the index is written beside the store (${path})`);
    const written = mtimeOf(path);
    const again = await keptMatcher(store, refused);
    assert.notEqual(again.resolver, first.resolver);
    assert.deepEqual(answers(again.resolver), answers(first.resolver), 'read from the file, it answers as built');
    assert.equal(again.institutions, first.institutions);
    assert.equal(mtimeOf(path), written, 'an unchanged store reads the index it has');

    // The matcher's version, its code or data files, or the alias file other than when the index was
    // built: an index kept under those inputs is refused and built again.
    const registry = await registryVersion(store);
    const inputs = matcherIndexInputs(registry);
    for (const [what, other] of [
      ['another matcher version', { ...inputs, resolution: `${inputs.resolution.replace('/', '-older/')}` }],
      ['other code or data files', { ...inputs, code: `${inputs.code}0` }],
    ] as const) {
      saveMatcherIndex(path, matcherIndexSignature(registry, other), first);
      refusals.length = 0;
      assert.deepEqual(answers((await keptMatcher(store, refused)).resolver), answers(first.resolver), `${what}: answers unchanged`);
      assert.match(refusals.join('\n'), /built from other inputs/, `${what}: the kept index is refused`);
      assert.ok(loadMatcherIndex(path, matcherIndexSignature(registry)), `${what}: a sound index is written again`);
    }

    // An alias file given by DERISK_ALIASES_FILE is read by the matcher: another one is another index.
    const aliases = JSON.parse(readFileSync(ALIASES_FILE, 'utf8'));
    aliases.curated.push({ entity: 'Harbin Institute of Technology', country: 'China', names: [{ value: 'Gongda of Harbin', kind: 'alias', source: 'test' }] });
    process.env.DERISK_ALIASES_FILE = writeTemp('aliases.json', JSON.stringify(aliases), dir);
    try {
      refusals.length = 0;
      await keptMatcher(store, refused);
      assert.match(refusals.join('\n'), /built from other inputs/, 'another alias file: the kept index is refused');
      assert.notEqual(matcherIndexInputs(registry).resolution, inputs.resolution, 'and resolutions are kept under another version');
    } finally {
      delete process.env.DERISK_ALIASES_FILE;
    }

    // A new registry: an institution it did not know is resolved now, from an index built again.
    assert.deepEqual(first.resolver.resolve(STRINGS[2]!).institutions, []);
    await ingestRegistry(store, writeTemp('ror-more.jsonl', `${readFileSync(FIXTURE_ROR, 'utf8').trimEnd()}\n${NEW_INSTITUTION}\n`, dir));
    const newer = await keptMatcher(store, refused);
    assert.deepEqual(
      newer.resolver.resolve(STRINGS[2]!).institutions.map((i) => i.rorId),
      ['05zzzzz99'],
    );
    assert.equal(newer.institutions, first.institutions + 1);
    assert.ok(loadMatcherIndex(path, matcherIndexSignature(await registryVersion(store))), 'the index for the new registry is kept');
  });
});

test('a truncated, damaged or foreign matcher index is detected and rebuilt, never trusted', async () => {
  await withFixtureStore(async (store) => {
    const expected = answers((await keptMatcher(store)).resolver);
    const path = matcherIndexPath(store)!;
    const signature = matcherIndexSignature(await registryVersion(store));
    const good = readFileSync(path);
    const damages: [string, () => void][] = [
      ['truncated by one byte', () => truncateSync(path, good.length - 1)],
      ['cut in half', () => truncateSync(path, Math.floor(good.length / 2))],
      ['empty', () => truncateSync(path, 0)],
      ['a byte flipped in the middle', () => writeFileSync(path, Buffer.from(good).fill(good[good.length >> 1]! ^ 0xff, good.length >> 1, (good.length >> 1) + 1))],
      ['a byte flipped in the header', () => writeFileSync(path, Buffer.from(good).fill(good[20]! ^ 0x01, 20, 21))],
      ['bytes appended', () => writeFileSync(path, Buffer.concat([good, Buffer.from('x')]))],
      ['not an index file', () => writeFileSync(path, 'hello')],
      ['a sound index file kept for something else', () => writeIndexFile(path, 'another-index', { resolver: null }, [])],
      // Anyone who can write the file can compute the signature and plant a matcher that answers otherwise.
      ['a sound index file that group and others may write', () => chmodSync(path, 0o666)],
    ];
    // Tests run as root here can give the file away; as another user they cannot, and that case is not tried.
    if (process.getuid?.() === 0) damages.push(['a sound index file owned by another user', () => chownSync(path, 65534, 65534)]);
    for (const [what, damage] of damages) {
      damage();
      const refusals: string[] = [];
      const rebuilt = await keptMatcher(store, (why) => refusals.push(why));
      assert.equal(refusals.length, 1, `${what}: refused, and said so`);
      assert.deepEqual(answers(rebuilt.resolver), expected, `${what}: answers unchanged`);
      assert.ok(loadMatcherIndex(path, signature), `${what}: a sound index is written again`);
      assert.equal(statSync(path).mode & 0o777, 0o600, `${what}: kept for its owner alone`);
      writeFileSync(path, good);
    }
    assert.equal(loadMatcherIndex(path, 'another-signature'), null, 'an index for other inputs is refused');
    assert.ok(!existsSync(path), 'and removed');
  });
});

test('derisk resolve keeps the matcher index beside the store and answers the same from it', async () => {
  const home = tempDir();
  try {
    const env = { DERISK_HOME: home };
    assert.equal(derisk(['ingest', 'ror', FIXTURE_ROR, '--no-resolve'], env).status, 0);
    const csv = writeTemp('in.csv', `affiliation\n${STRINGS.map((s) => `"${s}"`).join('\n')}\n`, home);
    const path = join(home, 'derisk.duckdb.matcher-index');
    rmSync(path, { force: true });
    const run = (out: string) => {
      const r = derisk(['resolve', csv, '--column', 'affiliation', '--out', join(home, out)], env);
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(join(home, out), 'utf8');
    };
    const afresh = run('afresh.csv');
    assert.ok(existsSync(path), 'the index is kept');
    const written = mtimeOf(path);
    assert.equal(run('kept.csv'), afresh);
    assert.equal(mtimeOf(path), written, 'and read, not built again');

    // A directory where the index is kept is the user's: left as it is, the command answers from a matcher built in memory.
    rmSync(path);
    mkdirSync(path);
    writeFileSync(join(path, 'notes.txt'), 'mine');
    const r = derisk(['resolve', csv, '--column', 'affiliation', '--out', join(home, 'beside-a-directory.csv')], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(home, 'beside-a-directory.csv'), 'utf8'), afresh);
    assert.match(r.stderr, /matcher index could not be kept in .*is a directory/);
    assert.deepEqual(readdirSync(path), ['notes.txt'], 'the directory is left as it was');
    assert.deepEqual(
      readdirSync(home).filter((f) => f.endsWith('.tmp')),
      [],
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a matcher kept after it resolved many strings resolves new ones from its file: what it remembers of its answers is not kept read-only', async () => {
  await withFixtureStore(async (store, dir) => {
    const { resolver } = await keptMatcher(store);
    // More distinct parts than an index file keeps eagerly: a remembered answer per part would come back as a read-only table.
    for (let i = 0; i < 700; i++) resolver.resolve(`Laboratory of ${i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]!)} things, Harbin Institute of Technology`);
    const path = join(dir, 'used.matcher-index');
    saveMatcherIndex(path, 'used', { resolver, institutions: 1 });
    const loaded = loadMatcherIndex(path, 'used')!;
    assert.deepEqual(loaded.resolver.resolve('Department of never seen words, University of Oxford'), resolver.resolve('Department of never seen words, University of Oxford'));
  });
});

test('resolutions stored and cached under one alias file are not taken under another: the matcher reads its legal forms', async () => {
  await withFixtureStore(async (store, dir) => {
    const strings = `SELECT 'Harbin Institute of Technology' AS raw`;
    const cache = join(dir, 'cache');
    const { resolver } = await keptMatcher(store);
    assert.equal((await resolvePending(store, resolver, undefined, strings, cache)).resolved, 1);
    const resolvedAgain = () => {
      throw new Error('resolved again under the same alias file');
    };
    assert.equal((await resolvePending(store, resolvedAgain, undefined, strings, cache)).resolved, 0, 'the stored answer is used');
    const aliases = JSON.parse(readFileSync(ALIASES_FILE, 'utf8'));
    aliases.placed_abroad.legal_forms.pop();
    process.env.DERISK_ALIASES_FILE = writeTemp('aliases.json', JSON.stringify(aliases), dir);
    try {
      assert.equal((await resolvePending(store, resolver, undefined, strings, null)).resolved, 1, 'the stored answer is redone');
      await store.run('DELETE FROM resolutions');
      const shared = await resolvePending(store, resolver, undefined, strings, cache);
      assert.deepEqual({ resolved: shared.resolved, fromCache: shared.fromCache }, { resolved: 1, fromCache: 0 }, 'the answer cached under the other alias file is not taken');
    } finally {
      delete process.env.DERISK_ALIASES_FILE;
    }
  });
});

test("each institution's registry children are kept in the matcher index, not worked out again from all its entries at every start", async () => {
  await withFixtureStore(async (store, dir) => {
    const { resolver } = await keptMatcher(store);
    const path = join(dir, 'children.matcher-index');
    saveMatcherIndex(path, 'children', { resolver, institutions: 1 });
    const loaded = loadMatcherIndex(path, 'children')!;
    const childrenOf = (loaded.resolver as unknown as { childrenOf?: Map<string, Set<string>> }).childrenOf;
    // The fixture records both sides of each tie: the parent names its child, the child its parent.
    assert.deepEqual(childrenOf?.get('034t30j35'), new Set(['022c3hy66']));
    assert.deepEqual(childrenOf?.get('042aqky30'), new Set(['056qj1t15']));
    assert.equal(childrenOf?.get('022c3hy66'), undefined);
  });
});
