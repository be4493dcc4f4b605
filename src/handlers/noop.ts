import type { HandlerFunction } from '../worker/handler.js';

/** The `noop` handler: returns its input unchanged. For smoke tests and throughput benchmarks,
 * where the cost measured must be the queue's, not the handler's. */
export const noopHandler: HandlerFunction<unknown, unknown> = ({ job }) => job.input;
