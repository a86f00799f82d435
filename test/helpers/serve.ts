import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { deriskAsync } from './cli.ts';
import { CONSOLE_ADDRESS, consoleSession } from './console.ts';
import { freePort } from './fixtures.ts';

/** A `derisk serve` process on a home, with its address and a session opened with the login code it printed. */
export interface Running {
  proc: ChildProcess;
  base: string;
  /** The session opened with the console's login code: the headers every request sends. */
  headers: Record<string, string>;
  /** What the server wrote to stderr so far (its log of failures). */
  stderr: () => string;
}

export async function startServer(home: string, env: Record<string, string> = {}): Promise<Running> {
  const proc = deriskAsync(['serve', '--port', String(await freePort())], { DERISK_HOME: home, ...env });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  for await (const chunk of proc.stdout!) {
    out += chunk;
    const m = CONSOLE_ADDRESS.exec(out);
    if (m) {
      const headers = await consoleSession(m[1]!, m[2]!).catch(async (e: Error) => {
        // A crash armed at a start-up transaction may strike while the code is exchanged.
        await exited(proc);
        throw new Error(`the server did not start: it exited (${proc.signalCode ?? proc.exitCode}) during the console's login: ${e.message}`);
      });
      return { proc, base: m[1]!, headers, stderr: () => err };
    }
  }
  throw new Error(`the server did not start: ${out}${err}`);
}

export const exited = async (proc: ChildProcess): Promise<void> => {
  if (proc.exitCode === null && proc.signalCode === null) await once(proc, 'exit');
};

export async function stop(server: Running, signal: NodeJS.Signals): Promise<void> {
  if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill(signal);
  await exited(server.proc);
}

/** A JSON request to the server in the console's session. */
export const api = async (server: Running, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const r = await fetch(`${server.base}${path}`, { method, headers: { ...server.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
};
