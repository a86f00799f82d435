import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Assessor } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { csvRowsOf } from '../../src/ingest/csv.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { AlertInbox, type AlertView } from '../../src/monitoring/alerts.ts';
import { LATEST_VERDICTS, Monitor, REASSESSMENTS_DUE } from '../../src/monitoring/monitor.ts';
import { StoreSubjects } from '../../src/monitoring/subjects.ts';
import { Watchlists } from '../../src/monitoring/watchlists.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { buildScreeningContext } from '../../src/screening/context.ts';
import { loadedLists, saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { CaseService } from '../../src/service/cases.ts';
import { Store } from '../../src/store/store.ts';
import { MIRROR, tempDir, writeTemp } from '../helpers/fixtures.ts';
import { actors, knowledgeBase } from '../helpers/kb.ts';
import { rorRecord } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';
import { WATCHLIST_PROVENANCE } from '../helpers/watchlist.ts';

const HIT = '01yqg2h08';
const KU_LEUVEN = '05f950310';
const HISTORY = join(MIRROR, 'us-dod-lists-history-opensanctions', 'dod_1260h_chinese_military_companies.csv');
const who = actors(['org-a', 'org-b']);
const bundle = loadBundle();

let store: Store;
let service: TestService;
let cases: CaseService;
let monitor: Monitor;
let today = '2026-06-01';
const inbox = () => new AlertInbox(service.db);
const alerts = async (org: string, kind?: string): Promise<AlertView[]> => (await inbox().list(who[`${org}/viewer`]!)).filter((a) => !kind || a.kind === kind);

before(async () => {
  const home = tempDir();
  store = await Store.open(join(home, 'derisk.duckdb'));
  await ingestRegistry(store, writeTemp('ror.jsonl', [rorRecord(KU_LEUVEN, 'KU Leuven', 'BE', 'Leuven'), rorRecord(HIT, 'Harbin Institute of Technology', 'CN', 'Harbin')].map((r) => JSON.stringify(r)).join('\n')));
  await saveLists(store, [readWatchlist(writeTemp('w.json', JSON.stringify({ list: WATCHLIST_PROVENANCE, entries: [{ name: 'Some Other Institute', level: 'high' }] })))]);
  const work = (id: string) =>
    JSON.stringify({
      id: `https://openalex.org/${id}`,
      doi: `10.5555/monitor.${id.toLowerCase()}`,
      display_name: id,
      publication_year: 2024,
      authorships: [
        { author: { display_name: 'A' }, raw_affiliation_strings: ['KU Leuven, Leuven, Belgium'] },
        { author: { display_name: 'B' }, raw_affiliation_strings: ['Harbin Institute of Technology, Harbin, China'] },
      ],
    });
  await ingestWorks(store, 'openalex', writeTemp('works.jsonl', ['W1', 'W2'].map(work).join('\n')), { quarantineDir: join(home, 'q') });
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await refreshAnalytics(store);
  await screenPending(store, await screeningContext(store));
  service = await testService(store);
  // A fresh assessor per pass: it screens with the lists loaded now.
  const assessor = async () => new Assessor({ store, screening: await screeningContext(store), bundle });
  cases = new CaseService(service.db, await assessor());
  monitor = new Monitor({ db: service.db, store, assessor, today: () => today });
});

after(async () => {
  await service.close();
  store.close();
});

/** The 1260H list as it stood on a day: every row listed by then and not yet delisted; an entity listed twice at once is its latest row. */
function dod1260hOn(day: string, rows: Record<string, string>[]): string {
  const active = new Map<string, Record<string, string>>();
  for (const r of rows.filter((r) => r['Start date']! <= day && (r['End date'] === '' || r['End date']! > day)).sort((a, b) => a['Start date']!.localeCompare(b['Start date']!))) active.set(r['Clean Name']!, r);
  const entries = [...active.values()].map((r) => ({ name: r['Clean Name'], aliases: [r.Alias, r['Previous Name']].filter(Boolean), level: 'high', country: 'CN', ...(r.Note ? { note: r.Note } : {}), ...(r['Source Url'] ? { url: r['Source Url'] } : {}) }));
  const list = {
    id: 'us-dod-1260h-history',
    title: 'Entities Identified as Chinese Military Companies Operating in the United States (Sec. 1260H), as of ' + day,
    publisher: 'U.S. Department of Defense (transcribed by OpenSanctions)',
    source_url: 'https://www.opensanctions.org/datasets/us_dod_chinese_milcorps/',
    retrieved: day,
    licence: 'CC BY-NC 4.0 (OpenSanctions)',
  };
  return writeTemp(`dod-1260h-${day}.json`, JSON.stringify({ list, entries }));
}

/** The mirror's CSV as records keyed by its header. */
function csvRows(text: string): Record<string, string>[] {
  const [header, ...body] = csvRowsOf(text).map((row) => {
    if ('error' in row) throw new Error(`line ${row.lineNo}: ${row.error}`);
    return row.fields;
  });
  return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
}

test('list history replayed: each 1260H edition as a new version; alerts for what an organisation’s cases and watchlist name, and for nothing else', { skip: !existsSync(HISTORY) && 'data mirror not present' }, async () => {
  const rows = csvRows(readFileSync(HISTORY, 'utf8'));
  const days = [...new Set(rows.flatMap((r) => [r['Start date']!, r['End date']!]).filter(Boolean))].sort();
  assert.deepEqual(days, ['2021-06-03', '2022-10-05', '2024-01-31', '2025-01-07', '2026-02-17', '2026-06-08']);
  // A's case names YMTC by its short name as a partner, and China Telecom as a funder; B's case names neither.
  const caseA = await cases.create(who['org-a/analyst']!, {
    title: 'Memory chips for edge AI',
    partners: [
      { ror: KU_LEUVEN, role: 'partner', country: 'BE' },
      { name: 'YMTC', role: 'partner', country: 'CN', kind: 'company' },
    ],
    funders: [{ name: 'China Telecommunications Corporation' }],
    research: { type: 'basic', open_publication: 'yes' },
  });
  await cases.create(who['org-b/analyst']!, { title: 'Leuven only', partners: [{ ror: KU_LEUVEN, role: 'partner', country: 'BE' }], research: { type: 'basic', open_publication: 'yes' } });
  const seen: Record<string, string[]> = {};
  for (const day of days) {
    await saveLists(store, [readWatchlist(dod1260hOn(day, rows))]);
    const before = new Set((await alerts('org-a', 'list-change')).map((a) => a.id));
    await monitor.check();
    seen[day] = (await alerts('org-a', 'list-change'))
      .filter((a) => !before.has(a.id))
      .map((a) => a.title.replace(/^.*as of \d{4}-\d{2}-\d{2}: /, ''))
      .sort();
    // After the 2024 edition A starts watching Megvii, listed then.
    if (day === '2024-01-31') await new Watchlists(service.db, new StoreSubjects(store)).add(who['org-a/analyst']!, { text: 'Megvii', kind: 'list-entry' });
  }
  assert.deepEqual(seen, {
    '2021-06-03': [],
    '2022-10-05': [],
    '2024-01-31': ['Yangtze Memory Technologies Co., Ltd. added'],
    '2025-01-07': ['Beijing Megvii Technology Co., Ltd. removed', 'China Telecommunications Corporation removed'],
    // YMTC's 2025 listing ends, but a listing of 2024 without an end date keeps it on the list.
    '2026-02-17': [],
    '2026-06-08': ['Yangtze Memory Technologies Co., Ltd. changed (source text)'],
  });
  const all = await alerts('org-a', 'list-change');
  const ymtc = all.find((a) => /YMTC|Yangtze/.test(a.subject) && /added/.test(a.title))!;
  const ev = ymtc.evidence as { change: string; list: { id: string; previous: { retrieved: string } }; occursIn: { kind: string; id?: string }[] };
  assert.equal(ev.change, 'added');
  assert.equal(ev.list.previous.retrieved, '2022-10-05');
  assert.deepEqual(ev.occursIn, [{ kind: 'case', id: caseA.id, title: 'Memory chips for edge AI' }]);
  const megvii = all.find((a) => /Megvii/.test(a.subject))!;
  assert.deepEqual(
    (megvii.evidence as { occursIn: { kind: string }[] }).occursIn.map((o) => o.kind),
    ['watchlist'],
  );
  assert.deepEqual(await alerts('org-b', 'list-change'), [], 'B names none of them');

  // The same versions again change nothing.
  await monitor.check();
  assert.equal((await alerts('org-a', 'list-change')).length, 4);
});

test('a list change that flips a stored verdict: re-run with the case as assessed, before and after, the deciding criterion', async () => {
  await saveLists(store, [readWatchlist(writeTemp('w1.json', JSON.stringify({ list: WATCHLIST_PROVENANCE, entries: [{ name: 'Some Other Institute', level: 'high' }] })))]);
  await monitor.check();
  const created = await cases.create(who['org-a/analyst']!, { title: 'Robotics with HIT', partners: [{ ror: HIT, role: 'partner', country: 'CN', kind: 'university' }], research: { type: 'basic', open_publication: 'yes' } });
  const stored = await cases.assess(who['org-a/analyst']!, created.id, '2026-06-01');
  await monitor.check();
  assert.deepEqual(await alerts('org-a', 'verdict-change'), [], 'nothing changed yet');

  // The watchlist now lists HIT.
  await saveLists(store, [
    readWatchlist(
      writeTemp(
        'w2.json',
        JSON.stringify({
          list: WATCHLIST_PROVENANCE,
          entries: [
            { name: 'Some Other Institute', level: 'high' },
            { name: 'Harbin Institute of Technology', level: 'very-high', ror_ids: [HIT] },
          ],
        }),
      ),
    ),
  ]);
  // A pass that sees the new version but cannot re-check the verdicts (cut short, or no assessor)
  // leaves the re-check owed: the next pass does it.
  await new Monitor({ db: service.db, store, assessor: () => Promise.reject(new Error('not now')), today: () => today }).check();
  assert.deepEqual(await alerts('org-a', 'verdict-change'), []);
  const report = await monitor.check();
  assert.ok(report.reassessed >= 1);
  const flips = await alerts('org-a', 'verdict-change');
  assert.equal(flips.length, 1, JSON.stringify(flips));
  const ev = flips[0]!.evidence as { assessment: string; before: { overall: string }; after: { overall: string; lists: { id: string; version: string }[] }; deciding: { id: string; before: string; after: string }[]; because: string[] };
  assert.equal(ev.assessment, stored.id);
  assert.equal(ev.before.overall, stored.overall);
  assert.notEqual(ev.after.overall, stored.overall);
  assert.ok(ev.deciding.length > 0 && ev.deciding.every((d) => d.before !== d.after), JSON.stringify(ev.deciding));
  assert.ok(
    ev.because.some((b) => b.startsWith(`list ${WATCHLIST_PROVENANCE.id}`)),
    JSON.stringify(ev.because),
  );
  // The officer's link opens the case in the web app; machines read the verdict at the API address.
  assert.equal(flips[0]!.link, `/#/cases/${created.id}`);
  assert.equal(flips[0]!.api, `/api/assessments/${stored.id}`);
  assert.match(flips[0]!.title, new RegExp(`^Robotics with HIT: ${stored.overall} → ${ev.after.overall}`));
  assert.match(flips[0]!.title, new RegExp(`the stored verdict stays ${stored.overall} until an officer re-assesses$`));
  // The stored verdict itself is untouched: a verdict changes only when someone assesses again.
  assert.equal((await cases.assessment(who['org-a/viewer']!, stored.id)).overall, stored.overall);
  assert.deepEqual(await alerts('org-b', 'verdict-change'), []);
  await monitor.check();
  assert.equal((await alerts('org-a', 'verdict-change')).length, 1, 'told once');

  // A new version of the list that changes nothing of that flip (an alias added) is not told again.
  const watchlistOf = (name: string, hit: object | null) => readWatchlist(writeTemp(name, JSON.stringify({ list: WATCHLIST_PROVENANCE, entries: [{ name: 'Some Other Institute', level: 'high' }, ...(hit ? [hit] : [])] })));
  const listed = { name: 'Harbin Institute of Technology', level: 'very-high', ror_ids: [HIT] };
  await saveLists(store, [watchlistOf('w3.json', { ...listed, aliases: ['HIT Harbin'] })]);
  assert.ok((await monitor.check()).reassessed >= 1);
  assert.equal((await alerts('org-a', 'verdict-change')).length, 1, 'the same flip under a new list version is not told again');
  // HIT leaves the list: the verdict holds again (nothing to tell); listed again, the flip is news again.
  await saveLists(store, [watchlistOf('w4.json', null)]);
  await monitor.check();
  assert.equal((await alerts('org-a', 'verdict-change')).length, 1);
  await saveLists(store, [watchlistOf('w5.json', listed)]);
  await monitor.check();
  const again = await alerts('org-a', 'verdict-change');
  assert.equal(again.length, 2, JSON.stringify(again.map((a) => a.title)));
  assert.ok((again[0]!.evidence as { because: string[] }).because.some((b) => b.startsWith(`list ${WATCHLIST_PROVENANCE.id}`)));
});

test('knowledge-base changes in watched topics (and a change of status re-checks verdicts); re-assessment dates reached', async () => {
  const kb = knowledgeBase(service.db);
  await kb.ready();
  await new Watchlists(service.db, new StoreSubjects(store)).add(who['org-a/viewer']!, { text: 'data-governance', kind: 'topic', scope: 'user' });
  await monitor.check();
  assert.deepEqual(await alerts('org-a', 'knowledge-change'), [], 'importing the bundled entries is no news');
  const view = await kb.get(who['org-a/viewer']!, 'cn-data-security-law');
  const doc = structuredClone(view.entry) as { status: string; status_history: { status: string; date: string }[] };
  doc.status_history.push({ status: 'amended', date: '2026-05' });
  doc.status = 'amended';
  const edited = await kb.edit(who['org-b/analyst']!, 'cn-data-security-law', doc, view.version, 'amended');
  const report = await monitor.check();
  assert.ok(report.reassessed >= 1, 'a change of status re-checks the stored verdicts');
  const changes = await alerts('org-a', 'knowledge-change');
  assert.equal(changes.length, 1);
  assert.match(changes[0]!.title, /status adopted → amended/);
  assert.equal(changes[0]!.link, `/#/kb/diff/cn-data-security-law/${edited.version - 1}/${edited.version}`);
  assert.equal(changes[0]!.api, `/api/kb/entries/cn-data-security-law/diff?from=${edited.version - 1}&to=${edited.version}`);
  assert.deepEqual(
    (await inbox().list(who['org-a/analyst']!)).filter((a) => a.kind === 'knowledge-change'),
    [],
    "the viewer's own topic: the viewer's alert",
  );
  assert.deepEqual(await alerts('org-b', 'knowledge-change'), []);

  assert.deepEqual(await alerts('org-a', 'reassessment-due'), []);
  today = '2099-01-01';
  await monitor.check();
  const due = await alerts('org-a', 'reassessment-due');
  assert.ok(due.length >= 1 && due.every((a) => /re-assessment due since \d{4}-\d{2}-\d{2}$/.test(a.title)), JSON.stringify(due.map((a) => a.title)));
  assert.ok(
    due.every((a) => a.link === `/#/cases/${(a.evidence as { case: string }).case}` && a.api === `/api/assessments/${(a.evidence as { assessment: string }).assessment}`),
    JSON.stringify(due.map((a) => [a.link, a.api])),
  );
  await monitor.check();
  assert.equal((await alerts('org-a', 'reassessment-due')).length, due.length, 'once');
});

test('each case’s latest verdict is looked up in the assessments_case_latest index, not found by scanning every verdict for each', async () => {
  const plan = (await service.db.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${LATEST_VERDICTS}`)).map((r) => r.detail);
  assert.deepEqual(
    plan.filter((d) => /^(SCAN|SEARCH) b\b/.test(d)),
    ['SEARCH b USING COVERING INDEX assessments_case_latest (case_id=?)'],
    plan.join('; '),
  );
});

test('a new policy bundle: the re-check alerts exactly the latest verdicts that re-running each alone would flip, once; a second re-check writes nothing', async () => {
  today = '2026-06-01';
  // HIT is listed (a signal, by the shipped bundle); a bundle whose list categories make that list binding is new policy.
  await saveLists(store, [readWatchlist(writeTemp('w3.json', JSON.stringify({ list: { ...WATCHLIST_PROVENANCE, retrieved: '2026-11-02' }, entries: [{ name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] }] })))]);
  await monitor.check();
  const research = { type: 'basic', open_publication: 'yes' };
  const docs = [
    { org: 'org-a', doc: { title: 'Flips: HIT', partners: [{ ror: HIT, role: 'partner', country: 'CN', kind: 'university' }], research } },
    { org: 'org-a', doc: { title: 'Holds: Leuven', partners: [{ ror: KU_LEUVEN, role: 'partner', country: 'BE' }], research } },
    { org: 'org-a', doc: { title: 'Flips: HIT by name', partners: [{ name: 'Harbin Institute of Technology', role: 'partner', country: 'CN' }], research } },
    { org: 'org-b', doc: { title: 'Flips: HIT for B', partners: [{ ror: HIT, role: 'partner', country: 'CN', kind: 'university' }], research } },
    { org: 'org-b', doc: { title: 'Holds: nobody identified', partners: [{ name: 'An Institute Nobody Knows', role: 'partner', country: 'CN' }], research } },
  ];
  const stored: { id: string; org: string }[] = [];
  for (const [i, { org, doc }] of docs.entries()) {
    const { id } = await cases.create(who[`${org}/analyst`]!, doc);
    // The first case is assessed twice: only its latest verdict is re-checked.
    if (i === 0) await cases.assess(who[`${org}/analyst`]!, id, '2025-01-01');
    stored.push({ id: (await cases.assess(who[`${org}/analyst`]!, id, '2026-06-01')).id, org });
  }
  assert.deepEqual(await monitor.check(), { files: 0, deferred: 0, lists: 0, alerts: {}, reassessed: 0 }, 'nothing changed: nothing re-checked');

  const categories = JSON.parse(readFileSync(new URL('../../data/assessment/list-categories.json', import.meta.url), 'utf8')) as { lists: Record<string, string[]> };
  categories.lists[WATCHLIST_PROVENANCE.id] = ['binding'];
  const newBundle = loadBundle({ 'list-categories': writeTemp('list-categories.json', JSON.stringify(categories)) });
  const assessor = new Assessor({ store, screening: await screeningContext(store), bundle: newBundle });
  // What each latest verdict gives re-run alone under the new bundle: the alerts the re-check must give.
  const expected: string[] = [];
  for (const { id, org } of stored) {
    const before = (await cases.assessment(who[`${org}/viewer`]!, id)).result as { overall: string; asOf: string; case: unknown };
    const after = await assessor.run(assessor.validate(before.case), before.asOf, newBundle, org);
    if (after.overall !== before.overall) expected.push(`${org} ${id} ${before.overall} → ${after.overall}`);
  }
  assert.equal(expected.length, 3, JSON.stringify(expected));
  const recheck = new Monitor({ db: service.db, store, assessor: async () => assessor, today: () => today });
  const report = await recheck.check();
  assert.equal(report.reassessed, (await service.db.query('SELECT DISTINCT case_id FROM assessments')).length, 'each case’s latest verdict, every case');
  const flips = [...(await alerts('org-a', 'verdict-change')), ...(await alerts('org-b', 'verdict-change'))].filter((a) => stored.some((s) => (a.evidence as { assessment: string }).assessment === s.id));
  const got = flips.map((a) => {
    const ev = a.evidence as { assessment: string; before: { overall: string }; after: { overall: string }; because: string[] };
    assert.ok(
      ev.because.some((b) => b.startsWith(`policy bundle ${newBundle.record.version} (${newBundle.record.hash})`)),
      JSON.stringify(ev.because),
    );
    return `${stored.find((s) => s.id === ev.assessment)!.org} ${ev.assessment} ${ev.before.overall} → ${ev.after.overall}`;
  });
  assert.deepEqual(got.sort(), expected.sort());

  // The same re-check again (the note of the earlier bundle put back): the same alerts, none recorded twice.
  await service.db.query("UPDATE monitor_seen SET value = 'an earlier bundle' WHERE kind = 'bundle' AND ref = 'policy'");
  const again = await recheck.check();
  assert.equal(again.reassessed, report.reassessed);
  assert.deepEqual(again.alerts, {});
});

test('a pass in which no list changed reads no list document, only ids and versions (the documents are megabytes, parsed on the thread that answers requests); a new version is still seen', async () => {
  const read: string[] = [];
  const recording = <T extends object>(target: T, methods: string[]): T =>
    new Proxy(target, {
      get(t, p) {
        const v = Reflect.get(t, p, t) as unknown;
        if (typeof v !== 'function') return v;
        return methods.includes(String(p)) ? (sql: string, ...rest: unknown[]) => (read.push(sql), (v as (...a: unknown[]) => unknown).call(t, sql, ...rest)) : v.bind(t);
      },
    });
  const watching = new Monitor({ db: recording(service.db, ['query']), store: recording(store, ['all', 'one']), assessor: async () => null as never, today: () => today });
  await watching.check();
  read.length = 0;
  await watching.check();
  const documents = (sql: string) => /\bdoc\b[^]*\bFROM risk_lists\b/.test(sql) || /FROM monitor_seen WHERE kind = 'list'/.test(sql);
  assert.deepEqual(read.filter(documents), []);

  const list = readWatchlist(
    writeTemp(
      'w.json',
      JSON.stringify({
        list: WATCHLIST_PROVENANCE,
        entries: [
          { name: 'Some Other Institute', level: 'high' },
          { name: 'Yet Another Institute', level: 'high' },
        ],
      }),
    ),
  );
  await saveLists(store, [list]);
  assert.equal((await watching.check()).lists, 1, 'the new version is a change');
  assert.ok(read.some(documents));
});

test('a list change reads the registry names of the institutions an organisation’s cases name in one query, not one per case', async () => {
  const research = { type: 'basic', open_publication: 'yes' };
  for (const i of [1, 2, 3]) await cases.create(who['org-b/analyst']!, { title: `Leuven ${i}`, partners: [{ ror: KU_LEUVEN, role: 'partner', country: 'BE' }], research });
  await saveLists(store, [
    readWatchlist(
      writeTemp(
        'w4.json',
        JSON.stringify({
          list: { ...WATCHLIST_PROVENANCE, retrieved: '2026-11-03' },
          entries: [
            { name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] },
            { name: 'KU Leuven', level: 'high' },
          ],
        }),
      ),
    ),
  ]);
  let nameQueries = 0;
  const counting = Object.create(store, {
    all: {
      value: (sql: string, params?: never) => {
        if (/institution_names/.test(sql)) nameQueries++;
        return store.all(sql, params);
      },
    },
  }) as Store;
  await new Monitor({ db: service.db, store: counting, today: () => today }).check();
  // The cases name Leuven by its ROR id only: the entry is found in them through the registry's name.
  const added = (await alerts('org-b', 'list-change')).filter((a) => a.title.endsWith('KU Leuven added'));
  assert.equal(added.length, 1, JSON.stringify(added.map((a) => a.title)));
  const occursIn = (added[0]!.evidence as { occursIn: { kind: string; title?: string }[] }).occursIn;
  assert.deepEqual(
    occursIn
      .filter((o) => o.kind === 'case' && /^Leuven \d$/.test(o.title!))
      .map((o) => o.title)
      .sort(),
    ['Leuven 1', 'Leuven 2', 'Leuven 3'],
  );
  assert.equal(nameQueries, 2, 'one query for each organisation with cases (org-a, org-b)');
});

test('re-assessments due are selected by the verdicts’ dates in an index; a verdict whose case was edited after it is due on its own date, once', async () => {
  today = '2026-06-01';
  const research = { type: 'basic', open_publication: 'yes' };
  const { id } = await cases.create(who['org-a/analyst']!, { title: 'Due: Leuven', partners: [{ ror: KU_LEUVEN, role: 'partner', country: 'BE' }], research });
  const verdict = await cases.assess(who['org-a/analyst']!, id, '2020-01-01');
  await cases.update(who['org-a/analyst']!, id, { title: 'Due: Leuven, edited', partners: [{ ror: KU_LEUVEN, role: 'partner', country: 'BE' }], research: { ...research, open_publication: 'no' } }, 1);
  const mine = async () => (await alerts('org-a', 'reassessment-due')).filter((a) => (a.evidence as { assessment: string }).assessment === verdict.id);
  await monitor.check();
  const due = await mine();
  assert.equal(due.length, 1);
  assert.equal(due[0]!.title, `Due: Leuven, edited: re-assessment due since ${verdict.result.reassessBy}`);
  assert.deepEqual(due[0]!.evidence, { assessment: verdict.id, case: id, overall: verdict.overall, asOf: '2020-01-01', reassessBy: verdict.result.reassessBy });
  await monitor.check();
  assert.equal((await mine()).length, 1, 'once');
  const plan = (await service.db.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${REASSESSMENTS_DUE}`, [today])).map((r) => r.detail);
  assert.ok(
    plan.some((d) => /^SEARCH a USING INDEX assessments_reassess \(reassess_by<\?\)/.test(d)),
    plan.join('; '),
  );
});

test('after a list change only the screener is built anew: the registry and its resolver are kept while the registry version holds, and the re-check gives what a screener built from scratch gives', async () => {
  const version = (retrieved: string, level: string) => readWatchlist(writeTemp(`w-${retrieved}.json`, JSON.stringify({ list: { ...WATCHLIST_PROVENANCE, retrieved }, entries: [{ name: 'Harbin Institute of Technology', level, ror_ids: [HIT] }] })));
  await saveLists(store, [version('2026-11-05', 'high')]);
  const first = await screeningContext(store);
  // A verdict that records the hit on the list.
  const assessing = new CaseService(service.db, new Assessor({ store, screening: first, bundle }));
  const { id } = await assessing.create(who['org-a/analyst']!, { title: 'Rebuilt: HIT', partners: [{ ror: HIT, role: 'partner', country: 'CN', kind: 'university' }], research: { type: 'basic', open_publication: 'yes' } });
  await assessing.assess(who['org-a/analyst']!, id, '2026-06-01');
  await saveLists(store, [version('2026-11-06', 'very-high')]);
  let registryReads = 0;
  const all = store.all.bind(store);
  Object.defineProperty(store, 'all', { configurable: true, value: (sql: string, params?: never) => (/FROM institutions i\b/.test(sql) && registryReads++, all(sql, params)) });
  const rebuilt = await screeningContext(store).finally(() => delete (store as { all?: unknown }).all);
  assert.equal(rebuilt.resolver, first.resolver, 'the same resolver');
  assert.equal(registryReads, 0, 'the registry is not read again');
  assert.equal(rebuilt.lists.find((l) => l.id === WATCHLIST_PROVENANCE.id)?.provenance.retrieved, '2026-11-06', 'the new version is screened');

  // Every stored verdict re-run as the monitor re-runs them, with this screener and with one built from scratch.
  const scratch = new Assessor({ store, screening: buildScreeningContext(await loadedLists(store), await loadRegistry(store)), bundle });
  const kept = new Assessor({ store, screening: rebuilt, bundle });
  const items = (await service.db.query<{ org_id: string; as_of: string; result: string }>('SELECT org_id, as_of, result FROM assessments ORDER BY id')).map((r) => ({ c: kept.validate((JSON.parse(r.result) as { case: unknown }).case), asOf: r.as_of, orgId: r.org_id }));
  assert.ok(
    items.some(({ c }) => c.partners.some((p) => p.ror === HIT)),
    'a verdict the new level concerns',
  );
  const outcome = (results: unknown[]) => JSON.stringify(results.map((r) => (r instanceof Error ? r.message : r)));
  assert.equal(outcome(await kept.runMany(items)), outcome(await scratch.runMany(items)));
});

test('a list change reads the snapshots only of verdicts that recorded something of that list; where the change occurs is found as before', async () => {
  const research = { type: 'basic', open_publication: 'yes' };
  const version = (retrieved: string, level: string) => readWatchlist(writeTemp(`v-${retrieved}.json`, JSON.stringify({ list: { ...WATCHLIST_PROVENANCE, retrieved }, entries: [{ name: 'Harbin Institute of Technology', level, ror_ids: [HIT] }] })));
  await saveLists(store, [version('2026-11-07', 'high')]);
  await monitor.check();
  // Assessed with the lists loaded now: the verdict on HIT records its hit.
  const assessing = new CaseService(service.db, new Assessor({ store, screening: await screeningContext(store), bundle }));
  const withHit = await assessing.create(who['org-b/analyst']!, { title: 'Snapshot: HIT', partners: [{ ror: HIT, role: 'partner', country: 'CN', kind: 'university' }], research });
  const without = await assessing.create(who['org-b/analyst']!, { title: 'Snapshot: Leuven', partners: [{ ror: KU_LEUVEN, role: 'partner', country: 'BE' }], research });
  const hit = await assessing.assess(who['org-b/analyst']!, withHit.id, '2026-06-01');
  const none = await assessing.assess(who['org-b/analyst']!, without.id, '2026-06-01');
  assert.match(JSON.stringify(hit.result.snapshot), new RegExp(`"list":"${WATCHLIST_PROVENANCE.id}"`));
  await saveLists(store, [version('2026-11-08', 'very-high')]);
  const read = new Set<string>();
  const recording = new Proxy(service.db, {
    get(t, p) {
      const v = Reflect.get(t, p, t) as unknown;
      if (p !== 'query') return typeof v === 'function' ? v.bind(t) : v;
      return async (sql: string, params?: never) => {
        const rows = await t.query<{ id?: string; snapshot?: string }>(sql, params);
        for (const r of rows) if (typeof r.snapshot === 'string') read.add(r.id!);
        return rows;
      };
    },
  });
  await new Monitor({ db: recording, store, today: () => today }).check();
  assert.ok(read.has(hit.id), 'the verdict with a hit on the list is read');
  assert.ok(!read.has(none.id), 'the verdict with nothing of the list is not read');
  const changed = (await alerts('org-b', 'list-change')).find((a) => a.title.endsWith('Harbin Institute of Technology changed (level)') && (a.evidence as { list: { retrieved: string } }).list.retrieved === '2026-11-08')!;
  assert.ok(
    (changed.evidence as { occursIn: { kind: string; id?: string }[] }).occursIn.some((o) => o.kind === 'verdict' && o.id === hit.id),
    JSON.stringify(changed.evidence),
  );
});

test('a list loaded for the first time re-checks the verdicts made before it: a verdict it flips is told, citing the first load', async () => {
  const fresh = await testService(store);
  try {
    const assessor = async () => new Assessor({ store, screening: await screeningContext(store), bundle });
    const watching = new Monitor({ db: fresh.db, store, assessor, today: () => today });
    await watching.check();
    const assessing = new CaseService(fresh.db, await assessor());
    const created = await assessing.create(who['org-b/analyst']!, { title: 'Materials with KU Leuven', partners: [{ ror: KU_LEUVEN, role: 'partner', country: 'BE', kind: 'university' }], research: { type: 'basic', open_publication: 'yes' } });
    const stored = await assessing.assess(who['org-b/analyst']!, created.id, '2026-06-01');
    await watching.check();
    const flipsIn = async () => (await new AlertInbox(fresh.db).list(who['org-b/viewer']!)).filter((a) => a.kind === 'verdict-change');
    assert.deepEqual(await flipsIn(), [], 'nothing changed yet');

    const second = { ...WATCHLIST_PROVENANCE, id: 'second-watchlist', title: 'A list loaded after the verdict' };
    await saveLists(store, [readWatchlist(writeTemp('second.json', JSON.stringify({ list: second, entries: [{ name: 'KU Leuven', level: 'very-high', ror_ids: [KU_LEUVEN] }] })))]);
    const report = await watching.check();
    assert.ok(report.reassessed >= 1, JSON.stringify(report));
    const flips = await flipsIn();
    assert.equal(flips.length, 1, JSON.stringify(flips));
    const ev = flips[0]!.evidence as { assessment: string; before: { overall: string }; after: { overall: string }; because: string[] };
    assert.equal(ev.assessment, stored.id);
    assert.notEqual(ev.after.overall, stored.overall);
    assert.ok(
      ev.because.some((b) => b.startsWith(`list ${second.id} first loaded`)),
      JSON.stringify(ev.because),
    );
  } finally {
    await fresh.close();
  }
});

test('with no verdict stored, the re-checks owed are dropped: a later first verdict is not re-checked for changes it already saw', async () => {
  const fresh = await testService(store);
  try {
    const assessor = async () => new Assessor({ store, screening: await screeningContext(store), bundle });
    const watching = new Monitor({ db: fresh.db, store, assessor, today: () => today });
    await watching.check();
    const version = (retrieved: string) => readWatchlist(writeTemp(`owed-${retrieved}.json`, JSON.stringify({ list: { ...WATCHLIST_PROVENANCE, id: 'owed-watchlist', retrieved }, entries: [{ name: 'Some Other Institute', level: 'high' }] })));
    await saveLists(store, [version('2026-11-20')]);
    await watching.check();
    await saveLists(store, [version('2026-11-21')]);
    await watching.check();
    const owedRows = () => fresh.db.query("SELECT value FROM monitor_seen WHERE kind = 'owed'");
    assert.deepEqual(await owedRows(), [], 'nothing is owed without verdicts');

    const assessing = new CaseService(fresh.db, await assessor());
    const created = await assessing.create(who['org-a/analyst']!, { title: 'First verdict', partners: [{ ror: KU_LEUVEN, role: 'partner', country: 'BE', kind: 'university' }], research: { type: 'basic', open_publication: 'yes' } });
    await assessing.assess(who['org-a/analyst']!, created.id, '2026-06-01');
    assert.equal((await watching.check()).reassessed, 0, 'nothing changed since the verdict');
  } finally {
    await fresh.close();
  }
});

test('a watched case is labelled as the watcher may read it now: its title while shared, nothing of it once its owner stops sharing it', async () => {
  const shared = await cases.create(who['org-a/analyst']!, { title: 'Quantum sensing with a secret partner', partners: [{ ror: KU_LEUVEN, role: 'partner', country: 'BE' }], research: { type: 'basic', open_publication: 'yes' } });
  await new Accounts(service.db).createOrganisation(OPERATOR, 'org-b', 'B');
  await cases.share(who['org-a/officer']!, shared.id, 'org-b');
  const watchlists = new Watchlists(service.db, new StoreSubjects(store));
  await watchlists.add(who['org-b/analyst']!, { text: shared.id, kind: 'case' });
  const caseItems = async () => (await watchlists.list(who['org-b/viewer']!)).filter((w) => w.kind === 'case' && w.ref === shared.id);
  assert.deepEqual(
    (await caseItems()).map((w) => w.label),
    ['Quantum sensing with a secret partner'],
  );
  await cases.unshare(who['org-a/officer']!, shared.id, 'org-b');
  const after = await caseItems();
  assert.deepEqual(
    after.map((w) => w.label),
    ['a case your organisation can no longer read'],
  );
  assert.doesNotMatch(JSON.stringify(await watchlists.list(who['org-b/viewer']!)), /Quantum sensing/);
});

test('what was told of a verdict is dropped once a newer assessment of its case supersedes it (or the verdict is gone); the latest keeps it', async () => {
  const created = await cases.create(who['org-a/analyst']!, { title: 'Superseded verdicts', partners: [{ ror: KU_LEUVEN, role: 'partner', country: 'BE' }], research: { type: 'basic', open_publication: 'yes' } });
  const older = await cases.assess(who['org-a/analyst']!, created.id, '2026-06-01');
  const told = JSON.stringify({ change: null, flips: 1 });
  const seen = async (latest = '') => (await service.db.query<{ ref: string }>("SELECT ref FROM monitor_seen WHERE kind = 'verdict-change' AND ref IN ($1, $2, $3) ORDER BY ref", [older.id, latest, 'a-verdict-deleted-since'])).map((r) => r.ref);
  for (const ref of [older.id, 'a-verdict-deleted-since']) await service.db.query("INSERT INTO monitor_seen (kind, ref, value, seen_at) VALUES ('verdict-change', $1, $2, $3)", [ref, told, new Date().toISOString()]);
  await monitor.check();
  assert.deepEqual(await seen(), [older.id], 'the latest verdict keeps what was told of it');
  const latest = await cases.assess(who['org-a/analyst']!, created.id, '2026-06-02');
  await service.db.query("INSERT INTO monitor_seen (kind, ref, value, seen_at) VALUES ('verdict-change', $1, $2, $3)", [latest.id, told, new Date().toISOString()]);
  await monitor.check();
  assert.deepEqual(await seen(latest.id), [latest.id], 'the superseded verdict’s row is gone');
});
