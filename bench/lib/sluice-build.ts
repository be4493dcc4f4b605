import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Sluice runs in the bench as it is deployed: compiled by tsc (the Docker image runs `dist/`), like
 * the peers, which are compiled JavaScript from npm. Loaded from source, every module would go
 * through tsx's on-the-fly transform, which keeps function names by wrapping each named closure in
 * a `__name(fn, …)` call as it is created: per-job overhead no deployment has (measured: one-by-one
 * Redis enqueue 5 % faster compiled, docs/benchmarks.md entry 15). `--source` (SLUICE_BENCH_SOURCE=1)
 * loads src/ through tsx instead.
 *
 * The build goes under node_modules/.cache (ignored by git, the linters and tsc) so that its imports
 * resolve to the project's node_modules; it is rebuilt at the start of every bench run, never stale.
 */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SLUICE_BUILD_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'sluice-bench');

/** True when the bench loads Sluice from src/ (through tsx) instead of the build. */
export function fromSource(): boolean {
  return process.env.SLUICE_BENCH_SOURCE === '1';
}

/** Compiles src/ into SLUICE_BUILD_DIR (a few seconds). */
export function buildSluice(): void {
  rmSync(SLUICE_BUILD_DIR, { recursive: true, force: true });
  mkdirSync(SLUICE_BUILD_DIR, { recursive: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', SLUICE_BUILD_DIR, '--declaration', 'false'],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`building Sluice for the bench failed:\n${result.stdout}${result.stderr}`);
  // The files the code reads at run time (the Redis Lua scripts) go beside the compiled modules.
  const assets = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'copy-assets.mjs'), SLUICE_BUILD_DIR], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (assets.status !== 0) throw new Error(`copying Sluice's assets for the bench failed:\n${assets.stderr}`);
  // Inside node_modules no package.json above applies: say that these files are ES modules.
  writeFileSync(join(SLUICE_BUILD_DIR, 'package.json'), '{ "type": "module" }\n');
}

/** The URL of one compiled module (`sluice.js`, `server/app.js`), or of its source with --source. */
export function sluiceModule(path: string): string {
  if (fromSource()) return new URL(`../../src/${path}`, import.meta.url).href;
  const file = join(SLUICE_BUILD_DIR, path);
  if (!existsSync(file)) {
    throw new Error(
      `${file} is missing: run the bench through \`npm run bench\` (it builds Sluice), or set SLUICE_BENCH_SOURCE=1`,
    );
  }
  return new URL(`file://${file}`).href;
}
