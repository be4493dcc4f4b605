/**
 * JetStream names of the adapter: the stream, subject and consumer of each Sluice queue and the
 * stream of failed-job copies. Pure functions, so the mapping is testable and documented in one
 * place (docs/nats.md).
 *
 * Sluice queue names may hold `.` and `:` (job-spec's NAME_RE), and a prefix may hold anything,
 * but a subject token must not contain `.`, `*` or `>`, and a stream or consumer name none of those
 * nor `/`, `\` or whitespace. So each part is escaped first: every character other than A-Z, a-z,
 * 0-9 and `-` becomes `_` and two hex digits (`_` itself too), which is injective and never yields
 * `__`, the separator of the names below.
 */

/** The durable pull consumer every handle of a queue shares (a work-queue stream allows one). */
export const WORK_CONSUMER = 'sluice-work';

/** One name part, escaped as said above (`my.queue` → `my_2equeue`). */
export function escapeName(part: string): string {
  let out = '';
  for (const char of part) {
    if (/^[A-Za-z0-9-]$/.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The work-queue stream of one Sluice queue. */
export function workStreamName(prefix: string, queue: string): string {
  return `${escapeName(prefix)}__${escapeName(queue)}`;
}

/** The subject job messages of one Sluice queue are published to (the work stream's only subject). */
export function workSubject(prefix: string, queue: string): string {
  return `${escapeName(prefix)}.work.${escapeName(queue)}`;
}

/** The limits-retention stream that keeps failed-job copies of every queue of a prefix. */
export function deadStreamName(prefix: string): string {
  return `${escapeName(prefix)}__dead`;
}

/** The subject of one Sluice queue's failed-job copies (in the dead stream). */
export function deadSubject(prefix: string, queue: string): string {
  return `${escapeName(prefix)}.dead.${escapeName(queue)}`;
}

/** Every dead subject of a prefix: the dead stream's subjects. */
export function deadSubjects(prefix: string): string {
  return `${escapeName(prefix)}.dead.>`;
}
