import { sluiceModule } from './sluice-build.js';

// Sluice's runtime modules, from the build (or src with --source; see sluice-build.ts). Every bench
// module takes Sluice from here, so one run never mixes the two (instanceof across them would fail).
// Types still come from src: they are the same declarations.
export const { Sluice } = (await import(sluiceModule('sluice.js'))) as typeof import('../../src/sluice.js');
export const { buildApp } = (await import(sluiceModule('server/app.js'))) as typeof import('../../src/server/app.js');
export const { LIMITS } = (await import(sluiceModule('core/job-spec.js'))) as typeof import('../../src/core/job-spec.js');
export const { EMBED_BATCH, embedHandler } = (await import(
  sluiceModule('handlers/embed.js')
)) as typeof import('../../src/handlers/embed.js');
export const { startMockProvider } = (await import(
  sluiceModule('providers/mock-server.js')
)) as typeof import('../../src/providers/mock-server.js');
export const { openProviderPool } = (await import(
  sluiceModule('providers/open-provider-pool.js')
)) as typeof import('../../src/providers/open-provider-pool.js');
export const { AddressPolicy } = (await import(
  sluiceModule('webhooks/address-policy.js')
)) as typeof import('../../src/webhooks/address-policy.js');
