import { violations } from './history.js';
import type { ScenarioResult } from './scenario.js';

/** A markdown table per backend: one row per fault, the checker's counts, PASS or FAIL. */
export function markdownReport(results: ScenarioResult[]): string {
  const out: string[] = [];
  for (const backend of [...new Set(results.map((r) => r.backend))]) {
    out.push(`### ${backend}`, '');
    out.push(
      '| fault | lost | stale | stuck | wrong end | duplicates | dup. permitted | hung | 5xx | 503s | acked | retried | duration | result |',
    );
    out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of results.filter((x) => x.backend === backend)) {
      const v = r.verdict;
      const result = passed(r) ? 'PASS' : r.error ? 'ERROR' : 'FAIL';
      out.push(
        `| ${r.fault} | ${v.lost} | ${v.stale} | ${v.stuck} | ${v.wrongEnd} | ${v.duplicates} | ${v.duplicatesPermitted} | ${v.hung} | ${v.serverErrors} | ${v.unavailable} | ${v.acked} | ${v.retried} | ${(r.durationMs / 1000).toFixed(1)} s | ${result} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

/** What went wrong, scenario by scenario (the first few details of each). */
export function failureDetails(results: ScenarioResult[], perScenario = 5): string {
  const out: string[] = [];
  for (const r of results.filter((x) => !passed(x))) {
    out.push(`- ${r.backend} / ${r.fault}:`);
    if (r.error) out.push(`  error: ${r.error.split('\n').slice(0, 3).join(' | ')}`);
    for (const line of r.verdict.details.slice(0, perScenario)) out.push(`  ${line}`);
    if (r.verdict.details.length > perScenario) out.push(`  … ${r.verdict.details.length - perScenario} more`);
    for (const note of r.notes) out.push(`  note: ${note}`);
  }
  return out.join('\n');
}

export function passed(result: ScenarioResult): boolean {
  return result.error === undefined && violations(result.verdict) === 0;
}
