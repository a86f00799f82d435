import type { Config } from '../config.ts';
import type { ClickHouseEvidence } from '../store/clickhouse.ts';
import type { Store } from '../store/store.ts';
import { invocation } from './io.ts';

/** Exit codes: 0 all good, 1 failed, 2 usage error, 3 finished but some records were quarantined. */
export const EXIT = { ok: 0, failed: 1, usage: 2, quarantined: 3 } as const;

/** A mistake in the command line: reported with the usage text and exit code 2. */
export class UsageError extends Error {}

export const COMMON = {
  'regions-file': { type: 'string', multiple: true },
  'china-includes-hk': { type: 'boolean' },
  'china-includes-mo': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function withStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  // A command forwarded to the running server works on the store the server holds open.
  const owned = invocation().store;
  if (owned) return work(owned);
  // Loaded here, not above: DuckDB takes a while to load, and many commands never open the store.
  const { Store } = await import('../store/store.ts');
  const store = await Store.open(config.storePath);
  try {
    return await work(store);
  } finally {
    store.close();
  }
}

/** The evidence store on the ClickHouse cluster DERISK_EVIDENCE_URL names, or undefined without the setting; the caller closes it. */
export async function connectEvidenceCluster(config: Config): Promise<ClickHouseEvidence | undefined> {
  // Loaded only with the setting: the client is large, and most installations have no cluster.
  return config.evidenceUrl ? (await import('../store/clickhouse.ts')).ClickHouseEvidence.connect(config.evidenceUrl) : undefined;
}
