/**
 * `npm run chaos`: every backend through every fault that applies to it, judged by the history
 * checker; prints a markdown table per backend and exits non-zero on any violation.
 *
 *   npm run chaos                               # the full matrix
 *   npm run chaos -- --backend redis --fault partition --jobs 100
 *   npm run chaos -- --short                    # the subset npm test runs
 */
import { parseArgs } from 'node:util';
import { setUpBackend } from './backends.js';
import { BACKENDS, FAULTS, SHORT, SHORT_OPTIONS } from './matrix.js';
import { failureDetails, markdownReport, passed } from './report.js';
import { runScenario, type ScenarioResult } from './scenario.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', multiple: true },
    fault: { type: 'string', multiple: true },
    jobs: { type: 'string', default: '200' },
    workers: { type: 'string', default: '3' },
    bound: { type: 'string', default: '30000' },
    short: { type: 'boolean', default: false },
  },
});

const backends = values.backend?.length ? BACKENDS.filter((b) => values.backend!.includes(b)) : BACKENDS;
const faults = values.fault?.length ? FAULTS.filter((f) => values.fault!.some((name) => f.name.includes(name))) : FAULTS;
const options = values.short
  ? SHORT_OPTIONS
  : { jobs: Number(values.jobs), workers: Number(values.workers), boundMs: Number(values.bound) };

const results: ScenarioResult[] = [];
for (const backend of backends) {
  // Only to ask which faults apply (a proxy exists, the store can be filled); torn down at once.
  const probe = await setUpBackend(backend);
  const short = SHORT.find((entry) => entry.backend === backend);
  const chosen = values.short ? faults.filter((f) => short?.faults.includes(f.name)) : faults;
  const applicable = chosen.filter((f) => f.appliesTo(probe));
  await probe.cleanup();
  for (const fault of applicable) {
    const result = await runScenario(backend, fault, options);
    results.push(result);
    process.stderr.write(
      `${passed(result) ? 'PASS' : 'FAIL'} ${backend} / ${fault.name} (${(result.durationMs / 1000).toFixed(1)} s)\n`,
    );
  }
}

process.stdout.write(`${markdownReport(results)}\n`);
const failures = results.filter((r) => !passed(r));
if (failures.length > 0) process.stdout.write(`\n#### Violations\n\n${failureDetails(results)}\n`);
process.exit(failures.length > 0 ? 1 : 0);
