import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { csvField, readCsv } from '../../src/ingest/csv.ts';
import { collect, streamOf } from '../helpers/fixtures.ts';

test('quoted separators, doubled quotes and newlines inside fields', async () => {
  const rows = await collect(readCsv(streamOf('a,b\n"x, y","say ""hi""\nthere"\n')));
  assert.deepEqual(rows, [
    { lineNo: 1, fields: ['a', 'b'] },
    { lineNo: 2, fields: ['x, y', 'say "hi"\nthere'] },
  ]);
});

test('property: any table written with csvField reads back the same', async () => {
  const cell = fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => s.replace(/\r/g, ''));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 20 }), async (table) => {
      const rows = table.filter((r) => r.some((c) => c !== ''));
      const text = rows.map((r) => r.map(csvField).join(',')).join('\n');
      const read = await collect(readCsv(streamOf(text)));
      assert.deepEqual(read.map((r) => ('fields' in r ? r.fields : r.error)), rows);
    }),
    { numRuns: 300 },
  );
});
