import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join } from 'node:path';
import type { AppDb } from '../appdb/db.ts';
import { PayloadTooLargeError } from '../errors.ts';
import { OPERATOR } from '../service/accounts.ts';
import { appendAudit } from '../service/audit.ts';
import type { Store } from '../store/store.ts';
import { CONTROL_FILE, type ControlFile } from './control-file.ts';
import { CONSOLE_SCHEME, type Frame } from './forward.ts';
import { runAs } from './io.ts';
import { ON_THE_STORE, runHere } from './main.ts';

// A command line, and the names a console sends on standard input for screen --batch -.
const MAX_REQUEST = 8 * 1024 * 1024;

export interface ConsoleLinkOptions {
  home: string;
  store: Store;
  db: AppDb;
  /** Called after a command that writes to the store (an ingest, a list load) has run. */
  storeChanged: () => void;
}

/**
 * The console's way to the store while `derisk serve` owns it: one endpoint, `POST /run`, that
 * runs a CLI command of ON_THE_STORE in the server process, over its store, with the console's
 * working directory, and streams back what the command prints and its exit code. It listens on
 * the loopback interface only, on a port of its own (not the web app's: no session, token or
 * cookie opens it, and --host does not expose it), and takes one credential, made at start and
 * written with the address to DERISK_HOME/serve.control.json (owner-only). Whoever can read that
 * file is the operator of this home anyway: every command run through it is audited as the
 * operator's (`console.run`).
 */
export async function openConsoleLink(options: ConsoleLinkOptions): Promise<{ close: () => Promise<void> }> {
  const credential = randomBytes(32).toString('base64url');
  const expected = digest(`${CONSOLE_SCHEME} ${credential}`);
  const running = new Set<Promise<unknown>>();
  // Commands that write take turns; readers run beside them, as they do beside uploads.
  let writing: Promise<unknown> = Promise.resolve();

  const server = createServer((req, res) => {
    const done = handle(req, res).catch((e: Error & { statusCode?: number }) => {
      if (!res.headersSent) answer(res, e.statusCode ?? 500, 'failed', e.message);
      else res.end();
    });
    running.add(done);
    void done.finally(() => running.delete(done));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const port = (server.address() as AddressInfo).port;
    if (req.method !== 'POST' || req.url !== '/run') return answer(res, 404, 'not found', 'the console link has one endpoint: POST /run');
    // A page in a browser (DNS rebinding, a form posted across sites) is never the console.
    if (req.headers.origin !== undefined || req.headers.host !== `127.0.0.1:${port}`) return answer(res, 403, 'forbidden', 'the console link answers the derisk command line on this machine only');
    const given = req.headers.authorization ?? '';
    if (!timingSafeEqual(digest(given), expected)) return answer(res, 401, 'unauthorized', `the console link takes the credential in ${CONTROL_FILE}, nothing else`);
    const body = await readBody(req);
    const request = parseRequest(body);
    if (typeof request === 'string') return answer(res, 400, 'bad request', request);
    const { argv, cwd, progressBar, stdin } = request;
    await options.db.transaction((tx) => appendAudit(tx, { actor: OPERATOR.userId, orgId: OPERATOR.orgId, action: 'console.run', target: argv[0]!, detail: { argv, cwd } }));

    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    const send = (frame: Frame) => {
      if (!res.destroyed) res.write(`${JSON.stringify(frame)}\n`);
    };
    const run = () => runAs({ cwd, progressBar, stdin, store: options.store, stdout: { write: (o) => send({ o }) }, stderr: { write: (e) => send({ e }) } }, () => runHere(argv));
    let exit: number;
    if (ON_THE_STORE[argv[0]!] === 'writes') {
      const turn = writing.then(run, run);
      writing = turn.catch(() => undefined);
      exit = await turn;
      options.storeChanged();
    } else exit = await run();
    send({ exit });
    res.end();
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const link: ControlFile = { pid: process.pid, address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credential };
  const path = join(options.home, CONTROL_FILE);
  // Written whole and owner-only before it gets its name: never readable half-written, nor by others.
  const temporary = `${path}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  writeFileSync(temporary, `${JSON.stringify(link)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, path);

  const ours = () => {
    try {
      return readFileSync(path, 'utf8').includes(credential);
    } catch {
      return false;
    }
  };
  return {
    close: async () => {
      // No new command is sent once the file is gone; those under way finish before the store closes.
      if (ours()) rmSync(path, { force: true });
      server.close();
      while (running.size > 0) await Promise.allSettled([...running]);
      server.closeAllConnections();
    },
  };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

function answer(res: ServerResponse, status: number, error: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error, message }));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST) throw new PayloadTooLargeError('the command is too long');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The command to run, or why it is refused. */
function parseRequest(body: string): { argv: string[]; cwd: string; progressBar: boolean; stdin: string | undefined } | string {
  let v: { argv?: unknown; cwd?: unknown; progressBar?: unknown; stdin?: unknown };
  try {
    v = JSON.parse(body) as typeof v;
  } catch {
    return 'the body is not JSON';
  }
  if (!Array.isArray(v.argv) || v.argv.length === 0 || !v.argv.every((a) => typeof a === 'string')) return 'argv must be a non-empty list of strings';
  if (!Object.hasOwn(ON_THE_STORE, v.argv[0] as string)) return `${JSON.stringify(v.argv[0])} is not a command on the store; run it at the console`;
  if (typeof v.cwd !== 'string' || !isAbsolute(v.cwd)) return 'cwd must be an absolute directory';
  if (typeof v.progressBar !== 'boolean') return 'progressBar must be true or false';
  if (v.stdin !== undefined && typeof v.stdin !== 'string') return 'stdin must be text';
  return { argv: v.argv as string[], cwd: v.cwd, progressBar: v.progressBar, stdin: v.stdin };
}
