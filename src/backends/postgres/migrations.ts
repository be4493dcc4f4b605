import { ErrorCodes, SluiceError } from '../../core/errors.js';
import type { Queryable } from './long-statements.js';
import { quoteIdent } from './sql/common.js';

/**
 * Versioned migrations, applied in order. `{S}` stands for the quoted schema. Append new ones; never
 * edit one that has shipped. Versions applied are rows of `<schema>.sluice_migrations`.
 */
export const MIGRATIONS: ReadonlyArray<{ name: string; sql: string }> = [
  {
    name: 'jobs and queues',
    sql: `
    CREATE TABLE {S}.jobs (
      id               text COLLATE "C" PRIMARY KEY,  -- UUIDv7: byte order = creation order (list cursor)
      queue            text NOT NULL,
      type             text NOT NULL,
      status           text NOT NULL CHECK (status IN ('scheduled', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
      input            json NOT NULL,     -- json, not jsonb: stored as given, no re-encoding on the hot path
      output           json,
      error            json,
      progress         json,
      priority         integer NOT NULL,
      attempts         integer NOT NULL DEFAULT 0,
      max_attempts     integer NOT NULL,
      backoff          json NOT NULL,
      timeout_ms       bigint,
      idempotency_key  text,
      metadata         json,
      tenant           text,
      created_at       bigint NOT NULL,   -- epoch ms
      run_at           bigint NOT NULL,
      started_at       bigint,
      finished_at      bigint,
      updated_at       bigint NOT NULL,
      lease_token      text,
      lease_expires_at bigint,
      worker_id        text
    );

    -- Claim: walks (queue, priority DESC, run_at, id) in claim order. Due scheduled jobs are claimed
    -- straight from 'scheduled' (no promotion step), so both waiting states share the index.
    CREATE INDEX jobs_claim ON {S}.jobs (queue, priority DESC, run_at, id) WHERE status IN ('queued', 'scheduled');
    -- The lease reaper.
    CREATE INDEX jobs_lease ON {S}.jobs (lease_expires_at) WHERE status = 'running';
    -- Retention, redrive of failed jobs.
    CREATE INDEX jobs_finished ON {S}.jobs (status, finished_at) WHERE finished_at IS NOT NULL;
    -- Idempotency keys are unique per queue and tenant ('' when none).
    CREATE UNIQUE INDEX jobs_idempotency ON {S}.jobs (queue, (coalesce(tenant, '')), idempotency_key)
      WHERE idempotency_key IS NOT NULL;

    CREATE TABLE {S}.queues (
      name       text PRIMARY KEY,
      paused     boolean NOT NULL DEFAULT false,
      updated_at bigint NOT NULL
    );
    `,
  },
  {
    name: 'provider rate budgets',
    sql: `
    -- Provider rate-limit budgets shared by every worker (Backend.updateRateBudget).
    CREATE TABLE {S}.rate_budgets (
      scope      text PRIMARY KEY,
      state      json NOT NULL,     -- RateBudgetState (core/rate-budget.ts)
      updated_at bigint NOT NULL
    );
    `,
  },
  {
    name: 'usage accounting',
    sql: `
    -- Token and cost accounting (Backend.recordUsage / usage): one row per provider call per job.
    -- Append only; retention of jobs leaves it alone (rows are small).
    CREATE TABLE {S}.usage (
      id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at            bigint NOT NULL,    -- epoch ms of the call
      job_id        text NOT NULL,
      queue         text NOT NULL,
      tenant        text,
      type          text NOT NULL,
      provider      text NOT NULL,
      model         text NOT NULL,
      input_tokens  bigint NOT NULL,
      output_tokens bigint NOT NULL,
      cost_usd      double precision    -- NULL: the provider has no price table
    );
    -- Totals are asked for a time range (since/until).
    CREATE INDEX usage_at ON {S}.usage (at);
    `,
  },
  {
    name: 'request hash',
    sql: `
    -- The fingerprint of the request kept with a job that has an idempotency key, so that a reuse
    -- of the key for another request is told apart from a retry (SLUICE_IDEMPOTENCY_MISMATCH).
    ALTER TABLE {S}.jobs ADD COLUMN request_hash text;
    `,
  },
  {
    name: 'event log',
    sql: `
    -- Every change of a job, appended by the statement that makes it (sql/event-log.ts). The feed
    -- reads in (xid, pos) order, below its snapshot's xmin, so that a transaction that commits late
    -- is not skipped; xid8 is the 64-bit transaction id, which never wraps around.
    CREATE TABLE {S}.job_events (
      pos     bigint GENERATED ALWAYS AS IDENTITY,
      xid     xid8 NOT NULL DEFAULT pg_current_xact_id(),
      job_id  text COLLATE "C" NOT NULL,
      seq     integer NOT NULL,   -- the job's own order: 1, 2, 3… (jobs.event_seq is its newest)
      type    text NOT NULL,
      at      bigint NOT NULL,    -- epoch ms
      attempt integer,
      data    json,               -- json, as the jobs table: stored as given
      queue   text NOT NULL,
      tenant  text,
      PRIMARY KEY (job_id, seq)
    );
    CREATE INDEX job_events_feed ON {S}.job_events (xid, pos);
    -- Jobs stored before this migration have no events: their log starts at seq 1 with their next
    -- change (a constant default: no table rewrite).
    ALTER TABLE {S}.jobs ADD COLUMN event_seq integer NOT NULL DEFAULT 0;
    `,
  },
  {
    name: 'record store',
    sql: `
    -- Small JSON documents by namespace and key (ports/record-store.ts, sql/records.ts). COLLATE "C":
    -- keys compare and list in the byte order of their UTF-8 forms, as the port promises.
    CREATE TABLE {S}.records (
      namespace  text COLLATE "C" NOT NULL,
      key        text COLLATE "C" NOT NULL,
      value      json NOT NULL,   -- json, as the jobs table: stored as given
      expires_at bigint,          -- epoch ms; NULL: kept until deleted
      PRIMARY KEY (namespace, key)
    );
    -- purgeExpiredRecords walks the records that have a TTL, oldest expiry first.
    CREATE INDEX records_expiry ON {S}.records (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings `schema` up to SCHEMA_VERSION (or `to`, for tests of an upgrade) inside the caller's
 * transaction (the adapter's long one, see long-statements.ts), under a transaction-scoped advisory
 * lock keyed by the schema: several processes starting at once queue up on the lock, and the later
 * ones find the work done. Returns the version before and after.
 */
export async function migrate(client: Queryable, schema: string, to = SCHEMA_VERSION): Promise<{ from: number; to: number }> {
  const s = quoteIdent(schema);
  await client.query("SELECT pg_advisory_xact_lock(hashtextextended('sluice:migrate:' || $1, 0))", [schema]);
  // Inside the lock: two concurrent CREATE SCHEMA IF NOT EXISTS can still collide on the catalog.
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${s}.sluice_migrations (
       version    integer PRIMARY KEY,
       name       text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const from = await readVersion(client, schema);
  assertNotNewer(from, schema);
  const target = Math.min(to, SCHEMA_VERSION);
  for (let version = from + 1; version <= target; version++) {
    const migration = MIGRATIONS[version - 1]!;
    await client.query(migration.sql.replaceAll('{S}', s));
    await client.query(`INSERT INTO ${s}.sluice_migrations (version, name) VALUES ($1, $2)`, [version, migration.name]);
  }
  return { from, to: Math.max(from, target) };
}

/**
 * For `migrate: false`: checks that the schema is at SCHEMA_VERSION and otherwise throws
 * SLUICE_CONFIG telling the operator to run `sluice migrate`.
 */
export async function assertSchemaCurrent(client: Queryable, schema: string): Promise<void> {
  const exists = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [
    `${quoteIdent(schema)}.sluice_migrations`,
  ]);
  const version = exists.rows[0]?.present ? await readVersion(client, schema) : 0;
  assertNotNewer(version, schema);
  if (version < SCHEMA_VERSION) {
    throw new SluiceError(
      ErrorCodes.config,
      `PostgreSQL schema "${schema}" is at version ${version}, this Sluice needs ${SCHEMA_VERSION}: run \`sluice migrate\` ` +
        '(with the same SLUICE_BACKEND), or let Sluice migrate at start (SLUICE_AUTO_MIGRATE=true)',
      { field: 'SLUICE_BACKEND' },
    );
  }
}

async function readVersion(client: Queryable, schema: string): Promise<number> {
  const result = await client.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${quoteIdent(schema)}.sluice_migrations`,
  );
  return result.rows[0]?.version ?? 0;
}

function assertNotNewer(version: number, schema: string): void {
  if (version > SCHEMA_VERSION) {
    throw new SluiceError(
      ErrorCodes.config,
      `PostgreSQL schema "${schema}" is at version ${version}, newer than this Sluice understands (${SCHEMA_VERSION}); upgrade Sluice`,
      { field: 'SLUICE_BACKEND' },
    );
  }
}
