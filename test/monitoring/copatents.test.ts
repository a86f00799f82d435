import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import type { AppDb } from '../../src/appdb/db.ts';
import { ingestPatents } from '../../src/ingest/patents.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { AlertInbox } from '../../src/monitoring/alerts.ts';
import { Monitor } from '../../src/monitoring/monitor.ts';
import { StoreSubjects } from '../../src/monitoring/subjects.ts';
import { Watchlists } from '../../src/monitoring/watchlists.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { openSealedTrail } from '../../src/service/audit.ts';
import type { Actor } from '../../src/service/authorize.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { HIT, KU_LEUVEN, LEUVEN_REGISTRY } from '../helpers/leuven.ts';
import { watchlist } from '../helpers/watchlist.ts';

// New co-patents alert as new co-publications do: A watches KU Leuven, B watches Delft; Harbin
// Institute of Technology and Tsinghua University are on a list. Patents arrive in the shared base
// from a PATSTAT applicant table and a Lens export (test/input/).
const PASSWORD = 'correct horse battery staple';
const INPUT = join(import.meta.dirname, '..', 'input');

let store: Store;
let db: AppDb;
let monitor: Monitor;
let inbox: AlertInbox;
const who: Record<string, Actor> = {};

before(async () => {
  const home = tempDir();
  store = await Store.open(join(home, 'derisk.duckdb'));
  await ingestRegistry(store, writeTemp('ror.jsonl', LEUVEN_REGISTRY.map((r) => JSON.stringify(r)).join('\n')));
  await saveLists(store, [
    readWatchlist(
      watchlist([
        { name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] },
        { name: 'Tsinghua University', level: 'high' },
      ]),
    ),
  ]);
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(raw);
  db = await openSealedTrail(raw, { keyPath: join(home, 'audit.key'), anchorPath: join(home, 'audit.anchor.json') });
  const accounts = new Accounts(db);
  for (const org of ['org-a', 'org-b']) {
    await accounts.createOrganisation(OPERATOR, org, org.toUpperCase());
    await accounts.createUser(OPERATOR, { orgId: org, email: `analyst@${org}.example`, name: `Analyst of ${org}`, role: 'analyst', password: PASSWORD });
    who[org] = (await accounts.login(`analyst@${org}.example`, PASSWORD)).actor;
  }
  const watchlists = new Watchlists(db, new StoreSubjects(store));
  await watchlists.add(who['org-a']!, { text: 'KU Leuven' });
  await watchlists.add(who['org-b']!, { text: 'Delft University of Technology' });
  monitor = new Monitor({ db, store });
  inbox = new AlertInbox(db);
});
after(async () => {
  await db.close();
  store.close();
});

const alertsOf = async (org: string) => (await inbox.list(who[org]!)).filter((a) => a.title.startsWith('New co-patent'));

test('a PATSTAT co-patent of a watched institution with a listed entity: one alert with the applicants as evidence, after its names are resolved and screened, exactly once', async () => {
  const report = await ingestPatents(store, 'patstat', join(INPUT, 'patstat-copatents.csv'));
  // Application 600005 has a row set aside (a bad country code): set aside whole, so no alert can rest on half of it.
  assert.equal(report.quarantined, 1, JSON.stringify(report));
  // Not resolved and screened yet: the file waits, nothing is said about it.
  const early = await monitor.check();
  assert.equal(early.deferred, 1);
  assert.deepEqual(await alertsOf('org-a'), []);
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await screenPending(store, await screeningContext(store));
  const checked = await monitor.check();
  assert.equal(checked.files, 1);
  const a = await alertsOf('org-a');
  assert.deepEqual(
    a.map((x) => x.title),
    ['New co-patent of KU Leuven with Harbin Institute of Technology (2022)'],
    'only 600001: 600002 has no listed applicant, 600003 no watched one, 600004 an inventor only',
  );
  const alert = a[0]!;
  assert.equal(alert.kind, 'new-copublication');
  // A PATSTAT patent has no page elsewhere: it opens the watched institution's portfolio, and api is that portfolio's JSON.
  assert.deepEqual([alert.link, alert.api], [`/#/screen/portfolio/${KU_LEUVEN}`, `/api/portfolio?ror=${KU_LEUVEN}`]);
  const evidence = alert.evidence as {
    patent: { source: string; id: string; year: number };
    watched: { kind: string; ref: string; why: string }[];
    listed: { entry: string; raw: string }[];
    applicants: { applicant: string; institutions: string[]; country: string; listed: string[] }[];
    evidence: { kind: string };
  };
  assert.deepEqual([evidence.patent.source, evidence.patent.id, evidence.patent.year], ['patstat', '600001', 2022]);
  assert.deepEqual(evidence.watched, [{ kind: 'institution', ref: KU_LEUVEN, label: 'KU Leuven, BE', why: 'a watched institution files a patent with a listed entity' }]);
  assert.deepEqual(
    evidence.applicants.map((x) => [x.applicant, x.institutions, x.country, x.listed.length > 0]),
    [
      ['KU LEUVEN', [KU_LEUVEN], 'BE', false],
      ['HARBIN INSTITUTE OF TECHNOLOGY', [HIT], 'CN', true],
    ],
    'the applicants, not the inventor',
  );
  assert.equal(evidence.evidence.kind, 'patents-patstat');
  assert.deepEqual(await alertsOf('org-b'), [], 'B watches Delft, which is on none of these patents');
  // Another pass, and the same file loaded again (its patents already held): nothing new.
  await monitor.check();
  await ingestPatents(store, 'patstat', join(INPUT, 'patstat-copatents.csv'));
  await monitor.check();
  assert.equal((await alertsOf('org-a')).length, 1);
});

test('a Lens co-patent (applicants without countries) of a watched institution with a listed one links to the patent on lens.org', async () => {
  await ingestPatents(store, 'lens', join(INPUT, 'lens-export.csv'));
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await screenPending(store, await screeningContext(store));
  await monitor.check();
  const b = await alertsOf('org-b');
  assert.deepEqual(
    b.map((x) => [x.title, x.link, x.api]),
    [['New co-patent of Delft University of Technology with Tsinghua University (2022)', 'https://www.lens.org/lens/patent/012-345-678-901-234', null]],
    'the patent on lens.org, which has no JSON route here',
  );
  assert.equal((await alertsOf('org-a')).length, 1, 'A watches KU Leuven, on none of the Lens patents');
});
