export interface BenchArgs {
  quick: boolean;
  /** Workload or pair names (or `workload:pair`); empty = everything. */
  only: string[];
  runs: number;
  /** Where latest.json / latest.md go. */
  outDir: string;
  /** Test hook: overrides the job count of the enqueue and end-to-end workloads. */
  n: number | undefined;
  /** Load Sluice from src/ through tsx instead of compiling it first (bench/lib/sluice-build.ts). */
  source: boolean;
}

const USAGE = `usage: node --import tsx bench/run.ts [--quick] [--source] [--only <workload|pair|workload:pair>[,…]] [--runs N] [--out DIR]
workloads: enqueue, e2e, latency, http, api-cpu, depth, scale-out, batching, push
pairs:     sqlite, redis, pg-boss, graphile, rabbitmq, nats (push rows: sqlite, postgres, redis)`;

export function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { quick: false, only: [], runs: 3, outDir: 'bench/results', n: undefined, source: false };
  let runsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--quick') args.quick = true;
    else if (a === '--source') args.source = true;
    else if (a === '--only') args.only.push(...value().split(',').filter(Boolean));
    else if (a === '--runs') {
      args.runs = Number(value());
      runsGiven = true;
      if (!Number.isInteger(args.runs) || args.runs < 1 || args.runs > 20) throw new Error(`--runs must be 1..20\n${USAGE}`);
    } else if (a === '--out') args.outDir = value();
    else if (a === '--n') {
      args.n = Number(value());
      if (!Number.isInteger(args.n) || args.n < 1) throw new Error(`--n must be a positive integer\n${USAGE}`);
    } else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown flag ${a}\n${USAGE}`);
  }
  if (args.quick && !runsGiven) args.runs = 1;
  return args;
}
