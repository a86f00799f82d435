import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { derisk } from '../helpers/cli.ts';
import { INPUT, tempDir, writeTemp } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';

// An outside tester uploaded a Web of Science export without its DI column: 30 records kept, nothing said. Works are
// merged across sources by DOI, so these silently stopped merging. Accepted, but the result says so, naming the column.

/** The tab-delimited export without one of its columns. */
function withoutColumn(text: string, column: string): string {
  const rows = text.split('\n');
  const at = rows[0]!
    .replace(/^\uFEFF/, '')
    .split('\t')
    .indexOf(column);
  assert.ok(at >= 0, `the export has a ${column} column`);
  return rows
    .map((row) =>
      row === ''
        ? row
        : row
            .split('\t')
            .filter((_, i) => i !== at)
            .join('\t'),
    )
    .join('\n');
}

const WOS = readFileSync(join(INPUT, 'wos-tab.txt'), 'utf8');
// The plain-text export has no header: one exported without DOIs has no DI line in any record.
const WOS_TAGGED = readFileSync(join(INPUT, 'wos-tagged.txt'), 'utf8');
const withoutDiLines = (text: string) => {
  assert.match(text, /^DI /m, 'the export has DI lines');
  return text.replace(/^DI .*\n/gm, '');
};
const scopus = (doi: boolean) =>
  [
    `Authors,Title,Year,${doi ? 'DOI,' : ''}Affiliations,Authors with affiliations,Document Type,EID`,
    `"Rossi A.","Federated learning for hospitals","2023",${doi ? '"10.1000/upload.2",' : ''}"Politecnico di Milano, Milan, Italy","Rossi, A., Politecnico di Milano, Milan, Italy","Article","2-s2.0-85000000102"`,
    '',
  ].join('\n');

const EXPORTS = [
  { kind: 'wos', whole: WOS, without: withoutColumn(WOS, 'DI'), warning: /the Web of Science header has no DI \(DOI\) column: every record is kept without its DOI, so none of them merges with the same work read from another source/ },
  { kind: 'wos', whole: WOS_TAGGED, without: withoutDiLines(WOS_TAGGED), warning: /no record of the Web of Science export has a DI \(DOI\) field: every record is kept without its DOI, so none of them merges with the same work read from another source/ },
  { kind: 'scopus', whole: scopus(true), without: scopus(false), warning: /the Scopus export has no DOI column: every record is kept without its DOI, so none of them merges with the same work read from another source/ },
] as const;

test('derisk ingest wos|scopus: an export without its DOI column (or, plain text, no DI field in any record) is kept, with a warning naming it and what it costs', () => {
  for (const { kind, whole: complete, without, warning } of EXPORTS) {
    // The Web of Science fixture holds damaged rows on purpose: exit 3 says some were quarantined.
    const r = derisk(['ingest', kind, writeTemp(`no-doi-${kind}.txt`, without)], { DERISK_HOME: tempDir() });
    assert.ok(r.status === 0 || r.status === 3, r.stderr);
    assert.match(r.stdout, /ingested; [1-9]\d* records kept/, r.stdout);
    assert.match(r.stdout, new RegExp(`warning: ${warning.source}`), `${kind}: ${r.stdout}`);
    // The same export with its DOIs says nothing of the kind.
    const whole = derisk(['ingest', kind, writeTemp(`${kind}.txt`, complete)], { DERISK_HOME: tempDir() });
    assert.ok(whole.status === 0 || whole.status === 3, whole.stderr);
    assert.doesNotMatch(whole.stdout, /warning:/, whole.stdout);
  }
});

let store: Store;
let service: TestService;

before(async () => {
  store = await landscapeStore(tempDir());
  service = await testService(store, { home: tempDir() });
});
after(async () => {
  await service.close();
  store.close();
});

test('POST /api/uploads: an export without its DOI column or DI fields is kept, and the result carries the warning', async () => {
  for (const { kind, whole: complete, without, warning } of EXPORTS) {
    const upload = (payload: string) => service.app.inject({ method: 'POST', url: `/api/uploads?kind=${kind}`, headers: { authorization: `Bearer ${service.token}`, 'content-type': 'application/octet-stream' }, payload });
    const r = await upload(without);
    assert.equal(r.statusCode, 201, r.body);
    assert.ok(r.json().kept > 0, r.body);
    assert.equal(r.json().warnings.length, 1, r.body);
    assert.match(r.json().warnings[0], warning);
    const whole = await upload(complete);
    assert.equal(whole.statusCode, 201, whole.body);
    assert.deepEqual(whole.json().warnings, [], `${kind}: ${whole.body}`);
  }
});
