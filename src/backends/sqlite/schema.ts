import type Database from 'better-sqlite3';
import { ErrorCodes, SluiceError } from '../../core/errors.js';

/**
 * Versioned migrations. The applied version lives in `PRAGMA user_version`, so a reopen (or a second
 * process opening the same file) applies only what is missing. Append new migrations; never edit
 * one that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: jobs and queues.
  `
  CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    queue            TEXT NOT NULL,
    type             TEXT NOT NULL,
    status           TEXT NOT NULL,
    input            TEXT NOT NULL,        -- JSON
    output           TEXT,                 -- JSON
    error            TEXT,                 -- JSON JobError
    progress         TEXT,                 -- JSON
    priority         INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    backoff          TEXT NOT NULL,        -- JSON BackoffPolicy
    timeout_ms       INTEGER,
    idempotency_key  TEXT,
    metadata         TEXT,                 -- JSON
    tenant           TEXT,
    created_at       INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    updated_at       INTEGER NOT NULL,
    lease_token      TEXT,
    lease_expires_at INTEGER,
    worker_id        TEXT
  );

  -- Every job sits in exactly one of the four partial "state" indexes below, so a transition touches
  -- two small indexes and nothing else: fewer pages written per commit is what makes claims fast.

  -- Claim: serves WHERE status='queued' AND queue=? ORDER BY priority DESC, run_at, id, and checks the
  -- type filter without reading the row.
  CREATE INDEX jobs_claim ON jobs (queue, priority DESC, run_at, id, type) WHERE status = 'queued';
  -- Promotion of due scheduled jobs (delays, retry backoff).
  CREATE INDEX jobs_scheduled ON jobs (queue, run_at) WHERE status = 'scheduled';
  -- The lease reaper.
  CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'running';
  -- Finished jobs: retention (status, finished_at range), redrive, and per-queue counts (covering).
  CREATE INDEX jobs_finished ON jobs (status, finished_at, queue) WHERE finished_at IS NOT NULL;
  -- Idempotency keys are unique per queue and tenant: a key must never hand one tenant another's job.
  CREATE UNIQUE INDEX jobs_idempotency ON jobs (queue, ifnull(tenant, ''), idempotency_key) WHERE idempotency_key IS NOT NULL;

  CREATE TABLE queues (
    name       TEXT PRIMARY KEY,
    paused     INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
  );
  `,
  // 2: provider rate-limit budgets shared by every worker (Backend.updateRateBudget).
  `
  CREATE TABLE rate_budgets (
    scope      TEXT PRIMARY KEY,
    state      TEXT NOT NULL,             -- JSON RateBudgetState
    updated_at INTEGER NOT NULL
  );
  `,
  // 3: token and cost accounting (Backend.recordUsage / usage): one row per provider call per job.
  // Append only; retention of jobs leaves it alone (rows are small).
  `
  CREATE TABLE usage (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,       -- epoch ms of the call
    job_id        TEXT NOT NULL,
    queue         TEXT NOT NULL,
    tenant        TEXT,
    type          TEXT NOT NULL,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd      REAL                    -- NULL: the provider has no price table
  );
  -- Totals are asked for a time range (since/until).
  CREATE INDEX usage_at ON usage (at);
  `,
  // 4: the fingerprint of the request kept with a job that has an idempotency key, so that a reuse
  // of the key for another request is told apart from a retry (SLUICE_IDEMPOTENCY_MISMATCH).
  `
  ALTER TABLE jobs ADD COLUMN request_hash TEXT;
  `,
  // 5: the event log (ports/event-log.ts). `last_seq` is the seq of the job's newest event: each
  // write bumps it in the UPDATE it already makes and reads it back with RETURNING, so numbering
  // an event costs no extra statement. Jobs stored before this migration start at 0: their log
  // begins with their next change, at seq 1 (they have no job.created).
  // The rowid is the feed's cursor; AUTOINCREMENT never hands out a rowid again, also not after
  // retention deleted the newest events, so a reader's cursor never skips a later event.
  `
  ALTER TABLE jobs ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE job_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id   TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    type     TEXT NOT NULL,
    at       INTEGER NOT NULL,
    attempt  INTEGER,
    data     TEXT,                        -- JSON
    queue    TEXT NOT NULL,
    tenant   TEXT
  );
  -- A job's log in order (jobEvents), and what retention deletes with the job.
  CREATE UNIQUE INDEX job_events_job ON job_events (job_id, seq);
  -- Events go with their job: whatever deletes a job (retention) deletes its log in the same
  -- statement, through the index above.
  CREATE TRIGGER jobs_delete_events AFTER DELETE ON jobs BEGIN
    DELETE FROM job_events WHERE job_id = old.id;
  END;
  `,
  // 6: the record store (ports/record-store.ts): small JSON documents by namespace and key.
  // WITHOUT ROWID makes the primary key the table's own order, so a namespace's records lie
  // together in key order and a list page is one range read; BINARY collation compares keys as
  // UTF-8 bytes, the order the port promises. expires_at: epoch ms on the backend's clock, NULL for
  // a record without a TTL.
  `
  CREATE TABLE records (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,             -- JSON
    expires_at INTEGER,
    PRIMARY KEY (namespace, key)
  ) WITHOUT ROWID;
  -- The purge of expired records (purgeExpiredRecords); records without a TTL are not in it.
  CREATE INDEX records_expiry ON records (expires_at) WHERE expires_at IS NOT NULL;
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database up to SCHEMA_VERSION. Each step still due runs in its own IMMEDIATE
 * transaction and re-reads the version inside it, so two processes opening a fresh file at once
 * migrate it once.
 */
export function migrate(db: Database.Database): void {
  const readVersion = (): number => db.pragma('user_version', { simple: true }) as number;
  if (readVersion() > SCHEMA_VERSION) {
    throw new SluiceError(
      ErrorCodes.config,
      `database schema version ${readVersion()} is newer than this Sluice understands (${SCHEMA_VERSION}); upgrade Sluice`,
    );
  }
  for (let target = 1; target <= SCHEMA_VERSION; target++) {
    // Read first, outside any lock: an up-to-date file (every open but the first) takes no write
    // lock at all, so a process that holds the lock for long (a worker stopped mid-write) cannot
    // make a new process fail to start.
    if (readVersion() >= target) continue;
    const sql = MIGRATIONS[target - 1]!;
    db.transaction(() => {
      if (readVersion() >= target) return;
      db.exec(sql);
      // PRAGMA takes no bound parameters; target is an integer we control.
      db.pragma(`user_version = ${target}`);
    }).immediate();
  }
}
