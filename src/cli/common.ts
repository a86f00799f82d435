import type { Config } from '../config.ts';
import type { ClickHouseEvidence } from '../store/clickhouse.ts';
import type { Store } from '../store/store.ts';
import { invocation, out } from './io.ts';

/**
 * Every exit code a command returns, what it means and which commands return it: the one source of
 * the codes the commands return (EXIT, the screening states') and of README's table of them
 * (test/cli/exit-codes.test.ts holds the two together).
 */
export const EXIT_CODES = {
  ok: { code: 0, means: 'done', commands: 'every command; `screen`: the registry recognises it and no list names it' },
  failed: {
    code: 1,
    means: 'failed: the reason is on stderr',
    commands:
      'every command, a file it names that is missing or cannot be read (or, to write, is a directory or in no folder) or whose content it refuses (a `screen --batch` file without names) included; also `audit verify` and `restore` when the trail has problems, `exchange pull` when a feed was refused, `monitor fetch` when a pull failed (kept for the next pass)',
  },
  usage: { code: 2, means: 'usage error: every mistake in the command line is named, with the usage of that command', commands: 'every command' },
  quarantined: { code: 3, means: 'done, but some records were quarantined (set aside with their file, line and reason)', commands: '`ingest`, `lists load --format ftm`, `resolve`, `monitor fetch`, `demo`' },
  listed: { code: 10, means: 'a list names it', commands: '`screen` (a batch: at least one name)' },
  ambiguous: { code: 11, means: 'ambiguous: choose the institution meant', commands: '`screen` (a batch: at least one name, and none listed)' },
  unknown: { code: 12, means: 'unknown organisation: identify it first', commands: '`screen` (a batch: at least one name, and none listed or ambiguous)' },
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES]['code'];

export const EXIT = { ok: EXIT_CODES.ok.code, failed: EXIT_CODES.failed.code, usage: EXIT_CODES.usage.code, quarantined: EXIT_CODES.quarantined.code } as const;

/** A mistake in the command line: reported with the usage text and exit code 2. */
export class UsageError extends Error {}

/** The commands that count by region, and so take REGION_OPTIONS. */
const COUNTING_BY_REGION = ['summary', 'indicators', 'facts', 'resolve', 'brief', 'demo'] as const;

/**
 * Options of the commands that count by region (src/cli/regions-option.ts). Round 48: every command
 * took them and most ignored them (`screen --regions-file MISSING` exited as if not given).
 */
export const REGION_OPTIONS = {
  'regions-file': { type: 'string', multiple: true },
  'china-includes-hk': { type: 'boolean' },
  'china-includes-mo': { type: 'boolean' },
} as const;

/**
 * The commands that take each of REGION_OPTIONS: serve takes --regions-file alone, for the web app's
 * counts (round 49: `serve --china-includes-hk` was told the option is for commands that include serve).
 */
export const TAKING_REGION_OPTION: Readonly<Record<keyof typeof REGION_OPTIONS, readonly string[]>> = {
  'regions-file': [...COUNTING_BY_REGION, 'serve'],
  'china-includes-hk': COUNTING_BY_REGION,
  'china-includes-mo': COUNTING_BY_REGION,
};

export const COMMON = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Runs `work` on the store. A store whose registry an older version ingested (registryLacks) is said to
 * every command, not answered from silently: its resolutions, and the counts and briefs drawn from them,
 * may differ from a fresh store's with the same dump until an ingest reads the registry again.
 */
export async function withStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const said = async (store: Store) => {
    // Loaded here, not at the top: `derisk --help` loads the dispatcher alone (test/cli.test.ts).
    const { lacksMessage, registryLacks } = await import('../ingest/registry-row.ts');
    const lacking = await registryLacks(store);
    if (lacking.length > 0) out.error(`derisk: ${lacksMessage(lacking)}`);
    return work(store);
  };
  // A command forwarded to the running server works on the store the server holds open.
  const owned = invocation().store;
  if (owned) return said(owned);
  // Loaded here, not above: DuckDB takes a while to load, and many commands never open the store.
  const { Store } = await import('../store/store.ts');
  const store = await Store.open(config.storePath);
  try {
    return await said(store);
  } finally {
    store.close();
  }
}

/** The evidence store on the ClickHouse cluster DERISK_EVIDENCE_URL names, or undefined without the setting; the caller closes it. */
export async function connectEvidenceCluster(config: Config): Promise<ClickHouseEvidence | undefined> {
  // Loaded only with the setting: the client is large, and most installations have no cluster.
  return config.evidenceUrl ? (await import('../store/clickhouse.ts')).ClickHouseEvidence.connect(config.evidenceUrl) : undefined;
}
