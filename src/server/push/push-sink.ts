import type { JobEventJson } from '../../core/job-event-json.js';

/**
 * Where a stream sends its events: one SSE response, or one subscription on a WebSocket. The stream
 * decides what to send and when to stop; the sink only writes and says how much the client has not
 * taken yet.
 */
export interface PushSink {
  /** Sends one event; `id` is where the client resumes after it (the job's seq, the feed cursor). */
  send(event: JobEventJson, id: string): void;
  /** Bytes written that the client has not taken yet (the connection's own buffer). */
  readonly bufferedBytes: number;
  /** Resolves once the buffer has drained (or the connection closed). */
  drained(): Promise<void>;
  /** The stream is complete (a job's terminal event was sent, or the job is gone). */
  end(): void;
  /** The client fell behind, the store failed, or the server shuts down: the client resumes by its cursor. */
  cut(reason: CutReason): void;
  readonly closed: boolean;
  /** Called once when the connection (or the subscription) goes away, whoever ended it. */
  onClose(listener: () => void): void;
}

/** Why a stream stopped before its end. */
export type CutReason = 'lagging' | 'error' | 'shutdown';

/** How far a client may fall behind before it is cut. */
export interface StreamLimits {
  /** Bytes the connection may hold unsent before a live event cuts it. */
  maxBufferedBytes: number;
  /** Live events a stream may hold while it reads the store (a history re-read) before it is cut. */
  maxPendingEvents: number;
}

/** What a stream tells its owner (the log): a failed read of the store, a client cut off. */
export interface StreamReport {
  error(error: unknown): void;
  cut(reason: CutReason): void;
}

export const SILENT_REPORT: StreamReport = { error: () => {}, cut: () => {} };
