export * from './abort-reasons.js';
export * from './handler.js';
export * from './worker.js';
export * from './worker-events.js';
export * from './worker-options.js';
