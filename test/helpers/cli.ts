import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openAppDb } from '../../src/appdb/open.ts';
import { loadConfig } from '../../src/config.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';

export const BIN = fileURLToPath(new URL('../../bin/derisk.js', import.meta.url));

export interface CliResult {
  status: number | null;
  /** The signal that ended the process, if one did (a crash armed with DERISK_CRASH_AT: SIGKILL). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Organisations as the operator makes them (derisk users add-org): a command's --org names one that is there (round 49). */
export async function addOrganisations(env: Record<string, string>, ids: readonly string[]): Promise<void> {
  const db = await openAppDb(loadConfig(env));
  try {
    for (const id of ids) await new Accounts(db).createOrganisation(OPERATOR, id, id);
  } finally {
    await db.close();
  }
}

/** Runs the real CLI in a child process, as a user would (with `input` on its standard input). */
export function derisk(args: string[], env: Record<string, string> = {}, input?: string): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1', ...env }, ...(input === undefined ? {} : { input }) });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export function deriskAsync(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

// A module hook (run on Node's hooks thread) that writes each module's URL, as it is loaded, to the file named in DERISK_TEST_MODULES.
const RECORD_HOOK = `import{appendFileSync}from'node:fs';export async function load(url,context,next){appendFileSync(process.env.DERISK_TEST_MODULES,url+'\\n');return next(url,context)}`;
const REGISTER = `import{register}from'node:module';register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(RECORD_HOOK)}`)})`;

/** Runs the CLI as `derisk` does, and says which modules (file:, node: URLs) the process loaded. */
export function deriskModules(args: string[], env: Record<string, string>, recordIn: string): CliResult & { modules: string[] } {
  rmSync(recordIn, { force: true });
  const r = derisk(args, { ...env, NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(REGISTER)}`, DERISK_TEST_MODULES: recordIn });
  return { ...r, modules: readFileSync(recordIn, 'utf8').split('\n').filter(Boolean) };
}

// Also the CommonJS modules loaded with require (which the hook does not see), written when the process exits.
const RECORD_REQUIRED = `import{createRequire}from'node:module';import{appendFileSync}from'node:fs';import{pathToFileURL}from'node:url';process.on('exit',()=>appendFileSync(process.env.DERISK_TEST_MODULES,'required:'+Object.keys(createRequire(process.execPath).cache).map((p)=>pathToFileURL(p).href).join('\\nrequired:')+'\\n'))`;

/**
 * The environment that has a derisk process record the modules it loads in `recordIn`: each imported
 * one's URL as it is loaded, then, at exit, each one in require's cache prefixed "required:" (imported
 * CommonJS modules are there too). `loadedModules` reads them.
 */
export function recordingModules(recordIn: string): Record<string, string> {
  rmSync(recordIn, { force: true });
  const imports = [REGISTER, RECORD_REQUIRED].map((s) => `--import=data:text/javascript,${encodeURIComponent(s)}`);
  return { NODE_OPTIONS: imports.join(' '), DERISK_TEST_MODULES: recordIn };
}

export const loadedModules = (recordIn: string): string[] => readFileSync(recordIn, 'utf8').split('\n').filter(Boolean);

/** Whether a loaded module's URL or path is TypeBox: the package's own files, or the one file the build bundles it into. */
export const isTypeBox = (module: string): boolean => /(^|\/)node_modules\/typebox\/|(^|\/)dist\/vendor\/typebox\.js$/.test(module);
