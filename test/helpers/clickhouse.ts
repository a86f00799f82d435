import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './fixtures.ts';

/** Debian's ClickHouse server binary (.ci/run installs the clickhouse-server package). */
export const CLICKHOUSE_SERVER = process.env.DERISK_CLICKHOUSE_SERVER ?? '/usr/sbin/clickhouse-server';

export interface RunningCluster {
  /** The evidence-store setting for this cluster: clickhouse://127.0.0.1:HTTP/DATABASE?cluster=NAME (the first shard's HTTP port). */
  url: string;
  cluster: string;
  /** Each shard's HTTP port, first shard first. */
  httpPorts: number[];
  stop(): Promise<void>;
}

interface Shard {
  dir: string;
  http: number;
  tcp: number;
  process: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * Starts a real two-shard ClickHouse cluster on loopback for a test: two clickhouse-server
 * processes, each with its own temporary directory and ports, sharing a `remote_servers` entry
 * that names both. Non-replicated MergeTree needs no ZooKeeper. The database `database` exists
 * on both shards when this returns.
 */
export async function startClickHouseCluster(database = 'derisk', cluster = 'derisk_test'): Promise<RunningCluster> {
  if (!existsSync(CLICKHOUSE_SERVER)) throw new Error(`ClickHouse is not installed: ${CLICKHOUSE_SERVER} is missing (apt-get install clickhouse-server; .ci/run does this)`);
  const ports = await Promise.all([0, 1].map(async () => ({ http: await freePort(), tcp: await freePort() })));
  const remote = `<remote_servers><${cluster}>${ports.map((p) => `<shard><replica><host>127.0.0.1</host><port>${p.tcp}</port></replica></shard>`).join('')}</${cluster}></remote_servers>`;
  const shards: Shard[] = [];
  try {
    for (const p of ports) {
      const dir = mkdtempSync(join(tmpdir(), 'derisk-ch-'));
      for (const sub of ['data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(dir, sub));
      writeFileSync(join(dir, 'users.xml'), USERS);
      writeFileSync(
        join(dir, 'config.xml'),
        `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/server.err.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${p.http}</http_port>
  <tcp_port>${p.tcp}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  ${remote}
</yandex>
`,
      );
      const child = spawn(CLICKHOUSE_SERVER, [`--config-file=${dir}/config.xml`], { stdio: 'ignore' });
      shards.push({ dir, ...p, process: child, exited: new Promise((r) => child.once('exit', (code) => r(code))) });
    }
    for (const s of shards) await ready(s, database);
  } catch (e) {
    await stopAll(shards);
    throw e;
  }
  return {
    url: `clickhouse://127.0.0.1:${shards[0]!.http}/${database}?cluster=${cluster}`,
    cluster,
    httpPorts: shards.map((s) => s.http),
    stop: () => stopAll(shards),
  };
}

/** Waits until a shard answers over HTTP, then creates the database on it. */
async function ready(s: Shard, database: string): Promise<void> {
  let exitCode: number | null | undefined;
  void s.exited.then((code) => (exitCode = code));
  for (let i = 0; ; i++) {
    if (exitCode !== undefined) throw new Error(`clickhouse-server on port ${s.http} exited (${exitCode}) before it was ready: ${errorLog(s)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${s.http}/`, { method: 'POST', body: `CREATE DATABASE IF NOT EXISTS ${database}` });
      if (res.ok) return;
      throw new Error(await res.text());
    } catch (e) {
      if (i > 300) throw new Error(`clickhouse-server on port ${s.http} did not become ready in 30 s: ${(e as Error).message} ${errorLog(s)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const errorLog = (s: Shard) => {
  const file = join(s.dir, 'server.err.log');
  return existsSync(file) ? readFileSync(file, 'utf8').slice(-2000) : '(no error log)';
};

async function stopAll(shards: Shard[]): Promise<void> {
  await Promise.all(
    shards.map(async (s) => {
      if (s.process.exitCode === null && s.process.signalCode === null) {
        s.process.kill('SIGTERM');
        const killer = setTimeout(() => s.process.kill('SIGKILL'), 10_000);
        await s.exited;
        clearTimeout(killer);
      }
      rmSync(s.dir, { recursive: true, force: true });
    }),
  );
}

/** One passwordless user, loopback only: the servers listen on 127.0.0.1 and die with the test. */
const USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;
