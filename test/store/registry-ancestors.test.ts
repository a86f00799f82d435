import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { ingestRegistry } from '../../src/ingest/registry.ts';
import { rebuildRegistryAncestors, Store } from '../../src/store/store.ts';
import { INPUT, tempDir, writeTemp } from '../helpers/fixtures.ts';

// The registry families the counting rule reads (registry_ancestors, src/store/schema.sql; round 50).

const record = (id: string, name: string, parents: string[]) =>
  JSON.stringify({
    id: `https://ror.org/${id}`,
    status: 'active',
    types: ['facility'],
    names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }],
    locations: [{ geonames_details: { country_code: 'DE', country_name: 'Germany', name: 'Dresden' } }],
    relationships: parents.map((p) => ({ label: p, type: 'parent', id: `https://ror.org/${p}` })),
  });

// test/input/ror-small.jsonl's two units: the Institutes of Automation of TU Dresden and of the Chinese Academy of Sciences.
const SMALL = [
  { ror_id: '022c3hy66', ancestor: '034t30j35' },
  { ror_id: '056qj1t15', ancestor: '042aqky30' },
];

const ancestors = (store: Store) => store.all<{ ror_id: string; ancestor: string }>('SELECT ror_id, ancestor FROM registry_ancestors ORDER BY ror_id, ancestor');

test('a registry ingested later adds its units’ ancestors, through every level, and a cycle in the relations ends', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  try {
    await ingestRegistry(store, join(INPUT, 'ror-small.jsonl'));
    assert.deepEqual(await ancestors(store), SMALL);
    // A chair of TU Dresden's Institute of Automation, and two records each the other's parent.
    const more = writeTemp('ror-more.jsonl', [record('0aaaaaa11', 'Chair of Control Engineering', ['056qj1t15']), record('0bbbbbb22', 'One', ['0cccccc33']), record('0cccccc33', 'Two', ['0bbbbbb22'])].join('\n') + '\n', dir);
    await ingestRegistry(store, more);
    assert.deepEqual(await ancestors(store), [...SMALL, { ror_id: '0aaaaaa11', ancestor: '042aqky30' }, { ror_id: '0aaaaaa11', ancestor: '056qj1t15' }, { ror_id: '0bbbbbb22', ancestor: '0cccccc33' }, { ror_id: '0cccccc33', ancestor: '0bbbbbb22' }]);
  } finally {
    store.close();
  }
});

test('a store whose registry was ingested before the families were kept has them once it is opened', async () => {
  const dir = tempDir();
  const path = join(dir, 'derisk.duckdb');
  let store = await Store.open(path);
  await ingestRegistry(store, join(INPUT, 'ror-small.jsonl'));
  // As such a store is: no table of families, and the schema applied before it.
  await store.run('DROP TABLE registry_ancestors');
  await store.run(`DELETE FROM meta WHERE key = 'schema_digest'`);
  store.close();
  store = await Store.open(path);
  try {
    assert.deepEqual(await ancestors(store), SMALL);
  } finally {
    store.close();
  }
});

test('registry_ancestors is the transitive closure of the parent relation, without an institution its own ancestor', async () => {
  const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  try {
    const ids = ['0aaaaaa11', '0bbbbbb22', '0cccccc33', '0dddddd44', '0eeeeee55', '0ffffff66'];
    const graph = fc.array(fc.tuple(fc.constantFrom(...ids), fc.constantFrom(...ids)), { maxLength: 10 });
    await fc.assert(
      fc.asyncProperty(graph, async (edges) => {
        const parents = new Map(ids.map((id) => [id, [...new Set(edges.filter(([c]) => c === id).map(([, p]) => p))]]));
        await store.run('DELETE FROM institutions');
        for (const [id, ps] of parents) await store.run(`INSERT INTO institutions (ror_id, name, status, parents) VALUES ($1, $1, 'active', from_json($2, '["VARCHAR"]'))`, [id, JSON.stringify(ps)]);
        const expected: string[] = [];
        for (const id of ids) {
          const seen = new Set<string>();
          const todo = [...parents.get(id)!];
          while (todo.length > 0) {
            const p = todo.pop()!;
            if (seen.has(p)) continue;
            seen.add(p);
            todo.push(...parents.get(p)!);
          }
          seen.delete(id);
          expected.push(...[...seen].map((a) => `${id}>${a}`));
        }
        await rebuildRegistryAncestors(store);
        const got = await store.all<{ pair: string }>(`SELECT ror_id || '>' || ancestor AS pair FROM registry_ancestors`);
        assert.deepEqual(got.map((r) => r.pair).sort(), expected.sort());
      }),
      { numRuns: 60 },
    );
  } finally {
    store.close();
  }
});
