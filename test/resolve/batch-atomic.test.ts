import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { rorInstitution } from '../../src/ingest/ror.ts';
import { resolveCsv } from '../../src/resolve/batch.ts';
import { AffiliationResolver, type Resolution } from '../../src/resolve/matcher.ts';
import { loadRegions } from '../../src/regions/regions.ts';
import type { Thesaurus } from '../../src/resolve/thesaurus.ts';
import { writeAtomically, writeTextFile } from '../../src/text-file.ts';
import { tempDir } from '../helpers/fixtures.ts';

const registry = [
  rorInstitution({
    id: 'https://ror.org/0prp00011',
    status: 'active',
    types: ['education'],
    names: [{ value: 'Aurora University of Technology', types: ['ror_display', 'label'], lang: 'en' }],
    locations: [{ geonames_details: { country_code: 'DE', country_name: 'Germany', name: 'Auroraville' } }],
    relationships: [],
  }),
];

/** The real resolver, failing at its `failAt`th string: a failure midway through the file, after rows were written. */
class FailingResolver extends AffiliationResolver {
  private seen = 0;
  constructor(private readonly failAt: number) {
    super(registry);
  }
  override resolve(raw: string, thesaurus?: Thesaurus | null): Resolution {
    if (++this.seen === this.failAt) throw new Error(`cannot resolve row ${this.seen}`);
    return super.resolve(raw, thesaurus);
  }
}

const options = { column: 'affiliation', rollUp: false, minTier: 'strong' as const, regions: loadRegions() };
const input = (rows: number) => `id,affiliation\n${Array.from({ length: rows }, (_, i) => `${i},"Aurora University of Technology, Auroraville, Germany"`).join('\n')}\n`;

test('resolve --out: a failure midway leaves the output as it was (or absent) and no part file beside it; a run that ends writes it whole', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), async (rows, failAt, existed) => {
      const dir = tempDir();
      const inPath = join(dir, 'in.csv');
      const outPath = join(dir, 'out.csv');
      writeFileSync(inPath, input(rows));
      if (existed) writeFileSync(outPath, 'old contents\n');
      const run = resolveCsv(new FailingResolver(failAt), inPath, outPath, options);
      if (failAt <= rows) {
        await assert.rejects(run, /cannot resolve row/);
        assert.deepEqual(readdirSync(dir).sort(), existed ? ['in.csv', 'out.csv'] : ['in.csv'], 'no partial output, no part file');
        if (existed) assert.equal(readFileSync(outPath, 'utf8'), 'old contents\n');
      } else {
        assert.equal((await run).rows, rows);
        assert.deepEqual(readdirSync(dir).sort(), ['in.csv', 'out.csv']);
        assert.equal(readFileSync(outPath, 'utf8').trimEnd().split('\n').length, rows + 1, 'the header and every row');
      }
    }),
    { numRuns: 25 },
  );
});

test('resolve --out: an input without the column fails before any row and leaves an existing output untouched (it was emptied)', async () => {
  const dir = tempDir();
  const inPath = join(dir, 'in.csv');
  const outPath = join(dir, 'out.csv');
  writeFileSync(inPath, 'id,organisation\n1,Aurora\n');
  writeFileSync(outPath, 'old contents\n');
  await assert.rejects(resolveCsv(new AffiliationResolver(registry), inPath, outPath, options), /no column named "affiliation"/);
  assert.equal(readFileSync(outPath, 'utf8'), 'old contents\n');
  assert.deepEqual(readdirSync(dir).sort(), ['in.csv', 'out.csv']);
});

test('writeTextFile and writeAtomically: a file that cannot be put in place is named, and leaves no part file; a write replaces the old contents whole, keeping its permissions', async () => {
  const dir = tempDir();
  const taken = join(dir, 'out.json');
  mkdirSync(taken);
  writeFileSync(join(taken, 'inside'), 'x');
  assert.throws(() => writeTextFile(taken, '{}\n'), { message: new RegExp(`^${taken}: cannot write \\((EISDIR|ENOTEMPTY|EEXIST)\\)$`) });
  await assert.rejects(
    writeAtomically(taken, async (part) => writeFileSync(part, '{}\n')),
    { message: new RegExp(`^${taken}: cannot write \\(`) },
  );
  await assert.rejects(
    writeAtomically(join(dir, 'report.html'), async (part) => {
      writeFileSync(part, '<html>half');
      throw new Error('rendering failed');
    }),
    /rendering failed/,
  );
  assert.deepEqual(readdirSync(dir), ['out.json'], 'no part file, no half report');
  const file = join(dir, 'out.csv');
  writeTextFile(file, 'a much longer old content\n');
  chmodSync(file, 0o600);
  writeTextFile(file, 'new\n');
  assert.equal(readFileSync(file, 'utf8'), 'new\n');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'an owner-only output stays owner-only');
  await writeAtomically(file, async (part) => {
    assert.equal(statSync(part).mode & 0o777, 0o600, 'and its part is owner-only while it is written');
    writeFileSync(part, 'newer\n');
  });
  assert.deepEqual([readFileSync(file, 'utf8'), statSync(file).mode & 0o777], ['newer\n', 0o600]);
});

test('resolve: an empty input, or one of blank lines, is named with its file, and writes no output', async () => {
  for (const [content, said] of [
    ['', 'in.csv: the file is empty'],
    ['\n\n', 'in.csv: no header row'],
  ]) {
    const dir = tempDir();
    const inPath = join(dir, 'in.csv');
    writeFileSync(inPath, content!);
    await assert.rejects(resolveCsv(new AffiliationResolver(registry), inPath, join(dir, 'out.csv'), options), { message: said });
    assert.deepEqual(readdirSync(dir), ['in.csv']);
  }
});
