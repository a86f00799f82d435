import { parseArgs } from './args.ts';
import { openAppDb } from '../appdb/open.ts';
import { loadConfig } from '../config.ts';
import { loadTaxonomy } from '../fields/taxonomy.ts';
import { BUNDLED_REGIONS } from '../regions/regions.ts';
import { parseAllowList } from '../monitoring/destinations.ts';
import { parseFeedOrigins } from '../exchange/origins.ts';
import { buildServer } from '../server/app.ts';
import { Accounts } from '../service/accounts.ts';
import { missingAnchor, sealOf } from '../service/audit.ts';
import { beginServerRun } from '../service/server-run.ts';
import type { Store } from '../store/store.ts';
import { connectEvidenceCluster, EXIT, withStore, type ExitCode } from './common.ts';
import { openConsoleLink } from './console-link.ts';
import { streamableFile } from '../text-file.ts';
import { whole } from './option-values.ts';
import { refuseBesideServer } from './control-file.ts';

/** --port: 0 asks the system for a free one. */
export const PORT = whole(0, 65535, 'a port number');

export async function serveCommand(argv: string[]): Promise<ExitCode> {
  const { values } = parseArgs({ args: argv, command: 'serve', options: { port: { type: 'string' }, host: { type: 'string' }, 'regions-file': { type: 'string', multiple: true } }, checks: { port: PORT } });
  // Checked before the store and the application database open (and an administrator is created): the web app reads them at start.
  for (const file of values['regions-file'] ?? []) streamableFile(file);
  const config = loadConfig();
  refuseBesideServer(config.home, 'use the one running');
  return withStore(config, async (store) => {
    await serveStore(store, Number(values.port ?? 8720), values.host ?? '127.0.0.1', values['regions-file'] ?? []);
    return EXIT.ok;
  });
}

/**
 * Serves the web app and API over an open store until SIGINT or SIGTERM; the server owns the store
 * and the embedded application database meanwhile. At first start it creates the installation's
 * admin and prints the password once; every start prints an address with a one-time login code
 * (no credential is ever printed that outlives the run or its first use).
 */
export async function serveStore(store: Store, port: number, host: string, regionFiles: string[]): Promise<void> {
  const config = loadConfig();
  const destinations = { allowInternal: parseAllowList(config.webhookAllowInternal) };
  const feeds = parseFeedOrigins(config.exchangeAllow);
  const db = await openAppDb(config);
  const clickhouse = await connectEvidenceCluster(config);
  try {
    // Not a reason to stay down (the trail is still written), but said at every start until accounted for.
    const missing = await missingAnchor(db, sealOf(db));
    if (missing) console.error(`derisk: AUDIT TRAIL FAILURE: ${missing}`);
    const accounts = new Accounts(db);
    const { actor, password } = await accounts.ensureLocalAdmin();
    if (password) console.log(`\ncreated the administrator admin@localhost; password (shown once): ${password}`);
    const run = await beginServerRun(db, accounts, config.home, actor.userId);
    const app = await buildServer({
      store,
      clickhouse,
      db,
      regionFiles: [BUNDLED_REGIONS, ...regionFiles],
      taxonomy: loadTaxonomy(),
      home: config.home,
      trustProxy: config.trustProxy,
      publicUrl: config.publicUrl,
      exchange: { feeds },
      monitoring: { webhooks: { destinations }, mail: config.mail ?? undefined, openalex: config.openalex ?? undefined },
    });
    const address = await app.listen({ port, host });
    const link = await openConsoleLink({ home: config.home, store, db, storeChanged: () => app.sharedEvidenceChanged() });
    console.log(
      `\nderisk serving ${store.path}${clickhouse ? ` (indicators from the ClickHouse cluster ${clickhouse.settings.cluster} at ${clickhouse.settings.url}/${clickhouse.settings.database})` : ''} (application database: ${config.databaseUrl ? 'PostgreSQL' : config.appDbPath})\nopen ${address}/#code=${run.code}\n(a one-time login code, good for 10 minutes; API tokens: the web app's Tokens page or POST /api/tokens; OpenAPI at ${address}/api/openapi.json; Ctrl-C stops)`,
    );
    await new Promise<void>((resolve) => {
      // Either signal, once: a second one finds no listener and Node's default ends the process at once.
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    // Finish the requests and commands under way, then close: nothing is left half-written. Heavy requests (a batch, an
    // assessment) are told to stop at their next name (heavy-work.ts), so a busy server stops promptly.
    await link.close();
    await app.close();
    await run.end();
  } finally {
    await clickhouse?.close();
    await db.close();
  }
}
