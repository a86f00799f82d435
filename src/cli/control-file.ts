import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { distrust } from '../owner-only.ts';

/**
 * `derisk serve` leaves this file in DERISK_HOME while it runs: the address of its console link and
 * a credential for it. Owner-only, like the rest of the home: whoever can read it can run commands
 * on the store as the operator.
 */
export const CONTROL_FILE = 'serve.control.json';

export interface ControlFile {
  pid: number;
  /** http://127.0.0.1:PORT — the console link listens on the loopback interface only. */
  address: string;
  credential: string;
}

const ADDRESS = /^http:\/\/127\.0\.0\.1:\d{1,5}$/;
const CREDENTIAL = /^[A-Za-z0-9_-]{43}$/;

/**
 * The server that owns the store of this home, or null when none runs: no control file, or one
 * left by a server that did not stop cleanly (kill -9, a crash), whose process is gone. A file
 * others could read or write, or that is not the user's own, is refused: its credential may
 * have leaked, or it may point the console elsewhere.
 */
export function runningServer(home: string): ControlFile | null {
  const path = join(home, CONTROL_FILE);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new Error(`${path} is a symbolic link: refusing it as the server's control file (derisk serve writes a plain file)`);
    throw e;
  }
  try {
    // Checked on the file opened, not on the name: it cannot be swapped in between.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${path} is not a plain file: refusing it as the server's control file`);
    const problem = distrust(stat, 0o077);
    if (problem) throw new Error(`${path} ${problem}: refusing the server's control file, since another user could read or plant its credential; derisk serve writes it owner-only (0600): stop the server (or delete the file if none runs) and start it again`);
    const link = parse(readFileSync(fd, 'utf8'));
    if (!link) throw new Error(`${path} is not a control file written by derisk serve: refusing it (delete it if no server runs)`);
    return alive(link.pid) ? link : null;
  } finally {
    closeSync(fd);
  }
}

function parse(text: string): ControlFile | null {
  try {
    const v = JSON.parse(text) as Partial<ControlFile>;
    return Number.isInteger(v.pid) && v.pid! > 0 && typeof v.address === 'string' && ADDRESS.test(v.address) && typeof v.credential === 'string' && CREDENTIAL.test(v.credential) ? { pid: v.pid!, address: v.address, credential: v.credential } : null;
  } catch {
    return null;
  }
}

/** Whether the process is there and ours (another user's process under a reused pid is not our server). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses a command that opens the store itself and cannot run inside the server (demo, serve) while a
 * server holds this home's store: said before any work, not as DuckDB's lock error after the header
 * (round 49). `instead` says what to do rather than stop the server.
 */
export function refuseBesideServer(home: string, instead: string): void {
  const server = runningServer(home);
  if (server) throw new Error(`a server is running on this DERISK_HOME (${home}, pid ${server.pid}, ${server.address}): stop it first, or ${instead}`);
}
