import { join } from 'node:path';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { Assessor } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import type { Actor } from '../../src/service/authorize.ts';
import { CaseService } from '../../src/service/cases.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from './fixtures.ts';
import { landscapeStore } from './landscape.ts';
import { watchlist } from './watchlist.ts';

/** Cases assessed over a store's lists with the shipped policy bundle, for the organisation "org-a", in an application database under `home`. */
export async function caseService(store: Store, home: string): Promise<{ db: EmbeddedDb; assessor: Assessor; cases: CaseService }> {
  const assessor = new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() });
  const db = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(db);
  await new Accounts(db).createOrganisation(OPERATOR, 'org-a', 'Org A');
  return { db, assessor, cases: new CaseService(db, assessor) };
}

/** The officer of "org-a" who writes and assesses the cases of these tests. */
export const OFFICER: Actor = { userId: 'u-officer', orgId: 'org-a', role: 'officer', name: 'Officer A' };

/** A case green as written: open basic research, every answer the harmless one, partners Oxford and a Chinese university (by ROR id). */
export const GREEN_CASE = {
  title: 'Open basic research on graph theory',
  partners: [
    { name: 'University of Oxford', role: 'lead', country: 'GB' },
    { ror: '03cve4549', role: 'partner', country: 'CN' },
  ],
  technology: { fields: ['ai-ml-big-data'], dual_use: 'no', export_controlled: 'no' },
  application: { uses: ['scientific-research-only'], populations: ['general'] },
  research: { type: 'basic', open_publication: 'yes' },
  data: { kinds: ['public'], storage: ['EU'], transfer_to_china: 'no', subjects: ['none'], access: 'none' },
  terms: { equal_access_to_data: 'yes', equal_right_to_publish: 'yes', ip_agreement: 'yes', partner_veto_on_publication: 'no' },
  funders: [],
  in_kind: [],
  personnel: [{ name: 'B. Scholar', affiliations: ['University of Oxford'], talent_programmes: 'none', mobility: ['none'] }],
};

/** The green case on a topic in no sensitive field: no criterion that reads the field applies. */
export const GREEN_UNSENSITIVE_CASE = { ...GREEN_CASE, title: 'Open basic research on medieval manuscripts', technology: { fields: 'none', dual_use: 'no', export_controlled: 'no' } };

/** That case with Oxford leading and `partner` as written as the partner, for the verdict to turn on how that name screens. */
export const unsensitiveCaseWith = (partner: string) => ({
  ...GREEN_UNSENSITIVE_CASE,
  partners: [
    { name: 'University of Oxford', role: 'lead', country: 'GB' },
    { name: partner, role: 'partner' },
  ],
});

/**
 * The set-up of the assessment tests: the landscape store (with `registry` records added to its
 * registry) and one watchlist of `entries`, screened when `screen` is set, and the case service
 * over it.
 */
export async function casesOverWatchlist(entries: object[], registry: object[] = [], { screen = false } = {}) {
  const home = tempDir();
  const store = await landscapeStore(home, [], registry);
  await saveLists(store, [readWatchlist(watchlist(entries))]);
  if (screen) await screenPending(store, await screeningContext(store));
  const service = await caseService(store, home);
  return {
    store,
    ...service,
    close: async () => {
      await service.db.close();
      store.close();
    },
  };
}
