import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { organisationScope, SHARED } from '../../src/ingest/pipeline.ts';
import { screenStrings } from '../../src/screening/context.ts';
import { screeningContext, screenPending, setAsideMessage, type StringScreening } from '../../src/screening/store.ts';
import { Store } from '../../src/store/store.ts';
import { IngestWorkflow, type IngestEvent } from '../../src/workflows/ingest.ts';
import { derisk } from '../helpers/cli.ts';
import { syntheticWorks, tempDir, writeTemp } from '../helpers/fixtures.ts';
import { listedLandscapeStore } from '../helpers/landscape.ts';

const NEW_WORK = JSON.stringify({
  id: 'https://openalex.org/W500',
  doi: '10.5555/new.500',
  publication_year: 2023,
  authorships: [{ raw_affiliation_strings: ['Delft University of Technology, Delft, Netherlands'] }, { raw_affiliation_strings: ['Dept Comp Sci, Tsinghua University, Beijing 100084, China'] }],
});

let template: Promise<string> | undefined;

/** A home with the listed landscape store: built once, and copied for each test. */
async function listedHome(): Promise<string> {
  template ??= (async () => {
    const dir = tempDir();
    (await listedLandscapeStore(dir, 'high')).close();
    return dir;
  })();
  const home = tempDir();
  cpSync(await template, home, { recursive: true });
  return home;
}

test('derisk ingest runs the whole workflow: the new strings are resolved and screened, and the listed co-publications include the new work', async () => {
  const home = await listedHome();
  const file = writeTemp('new.jsonl', NEW_WORK);
  const r = derisk(['ingest', 'openalex', file], { DERISK_HOME: home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /1 records kept, 0 already known, 0 quarantined/);
  // Progress as JSON lines when stderr is not a terminal: one per stage, ending in a summary.
  const progress = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { progress: string; finished?: boolean; message?: string });
  assert.deepEqual([...new Set(progress.map((p) => p.progress))], [`reading ${file}`, 'resolving affiliations', 'screening affiliations', 'refreshing the analytics']);
  assert.ok(
    progress.some((p) => p.finished && /1 strings screened/.test(p.message ?? '')),
    r.stderr,
  );
  const store = await Store.open(join(home, 'derisk.duckdb'));
  try {
    assert.ok(await store.one("SELECT 1 FROM screen_hits WHERE raw LIKE 'Dept Comp Sci, Tsinghua%'"), 'the new string was screened');
    assert.ok(await store.one("SELECT 1 FROM listed_affiliations WHERE work_id = 'doi:10.5555/new.500'"), 'and the assessment evidence counts the new work');
  } finally {
    store.close();
  }
});

test('the workflow reports its stages in order; an upload builds only its own works, and resolves and screens only its own strings', async () => {
  const home = await listedHome();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q') });
  try {
    // A string of the shared base left unresolved and unscreened (an ingest with --no-resolve).
    const pending = JSON.stringify({ id: 'https://openalex.org/W600', publication_year: 2023, authorships: [{ raw_affiliation_strings: ['Tsinghua University, Dept Phys, Beijing, China'] }] });
    await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('pending.jsonl', pending) }], resolve: false });
    const before = await store.all('SELECT * FROM listed_affiliations ORDER BY ALL');
    const events: IngestEvent[] = [];
    const outcome = await workflow.run({ scope: organisationScope('org-b'), kind: 'openalex', files: [{ path: writeTemp('upload.jsonl', syntheticWorks(300, 'Tsinghua University, Beijing')) }] }, (e) => events.push(e));
    assert.deepEqual(
      events.filter((e) => e.type === 'stage').map((e) => (e as { stage: string }).stage),
      ['read', 'resolve', 'screen', 'refresh'],
    );
    const read = events.filter((e): e is Extract<IngestEvent, { type: 'progress' }> => e.type === 'progress' && e.stage === 'read');
    assert.equal(read.at(-1)!.done, read.at(-1)!.total);
    assert.deepEqual([outcome.files[0]!.kept, outcome.files[0]!.quarantined], [297, 3]);
    assert.equal(await store.one("SELECT 1 FROM resolutions WHERE raw = 'Tsinghua University, Dept Phys, Beijing, China'"), undefined, 'the shared base’s pending string waits for an administrator');
    assert.equal(await store.one("SELECT 1 FROM screened_strings WHERE raw = 'Tsinghua University, Dept Phys, Beijing, China'"), undefined);
    assert.deepEqual(await store.all('SELECT * FROM listed_affiliations ORDER BY ALL'), before, 'what verdicts read did not move');
    assert.equal(Number((await store.one<{ n: number }>("SELECT count(*)::DOUBLE AS n FROM upload_works WHERE scope = 'org-b'"))!.n), 297);
    await assert.rejects(workflow.run({ scope: organisationScope('org-b'), kind: 'ror', files: [] }), /an organisation uploads publication exports/);
  } finally {
    await workflow.close();
    store.close();
  }
});

test('the read progress counts each record once, also when the worker hands the file on in pieces', async () => {
  const home = await listedHome();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q') });
  try {
    const events: IngestEvent[] = [];
    const outcome = await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('pieces.jsonl', syntheticWorks(2_500, 'Tsinghua University, Beijing')) }], resolve: false }, (e) => events.push(e));
    const read = events.filter((e): e is Extract<IngestEvent, { type: 'progress' }> => e.type === 'progress' && e.stage === 'read');
    const { kept, duplicates, quarantined } = outcome.files[0]!;
    assert.equal(kept + duplicates + quarantined, 2_500);
    assert.equal(read.at(-1)!.records, 2_500, 'records read, as the last progress event says them');
  } finally {
    await workflow.close();
    store.close();
  }
});

test('a file refused at its first batch, never read on, does not end the worker thread under the reads beside it', async () => {
  const { EvidenceWorker } = await import('../../src/workflows/offload.ts');
  const { DEFAULT_LIMITS } = await import('../../src/ingest/records.ts');
  const worker = new EvidenceWorker();
  const read = (kind: 'wos' | 'openalex', path: string) => worker.open({ kind, path, resumeAfter: 0, batchSize: 100, limits: DEFAULT_LIMITS });
  const good = read('openalex', writeTemp('good.jsonl', syntheticWorks(300)));
  // OpenAlex JSON Lines read as Web of Science: refused at once, and nobody asks for its batch.
  read('wos', writeTemp('not-wos.txt', syntheticWorks(3)));
  await new Promise((r) => setTimeout(r, 1_000));
  let records = 0;
  for (let batch = await good.next(); batch; batch = await good.next()) records += batch.records.length + batch.rejects.length;
  assert.equal(records, 300);
  await good.close();
});

// Invisible characters alone: a zero-width space, and a soft hyphen with a zero-width joiner.
const [ZWSP, SHY_ZWJ] = ['\u200b', '\u00ad\u200d'];
const GOOD = 'Dept Comp Sci, Tsinghua University, Beijing 100084, China';
const openAlexWork = (n: number, authorship: object) => JSON.stringify({ id: `https://openalex.org/W70${n}`, publication_year: 2023, authorships: [authorship] });
const wosRecord = (n: number, c1: string) => `PT J\nAU A${n}, B\nAF A${n}, Bob\nTI T${n}\nC1 ${c1}\nPY 2023\nUT WOS:00000000000070${n}\nER\n`;
const scopusRow = (n: number, affiliation: string) => `"Wang L.","T${n}","2023","","${affiliation}","Wang, L., ${affiliation}","Article","2-s2.0-8500000070${n}"`;
const lensRow = (n: number, applicants: string) => `00${n}-345-678-901-234,2023,T${n},${applicants}`;

/** Per format: a file of records whose only affiliation is invisible characters beside a good one, and what is kept and set aside of it (as of an empty affiliation). */
const BLANK_AFFILIATIONS = [
  {
    kind: 'openalex' as const,
    file: [openAlexWork(1, { raw_affiliation_strings: [ZWSP] }), openAlexWork(2, { raw_affiliation_string: SHY_ZWJ }), openAlexWork(3, { affiliations: [{ raw_affiliation_string: ZWSP, institution_ids: [] }] }), openAlexWork(4, { raw_affiliation_strings: [SHY_ZWJ, GOOD] })].join('\n'),
    kept: 4,
    quarantined: 0,
  },
  {
    kind: 'wos' as const,
    file: `FN Clarivate Analytics Web of Science\nVR 1.0\n${[wosRecord(1, `[A1, Bob] ${ZWSP}`), wosRecord(2, SHY_ZWJ), wosRecord(3, `[A3, Bob] ${SHY_ZWJ}; [A3, Bob] ${GOOD}`)].join('\n')}\nEF\n`,
    kept: 3,
    quarantined: 0,
  },
  {
    kind: 'scopus' as const,
    file: ['Authors,Title,Year,DOI,Affiliations,Authors with affiliations,Document Type,EID', scopusRow(1, ZWSP), scopusRow(2, SHY_ZWJ), scopusRow(3, GOOD)].join('\n') + '\n',
    kept: 3,
    quarantined: 0,
  },
  {
    // A patent with an applicant of invisible characters alone is set aside whole, as in PATSTAT; with no applicant left, as one with an empty Applicants column is.
    kind: 'lens' as const,
    file: ['Lens ID,Publication Year,Title,Applicants', lensRow(1, `${ZWSP};;Tsinghua University`), lensRow(2, SHY_ZWJ), lensRow(3, 'Tsinghua University')].join('\n') + '\n',
    kept: 1,
    quarantined: 2,
  },
  {
    // An application with an applicant row set aside is set aside whole, as with an empty person_name.
    kind: 'patstat' as const,
    file: ['appln_id,appln_filing_year,person_name,person_ctry_code,applt_seq_nr', `701,2023,${ZWSP},CN,1`, `702,2023,${SHY_ZWJ},CN,1`, '703,2023,TSINGHUA UNIVERSITY,CN,1'].join('\n') + '\n',
    kept: 1,
    quarantined: 2,
  },
];

for (const { kind, file, kept, quarantined } of BLANK_AFFILIATIONS) {
  test(`${kind}: an affiliation of invisible characters alone is read as an empty one; the ingest screens the rest and keeps the good records`, async () => {
    const home = await listedHome();
    const store = await Store.open(join(home, 'derisk.duckdb'));
    const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q') });
    try {
      const events: IngestEvent[] = [];
      const outcome = await workflow.run({ scope: SHARED, kind, files: [{ path: writeTemp(`blank.${kind === 'openalex' ? 'jsonl' : kind === 'wos' ? 'txt' : 'csv'}`, file) }] }, (e) => events.push(e));
      assert.deepEqual([outcome.files[0]!.kept, outcome.files[0]!.quarantined], [kept, quarantined]);
      assert.deepEqual(
        events.filter((e) => e.type === 'warning' && /set aside/.test(e.message)),
        [],
      );
      const strings = await store.all<{ raw: string }>(`SELECT raw FROM affiliations WHERE source = '${kind}' UNION ALL SELECT name FROM patent_applicants WHERE source = '${kind}'`);
      assert.ok(strings.length > 0 && strings.every((s) => !/[\u00ad\u200b\u200d]/.test(s.raw)), JSON.stringify(strings));
      assert.ok(await store.one("SELECT 1 FROM screened_strings WHERE raw IN ($1, 'Tsinghua University', 'TSINGHUA UNIVERSITY')", [GOOD]), 'the good strings were screened');
    } finally {
      await workflow.close();
      store.close();
    }
  });
}

test('strings of invisible characters alone that a store already holds are passed over by screening, as the ingest resolves them and after, not refused as an empty name', async () => {
  const home = await listedHome();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q') });
  try {
    await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('held.jsonl', [openAlexWork(20, { raw_affiliation_strings: ['Held A'] }), openAlexWork(21, { raw_affiliation_strings: ['Held B'] })].join('\n')) }], resolve: false });
    // As an ingest before invisible characters were read as blank stored them.
    await store.run("UPDATE affiliations SET raw = CASE source_id WHEN 'W7020' THEN $1 ELSE $2 END WHERE source_id IN ('W7020', 'W7021')", [ZWSP, SHY_ZWJ]);
    const events: IngestEvent[] = [];
    const outcome = await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('new.jsonl', NEW_WORK) }] }, (e) => events.push(e));
    assert.equal(outcome.files[0]!.kept, 1);
    assert.ok(await store.one("SELECT 1 FROM screened_strings WHERE raw LIKE 'Dept Comp Sci, Tsinghua%'"), 'the new string was screened');
    assert.equal(await store.one('SELECT 1 FROM screened_strings WHERE raw IN ($1, $2)', [ZWSP, SHY_ZWJ]), undefined);
    assert.deepEqual(
      events.filter((e) => e.type === 'warning' && /set aside/.test(e.message)),
      [],
    );
  } finally {
    await workflow.close();
    store.close();
  }
});

test('a string the screener refuses is set aside, naming the works that carry it and the reason; the strings beside it are screened', async () => {
  const home = await listedHome();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q') });
  try {
    const refused = 'Institute the screener refuses';
    await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('refused.jsonl', [openAlexWork(30, { raw_affiliation_strings: [refused] }), openAlexWork(31, { raw_affiliation_strings: [GOOD] })].join('\n')) }], resolve: false });
    const context = await screeningContext(store);
    const refusing: StringScreening = { lists: context.lists, screenMany: (raws) => raws.map((raw) => (raw === refused ? { refused: 'a reason' } : screenStrings(context.screener, [raw])[0]!)) };
    const r = await screenPending(store, refusing);
    assert.deepEqual(r.setAside, [{ raw: refused, reason: 'a reason', records: ['openalex W7030'] }]);
    assert.equal(setAsideMessage({ ...r.setAside[0]!, raw: `${ZWSP}x` }), 'the string "\\u200bx" of openalex W7030 was set aside unscreened: a reason');
    assert.ok(await store.one('SELECT 1 FROM screened_strings WHERE raw = $1', [GOOD]));
    assert.equal(await store.one('SELECT 1 FROM screened_strings WHERE raw = $1', [refused]), undefined, 'left pending, to be screened again');
  } finally {
    await workflow.close();
    store.close();
  }
});
