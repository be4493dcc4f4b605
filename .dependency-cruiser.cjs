/**
 * The layer arrows of DESIGN.md. Dependencies point down only:
 *   cli -> server, config, sluice (composition root)
 *   server -> sluice facade, core, observability, handlers (type names)
 *   sluice -> backends/open-backend, worker, maintenance, core
 *   backends/<one> -> core, backends/transport (broker adapters); transport -> core;  worker, handlers, providers, observability, config, client -> core
 *   handlers -> models (offline CPU models) -> core
 *   core -> zod, uuid
 */
const notCore = '^src/(?!core/)';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'core-is-pure',
      comment: 'core knows no backend, HTTP, CLI or I/O: it imports core, zod and uuid only',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: ['^src/core/', '^node_modules/(zod|uuid)/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'only-open-backend-names-adapters',
      comment: 'open-backend.ts is the only file that names every backend',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/backends/'] },
      to: { path: '^src/backends/(sqlite|postgres|redis|rabbitmq|nats)/' },
    },
    {
      name: 'adapters-import-core-only',
      severity: 'error',
      comment:
        'an adapter imports core, its own folder, backends/sql (row mapping the SQL adapters share) and backends/transport (the transport a broker adapter plugs into)',
      from: { path: '^src/backends/([^/]+)/' },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/backends/$1/', '^src/backends/sql/', '^src/backends/transport/'] },
    },
    {
      name: 'transport-is-broker-neutral',
      comment: 'backends/transport drives any broker through broker.ts: it names no broker client and no adapter',
      severity: 'error',
      from: { path: '^src/backends/transport/' },
      to: { path: ['(^|/)node_modules/(amqplib|@nats-io|nats)/', '^src/backends/(?!transport/)'] },
    },
    {
      name: 'lower-layers-stay-low',
      comment: 'worker, maintenance, webhooks, handlers, models, providers, observability, config and client never import the layers above them',
      severity: 'error',
      from: { path: '^src/(worker|maintenance|webhooks|handlers|models|providers|observability|config|client)/' },
      to: { path: '^src/(server|cli|backends)/|^src/sluice\\.ts$|^src/index\\.ts$' },
    },
    {
      name: 'worker-never-imports-handlers',
      severity: 'error',
      from: { path: '^src/worker/' },
      to: { path: '^src/handlers/' },
    },
    {
      name: 'models-sit-below-handlers',
      comment: 'models/ loads and runs models; handlers/ turn jobs into model calls, never the reverse',
      severity: 'error',
      from: { path: '^src/models/' },
      to: { path: '^src/(handlers|worker|providers)/' },
    },
    {
      name: 'client-is-standalone',
      comment: 'the SDK ships the core schema and types only',
      severity: 'error',
      from: { path: '^src/client/' },
      to: { path: notCore, pathNot: ['^src/client/'] },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli/'] },
      to: { path: '^src/cli/' },
    },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.json'] },
  },
};
