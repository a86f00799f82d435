import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { derisk } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { testService } from '../helpers/service.ts';

// An outside tester gave a second Scopus record with the EID of the first but another title and DOI: it was counted
// as a "duplicate", silently. The first is still kept, but a record whose content differs is no re-send: it is
// quarantined with both versions named, and only identical re-sends count as already known.

const MILAN = 'Politecnico di Milano, Milan, Italy';
const scopusRow = (title: string, doi: string, aff = MILAN) => `"Rossi A.","${title}","2023","${doi}","${aff}","Rossi, A., ${aff}","Article","2-s2.0-85000000102"`;
const SCOPUS_HEADER = 'Authors,Title,Year,DOI,Affiliations,Authors with affiliations,Document Type,EID';
const WOS_HEADER = 'PT\tAU\tTI\tC1\tPY\tDI\tUT';
const wosRow = (title: string, doi: string, aff = 'Politecn Milan, Milan, Italy') => `J\tRossi, A\t${title}\t[Rossi, A] ${aff}\t2023\t${doi}\tWOS:000000000000102`;
const openAlexRow = (title: string, doi: string, aff = MILAN) => JSON.stringify({ id: 'https://openalex.org/W4300000102', doi, title, publication_year: 2023, type: 'article', authorships: [{ author_position: 'first', raw_affiliation_strings: [aff] }] });

const EXPORTS = [
  { kind: 'scopus', id: '2-s2.0-85000000102', file: (rows: string[]) => [SCOPUS_HEADER, ...rows, ''].join('\n'), row: scopusRow },
  { kind: 'wos', id: 'WOS:000000000000102', file: (rows: string[]) => [WOS_HEADER, ...rows, ''].join('\n'), row: wosRow },
  { kind: 'openalex', id: 'W4300000102', file: (rows: string[]) => [...rows, ''].join('\n'), row: openAlexRow },
] as const;

interface Quarantined {
  recordNo: number;
  reason: string;
}

function ingest(home: string, kind: string, content: string): { stdout: string; quarantined: Quarantined[] } {
  const r = derisk(['ingest', kind, writeTemp(`${kind}.txt`, content)], { DERISK_HOME: home });
  assert.ok(r.status === 0 || r.status === 3, r.stderr);
  const path = /quarantined records and reasons: (.+)/.exec(r.stdout)?.[1];
  return {
    stdout: r.stdout,
    quarantined: path
      ? readFileSync(path, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Quarantined)
      : [],
  };
}

test('derisk ingest: a record under a kept id with other content is quarantined as "same id, different content", in one file and across files; identical re-sends stay duplicates', () => {
  for (const { kind, id, file, row } of EXPORTS) {
    const home = tempDir();
    const first = row('Federated learning for hospitals', '10.1000/upload.2');
    const r = ingest(home, kind, file([first, first, row('Another paper entirely', '10.1000/other.9')]));
    assert.match(r.stdout, /ingested; 1 records kept, 1 already known, 1 quarantined/, `${kind}: ${r.stdout}`);
    assert.deepEqual(
      r.quarantined.map((q) => q.recordNo),
      [3],
      kind,
    );
    assert.match(
      r.quarantined[0]!.reason,
      new RegExp(
        `^same id, different content: ${id} is kept as record 1 of this file \\(DOI 10\\.1000/upload\\.2, year 2023, title "Federated learning for hospitals", affiliations "[^"]*"\\); this record gives DOI 10\\.1000/other\\.9, year 2023, title "Another paper entirely", affiliations "[^"]*Milan[^"]*": the first is kept`,
      ),
      kind,
    );
    // A later file giving the id again: the same when identical, set aside when not. (A later OpenAlex file gives
    // the work anew: it replaces the one held, as a newer snapshot does.)
    if (kind === 'openalex') continue;
    const later = ingest(home, kind, file([first, row('Federated learning for hospitals (corrected)', '10.1000/upload.2')]));
    assert.match(later.stdout, /ingested; 0 records kept, 1 already known, 1 quarantined/, `${kind}: ${later.stdout}`);
    assert.match(later.quarantined[0]!.reason, new RegExp(`^same id, different content: ${id} is kept as record 1 of file [0-9a-f]{64} `), kind);
  }
});

// The tester's next probe: the same id, DOI, title and year, but a co-author's institution changed to a listed one.
// Counted as already known, the listed co-author was lost without a word; a record's affiliations are its content too.
test('derisk ingest: a record under a kept id whose affiliations differ (an institution changed or added) is quarantined, naming both', () => {
  for (const { kind, id, file, row } of EXPORTS) {
    const home = tempDir();
    const first = row('Federated learning for hospitals', '10.1000/upload.2');
    const changed = row('Federated learning for hospitals', '10.1000/upload.2', 'Natl Univ Def Technol, Changsha, Peoples R China');
    const r = ingest(home, kind, file([first, changed]));
    assert.match(r.stdout, /ingested; 1 records kept, 0 already known, 1 quarantined/, `${kind}: ${r.stdout}`);
    assert.match(r.quarantined[0]!.reason, new RegExp(`^same id, different content: ${id} is kept .*affiliations "[^"]*Milan[^"]*"\\); this record gives .*affiliations "Natl Univ Def Technol, Changsha, Peoples R China"`), kind);
  }
});

test("POST /api/uploads: the same in an organisation's uploads, the reason in the upload's quarantine", async () => {
  const store = await landscapeStore(tempDir());
  const service = await testService(store, { home: tempDir() });
  try {
    const first = scopusRow('Federated learning for hospitals', '10.1000/upload.2');
    const auth = { authorization: `Bearer ${service.token}` };
    const r = await service.app.inject({ method: 'POST', url: '/api/uploads?kind=scopus', headers: { ...auth, 'content-type': 'application/octet-stream' }, payload: [SCOPUS_HEADER, first, first, scopusRow('Another paper entirely', '10.1000/other.9'), ''].join('\n') });
    assert.equal(r.statusCode, 201, r.body);
    assert.deepEqual([r.json().kept, r.json().duplicates, r.json().quarantined], [1, 1, 1], r.body);
    const rows = (await service.app.inject({ method: 'GET', url: r.json().quarantine, headers: auth })).json() as Quarantined[];
    assert.deepEqual(
      rows.map((q) => q.recordNo),
      [3],
    );
    assert.match(rows[0]!.reason, /^same id, different content: 2-s2\.0-85000000102 is kept as record 1 of this file/);
  } finally {
    await service.close();
    store.close();
  }
});
