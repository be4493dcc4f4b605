import type { WorkerJobStore } from '../core/backend.js';
import { leaseLostReason } from './abort-reasons.js';
import type { HeldAttempts } from './held-attempts.js';
import type { WorkerErrorPhase } from './worker-events.js';

export interface HeartbeatsParts {
  store: Pick<WorkerJobStore, 'heartbeat'>;
  held: HeldAttempts;
  leaseMs: number;
  heartbeatMs: number;
  /** Some leases were reported lost (their attempts are aborted): waiting ones leave the line. */
  onLost: () => void;
  reportError: (error: unknown, during: WorkerErrorPhase) => void;
}

/**
 * Keeps the worker's leases: one timer, and one `heartbeat` call per beat for every lease held
 * (running and waiting attempts alike). A lease the backend reports lost aborts its attempt, which
 * then writes nothing more. Beats never overlap: a beat due while one is in flight is skipped.
 */
export class Heartbeats {
  private timer: NodeJS.Timeout | undefined;
  /** The heartbeat call in flight, if any: stop() waits for it. */
  private inFlight: Promise<void> | undefined;

  constructor(private readonly parts: HeartbeatsParts) {}

  start(): void {
    this.timer = setInterval(() => this.beat(), this.parts.heartbeatMs);
  }

  /** No more beats; resolves once the one in flight, if any, has ended. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private beat(): void {
    if (this.inFlight) return;
    this.inFlight = this.heartbeat().finally(() => {
      this.inFlight = undefined;
    });
  }

  /** One call extends every held lease; leases reported lost abort their handlers. Never rejects. */
  private async heartbeat(): Promise<void> {
    const held = [...this.parts.held.values()].filter((attempt) => attempt.holdsLease);
    if (held.length === 0) return;
    try {
      const { lost } = await this.parts.store.heartbeat({
        leases: held.map((attempt) => attempt.lease),
        leaseMs: this.parts.leaseMs,
      });
      const lostIds = new Set(lost);
      for (const attempt of held) {
        if (lostIds.has(attempt.job.id)) attempt.loseLease(leaseLostReason(attempt.job.id));
      }
      if (lostIds.size > 0) this.parts.onLost();
    } catch (error) {
      // The next beat retries; leases are long enough to survive a missed one or two.
      this.parts.reportError(error, 'heartbeat');
    }
  }
}
