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
      if (text === '') return; // an empty file is refused
      const read = await collect(readCsv(streamOf(text)));
      assert.deepEqual(
        read.map((r) => ('fields' in r ? r.fields : r.error)),
        rows,
      );
    }),
    { numRuns: 300 },
  );
});

const rowsOf = async (text: string, options = {}) => (await collect(readCsv(streamOf(text), options))).map((r) => ('fields' in r ? `${r.lineNo}: ${r.fields.join('|')}${r.unterminated ? ' (unterminated)' : ''}` : `${r.lineNo}: ERROR ${r.error}`));

test('an unclosed quote does not swallow the rows after it: its line is reported and reading resumes', async () => {
  assert.deepEqual(await rowsOf('a,b,c\n1,"cut short\n2,"x",y,z\n3,z,w\n'), ['1: a|b|c', '2: ERROR text after the closing quote of column 2', '3: 2|x|y|z', '4: 3|z|w']);
  // No quote further on to trip over: for a reader that knows its columns, a whole row ends it.
  assert.deepEqual(await rowsOf('a,b,c\n1,"cut short\n2,x,y\n3,z,w\n', { lineBreaks: () => true }), ['1: a|b|c', '2: ERROR quoted field is not closed before line 3, which is a row of its own', '3: 2|x|y', '4: 3|z|w']);
  assert.deepEqual(await rowsOf('a,b,c\n1,"cut short\nno separators here\n'), ['1: a|b|c', '2: ERROR quoted field is never closed (truncated file?)', '3: no separators here']);
});

test('a quoted field may run over lines where the column allows it, and ends well', async () => {
  assert.deepEqual(await rowsOf('id,text,n\n1,"two\nlines",5\n2,"x",6\n'), ['1: id|text|n', '2: 1|two\nlines|5', '4: 2|x|6']);
  const singleLine = { lineBreaks: (c: string) => c === 'text' };
  const broken = 'ERROR a quoted field of column "id" does not end on its line';
  assert.deepEqual(await rowsOf('id,text,n\n"1\n",x,5\n2,"y",6\n', singleLine), ['1: id|text|n', `2: ${broken}`, `3: ${broken}`, '4: 2|y|6']);
});

test('a narrow table of free text keeps a quoted value over lines even where a line looks like a row', async () => {
  // As in ROR's matching set: "Department of …, Research\n   Institute for …, Hiroshima\n   University",https://ror.org/…
  assert.deepEqual(await rowsOf('affiliation,ror_id\n"Dept, Research\n  Institute, Hiroshima\n  University",https://ror.org/03t78wx29\nX,Y\n'), ['1: affiliation|ror_id', '2: Dept, Research\n  Institute, Hiroshima\n  University|https://ror.org/03t78wx29', '5: X|Y']);
});

test('strict quoting: text after a closing quote or a quote inside an unquoted field is a broken row', async () => {
  assert.deepEqual(await rowsOf('a,b\n"x"y,1\nx"y,2\n"ok ""quoted""",3\n'), ['1: a|b', '2: ERROR text after the closing quote of column 1', '3: ERROR a quote inside the unquoted column 1', '4: ok "quoted"|3']);
});

test('a last row without a line break is flagged unless its last field is quoted', async () => {
  assert.deepEqual(await rowsOf('a,b\n1,2\n3,4'), ['1: a|b', '2: 1|2', '3: 3|4 (unterminated)']);
  assert.deepEqual(await rowsOf('a,b\n1,2\n3,"4"'), ['1: a|b', '2: 1|2', '3: 3|4']);
});
