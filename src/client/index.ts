/** The typed HTTP SDK of Sluice (`sluice/client`): the client, its errors and the wire types. */
export { ErrorCodes, SluiceError } from '../core/errors.js';
export type { JobStatus, StatusCounts } from '../core/job.js';
export type { JobEventJson } from '../core/job-event-json.js';
export type { JobJson } from '../core/job-json.js';
export type { JobSpec } from '../core/job-spec.js';
export { errorFromResponse, SluiceHttpError } from './http-error.js';
export {
  type EnqueueOptions,
  type EventsOptions,
  type GetOptions,
  type RequestOptions,
  SluiceClient,
  type SluiceClientOptions,
  type WaitForOptions,
} from './sluice-client.js';
export type * from './types.js';
