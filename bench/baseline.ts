import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The baseline a section compares this tree with in the same run (stall, startup): an older
// revision of derisk, built once in a tree of its own.

const ROOT = new URL('..', import.meta.url).pathname;

/** derisk's command at revision `rev`, built in a tree of its own under `out` (kept for later runs); null when git cannot give the revision. */
export function baselineBin(out: string, rev: string): string | null {
  const dir = resolve(out, `baseline-${rev}`);
  const bin = join(dir, 'bin', 'derisk.js');
  if (existsSync(join(dir, 'dist', 'cli', 'main.js'))) return bin;
  const archive = spawnSync('git', ['archive', rev], { cwd: ROOT, maxBuffer: 1 << 30 });
  if (archive.status !== 0) {
    console.log(`  no baseline: git archive ${rev}: ${archive.stderr.toString().trim()}`);
    return null;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const build = spawnSync(process.execPath, [join(dir, 'scripts', 'build.js')], { cwd: dir, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`the baseline ${rev} did not build`);
  return bin;
}
