import type { Store } from './store.ts';

/**
 * The embedded store's side of a per-snapshot publish to a ClickHouse cluster: which snapshot the
 * cluster last completed from this store (meta `publish_base`), and the works whose published
 * rows changed since (`publish_pending`). Kept apart from src/store/clickhouse.ts so that the
 * refresh and the screening mark their changes without loading the ClickHouse client.
 */

/** The snapshot a publish completed, with what it was made of: the next publish copies from it what did not change. */
export interface PublishBase {
  snapshot: string;
  /** A digest of the published tables' definitions: another layout cannot be copied from. */
  layout: string;
  /** Each table's content digest in that snapshot: a registry table whose digest is unchanged is copied, not sent. */
  tables: Record<string, string>;
}

const KEY = 'publish_base';

export async function publishBase(store: Store): Promise<PublishBase | null> {
  const row = await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = $1`, [KEY]);
  return row ? (JSON.parse(row.value) as PublishBase) : null;
}

/** Records a snapshot complete on every shard: the works pending until now are in it. */
export async function markPublished(store: Store, base: PublishBase): Promise<void> {
  await store.transaction(async () => {
    await store.run('DELETE FROM publish_pending');
    await store.run(`INSERT OR REPLACE INTO meta VALUES ($1, $2)`, [KEY, JSON.stringify(base)]);
  });
}

/** After a change that may touch any work's rows (a full refresh: new resolver, registry, tier or field rules): the next publish is a full one. */
export async function forgetPublishBase(store: Store): Promise<void> {
  await store.run('DELETE FROM meta WHERE key = $1', [KEY]);
  await store.run('DELETE FROM publish_pending');
}

/** Marks for the next publish the works whose rows differ between two tables of a by-work table's rows (before and after a change). */
export async function markChangedWorks(store: Store, before: string, after: string): Promise<void> {
  await store.run(`INSERT INTO publish_pending SELECT DISTINCT work_id FROM ((SELECT * FROM ${before} EXCEPT SELECT * FROM ${after}) UNION ALL (SELECT * FROM ${after} EXCEPT SELECT * FROM ${before}))`);
}
