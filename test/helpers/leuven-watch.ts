import { join } from 'node:path';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import type { AppDb } from '../../src/appdb/db.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { AlertInbox } from '../../src/monitoring/alerts.ts';
import { Monitor } from '../../src/monitoring/monitor.ts';
import { StoreSubjects } from '../../src/monitoring/subjects.ts';
import { Watchlists } from '../../src/monitoring/watchlists.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import type { Tier } from '../../src/resolve/matcher.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from './fixtures.ts';
import { HIT, LEUVEN_REGISTRY } from './leuven.ts';
import { watchlist } from './watchlist.ts';

/**
 * A store on the Leuven registry with Harbin Institute of Technology listed, and an organisation whose analyst watches KU
 * Leuven: `ingest` brings the evidence in, which is resolved, counted (at `minTier`), screened and monitored once.
 * `alertsOf` reads the analyst's alerts whose title opens with `title`.
 */
export async function leuvenWatch(title: string, ingest: (store: Store, home: string) => Promise<unknown>, minTier?: Exclude<Tier, 'unresolved'>) {
  const home = tempDir();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  await ingestRegistry(store, writeTemp('ror.jsonl', LEUVEN_REGISTRY.map((r) => JSON.stringify(r)).join('\n')));
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] }]))]);
  const db: AppDb = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(db);
  const accounts = new Accounts(db);
  await accounts.createOrganisation(OPERATOR, 'org-a', 'ORG-A');
  await accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'analyst@org-a.example', name: 'Analyst', role: 'analyst', password: 'correct horse battery staple' });
  const who = (await accounts.login('analyst@org-a.example', 'correct horse battery staple')).actor;
  await new Watchlists(db, new StoreSubjects(store)).add(who, { text: 'KU Leuven' });
  const inbox = new AlertInbox(db);
  await ingest(store, home);
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await refreshAnalytics(store, minTier);
  await screenPending(store, await screeningContext(store));
  await new Monitor({ db, store }).check();
  const alertsOf = async (): Promise<{ title: string; evidence: unknown }[]> => (await inbox.list(who)).filter((a) => a.title.startsWith(title));
  return { store, db, alertsOf };
}
