/** The public library surface: the Sluice facade, core types and errors, the worker's handler types, maintenance. */

export { DEFAULT_BACKEND_URL, openBackend } from './backends/open-backend.js';
export * from './core/index.js';
export {
  type LeaseReaperSettings,
  MAINTENANCE_DEFAULTS,
  Maintenance,
  type MaintenanceOptions,
  type RetentionSettings,
} from './maintenance/maintenance.js';
export { type EnqueueOptions, type ScopeOptions, Sluice, type SluiceOptions, type WaitForOptions } from './sluice.js';
export type { Handler, HandlerContext, HandlerDefinition, HandlerFunction, HandlerMap } from './worker/handler.js';
export type { WorkerOptions } from './worker/worker.js';
export { Worker } from './worker/worker.js';
