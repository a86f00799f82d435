import type { ExitCode } from './common.ts';

/**
 * `derisk bench`: the benchmarks are development tooling kept as TypeScript beside the sources
 * (bench/), so this one command registers tsx before loading them; the rest of the CLI runs
 * compiled.
 */
export async function benchCommand(argv: string[]): Promise<ExitCode> {
  const { register } = await import('tsx/esm/api');
  register();
  // bench/ is two levels up from src/cli/ and from the compiled dist/cli/ alike.
  const bench = new URL('../../bench/run.ts', import.meta.url);
  const { runBench } = (await import(bench.href)) as { runBench(argv: string[]): Promise<ExitCode> };
  return runBench(argv);
}
