import type { JobEventType } from '../core/ports/event-log.js';

/**
 * What webhooks keep in the record store (ports/record-store.ts), by namespace. One place names
 * them, so that every module reads and writes the same shapes.
 */

/** A job's own webhook (the job spec's `webhook`), keyed by job id. */
export const JOB_WEBHOOK_NS = 'webhooks.job';
/** A tenant's endpoints (POST /v1/webhooks), keyed by endpoint id. */
export const endpointsNs = (tenant: string | undefined): string => `webhooks.endpoints:${tenantKey(tenant)}`;
/** Signing secrets, keyed by tenantKey. */
export const SECRETS_NS = 'webhooks.secrets';
/** One job's deliveries, keyed by delivery id. */
export const deliveriesNs = (jobId: string): string => `webhooks.deliveries:${jobId}`;
/** The dispatcher's place in the feed. */
export const CURSOR_NS = 'webhooks.cursor';
export const CURSOR_KEY = 'dispatcher';

/** A tenant as a record key: `-` for the jobs of a deployment without tenants. */
export function tenantKey(tenant: string | undefined): string {
  return tenant === undefined ? '-' : `t:${tenant}`;
}

/** The terminal events: what a webhook gets when it names no events. */
export const DEFAULT_WEBHOOK_EVENTS: readonly JobEventType[] = ['job.succeeded', 'job.failed', 'job.cancelled'];

/** A job's webhook as stored. */
export interface JobWebhookRecord {
  url: string;
  events: JobEventType[];
}

/** A tenant's endpoint as stored (and as GET /v1/webhooks shows it). */
export interface EndpointRecord {
  id: string;
  url: string;
  events: JobEventType[];
  /** Only events of jobs in these queues; absent: every queue. */
  queues?: string[];
  createdAt: number;
  /** Set when the receiver answered 410 Gone: nothing more is delivered to it. */
  disabledAt?: number;
  disabledReason?: string;
}

/** A tenant's signing secrets. While `previous` is valid both sign (Standard Webhooks rotation). */
export interface SecretRecord {
  current: string;
  previous?: string;
  /** Epoch ms until which `previous` still signs. */
  previousUntil?: number;
  rotatedAt?: number;
}

/** One attempt to deliver. */
export interface DeliveryAttempt {
  at: number;
  /** The receiver's HTTP status; absent when no answer came (refused, timed out, reset). */
  statusCode?: number;
  latencyMs: number;
  error?: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'gone';

/** One event's delivery to one target, with its attempts. Its id is the `webhook-id` header. */
export interface DeliveryRecord {
  id: string;
  jobId: string;
  /** The job's tenant (whose secret signs). */
  tenant?: string;
  /** The tenant endpoint it goes to; absent: the job's own webhook. */
  endpointId?: string;
  url: string;
  event: { seq: number; type: JobEventType };
  status: DeliveryStatus;
  /** The request body, built once, so that every retry sends the same bytes. */
  body: string;
  attempts: DeliveryAttempt[];
  createdAt: number;
  /** The delivery job now carrying it (a retry through the API makes a new one). */
  deliveryJobId?: string;
}
