import { readFileSync } from 'node:fs';

/**
 * The Lua scripts, one file each in ./lua/ (read once, when this module is imported). Every state
 * change that touches more than one key is one script, so a crash or a lost connection between two
 * commands cannot lose or duplicate a job. ioredis `defineCommand` loads each script once and runs
 * it by EVALSHA (re-sending the source on NOSCRIPT, e.g. after a restart).
 *
 * Conventions shared by every script:
 * - KEYS[1] is the queue's `meta` key: it routes the call to the queue's slot on Redis Cluster. The
 *   other keys are built from ARGV[1], the queue's hash tag, so they are in the same slot.
 * - ARGV[1] base `{prefix:queue}`, ARGV[2] now in epoch ms ('' = the Redis server's clock, TIME),
 *   ARGV[3] queue, ARGV[4] origin (this backend handle's id), ARGV[5] pub/sub channel; script
 *   arguments follow from ARGV[6]. The last argument is the call's feed order (feed-order.ts): the
 *   prelude takes it off ARGV, and logEvent stores it with the events the call appends.
 * - Scripts check everything before they write: Redis does not roll a script back on error.
 * - `#!lua` (Redis 7 function flags syntax): a script that may write is refused up front when Redis
 *   is out of memory, instead of failing half-way.
 * - Optional strings travel as '' (absent) or '+value'.
 *
 * A queue script is `#!lua`, the constants generated below from TypeScript (so the field names
 * have one source), lua/clock.lua (every script's `now`), lua/prelude.lua, then its own file. The record scripts work on one namespace's
 * key and take lua/record-prelude.lua instead (their own conventions are there); the rate-budget
 * and usage scripts work on a key of their own and take no prelude.
 */

/** Job hash fields, in the order `row()` returns them (row-mapping.ts reads them by this order). */
export const FIELDS = [
  'id',
  'q',
  'type',
  'st',
  'in',
  'out',
  'err',
  'prog',
  'pri',
  'att',
  'max',
  'bo',
  'to',
  'ik',
  'md',
  'ten',
  'cAt',
  'rAt',
  'sAt',
  'fAt',
  'uAt',
  'lt',
  'lx',
  'wid',
  // The request hash of a job with an idempotency key (SLUICE_IDEMPOTENCY_MISMATCH).
  'rh',
] as const;

/** Arguments per job in the enqueue script. */
export const ENQUEUE_ARITY = 14;

/** Arguments per idempotency check in the enqueue script (see lua/enqueue.lua). */
export const ENQUEUE_CHECK_ARITY = 4;

interface ScriptSpec {
  /** The file in ./lua/, without `.lua`. */
  file: string;
  /** The Lua put before the script: the queue prelude (default), the record prelude, or none. */
  prelude?: 'records' | false;
  /** Numbers the script reads as Lua locals of these names. */
  constants?: Record<string, number>;
}

/**
 * Script name -> file. Each becomes an ioredis command taking one key (the queue's meta key; the
 * rate-budget, usage and record scripts take their own key).
 */
const CATALOG = {
  sluiceEnqueue: { file: 'enqueue', constants: { ENQUEUE_ARITY, ENQUEUE_CHECK_ARITY } },
  sluiceClaim: { file: 'claim' },
  sluiceClaimIds: { file: 'claim-ids' },
  sluiceRateBudget: { file: 'rate-budget', prelude: false },
  sluiceUsageRecord: { file: 'usage-record', prelude: false },
  sluiceRecordPut: { file: 'record-put', prelude: 'records' },
  sluiceRecordGet: { file: 'record-get', prelude: 'records' },
  sluiceRecordList: { file: 'record-list', prelude: 'records' },
  sluiceRecordDelete: { file: 'record-delete', prelude: 'records' },
  sluiceHeartbeat: { file: 'heartbeat' },
  sluiceComplete: { file: 'complete' },
  sluiceFail: { file: 'fail' },
  sluiceRelease: { file: 'release' },
  sluiceProgress: { file: 'progress' },
  sluiceCancel: { file: 'cancel' },
  sluiceReclaim: { file: 'reclaim' },
  sluiceRedrive: { file: 'redrive' },
  sluicePurge: { file: 'purge' },
  sluicePause: { file: 'pause' },
  sluiceStats: { file: 'stats' },
  sluiceList: { file: 'list' },
  sluiceFetch: { file: 'fetch' },
  sluiceAppendOutput: { file: 'append-output' },
  sluiceEvents: { file: 'events' },
  sluiceFeedRead: { file: 'feed-read' },
  sluiceFeedEnd: { file: 'feed-end' },
} as const satisfies Record<string, ScriptSpec>;

export type ScriptName = keyof typeof CATALOG;

/** The queue scripts' prelude: a file in ./lua/ that is not a script. */
export const PRELUDE_FILE = 'prelude';

/** The record scripts' prelude (lua/record-prelude.lua): the other file that is not a script. */
export const RECORD_PRELUDE_FILE = 'record-prelude';

/** The clock helper every script starts with (lua/clock.lua): a file that is not a script. */
export const CLOCK_FILE = 'clock';

/** Where the .lua files are: next to this module, in src/ (tsx) as in dist/ (the build copies them). */
export function luaFileUrl(file: string): URL {
  return new URL(`./lua/${file}.lua`, import.meta.url);
}

/** The files the scripts are made of (the preludes included): a file in ./lua/ outside this list is unused. */
export const LUA_FILES: readonly string[] = [
  CLOCK_FILE,
  PRELUDE_FILE,
  RECORD_PRELUDE_FILE,
  ...Object.values(CATALOG).map((spec) => spec.file),
];

function luaLocal(name: string, value: string): string {
  return `local ${name} = ${value}\n`;
}

/** The Lua the prelude needs from TypeScript: FIELDS (row() order) and F (field -> position). */
const GENERATED =
  luaLocal('FIELDS', `{${FIELDS.map((f) => `'${f}'`).join(', ')}}`) +
  luaLocal('F', `{${FIELDS.map((f, i) => `['${f}'] = ${i + 1}`).join(', ')}}`);

function assemble(spec: ScriptSpec, files: ReadonlyMap<string, string>): string {
  const constants = Object.entries(spec.constants ?? {})
    .map(([name, value]) => luaLocal(name, String(value)))
    .join('');
  return `#!lua\n${constants}${files.get(CLOCK_FILE)!}${preludeOf(spec, files)}${files.get(spec.file)!}`;
}

function preludeOf(spec: ScriptSpec, files: ReadonlyMap<string, string>): string {
  if (spec.prelude === false) return '';
  if (spec.prelude === 'records') return files.get(RECORD_PRELUDE_FILE)!;
  return GENERATED + files.get(PRELUDE_FILE)!;
}

/** Reads every file once and builds each script's source. */
function loadScripts(): Record<ScriptName, string> {
  const files = new Map(LUA_FILES.map((file) => [file, readFileSync(luaFileUrl(file), 'utf8')]));
  return Object.fromEntries(Object.entries(CATALOG).map(([name, spec]) => [name, assemble(spec, files)])) as Record<
    ScriptName,
    string
  >;
}

/** Script name -> source, read once when this module is first imported. */
export const SCRIPTS: Readonly<Record<ScriptName, string>> = loadScripts();
