import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import type { AppDb } from '../../src/appdb/db.ts';
import { loadTaxonomy } from '../../src/fields/taxonomy.ts';
import { BUNDLED_REGIONS } from '../../src/regions/regions.ts';
import { buildServer, type ServerOptions } from '../../src/server/app.ts';
import { SESSION_COOKIE } from '../../src/server/auth.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { openSealedTrail } from '../../src/service/audit.ts';
import { ROLES, type Actor, type Role } from '../../src/service/authorize.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from './fixtures.ts';

export interface TestService {
  app: FastifyInstance;
  db: AppDb;
  accounts: Accounts;
  admin: Actor;
  /** An API token of the local admin. */
  token: string;
  /** A one-time login code for the local admin, as the console prints it. */
  loginCode(): Promise<string>;
  /** Where the audit key and anchor are kept (outside the database). */
  home: string;
  close(): Promise<void>;
}

/** A server over `store` with a fresh embedded application database and its local admin. */
export async function testService(store: Store, extra: Partial<ServerOptions> = {}, db?: AppDb): Promise<TestService> {
  const home = tempDir();
  const raw = db ?? (await EmbeddedDb.open(join(home, 'app.sqlite')));
  await migrate(raw);
  const appDb = db ?? (await openSealedTrail(raw, { keyPath: join(home, 'audit.key'), anchorPath: join(home, 'audit.anchor.json') }));
  const accounts = new Accounts(appDb);
  const { actor } = await accounts.ensureLocalAdmin();
  const { token } = await accounts.createToken(actor, 'test');
  const app = await buildServer({ store, db: appDb, regionFiles: [BUNDLED_REGIONS], taxonomy: loadTaxonomy(), ...extra });
  return {
    app,
    db: appDb,
    accounts,
    admin: actor,
    token,
    home,
    loginCode: () => accounts.mintLoginCode(OPERATOR, actor.userId, 'test'),
    close: async () => {
      await app.close();
      if (!db) await appDb.close();
    },
  };
}

/** The password of every user `addMembers` makes. */
export const PASSWORD = 'correct horse battery staple';

/**
 * Organisations `orgs` (named `org.toUpperCase()`), each with a user of every role in `roles`
 * (`role@org.example`, logged in once, with an API token): their actors, tokens, user ids and the
 * headers of their browser session (cookie and CSRF token, for what a token may not do) keyed `org/role`.
 */
export async function addMembers(accounts: Accounts, orgs: string[], roles: readonly Role[] = ROLES) {
  const members = { actors: {} as Record<string, Actor>, tokens: {} as Record<string, string>, userIds: {} as Record<string, string>, sessions: {} as Record<string, Record<string, string>> };
  for (const org of orgs) {
    await accounts.createOrganisation(OPERATOR, org, org.toUpperCase());
    for (const role of roles) {
      const email = `${role}@${org}.example`;
      const key = `${org}/${role}`;
      members.userIds[key] = await accounts.createUser(OPERATOR, { orgId: org, email, name: `${role} of ${org}`, role, password: PASSWORD });
      const { actor, session, csrf } = await accounts.login(email, PASSWORD);
      members.actors[key] = actor;
      members.sessions[key] = { cookie: `${SESSION_COOKIE}=${session}`, 'x-csrf-token': csrf };
      members.tokens[key] = (await accounts.createToken(actor, 'test')).token;
    }
  }
  return members;
}
