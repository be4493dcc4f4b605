// `npm run bench` — Sluice side by side with BullMQ, pg-boss, Graphile Worker, raw amqplib and a raw
// better-sqlite3 loop. See docs/benchmarks.md. Flags: --quick, --only <workload|pair>, --runs N, --source.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from './lib/args.js';
import { makeHeader, type Report, toMarkdown } from './lib/report.js';
import { runCases } from './lib/runner.js';
import { buildSluice } from './lib/sluice-build.js';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const started = Date.now();
  // Sluice is compiled first and loaded from the build (see lib/sluice-build.ts); the cases import it,
  // so they are imported only now. Child processes inherit the choice through the environment.
  if (args.source) process.env.SLUICE_BENCH_SOURCE = '1';
  else buildSluice();
  const { buildCases } = await import('./cases.js');
  const cases = await buildCases(args);
  if (cases.length === 0) throw new Error(`--only ${args.only.join(',')} selects nothing`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`sluice bench: ${cases.length} case(s), ${args.runs} run(s) each${args.quick ? ', quick' : ''}`);
  const rows = await runCases(cases, args.runs, log);
  const report: Report = {
    header: makeHeader(command, args.runs, args.quick, args.source ? 'source' : 'compiled'),
    rows,
    notes: [`total time ${Math.round((Date.now() - started) / 1000)} s`],
  };
  const markdown = toMarkdown(report);
  mkdirSync(args.outDir, { recursive: true });
  writeFileSync(join(args.outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(args.outDir, 'latest.md'), markdown);
  process.stdout.write(markdown);
}

main().then(
  // Peers' clients (ioredis, pg pools) may keep sockets a moment after close: do not wait on them.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
