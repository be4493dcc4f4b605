/**
 * Lints the OpenAPI document the server serves: builds the app (without listening) on a temp SQLite
 * backend, takes /openapi.json by inject, writes it to a temp file and runs `redocly lint` with the
 * repository's redocly.yaml. Any error or warning fails (Redocly itself exits 0 on warnings).
 *
 *   npm run lint:openapi
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { buildApp } from '../src/server/app.js';
import { Sluice } from '../src/sluice.js';

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer?: string }> }>;
}

const root = resolve(import.meta.dirname, '..');
const redoclyCli = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

const dir = mkdtempSync(join(tmpdir(), 'sluice-openapi-'));
try {
  const file = join(dir, 'openapi.json');
  writeFileSync(file, await servedDocument(join(dir, 'lint.db')));
  const run = spawnSync(process.execPath, [redoclyCli, 'lint', file, '--config', join(root, 'redocly.yaml'), '--format=json'], {
    encoding: 'utf8',
    // No update check or telemetry: CI and these machines have no internet, and it costs seconds.
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  if (run.error || run.stdout.trim() === '') {
    console.error(run.stderr || run.error?.message);
    process.exitCode = 1;
  } else {
    const report = JSON.parse(run.stdout) as LintReport;
    for (const p of report.problems) console.error(`${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`);
    const { errors, warnings } = report.totals;
    console.log(`openapi: redocly lint found ${errors} errors and ${warnings} warnings`);
    if (errors + warnings > 0 || run.status !== 0) process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** /openapi.json as the app serves it. */
async function servedDocument(dbPath: string): Promise<string> {
  const sluice = await Sluice.connect(`sqlite:${dbPath}`);
  try {
    const app = await buildApp({ sluice });
    try {
      const res = await app.inject({ url: '/openapi.json' });
      if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}: ${res.body}`);
      return res.body;
    } finally {
      await app.close();
    }
  } finally {
    await sluice.close();
  }
}
