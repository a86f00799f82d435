import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient, type Logger, type WarnLogParams } from '@clickhouse/client';
import { crashPoint } from '../crash.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import { sourceNamedSql } from '../indicators/unregistered.ts';
import { forgetPublishBase, markPublished, publishBase, type PublishBase } from './publish-pending.ts';
import type { Store } from './store.ts';
import { sha256Hex } from '../sha256.ts';

/**
 * The evidence store on a ClickHouse cluster: the analytics tables the indicators read, sharded
 * by work across the cluster (MergeTree on each shard behind a Distributed table), and the small
 * registry tables in full on every shard. The embedded DuckDB store stays where records are read,
 * resolved and refreshed; a refresh is then published here as one snapshot.
 *
 * SQL here is kept to what ClickHouse 18.16 (Debian's package) and current ClickHouse both
 * accept: no table CTEs, no query parameters (18.16 has none: values are validated and inlined),
 * no window functions, GLOBAL IN for subqueries over Distributed tables, explicit join strictness.
 */

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ClickHouseSettings {
  /** The HTTP endpoint the queries go to. */
  url: string;
  database: string;
  cluster: string;
  /** Each shard's HTTP endpoint, when given in the setting (`shards=HOST:PORT,…`); otherwise each host of the cluster on the entry's port. */
  shardUrls: string[] | null;
  username: string;
  password: string;
}

/** Reads `clickhouse://[USER[:PASSWORD]@]HOST:HTTP_PORT/DATABASE?cluster=NAME[&shards=HOST:PORT,…]`. */
export function parseClickHouseUrl(setting: string): ClickHouseSettings {
  let u: URL;
  try {
    u = new URL(setting);
  } catch {
    throw new ValidationError(`DERISK_EVIDENCE_URL ${JSON.stringify(setting)} is not a URL (clickhouse://HOST:HTTP_PORT/DATABASE?cluster=NAME)`);
  }
  if (u.protocol !== 'clickhouse:') throw new ValidationError(`DERISK_EVIDENCE_URL must start with clickhouse://, got ${JSON.stringify(u.protocol)}`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  const cluster = u.searchParams.get('cluster') ?? '';
  if (!IDENT.test(database)) throw new ValidationError(`DERISK_EVIDENCE_URL names no database (or not a plain name): ${JSON.stringify(database)}`);
  if (!IDENT.test(cluster)) throw new ValidationError(`DERISK_EVIDENCE_URL needs ?cluster=NAME (the cluster in remote_servers), got ${JSON.stringify(cluster)}`);
  const shards = u.searchParams.get('shards');
  const shardUrls = shards ? shards.split(',').map((s) => `http://${s.trim()}`) : null;
  return { url: `http://${u.host}`, database, cluster, shardUrls, username: decodeURIComponent(u.username) || 'default', password: decodeURIComponent(u.password) };
}

/** Column types as ClickHouse stores them; `key` columns order and shard the rows. */
interface TableSpec {
  name: string;
  columns: [string, string][];
  orderBy: string;
  /** Rows of a work live on one shard; registry tables are copied whole to every shard. */
  placement: 'by-work' | 'every-shard';
  /** The DuckDB query whose rows are published (columns in the order above). */
  source: string;
}

/**
 * DuckDB doubles go over as their IEEE bytes (hex): ClickHouse 18.16 parses decimal floats
 * to within one unit in the last place only, and a weight one bit off can move a rounded
 * fractional count.
 */
const EXACT_DOUBLE = (column: string) => `${column}_bits`;

export const TABLES: TableSpec[] = [
  {
    name: 'works',
    columns: [
      ['work_id', 'String'],
      ['year', 'Nullable(Int32)'],
      ['source', 'String'],
      ['source_id', 'String'],
      ['doi', 'Nullable(String)'],
      ['title', 'Nullable(String)'],
      ['type', 'Nullable(String)'],
    ],
    orderBy: 'work_id',
    placement: 'by-work',
    source: 'SELECT work_id, year, source, source_id, doi, title, type FROM works',
  },
  {
    name: 'work_institutions',
    columns: [
      ['work_id', 'String'],
      ['year', 'Nullable(Int32)'],
      ['ror_id', 'Nullable(String)'],
      ['country_code', 'Nullable(String)'],
      ['tier', 'String'],
      ['weight', 'Float64'],
      ['authors', 'Int64'],
    ],
    orderBy: 'work_id',
    placement: 'by-work',
    source: 'SELECT work_id, year, ror_id, country_code, tier, weight, authors FROM work_institutions',
  },
  {
    name: 'work_fields',
    columns: [
      ['work_id', 'String'],
      ['field_id', 'String'],
    ],
    orderBy: '(field_id, work_id)',
    placement: 'by-work',
    source: 'SELECT work_id, field_id FROM work_fields',
  },
  {
    // A work's source records in the order the store lists them (works.records).
    name: 'work_records',
    columns: [
      ['work_id', 'String'],
      ['seq', 'Int64'],
      ['record', 'String'],
    ],
    orderBy: '(work_id, seq)',
    placement: 'by-work',
    source: 'SELECT work_id, generate_subscripts(records, 1) AS seq, unnest(records) AS record FROM works',
  },
  {
    // The authors of a work's preferred record (who leads it), once per country their affiliations place them in (NULL: none).
    name: 'work_authors',
    columns: [
      ['work_id', 'String'],
      ['author_seq', 'Int64'],
      ['is_first', 'UInt8'],
      ['is_corresponding', 'Nullable(UInt8)'],
      ['country_code', 'Nullable(String)'],
    ],
    orderBy: 'work_id',
    placement: 'by-work',
    source: `SELECT w.work_id, au.author_seq, coalesce(au.position = 'first', false)::UTINYINT AS is_first, au.is_corresponding::UTINYINT AS is_corresponding, wa.country_code
      FROM works w JOIN authorships au ON au.source = w.source AND au.source_id = w.source_id
      LEFT JOIN (SELECT DISTINCT work_id, author_seq, country_code FROM work_affiliations WHERE country_code IS NOT NULL) wa ON wa.work_id = w.work_id AND wa.author_seq = au.author_seq`,
  },
  {
    name: 'work_funders',
    columns: [
      ['work_id', 'String'],
      ['funder', 'Nullable(String)'],
    ],
    orderBy: 'work_id',
    placement: 'by-work',
    source: 'SELECT DISTINCT work_id, funder FROM (SELECT rw.work_id, unnest(r.funders) AS funder FROM record_works rw JOIN records r USING (source, source_id))',
  },
  {
    // What `derisk summary` says of resolution, per work: its author affiliations, and how many were placed at an institution, in a country.
    name: 'work_affiliation_counts',
    columns: [
      ['work_id', 'String'],
      ['affiliations', 'Int64'],
      ['with_institution', 'Int64'],
      ['with_country', 'Int64'],
    ],
    orderBy: 'work_id',
    placement: 'by-work',
    source: `SELECT work_id, count(*) AS affiliations, count(*) FILTER (WHERE has_inst) AS with_institution, count(*) FILTER (WHERE has_country) AS with_country
      FROM (SELECT work_id, author_seq, aff_seq, bool_or(ror_id IS NOT NULL) AS has_inst, bool_or(country_code IS NOT NULL) AS has_country FROM work_affiliations GROUP BY ALL)
      GROUP BY work_id`,
  },
  {
    // A work's author affiliations as written (its preferred record's), with the author's name: what a portfolio flags and whom it names, and what a verdict counts.
    name: 'work_affiliation_strings',
    columns: [
      ['work_id', 'String'],
      ['year', 'Nullable(Int32)'],
      ['author_seq', 'Int64'],
      ['aff_seq', 'Int64'],
      ['raw', 'String'],
      ['author_name', 'Nullable(String)'],
    ],
    orderBy: 'work_id',
    placement: 'by-work',
    source: `SELECT w.work_id, w.year, a.author_seq, a.aff_seq, a.raw, au.author_name
      FROM works w JOIN affiliations a ON a.source = w.source AND a.source_id = w.source_id
      LEFT JOIN authorships au ON au.source = w.source AND au.source_id = w.source_id AND au.author_seq = a.author_seq`,
  },
  {
    // The institutions each affiliation resolves to: a portfolio's home authors are those placed at the home institution, and a listed affiliation counted at a verdict's partner is the partner's own.
    name: 'work_affiliation_institutions',
    columns: [
      ['work_id', 'String'],
      ['author_seq', 'Int64'],
      ['aff_seq', 'Int64'],
      ['ror_id', 'String'],
    ],
    orderBy: '(work_id, ror_id)',
    placement: 'by-work',
    source: 'SELECT DISTINCT work_id, author_seq, aff_seq, ror_id FROM work_affiliations WHERE ror_id IS NOT NULL',
  },
  {
    // The screening's hits on affiliation strings, with their list's title: small beside the works, whole on every shard.
    name: 'screen_hits',
    columns: [
      ['raw', 'String'],
      ['list_id', 'String'],
      ['list_name', 'String'],
      ['entry_id', 'String'],
      ['entry_name', 'String'],
      ['level', 'String'],
      ['match', 'String'],
      ['inherited_via', 'Nullable(String)'],
    ],
    orderBy: 'raw',
    placement: 'every-shard',
    source: 'SELECT h.raw, h.list_id, coalesce(l.title, h.list_id) AS list_name, h.entry_id, h.entry_name, h.level, h.match, h.inherited_via FROM screen_hits h LEFT JOIN risk_lists l USING (list_id)',
  },
  {
    name: 'institutions',
    columns: [
      ['ror_id', 'String'],
      ['name', 'String'],
      ['country_code', 'Nullable(String)'],
    ],
    orderBy: 'ror_id',
    placement: 'every-shard',
    // With the institutions sources name by ids the registry lacks, under the name they give.
    source: `SELECT ror_id, name, country_code FROM institutions UNION ALL SELECT ror_id, ${sourceNamedSql('name', 'ror_id')}, NULL FROM source_institutions`,
  },
  {
    name: 'institution_rollup',
    columns: [
      ['ror_id', 'String'],
      ['top_id', 'String'],
    ],
    orderBy: 'ror_id',
    placement: 'every-shard',
    source: 'SELECT ror_id, top_id FROM institution_rollup',
  },
  // Aggregate datasets and patents are small beside the works and not keyed by work: whole on every shard.
  {
    name: 'aggregate_datasets',
    columns: [
      ['dataset', 'String'],
      ['caveats', 'String'],
    ],
    orderBy: 'dataset',
    placement: 'every-shard',
    source: 'SELECT dataset, caveats FROM aggregate_datasets',
  },
  {
    name: 'aggregate_country_pairs',
    columns: [
      ['dataset', 'String'],
      ['year', 'Int64'],
      ['country', 'String'],
      ['partner', 'String'],
      ['works', 'Int64'],
    ],
    orderBy: '(dataset, year, country, partner)',
    placement: 'every-shard',
    source: 'SELECT dataset, year, country, partner, works FROM aggregate_country_pairs',
  },
  {
    name: 'aggregate_country_series',
    columns: [
      ['dataset', 'String'],
      ['country_code', 'Nullable(String)'],
      ['place', 'String'],
      ['attribute', 'String'],
      ['year', 'Int64'],
      ['value', 'Float64'],
    ],
    orderBy: '(dataset, year)',
    placement: 'every-shard',
    source: 'SELECT dataset, country_code, place, attribute, year, value FROM aggregate_country_series',
  },
  {
    name: 'patents',
    columns: [
      ['source', 'String'],
      ['patent_id', 'String'],
      ['year', 'Nullable(Int32)'],
    ],
    orderBy: '(source, patent_id)',
    placement: 'every-shard',
    source: 'SELECT source, patent_id, year FROM patents',
  },
  {
    name: 'patent_applicant_places',
    columns: [
      ['source', 'String'],
      ['patent_id', 'String'],
      ['year', 'Nullable(Int32)'],
      ['seq', 'Int64'],
      ['name', 'String'],
      ['ror_id', 'Nullable(String)'],
      ['country_code', 'Nullable(String)'],
    ],
    orderBy: '(source, patent_id)',
    placement: 'every-shard',
    source: 'SELECT source, patent_id, year, seq, name, ror_id, country_code FROM patent_applicant_places',
  },
  {
    name: 'patent_fields',
    columns: [
      ['source', 'String'],
      ['patent_id', 'String'],
      ['field_id', 'String'],
    ],
    orderBy: '(field_id, source, patent_id)',
    placement: 'every-shard',
    source: 'SELECT source, patent_id, field_id FROM patent_fields',
  },
];

/** A digest of the tables' definitions: a snapshot of another layout is never copied from. */
const LAYOUT = sha256Hex(JSON.stringify(TABLES)).slice(0, 16);

/** The works a per-snapshot publish sends (publish_pending), on every shard: what each shard's copy of the previous snapshot leaves out. */
const TOUCHED: TableSpec = {
  name: 'publish_touched',
  columns: [['work_id', 'String']],
  orderBy: 'work_id',
  placement: 'every-shard',
  source: 'SELECT DISTINCT work_id FROM publish_pending',
};

/** The table whose existence means a publish is running (see takePublishLock). */
export const PUBLISH_LOCK = 'publish_lock';
/** Reads of one answer before giving up when each one sees a new snapshot published meanwhile. */
const SNAPSHOT_ATTEMPTS = 3;

/** Whether a process of this machine is running. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface PublishReport {
  snapshot: string;
  /** The shards the snapshot went to. */
  shards: number;
  /** False when the cluster already held this snapshot complete, so nothing was written. */
  written: boolean;
  /** The works sent when the rest was copied from the previous snapshot inside the cluster; null when the whole store was sent (or nothing). */
  touchedWorks: number | null;
  rows: Record<string, number>;
}

/** One line on stderr for what the ClickHouse client logs: the module, the message, the error's first line. */
const clientLine = ({ module, message, err }: WarnLogParams) => `derisk: ClickHouse client${module ? ` (${module})` : ''}: ${message}${err ? ` (${err.message.split('\n')[0]})` : ''}\n`;

/**
 * The client's logger (its default one prints each entry's stack and arguments): a warning is one
 * line on stderr. A failed request's error is left out, as the call that met it is rejected and
 * derisk reports that; any other error (its socket pool's housekeeping, a response it cannot
 * decompress: nothing a call sees) is one line, once per message.
 */
export class QuietLogger implements Logger {
  private readonly said = new Set<string>();
  trace(): void {}
  debug(): void {}
  info(): void {}
  warn(params: WarnLogParams): void {
    process.stderr.write(clientLine(params));
  }
  error(params: WarnLogParams): void {
    const line = clientLine(params);
    if (params.message.endsWith('HTTP request error.') || this.said.has(line)) return;
    this.said.add(line);
    process.stderr.write(line);
  }
}

export class ClickHouseEvidence {
  private constructor(
    readonly settings: ClickHouseSettings,
    /** The entry node: queries through the Distributed tables. */
    private readonly entry: ClickHouseClient,
    /** One client per shard: schema, snapshot partitions and inserts go to each shard's own tables. */
    private readonly shards: ClickHouseClient[],
  ) {}

  static async connect(setting: string): Promise<ClickHouseEvidence> {
    const settings = parseClickHouseUrl(setting);
    const client = (url: string) =>
      createClient({
        url,
        username: settings.username,
        password: settings.password,
        database: settings.database,
        // A publish batch or a query over a large snapshot may take minutes; progress headers keep the connection alive meanwhile.
        request_timeout: 600_000,
        clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
        // The client's errors reach the caller, which says what failed in a line; its default logger would print them again, stack and all.
        log: { LoggerClass: QuietLogger },
      });
    const entry = client(settings.url);
    let shardUrls = settings.shardUrls;
    if (!shardUrls) {
      const port = new URL(settings.url).port;
      const hosts = await rows<{ host_name: string }>(entry, `SELECT host_name FROM system.clusters WHERE cluster = '${settings.cluster}' AND replica_num = 1 ORDER BY shard_num`);
      if (hosts.length === 0) throw new ValidationError(`ClickHouse at ${settings.url} knows no cluster ${JSON.stringify(settings.cluster)} (remote_servers)`);
      shardUrls = hosts.map((h) => `http://${h.host_name}:${port}`);
    }
    const evidence = new ClickHouseEvidence(settings, entry, shardUrls.map(client));
    await evidence.createSchema();
    return evidence;
  }

  get shardCount(): number {
    return this.shards.length;
  }

  /** Local tables on each shard, partitioned by snapshot, and the Distributed tables over the by-work ones: the shards at once, each in order (a Distributed table is made AS its local one). */
  private async createSchema(): Promise<void> {
    const { database: db, cluster } = this.settings;
    await Promise.all(this.shards.map((shard) => this.createShardSchema(shard, db, cluster)));
  }

  private async createShardSchema(shard: ClickHouseClient, db: string, cluster: string): Promise<void> {
    await shard.command({ query: `CREATE TABLE IF NOT EXISTS ${db}.snapshots (snapshot String, published_ms UInt64, rows String) ENGINE = MergeTree PARTITION BY snapshot ORDER BY snapshot` });
    for (const t of TABLES) {
      const columns = t.columns.map(([name, type]) => (type === 'Float64' ? `${EXACT_DOUBLE(name)} String, ${name} Float64 MATERIALIZED reinterpretAsFloat64(unhex(${EXACT_DOUBLE(name)}))` : `${name} ${type}`));
      const local = t.placement === 'by-work' ? `${t.name}_local` : t.name;
      await shard.command({ query: `CREATE TABLE IF NOT EXISTS ${db}.${local} (snapshot String, ${columns.join(', ')}) ENGINE = MergeTree PARTITION BY snapshot ORDER BY ${t.orderBy}` });
      // No sharding key: inserting through the Distributed table is refused, so rows land only where publish puts them.
      if (t.placement === 'by-work') await shard.command({ query: `CREATE TABLE IF NOT EXISTS ${db}.${t.name} AS ${db}.${local} ENGINE = Distributed(${cluster}, ${db}, ${local})` });
    }
    await shard.command({ query: `CREATE TABLE IF NOT EXISTS ${db}.${TOUCHED.name} (snapshot String, work_id String) ENGINE = MergeTree PARTITION BY snapshot ORDER BY ${TOUCHED.orderBy}` });
  }

  /** The snapshot the indicators read: the last one published complete, or null before any. */
  async currentSnapshot(): Promise<string | null> {
    const found = await rows<{ snapshot: string }>(this.entry, `SELECT snapshot FROM ${this.settings.database}.snapshots ORDER BY published_ms DESC, snapshot DESC LIMIT 1`);
    return found[0]?.snapshot ?? null;
  }

  /**
   * An answer of several queries over one snapshot: the current one is read once and passed to
   * every query `read` makes, so no answer mixes two snapshots. A publish retires the previous
   * snapshot as soon as the next is complete; if the current one changed while `read` ran (its
   * later queries may have found its rows gone), the answer is read again over the new one.
   */
  async atSnapshot<T>(read: (snapshot: string | null) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const snapshot = await this.currentSnapshot();
      const answer = await read(snapshot);
      if ((await this.currentSnapshot()) === snapshot) return answer;
      if (attempt === SNAPSHOT_ATTEMPTS) throw new ConflictError(`the ClickHouse evidence store ${this.settings.database} published a new snapshot during each of ${SNAPSHOT_ATTEMPTS} reads of one answer; ask again when publishing has stopped`);
    }
  }

  /**
   * Publishes the embedded store's analytics as one snapshot, named by a digest of its content:
   * the same analytics always make the same snapshot. When the cluster's current snapshot is the
   * one this store last completed, in the same layout, each shard copies it into the new one
   * minus the works changed since (publish_pending), and only those works are sent; otherwise
   * the whole store is sent. A snapshot counts once every shard holds all of its rows (checked
   * against the store's counts) and its row is in `snapshots` on every shard; until then readers
   * keep the previous one, and the changed works stay pending. A publish cut short (kill -9)
   * leaves a partial partition nobody reads; the next publish of the same content drops it and
   * writes it again, so a re-run ends with the rows of a clean run.
   */
  async publish(store: Store): Promise<PublishReport> {
    const release = await this.takePublishLock();
    try {
      return await this.publishLocked(store);
    } finally {
      await release();
    }
  }

  /**
   * One publish at a time on a cluster: two would drop each other's partitions and retire each
   * other's snapshots. The lock is a table on the first shard, created with its holder in one
   * statement (CREATE fails when it exists, on every ClickHouse version); a second publish is
   * refused, naming the holder. A lock left by a process of this machine that is gone (kill -9)
   * is taken over: renamed away first, which only one of several takers can do.
   */
  private async takePublishLock(): Promise<() => Promise<void>> {
    const { database: db } = this.settings;
    const first = this.shards[0]!;
    const me = { host: hostname(), pid: process.pid, token: randomUUID() };
    const create = `CREATE TABLE ${db}.${PUBLISH_LOCK} ENGINE = TinyLog AS SELECT '${me.host.replace(/[\\']/g, '')}' AS host, toUInt32(${me.pid}) AS pid, '${me.token}' AS token, now() AS since`;
    for (let attempt = 0; ; attempt++) {
      try {
        await first.command({ query: create });
        break;
      } catch (e) {
        if (!/already exists/i.test((e as Error).message)) throw e;
        const [holder] = await rows<{ host: string; pid: number; since: string }>(first, `SELECT host, pid, toString(since) AS since FROM ${db}.${PUBLISH_LOCK}`).catch(() => []);
        if (attempt === 0 && holder && holder.host === me.host && !alive(Number(holder.pid))) {
          const stale = `${PUBLISH_LOCK}_stale_${me.token.replace(/-/g, '')}`;
          const renamed = await first.command({ query: `RENAME TABLE ${db}.${PUBLISH_LOCK} TO ${db}.${stale}` }).then(
            () => true,
            () => false,
          );
          if (renamed) await first.command({ query: `DROP TABLE ${db}.${stale}` });
          continue;
        }
        const who = holder ? `process ${holder.pid} on ${holder.host} since ${holder.since} (server time)` : 'another process';
        throw new ConflictError(
          `another publish to the ClickHouse evidence store ${this.settings.database} is running (${who}); run this one again when it has finished. If that process is gone, drop the table ${db}.${PUBLISH_LOCK} on the first shard (${this.settings.shardUrls?.[0] ?? this.settings.url}).`,
        );
      }
    }
    return async () => {
      // Only our own lock is dropped: had it been taken over meanwhile, the other holder keeps theirs.
      const [holder] = await rows<{ token: string }>(first, `SELECT token FROM ${db}.${PUBLISH_LOCK}`).catch(() => []);
      if (holder?.token === me.token) await first.command({ query: `DROP TABLE IF EXISTS ${db}.${PUBLISH_LOCK}` });
    };
  }

  private async publishLocked(store: Store): Promise<PublishReport> {
    const { snapshot, tables } = await snapshotOf(store);
    const done: PublishBase = { snapshot, layout: LAYOUT, tables };
    const expected: Record<string, number> = {};
    for (const t of TABLES) expected[t.name] = Number((await store.one<{ n: bigint }>(`SELECT count(*) AS n FROM (${t.source})`))!.n);
    if ((await this.completeOnEveryShard(snapshot)) && (await this.counts(snapshot, expected))) {
      // A publish killed after the snapshot was complete left its predecessor or its pending works behind.
      await this.retireAllBut(snapshot);
      await markPublished(store, done);
      return { snapshot, shards: this.shardCount, written: false, touchedWorks: null, rows: expected };
    }
    await this.dropSnapshot(snapshot);
    const previous = await this.copyableBase(store);
    const dir = mkdtempSync(join(tmpdir(), 'derisk-publish-'));
    let touchedWorks: number | null = null;
    try {
      if (previous) touchedWorks = await this.publishChanges(store, previous, done, expected, dir);
      else for (const t of TABLES) if (expected[t.name]! > 0) await this.publishTable(store, t, snapshot, join(dir, t.name));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (!(await this.counts(snapshot, expected))) {
      // A change that marked no work would be copied stale forever: the next publish sends the whole store instead.
      if (previous) await forgetPublishBase(store);
      throw new Error(`ClickHouse holds other counts than the store for snapshot ${snapshot} after publishing it${previous ? ' from the previous one and the changed works; the next publish sends the whole store' : ''}`);
    }
    const published = Date.now();
    for (const s of this.shards) await s.insert({ table: `${this.settings.database}.snapshots`, values: [{ snapshot, published_ms: published, rows: JSON.stringify(expected) }], format: 'JSONEachRow' });
    crashPoint('publish.complete');
    // Older snapshots go once the new one is complete; readers switched to it with the row above.
    await this.retireAllBut(snapshot);
    await markPublished(store, done);
    return { snapshot, shards: this.shardCount, written: true, touchedWorks, rows: expected };
  }

  private async completeOnEveryShard(snapshot: string): Promise<boolean> {
    const found = await Promise.all(this.shards.map((s) => rows(s, `SELECT 1 FROM ${this.settings.database}.snapshots WHERE snapshot = '${snapshot}'`)));
    return found.every((r) => r.length > 0);
  }

  /**
   * The snapshot a publish may copy from: the one this store last completed (the works changed
   * since are pending), if it is still what readers read, complete on every shard, in this layout.
   */
  private async copyableBase(store: Store): Promise<PublishBase | null> {
    const base = await publishBase(store);
    if (!base || base.layout !== LAYOUT || (await this.currentSnapshot()) !== base.snapshot) return null;
    return (await this.completeOnEveryShard(base.snapshot)) ? base : null;
  }

  /**
   * A snapshot made from the previous one: each shard copies its partition of every by-work table
   * but the changed works' rows (INSERT … SELECT inside the shard), and of every registry table
   * whose content is unchanged; then the changed works' rows and the changed registry tables are
   * sent. A removed work has no rows to send: it is only left out. Answers how many works were sent.
   */
  private async publishChanges(store: Store, previous: PublishBase, next: PublishBase, expected: Record<string, number>, dir: string): Promise<number> {
    const db = this.settings.database;
    const touched = Number((await store.one<{ n: bigint }>(`SELECT count(*) AS n FROM (${TOUCHED.source})`))!.n);
    if (touched > 0) await this.publishTable(store, TOUCHED, next.snapshot, join(dir, TOUCHED.name));
    const sent: TableSpec[] = [];
    for (const t of TABLES) {
      const byWork = t.placement === 'by-work';
      if (!byWork && previous.tables[t.name] !== next.tables[t.name]) {
        sent.push(t);
        continue;
      }
      const table = `${db}.${byWork ? `${t.name}_local` : t.name}`;
      const columns = insertColumns(t).slice(1).join(', ');
      const untouched = byWork && touched > 0 ? ` AND work_id NOT IN (SELECT work_id FROM ${db}.${TOUCHED.name} WHERE snapshot = '${next.snapshot}')` : '';
      await Promise.all(this.shards.map((s) => s.command({ query: `INSERT INTO ${table} (snapshot, ${columns}) SELECT '${next.snapshot}', ${columns} FROM ${table} WHERE snapshot = '${previous.snapshot}'${untouched}` })));
      if (byWork && touched > 0) sent.push({ ...t, source: `SELECT * FROM (${t.source}) WHERE work_id IN (${TOUCHED.source})` });
    }
    crashPoint('publish.copied');
    for (const t of sent) if (expected[t.name]! > 0) await this.publishTable(store, t, next.snapshot, join(dir, t.name));
    return touched;
  }

  /**
   * One table of a snapshot, in the formats both engines speak natively: DuckDB writes CSV files
   * (one per shard for the by-work tables, split in the same pass by a hash of the work id), and
   * each file is streamed into `INSERT … FORMAT CSV` on its shard; no row passes through Node.
   * The files live in `dir` until their shard has them (free space: the table's rows as text).
   */
  private async publishTable(store: Store, t: TableSpec, snapshot: string, dir: string): Promise<void> {
    const byWork = t.placement === 'by-work';
    const n = this.shards.length;
    const strings = ['snapshot', ...t.columns.flatMap(([name, type]) => (/String/.test(type) ? [name] : type === 'Float64' ? [EXACT_DOUBLE(name)] : []))];
    await store.run(`COPY (${exportSql(t, snapshot, byWork ? n : null)}) TO '${dir}' (FORMAT csv, HEADER false, NULLSTR '\\N', FORCE_QUOTE (${strings.map((c) => `"${c}"`).join(', ')})${byWork ? ', PARTITION_BY (shard__)' : ''})`);
    const columns = insertColumns(t);
    const insert = (shard: ClickHouseClient, file: string) =>
      shard.insert({
        table: `${this.settings.database}.${byWork ? `${t.name}_local` : t.name}`,
        values: createReadStream(file),
        format: 'CSV',
        columns,
        // 18.16 reads a field that begins with ' as a quoted string unless told not to.
        clickhouse_settings: { format_csv_allow_single_quotes: 0 },
      });
    if (!byWork) {
      await Promise.all(this.shards.map((s) => insert(s, dir)));
      return;
    }
    await Promise.all(
      this.shards.map(async (s, i) => {
        const part = join(dir, `shard__=${i}`);
        if (!existsSync(part)) return;
        for (const file of readdirSync(part)) await insert(s, join(part, file));
      }),
    );
  }

  /** Whether the cluster holds exactly the expected rows of each table for the snapshot (by-work tables counted over all shards, registry tables on each). */
  private async counts(snapshot: string, expected: Record<string, number>): Promise<boolean> {
    for (const t of TABLES) {
      if (t.placement === 'by-work') {
        const [r] = await rows<{ n: string }>(this.entry, `SELECT count() AS n FROM ${this.settings.database}.${t.name} WHERE snapshot = '${snapshot}'`);
        if (Number(r!.n) !== expected[t.name]) return false;
      } else {
        for (const s of this.shards) {
          const [r] = await rows<{ n: string }>(s, `SELECT count() AS n FROM ${this.settings.database}.${t.name} WHERE snapshot = '${snapshot}'`);
          if (Number(r!.n) !== expected[t.name]) return false;
        }
      }
    }
    return true;
  }

  /** Drops every snapshot but `snapshot`, and the list of works sent for it (needed only while it was made). */
  private async retireAllBut(snapshot: string): Promise<void> {
    for (const old of await rows<{ snapshot: string }>(this.entry, `SELECT DISTINCT snapshot FROM ${this.settings.database}.snapshots WHERE snapshot != '${snapshot}'`)) await this.dropSnapshot(old.snapshot);
    for (const s of this.shards) await s.command({ query: `ALTER TABLE ${this.settings.database}.${TOUCHED.name} DROP PARTITION '${snapshot}'` });
  }

  private async dropSnapshot(snapshot: string): Promise<void> {
    for (const s of this.shards) {
      await s.command({ query: `ALTER TABLE ${this.settings.database}.snapshots DROP PARTITION '${snapshot}'` });
      await s.command({ query: `ALTER TABLE ${this.settings.database}.${TOUCHED.name} DROP PARTITION '${snapshot}'` });
      for (const t of TABLES) {
        const local = t.placement === 'by-work' ? `${t.name}_local` : t.name;
        await s.command({ query: `ALTER TABLE ${this.settings.database}.${local} DROP PARTITION '${snapshot}'` });
      }
    }
  }

  /** Compressed bytes each table holds over all shards (active parts), for capacity planning. */
  async compressedBytes(): Promise<Record<string, number>> {
    const bytes: Record<string, number> = {};
    for (const shard of this.shards) {
      for (const r of await rows<{ table: string; n: string }>(shard, `SELECT table, sum(data_compressed_bytes) AS n FROM system.parts WHERE active AND database = '${this.settings.database}' GROUP BY table`)) {
        const name = r.table.replace(/_local$/, '');
        bytes[name] = (bytes[name] ?? 0) + Number(r.n);
      }
    }
    return bytes;
  }

  /** Rows of a query at the entry node (which reads every shard through the Distributed tables). */
  async all<T>(sql: string): Promise<T[]> {
    return rows<T>(this.entry, sql);
  }

  async close(): Promise<void> {
    await Promise.all([this.entry.close(), ...this.shards.map((s) => s.close())]);
  }
}

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { join_use_nulls: 1 } });
  return (await result.json()) as T[];
}

/** The columns a table's rows are inserted under: the snapshot's name, then each double as its IEEE bytes (see EXACT_DOUBLE). */
const insertColumns = (t: TableSpec) => ['snapshot', ...t.columns.map(([name, type]) => (type === 'Float64' ? EXACT_DOUBLE(name) : name))] as [string, ...string[]];

/**
 * The rows DuckDB writes for a table of the snapshot: the snapshot's name first, the table's
 * columns, each double as its IEEE bytes in hex (see EXACT_DOUBLE), and for a table split by work
 * the shard each row goes to (`shard__`, which names the file and is not written in it).
 */
function exportSql(t: TableSpec, snapshot: string, shards: number | null): string {
  const doubles = t.columns.filter(([, type]) => type === 'Float64').map(([name]) => name);
  const out = [`'${snapshot}' AS snapshot`, ...t.columns.map(([name, type]) => (type === 'Float64' ? `${doubleHexSql(name)} AS ${EXACT_DOUBLE(name)}` : name))];
  // A stable hash of the work id: all rows of a work on one shard, the same shard at every publish.
  if (shards !== null) out.push(`('0x' || substr(sha1(work_id), 1, 8))::UBIGINT % ${shards} AS shard__`);
  return `SELECT ${out.join(', ')} FROM (SELECT *, ${doubles.map(doubleBitsSql).join(', ') || 'NULL AS none__'} FROM (${t.source}))`;
}

/**
 * A double's IEEE 754 bits (UBIGINT `<column>__bits`), worked out in SQL as DuckDB casts no DOUBLE
 * to bytes: the exponent is floor(log2 |x|) corrected by one where log2 rounds across a power of
 * two; dividing by a power of two and scaling the significand by 2^52 are exact.
 */
function doubleBitsSql(x: string): string {
  const [a, e0, e] = [`abs(${x})`, `${x}__e0`, `${x}__e`];
  return `CASE WHEN ${a} > 0 AND isfinite(${x}) THEN floor(log2(${a}))::INTEGER ELSE 0 END AS ${e0},
    ${e0} + (${a} / pow(2.0, ${e0}) >= 2)::INTEGER - (${a} / pow(2.0, ${e0}) < 1)::INTEGER AS ${e},
    (CASE WHEN isnan(${x}) THEN 9221120237041090560 WHEN isinf(${x}) THEN 9218868437227405312 WHEN ${a} = 0 THEN 0
      WHEN ${a} < pow(2.0, -1022) THEN (${a} * pow(2.0, 1022) * pow(2.0, 52))::UBIGINT
      ELSE ((${e} + 1023)::UBIGINT << 52) | ((${a} / pow(2.0, ${e}) - 1) * pow(2.0, 52))::UBIGINT END)::UBIGINT | (signbit(${x})::UBIGINT << 63) AS ${x}__bits`;
}

/** The bits of doubleBitsSql as little-endian hex: what `reinterpretAsFloat64(unhex(…))` reads back exactly. */
const doubleHexSql = (x: string) => `printf('${'%02x'.repeat(8)}', ${[0, 1, 2, 3, 4, 5, 6, 7].map((k) => `(${x}__bits >> ${8 * k}) & 255`).join(', ')})`;

/**
 * A digest of the analytics' content: the snapshot's name, the same for the same content; and
 * each table's (its count and the sum of its rows' hashes), which says whether a registry table
 * changed since the previous snapshot. Doubles count to 12 places: DuckDB sums a work's weights in
 * a different order from one refresh to the next (threads), which moves the last bit and nothing
 * a figure shows.
 */
async function snapshotOf(store: Store): Promise<{ snapshot: string; tables: Record<string, string> }> {
  const parts: unknown[] = [];
  const tables: Record<string, string> = {};
  for (const t of TABLES) {
    const cols = t.columns.map(([name, type]) => (type === 'Float64' ? `round(${name}, 12)` : name)).join(', ');
    const part = await store.one(`SELECT count(*)::VARCHAR AS n, coalesce(sum(hash(${cols})), 0)::VARCHAR AS h FROM (${t.source})`);
    parts.push(part);
    tables[t.name] = JSON.stringify(part);
  }
  return { snapshot: sha256Hex(JSON.stringify(parts)).slice(0, 32), tables };
}
