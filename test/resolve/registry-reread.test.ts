import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../../src/ingest/pipeline.ts';
import { loadRegistry, registryKey } from '../../src/ingest/registry-row.ts';
import { resolutionVersion, resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { Store } from '../../src/store/store.ts';
import { IngestWorkflow, type IngestEvent } from '../../src/workflows/ingest.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { rorRecord } from '../helpers/landscape.ts';

// Round 50: a store whose registry was ingested before round 49 kept children's labels holds null for them, and
// the resolver, which reads them, answered there unlike in a fresh store with the same dump, under a key of its own.
const usNih = {
  ...rorRecord('01cwqze88', 'National Institutes of Health', 'US', 'Bethesda'),
  types: ['government'],
  relationships: [{ type: 'child', id: 'https://ror.org/0unhe1d00', label: 'National Eye Institute' }],
};
const myNih = { ...rorRecord('045p44t13', 'National Institutes of Health', 'MY', 'Shah Alam'), types: ['government'] };
const DUMP = [usNih, myNih].map((r) => JSON.stringify(r)).join('\n');
// Told apart only by the child's label the US record gives.
const STRING = 'Unit of Retinal Neurophysiology, National Eye Institute, National Institutes of Health';
const WORKS = JSON.stringify({ id: 'https://openalex.org/W1', doi: '10.5555/nei.1', publication_year: 2023, authorships: [{ raw_affiliation_strings: [STRING] }] });

const answer = (store: Store) => Promise.all([store.one('SELECT country_code, tier FROM resolutions WHERE raw = $1', [STRING]), store.all('SELECT ror_id, tier, is_primary FROM resolution_institutions WHERE raw = $1 ORDER BY ror_id', [STRING])]);

/** A store with the dump and the work ingested, as a fresh one is. */
async function freshStore(dump: string, home = tempDir()): Promise<{ store: Store; workflow: IngestWorkflow; home: string }> {
  const store = await Store.open(join(home, 'derisk.duckdb'));
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q') });
  await workflow.run({ scope: SHARED, kind: 'ror', files: [{ path: dump }], resolve: false });
  await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('works.jsonl', WORKS) }] });
  return { store, workflow, home };
}

/**
 * The same store made as one whose registry was ingested before round 49: no child labels, a digest taken
 * without them, and the string resolved there (by this version) against that registry.
 */
async function madeOld(store: Store): Promise<void> {
  await store.run('UPDATE institutions SET child_names = NULL');
  await store.run(`UPDATE meta SET value = 'digest-taken-before-round-49' WHERE key = 'registry_version'`);
  await store.run('DELETE FROM resolutions');
  await store.run('DELETE FROM resolution_institutions');
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)), undefined, undefined, null);
}

test('an old store answers as a fresh one once the next ingest has read its registry again; what it resolved before is not reused', async () => {
  const dump = writeTemp('ror.jsonl', DUMP);
  const fresh = await freshStore(dump);
  const old = await freshStore(dump);
  try {
    const expected = await answer(fresh.store);
    assert.equal((expected[0] as { country_code: string }).country_code, 'US');
    await madeOld(old.store);
    assert.notDeepEqual(await answer(old.store), expected, 'the reproduction: without the labels the string is resolved otherwise');
    const events: IngestEvent[] = [];
    // Any ingest of the shared base; the same dump given again is one.
    const outcome = await old.workflow.run({ scope: SHARED, kind: 'ror', files: [{ path: dump }] }, (e) => events.push(e));
    assert.equal(outcome.files[0]!.status, 'already ingested');
    assert.ok(outcome.resolved >= 1, 'the string resolved against the incomplete registry is resolved again');
    assert.deepEqual(await answer(old.store), expected);
    assert.equal(await registryKey(old.store), await registryKey(fresh.store), 'the registry is the fresh store’s');
    assert.equal(await resolutionVersion(old.store), await resolutionVersion(fresh.store));
    assert.ok(events.some((e) => e.type === 'stage' && e.stage === 'read' && e.file === dump));
    assert.ok(events.some((e) => e.type === 'warning' && /registry was read again from .*ror\.jsonl \(2 records\)/.test(e.message)));
  } finally {
    for (const s of [fresh, old]) {
      await s.workflow.close();
      s.store.close();
    }
  }
});

test('the registry is read again from the path the store recorded when another kind of file is ingested', async () => {
  const old = await freshStore(writeTemp('ror.jsonl', DUMP));
  try {
    await madeOld(old.store);
    await old.workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('more.jsonl', WORKS.replace('W1', 'W2').replace('nei.1', 'nei.2')) }] });
    assert.equal(await old.store.one('SELECT 1 FROM institutions WHERE child_names IS NULL'), undefined);
    assert.equal((await old.store.one<{ country_code: string }>('SELECT country_code FROM resolutions WHERE raw = $1', [STRING]))?.country_code, 'US');
  } finally {
    await old.workflow.close();
    old.store.close();
  }
});

test('a dump no longer where the store recorded it is named, with the command that reads it again, and nothing is resolved meanwhile', async () => {
  const dump = writeTemp('ror.jsonl', DUMP);
  const old = await freshStore(dump);
  try {
    await madeOld(old.store);
    const before = await answer(old.store);
    renameSync(dump, `${dump}.moved`);
    await assert.rejects(
      old.workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('more.jsonl', WORKS.replace('W1', 'W3').replace('nei.1', 'nei.3')) }] }),
      (e: Error) => e.message.includes(dump) && e.message.includes('derisk ingest ror <that dump>') && /labels its records give their children \(round 49\)/.test(e.message),
    );
    assert.deepEqual(await answer(old.store), before);
    // Given at its new place, it is read again.
    await old.workflow.run({ scope: SHARED, kind: 'ror', files: [{ path: `${dump}.moved` }] });
    assert.equal((await old.store.one<{ country_code: string }>('SELECT country_code FROM resolutions WHERE raw = $1', [STRING]))?.country_code, 'US');
  } finally {
    await old.workflow.close();
    old.store.close();
  }
});

test('the version resolutions are kept under marks a registry lacking child labels, even under the digest of a complete one', async () => {
  const { store, workflow } = await freshStore(writeTemp('ror.jsonl', DUMP));
  try {
    const complete = await resolutionVersion(store);
    await store.run('UPDATE institutions SET child_names = NULL');
    assert.notEqual(await resolutionVersion(store), complete);
    assert.match((await registryKey(store))!, /\+lacks:child_names$/);
  } finally {
    await workflow.close();
    store.close();
  }
});

test('a command that only reads an old store says its registry needs reading again', async () => {
  const home = tempDir();
  const { store, workflow } = await freshStore(writeTemp('ror.jsonl', DUMP), home);
  await store.run('UPDATE institutions SET child_names = NULL');
  await workflow.close();
  store.close();
  for (const args of [['brief', '01cwqze88'], ['summary']]) {
    // brief then fails for want of lists, which is not what is looked at here.
    const r = derisk(args, { DERISK_HOME: home });
    assert.match(r.stderr, /registry was ingested before derisk kept the labels its records give their children \(round 49\), which the resolver reads: .*`derisk ingest`/, args[0]);
  }
});
