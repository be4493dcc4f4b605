/**
 * Measures the offline CPU models of docs/models.md: load time, time per job once loaded, the
 * process's memory, and the longest event-loop stall during the jobs. One model per process, so
 * that the memory figures do not mix:
 *
 *   for m in ocr nlp detect-language; do unshare -n node --import tsx scripts/measure-models.ts $m; done
 *
 * (`unshare -n` runs it with no network at all: a model that tried to download would fail.)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createCanvas } from '@napi-rs/canvas';
import { closeModelHandlers, modelHandlers } from '../src/handlers/model-handlers.js';
import { analyseText } from '../src/models/wink-analyse.js';
import { toDefinition } from '../src/worker/handler.js';

const RUNS = 20;
const model = process.argv[2] ?? 'ocr';

function image(): string {
  const canvas = createCanvas(900, 200);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#000000';
  context.font = 'bold 72px sans-serif';
  context.fillText('Hello Sluice 2026', 30, 130);
  return canvas.toBuffer('image/png').toString('base64');
}

const prose = 'Write to jane.doe@example.com before 25 December 2026; the plan costs $25.50 and I love it. ';
const inputs: Record<string, unknown> = {
  ocr: { image: image() },
  nlp: { text: prose },
  'detect-language': { text: 'Le renard brun rapide saute par-dessus le chien paresseux.' },
};
if (!(model in inputs)) throw new Error(`unknown model ${model}: ocr, nlp or detect-language`);

const handler = toDefinition(modelHandlers()[model]!);
const run = async (input: unknown): Promise<unknown> =>
  handler.handle({
    job: { input } as never,
    signal: new AbortController().signal,
    progress: async () => undefined,
    emit: () => undefined,
  });
const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

const rssBefore = process.memoryUsage().rss;
let started = performance.now();
await run(inputs[model]);
const firstMs = performance.now() - started;
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const times: number[] = [];
for (let i = 0; i < RUNS; i += 1) {
  started = performance.now();
  await run(inputs[model]);
  times.push(performance.now() - started);
}
loop.disable();
times.sort((a, b) => a - b);
const report: Record<string, unknown> = {
  model,
  firstJobMs: Math.round(firstMs),
  medianJobMs: Math.round((times[Math.floor(RUNS / 2)] ?? 0) * 10) / 10,
  rssBeforeMb: mb(rssBefore),
  rssAfterMb: mb(process.memoryUsage().rss),
  maxEventLoopStallMs: Math.round(loop.max / 1e6),
};
if (model === 'nlp') {
  // The reason the nlp model runs in a thread: the same 100 000-character text, in-process.
  const long = prose.repeat(Math.ceil(100_000 / prose.length)).slice(0, 100_000);
  const inProcess: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    started = performance.now();
    await analyseText(long);
    inProcess.push(Math.round(performance.now() - started));
  }
  report.inProcess100kCharsMs = inProcess;
  started = performance.now();
  await run({ text: long });
  report.thread100kCharsMs = Math.round(performance.now() - started);
}
if (model === 'detect-language') {
  const long = 'Der schnelle braune Fuchs springt über den faulen Hund. '.repeat(2000).slice(0, 100_000);
  started = performance.now();
  await run({ text: long });
  report.inProcess100kCharsMs = Math.round(performance.now() - started);
}
console.log(JSON.stringify(report));
await closeModelHandlers();
