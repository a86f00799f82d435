import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
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
    // The earlier file is named as it was given, its base name (not the directories it was in), and by its hash.
    assert.match(later.quarantined[0]!.reason, new RegExp(`^same id, different content: ${id} is kept as record 1 of file ${kind}\\.txt \\([0-9a-f]{64}\\) `), kind);
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

// An export read without its DOIs (a column left out, or empty) is accepted with a warning that its works merge with no
// other source. Exported again with the DOIs, each record was set aside as "same id, different content": the warning
// could not be cured. A DOI where the kept record had none, all else the same, completes the kept record.
test('derisk ingest: a record under a kept id that only adds the DOI the kept one lacked completes it ("N records gained a DOI"), in one file and across files; another DOI after it is a conflict, a copy without the DOI already known', () => {
  for (const { kind, id, file, row } of EXPORTS) {
    const home = tempDir();
    const bare = row('Federated learning for hospitals', '');
    const withDoi = row('Federated learning for hospitals', '10.1000/upload.2');
    const r = ingest(home, kind, file([bare, withDoi, withDoi, row('Federated learning for hospitals', '10.1000/other.9')]));
    assert.match(r.stdout, /ingested; 1 records kept, 2 already known, 1 quarantined/, `${kind}: ${r.stdout}`);
    assert.match(r.stdout, /\n {2}1 records gained a DOI/, `${kind}: ${r.stdout}`);
    assert.deepEqual(
      r.quarantined.map((q) => q.recordNo),
      [4],
      kind,
    );
    assert.match(r.quarantined[0]!.reason, new RegExp(`^same id, different content: ${id} is kept as record 1 of this file \\(DOI 10\\.1000/upload\\.2, .*\\); this record gives DOI 10\\.1000/other\\.9`), kind);
    // A later OpenAlex file gives the work anew (it replaces the one held); the other sources' ids are completed across files.
    if (kind === 'openalex') continue;
    const other = tempDir();
    ingest(other, kind, file([bare]));
    const later = ingest(other, kind, file([withDoi]));
    assert.match(later.stdout, /ingested; 0 records kept, 1 already known, 0 quarantined/, `${kind}: ${later.stdout}`);
    assert.match(later.stdout, /1 records gained a DOI/, `${kind}: ${later.stdout}`);
    // The export without its DOIs given again, once the kept record was completed (or the DOI first, then without it):
    // the same record, minus the DOI it has.
    const again = ingest(other, kind, file([bare, bare]));
    assert.match(again.stdout, /ingested; 0 records kept, 2 already known, 0 quarantined/, `${kind}: ${again.stdout}`);
    assert.doesNotMatch(again.stdout, /gained a DOI/, kind);
    const lacking = ingest(tempDir(), kind, file([withDoi, bare]));
    assert.match(lacking.stdout, /ingested; 1 records kept, 1 already known, 0 quarantined/, `${kind}: ${lacking.stdout}`);
    // Given a title changed as well, it is no completion.
    const changed = ingest(tempDir(), kind, file([bare, row('Federated learning for hospitals (corrected)', '10.1000/upload.2')]));
    assert.match(changed.stdout, /ingested; 1 records kept, 0 already known, 1 quarantined/, `${kind}: ${changed.stdout}`);
    assert.doesNotMatch(changed.stdout, /gained a DOI/, kind);
  }
});

test('a kept record completed with a DOI by a later file merges by it with the other sources from the next refresh, counted once', async () => {
  const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  try {
    const [scopus, wos] = [EXPORTS[0], EXPORTS[1]];
    const read = (kind: 'scopus' | 'wos', content: string) => ingestWorks(store, kind, writeTemp(`${kind}.txt`, content), { quarantineDir: tempDir() });
    const works = () => store.all<{ doi: string | null; records: string }>(`SELECT doi, array_to_string(records, ' ') AS records FROM works ORDER BY records`);
    await read('scopus', scopus.file([scopus.row('Federated learning for hospitals', '10.1000/upload.2')]));
    await read('wos', wos.file([wos.row('Federated learning for hospitals', '')]));
    await refreshAnalytics(store);
    assert.deepEqual(await works(), [
      { doi: '10.1000/upload.2', records: 'scopus:2-s2.0-85000000102' },
      { doi: null, records: 'wos:WOS:000000000000102' },
    ]);
    const later = await read('wos', wos.file([wos.row('Federated learning for hospitals', '10.1000/upload.2')]));
    assert.deepEqual([later.kept, later.duplicates, later.quarantined, later.doiGained], [0, 1, 0, 1]);
    await refreshAnalytics(store);
    assert.deepEqual(await works(), [{ doi: '10.1000/upload.2', records: 'wos:WOS:000000000000102 scopus:2-s2.0-85000000102' }]);
  } finally {
    store.close();
  }
});

test("POST /api/uploads: an upload that adds the DOIs an earlier one lacked completes its records, and the organisation's works are counted once", async () => {
  const store = await landscapeStore(tempDir());
  const service = await testService(store, { home: tempDir() });
  try {
    const upload = (doi: string) => service.app.inject({ method: 'POST', url: '/api/uploads?kind=scopus', headers: { authorization: `Bearer ${service.token}`, 'content-type': 'application/octet-stream' }, payload: [SCOPUS_HEADER, scopusRow('Federated learning for hospitals', doi), ''].join('\n') });
    const first = await upload('');
    assert.equal(first.statusCode, 201, first.body);
    const later = await upload('10.1000/upload.2');
    assert.equal(later.statusCode, 201, later.body);
    assert.deepEqual([later.json().kept, later.json().duplicates, later.json().quarantined, later.json().doiGained], [0, 1, 0, 1], later.body);
    // Both uploads' portfolios hold the work under its DOI: the earlier one's is built again.
    const works = await store.all<{ file_id: string; work_id: string; doi: string | null }>(`SELECT file_id, work_id, doi FROM upload_works WHERE file_id IN ($1, $2) ORDER BY file_id = $1`, [first.json().fileId, later.json().fileId]);
    assert.equal(works.length, 2, JSON.stringify(works));
    assert.deepEqual(new Set(works.map((w) => `${w.work_id} ${w.doi}`)).size, 1, JSON.stringify(works));
    assert.equal(works[0]!.doi, '10.1000/upload.2');
  } finally {
    await service.close();
    store.close();
  }
});

test("POST /api/uploads: a later upload's reason names the earlier one by the name it was uploaded as (never a server path), and by its hash", async () => {
  const store = await landscapeStore(tempDir());
  const service = await testService(store, { home: tempDir() });
  try {
    const upload = (query: string, title: string, doi: string) =>
      service.app.inject({ method: 'POST', url: `/api/uploads?kind=scopus${query}`, headers: { authorization: `Bearer ${service.token}`, 'content-type': 'application/octet-stream' }, payload: [SCOPUS_HEADER, scopusRow(title, doi), ''].join('\n') });
    const first = await upload(`&name=${encodeURIComponent('C:\\exports\\scopus 2023.csv')}`, 'Federated learning for hospitals', '10.1000/upload.2');
    assert.equal(first.statusCode, 201, first.body);
    const later = await upload('', 'Another paper entirely', '10.1000/other.9');
    assert.equal(later.json().quarantined, 1, later.body);
    const rows = (await service.app.inject({ method: 'GET', url: later.json().quarantine, headers: { authorization: `Bearer ${service.token}` } })).json() as Quarantined[];
    assert.match(rows[0]!.reason, new RegExp(`^same id, different content: 2-s2\\.0-85000000102 is kept as record 1 of file scopus 2023\\.csv \\(${first.json().fileId}\\) `));
    assert.doesNotMatch(rows[0]!.reason, /exports/);
  } finally {
    await service.close();
    store.close();
  }
});

// A tester's `?name=` with markup, line breaks and a long tail came back whole in the later upload's reason, over several lines.
test('POST /api/uploads: the name an earlier upload is quoted by is one plain line: control characters, line separators and direction overrides become spaces, at most 200 characters', async () => {
  const store = await landscapeStore(tempDir());
  const service = await testService(store, { home: tempDir() });
  try {
    const upload = (query: string, title: string, doi: string) =>
      service.app.inject({ method: 'POST', url: `/api/uploads?kind=scopus${query}`, headers: { authorization: `Bearer ${service.token}`, 'content-type': 'application/octet-stream' }, payload: [SCOPUS_HEADER, scopusRow(title, doi), ''].join('\n') });
    const given = `C:\\exports\\<img src=x onerror=alert(1)>\nsame id, different content:\r\n\tforged\u2028line\u2029\u202eevil\u0000${'x'.repeat(150)}.csv`;
    const first = await upload(`&name=${encodeURIComponent(given)}`, 'Federated learning for hospitals', '10.1000/upload.2');
    assert.equal(first.statusCode, 201, first.body);
    const later = await upload('', 'Another paper entirely', '10.1000/other.9');
    const rows = (await service.app.inject({ method: 'GET', url: later.json().quarantine, headers: { authorization: `Bearer ${service.token}` } })).json() as Quarantined[];
    const name = new RegExp(`^same id, different content: 2-s2\\.0-85000000102 is kept as record 1 of file (.+) \\(${first.json().fileId}\\) `).exec(rows[0]!.reason)?.[1];
    assert.ok(name, rows[0]!.reason);
    assert.ok(name.startsWith('<img src=x onerror=alert(1)> same id, different content: forged line evil x'), name);
    assert.equal([...name].length, 200, name);
    assert.ok(name.endsWith('x…'), name);
    assert.doesNotMatch(rows[0]!.reason, /[\p{Cc}\u2028\u2029\u202e]|exports/u);
  } finally {
    await service.close();
    store.close();
  }
});
