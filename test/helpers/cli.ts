import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/derisk.js', import.meta.url));

export interface CliResult {
  status: number | null;
  /** The signal that ended the process, if one did (a crash armed with DERISK_CRASH_AT: SIGKILL). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process, as a user would (with `input` on its standard input). */
export function derisk(args: string[], env: Record<string, string> = {}, input?: string): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1', ...env }, ...(input === undefined ? {} : { input }) });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export function deriskAsync(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}
