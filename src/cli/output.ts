import type { JobJson } from '../core/job-json.js';

/** The fields a job row shows: a full job and a list summary both have them. */
type JobRowFields = Pick<JobJson, 'id' | 'type' | 'queue' | 'status' | 'priority' | 'attempts' | 'maxAttempts' | 'createdAt'>;

/** Prints a value as indented JSON on stdout (what scripts consume). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain aligned table: no colours, so it survives pipes and logs. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(headers)}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

export function jobRow(job: JobRowFields): string[] {
  return [job.id, job.type, job.queue, job.status, String(job.priority), `${job.attempts}/${job.maxAttempts}`, job.createdAt];
}

export const JOB_HEADERS = ['ID', 'TYPE', 'QUEUE', 'STATUS', 'PRIO', 'ATTEMPTS', 'CREATED'];
