import type { z } from 'zod';
import type { Metrics } from '../observability/metrics.js';
import type { Sluice } from '../sluice.js';
import type { Authenticator } from './auth.js';
import type { LongPolls } from './long-poll.js';
import type { Push } from './push/push.js';
import type { RouteDoc } from './route-doc.js';

/** What every route plugin is handed by buildApp. */
export interface ServerContext {
  sluice: Sluice;
  auth: Authenticator;
  /** When set, job types outside it are refused (SLUICE_UNKNOWN_TYPE). */
  allowedTypes: ReadonlySet<string> | undefined;
  /** Job type -> the schema its input must fit at submit (types without one take any JSON). */
  inputSchemas: ReadonlyMap<string, z.ZodType>;
  maxWaitSeconds: number;
  /** How long /readyz waits for the backend's ping before it answers 503. */
  readyTimeoutMs: number;
  metrics: Metrics;
  longPolls: LongPolls;
  /** The push surfaces (event streams over SSE and WebSocket) and their hub. */
  push: Push;
  /** Every route registered through defineRoute, in order: the source of /openapi.json. */
  routes: RouteDoc[];
  /** The API's public base URL for /openapi.json's servers (undefined: relative to the document). */
  publicUrl: string | undefined;
}
