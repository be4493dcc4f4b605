export * from './lease-reaper.js';
export * from './maintenance.js';
export * from './retention-sweeper.js';
