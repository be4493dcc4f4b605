import { randomUUID } from 'node:crypto';

/**
 * Lease tokens carry their job's queue: `<uuid v4>.<queue>`. Settlements name jobs by id and token
 * only, and the queue tells which hash tag (slot) the job lives in, so a complete / fail / heartbeat
 * needs no id lookup. The uuid keeps the token unguessable; a forged or foreign token simply does not
 * match the job's current one (lease_lost).
 */
export function newLeaseToken(queue: string): string {
  return `${randomUUID()}.${queue}`;
}

/**
 * Most jobs one claim script may lease: a claim sends one token and the script numbers its jobs in
 * the token's last four hex digits (`0000`..`ffff`). Tokens stay unique (a fresh uuid per claim,
 * a distinct number per job) and unguessable across claims; sending one token instead of one per
 * possible job keeps a mostly empty claim of 100 from shipping and allocating 100 uuids.
 */
export const MAX_JOBS_PER_CLAIM_TOKEN = 0x10000;

const UUID_LENGTH = 36;

/** The queue named by a lease token, or undefined when the token is not one of ours. */
export function queueOfToken(token: string): string | undefined {
  if (token.length <= UUID_LENGTH + 1 || token[UUID_LENGTH] !== '.') return undefined;
  return token.slice(UUID_LENGTH + 1);
}
