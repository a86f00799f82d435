import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { format } from 'node:util';
import type { Store } from '../store/store.ts';

/** Where a command's text goes: the terminal, or a stream back to the console that sent the command. */
export interface Sink {
  write(text: string): void;
}

/**
 * One run of a CLI command. At the console it is the process's own; a command forwarded to the
 * running server (src/cli/console-link.ts) runs inside the server process with the console's
 * working directory and output, over the store the server holds open.
 */
export interface Invocation {
  cwd: string;
  stdout: Sink;
  stderr: Sink;
  /** Redraw progress bars in place (a terminal) rather than print JSON lines. */
  progressBar: boolean;
  /** The store the server owns, used instead of opening one. */
  store?: Store;
  /** The console's standard input, sent with a forwarded command that reads it (screen --batch -). */
  stdin?: string;
  /** Each path the command resolved, and how the user typed it: messages name a file as typed. */
  typed?: Map<string, string>;
}

const forwarded = new AsyncLocalStorage<Invocation>();

let local: Invocation | undefined;

export const invocation = (): Invocation =>
  forwarded.getStore() ??
  (local ??= {
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    progressBar: Boolean(process.stderr.isTTY) && process.env.CI === undefined,
  });

/** Runs a command as the console that forwarded it: its directory, its output, the server's store. */
export const runAs = <T>(context: Invocation, work: () => Promise<T>): Promise<T> => forwarded.run(context, work);

/**
 * The command's standard input: the console's. A forwarded command never reads the server's own
 * (a read of fd 0 there would block the server for everyone), only what the console sent.
 */
export function standardInput(): string | null {
  const context = forwarded.getStore();
  if (context) return context.stdin ?? null;
  return readFileSync(0, 'utf8');
}

/** A path the user typed, resolved against the directory the command was typed in. */
export function at(path: string): string {
  const context = invocation();
  const resolved = resolve(context.cwd, path);
  if (resolved !== path) (context.typed ??= new Map()).set(resolved, path);
  return resolved;
}

/** A message with the paths resolved by at() written back as the user typed them, the same wherever the command ran. */
export function asTyped(message: string): string {
  const typed = [...(invocation().typed ?? [])].sort(([a], [b]) => b.length - a.length);
  return typed.reduce((m, [resolved, path]) => m.split(resolved).join(path), message);
}

/** console.log and console.error of the running command. */
export const out = {
  log: (...args: unknown[]): void => invocation().stdout.write(`${format(...args)}\n`),
  error: (...args: unknown[]): void => invocation().stderr.write(`${format(...args)}\n`),
};
