import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import { tempDir } from '../lib/services.js';
import type { BenchJob, ClaimProbe, QueueTarget, WorkerHooks } from '../lib/target.js';

const SCHEMA = `
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  status INTEGER NOT NULL DEFAULT 0,      -- 0 queued, 1 running, 2 done
  run_at INTEGER NOT NULL,
  lease_until INTEGER,
  payload TEXT NOT NULL,
  output TEXT
);
CREATE INDEX jobs_due ON jobs (status, run_at) WHERE status = 0;
`;

/**
 * The embedded ceiling: the least a durable SQLite queue must do. One table, one index, WAL with
 * synchronous=NORMAL (Sluice's default), claims with one UPDATE … RETURNING per batch, completions
 * with one UPDATE per batch (rows are kept, as Sluice keeps them), in-process wake-ups, and the
 * same look-ahead as Sluice's worker (claims up to concurrency + prefetch, runs concurrency).
 */
export class RawSqliteTarget implements QueueTarget, ClaimProbe {
  readonly name = 'raw-sqlite';
  private db: Database.Database | undefined;
  private remove: () => void = () => {};
  private readonly wake = new EventEmitter();
  private insert!: Database.Statement;
  private insertMany!: (inputs: object[]) => void;
  private claim!: Database.Statement;
  private complete!: Database.Statement;
  private path = '';

  /** `existing`: a database file another target created; teardown leaves it. */
  constructor(private readonly existing?: string) {}

  get address(): string {
    return this.path;
  }

  async setup(): Promise<void> {
    if (this.existing) {
      this.path = this.existing;
    } else {
      const tmp = tempDir();
      this.remove = tmp.remove;
      this.path = `${tmp.dir}/raw.db`;
    }
    const db = new Database(this.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    if (!this.existing) db.exec(SCHEMA);
    this.db = db;
    this.insert = db.prepare('INSERT INTO jobs (run_at, payload) VALUES (?, ?)');
    this.insertMany = db.transaction((inputs: object[]) => {
      const at = Date.now();
      for (const input of inputs) this.insert.run(at, JSON.stringify(input));
    });
    this.claim = db.prepare(
      `UPDATE jobs SET status = 1, lease_until = ? WHERE id IN
         (SELECT id FROM jobs WHERE status = 0 AND run_at <= ? ORDER BY run_at LIMIT ?)
       RETURNING id, payload`,
    );
    this.complete = db.prepare(
      `UPDATE jobs SET status = 2, output = 'null' WHERE status = 1 AND id IN (SELECT value FROM json_each(?))`,
    );
  }

  async enqueueOne(input: object): Promise<void> {
    this.insert.run(Date.now(), JSON.stringify(input));
    this.wake.emit('jobs');
  }

  async enqueueBulk(inputs: object[]): Promise<void> {
    for (let i = 0; i < inputs.length; i += 1000) this.insertMany(inputs.slice(i, i + 1000));
    this.wake.emit('jobs');
  }

  private claimBatch(limit: number): Array<{ id: number; payload: string }> {
    const at = Date.now();
    return this.claim.all(at + 30_000, at, limit) as Array<{ id: number; payload: string }>;
  }

  async claimAndComplete(limit: number): Promise<number> {
    const rows = this.claimBatch(limit);
    if (rows.length > 0) this.complete.run(JSON.stringify(rows.map((r) => r.id)));
    return rows.length;
  }

  async startWorker(hooks: WorkerHooks): Promise<{ stop: () => Promise<void> }> {
    let running = true;
    let active = 0;
    let done: number[] = [];
    let flushScheduled = false;
    let wakeUp: (() => void) | undefined;
    const signal = () => {
      const w = wakeUp;
      wakeUp = undefined;
      w?.();
    };
    this.wake.on('jobs', signal);
    const waitForWake = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    const flush = () => {
      flushScheduled = false;
      const ids = done;
      done = [];
      if (ids.length === 0) return;
      this.complete.run(JSON.stringify(ids));
      for (let k = 0; k < ids.length; k++) hooks.onDone();
    };
    // Claimed ahead of a free slot (the look-ahead every target gets), in claim order.
    const ready: Array<{ id: number; payload: string }> = [];
    const startReady = () => {
      while (active < hooks.concurrency && ready.length > 0) {
        const row = ready.shift()!;
        active += 1;
        const job = JSON.parse(row.payload) as BenchJob;
        void Promise.resolve()
          .then(() => hooks.onStart?.(job))
          .then(() => finish(row.id));
      }
    };
    const finish = (id: number) => {
      done.push(id);
      active -= 1;
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
      startReady();
      signal();
    };
    const loop = async () => {
      while (running) {
        const free = hooks.concurrency + hooks.prefetch - active - ready.length;
        if (free <= 0) {
          await waitForWake(250);
          continue;
        }
        const rows = this.claimBatch(free);
        ready.push(...rows);
        startReady();
        if (rows.length < free) await waitForWake(250);
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    const looping = loop();
    return {
      stop: async () => {
        running = false;
        signal();
        await looping;
        this.wake.off('jobs', signal);
        flush();
      },
    };
  }

  async teardown(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    this.remove();
  }
}
