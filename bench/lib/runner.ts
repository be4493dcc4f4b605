import { type Summary, summarize } from './stats.js';
import type { QueueTarget } from './target.js';
import { within } from './time.js';

/** One number a side produced in one run. */
export interface Measurement {
  metric: string;
  unit: string;
  /** Whether a larger value is better (throughput) or a smaller one (latency, memory). */
  better: 'higher' | 'lower';
  value: number;
}

/** One side of a pair: Sluice on some backend, or the peer. */
export interface Side {
  name: string;
  run: () => Promise<Measurement[]>;
}

/**
 * One comparison: a workload on a pair, Sluice first. A null Sluice side is reported as n/a; a
 * null peer makes a Sluice-only row (a measure no peer has, e.g. memory per SSE subscriber).
 */
export interface Case {
  workload: string;
  pair: string;
  sluice: Side | null;
  peer: Side | null;
  /** Bound on one side's run, ms. */
  timeoutMs: number;
  /** Why the Sluice side is n/a, or anything the reader should know. */
  note?: string;
}

export interface SideResult extends Summary {
  name: string;
  runs: number[];
}

export interface Row {
  workload: string;
  pair: string;
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  sluice: SideResult | null;
  peer: SideResult | null;
  /** Sluice / peer, computed per run (same run, same conditions), then summarised. */
  ratio: (Summary & { runs: number[] }) | null;
  error?: string;
  note?: string;
}

/** Runs a queue target through setup → measure → teardown; teardown always happens. */
export function targetSide(make: () => QueueTarget, measure: (target: QueueTarget) => Promise<Measurement[]>): Side {
  const name = make().name;
  return {
    name,
    run: async () => {
      const target = make();
      try {
        await target.setup();
        return await measure(target);
      } finally {
        await target.teardown().catch(() => {});
      }
    },
  };
}

const errorText = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);

/**
 * Runs every case `runs` times, sequentially (the machine is small: one thing at a time), Sluice
 * then peer within each run. A side that throws becomes an error row; the run goes on.
 */
export async function runCases(cases: Case[], runs: number, log: (line: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const c of cases) {
    const values = new Map<string, { m: Omit<Measurement, 'value'>; sluice: number[]; peer: number[]; ratio: number[] }>();
    const errors: string[] = [];
    for (let r = 0; r < runs; r++) {
      const perRun: { sluice?: Measurement[]; peer?: Measurement[] } = {};
      for (const which of ['sluice', 'peer'] as const) {
        const side = c[which];
        if (!side) continue;
        const started = Date.now();
        try {
          perRun[which] = await within(c.timeoutMs, `${c.workload} ${side.name}`, side.run());
          log(
            `  ${c.workload} [${c.pair}] ${side.name} run ${r + 1}/${runs}: ${format(perRun[which]!)} (${Date.now() - started} ms)`,
          );
        } catch (error) {
          errors.push(`${side.name}: ${errorText(error)}`);
          log(`  ${c.workload} [${c.pair}] ${side.name} run ${r + 1}/${runs}: ERROR ${errorText(error)}`);
        }
      }
      for (const which of ['sluice', 'peer'] as const) {
        for (const m of perRun[which] ?? []) {
          let entry = values.get(m.metric);
          if (!entry) {
            entry = { m: { metric: m.metric, unit: m.unit, better: m.better }, sluice: [], peer: [], ratio: [] };
            values.set(m.metric, entry);
          }
          entry[which].push(m.value);
        }
      }
      for (const m of perRun.sluice ?? []) {
        const peer = perRun.peer?.find((p) => p.metric === m.metric);
        if (peer && peer.value !== 0) values.get(m.metric)!.ratio.push(m.value / peer.value);
      }
    }
    const error = errors.length > 0 ? [...new Set(errors)].join('; ') : undefined;
    if (values.size === 0) {
      rows.push({
        workload: c.workload,
        pair: c.pair,
        metric: '-',
        unit: '',
        better: 'higher',
        sluice: null,
        peer: null,
        ratio: null,
        error: error ?? 'no result',
        ...(c.note ? { note: c.note } : {}),
      });
      continue;
    }
    for (const { m, sluice, peer, ratio } of values.values()) {
      rows.push({
        workload: c.workload,
        pair: c.pair,
        ...m,
        sluice: c.sluice && sluice.length > 0 ? { name: c.sluice.name, ...summarize(sluice), runs: sluice } : null,
        peer: c.peer && peer.length > 0 ? { name: c.peer.name, ...summarize(peer), runs: peer } : null,
        ratio: ratio.length > 0 ? { ...summarize(ratio), runs: ratio } : null,
        ...(error ? { error } : {}),
        ...(c.note ? { note: c.note } : {}),
      });
    }
  }
  return rows;
}

function format(ms: Measurement[]): string {
  return ms.map((m) => `${m.metric}=${round(m.value)} ${m.unit}`).join(', ');
}

export function round(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  return abs >= 100 ? x.toFixed(0) : abs >= 10 ? x.toFixed(1) : abs >= 1 ? x.toFixed(2) : x.toFixed(3);
}
