import { request } from 'node:http';
import type { ControlFile } from './control-file.ts';

/** What the console link sends back, one JSON object a line: text for stdout (o) or stderr (e), as it comes, then the exit code. */
export type Frame = { o: string } | { e: string } | { exit: number };

export const CONSOLE_SCHEME = 'Derisk-Console';

/**
 * Runs a command inside the running server and relays its output as it comes (an ingest's
 * progress too); resolves to its exit code, or to null when the server is gone (nothing listens
 * at its address: it was killed since the control file was read), so the command runs here.
 * The credential travels in a header, never in the address or the command line.
 */
export async function forward(server: ControlFile, argv: string[]): Promise<number | null> {
  const stdin = readsStandardInput(argv) ? await readStream(process.stdin) : undefined;
  const body = JSON.stringify({ argv, cwd: process.cwd(), progressBar: Boolean(process.stderr.isTTY) && process.env.CI === undefined, stdin });
  return new Promise<number | null>((resolve, reject) => {
    const req = request(`${server.address}/run`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `${CONSOLE_SCHEME} ${server.credential}` } });
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve(null) : reject(new Error(`the running server (pid ${server.pid}) did not answer: ${e.message}`))));
    req.on('response', (res) => {
      res.setEncoding('utf8');
      let pending = '';
      if (res.statusCode !== 200) {
        res.on('data', (d: string) => (pending += d));
        res.on('end', () => reject(new Error(`the running server (pid ${server.pid}) refused the command: ${(JSON.parse(pending || '{}') as { message?: string }).message ?? `HTTP ${res.statusCode}`}`)));
        return;
      }
      let exit: number | null = null;
      res.on('data', (d: string) => {
        pending += d;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const frame = JSON.parse(pending.slice(0, newline)) as Frame;
          pending = pending.slice(newline + 1);
          if ('o' in frame) process.stdout.write(frame.o);
          else if ('e' in frame) process.stderr.write(frame.e);
          else exit = frame.exit;
        }
      });
      res.on('error', reject);
      res.on('end', () => (exit === null ? reject(new Error(`the running server (pid ${server.pid}) stopped before the command finished`)) : resolve(exit)));
    });
    req.end(body);
  });
}

/** Whether the command reads standard input: `screen --batch -` (its names, a line each). */
export const readsStandardInput = (argv: readonly string[]): boolean => argv.some((a, i) => a === '--batch=-' || (a === '--batch' && argv[i + 1] === '-'));

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
