import { join } from 'node:path';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { Assessor } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { screeningContext } from '../../src/screening/store.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { CaseService } from '../../src/service/cases.ts';
import type { Store } from '../../src/store/store.ts';

/** Cases assessed over a store's lists with the shipped policy bundle, for the organisation "org-a", in an application database under `home`. */
export async function caseService(store: Store, home: string): Promise<{ db: EmbeddedDb; assessor: Assessor; cases: CaseService }> {
  const assessor = new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() });
  const db = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(db);
  await new Accounts(db).createOrganisation(OPERATOR, 'org-a', 'Org A');
  return { db, assessor, cases: new CaseService(db, assessor) };
}
