import { cpus, totalmem } from 'node:os';
import { type Row, round } from './runner.js';

export interface ReportHeader {
  date: string;
  machine: { cores: number; cpu: string; memoryGiB: number; platform: string };
  node: string;
  command: string;
  runs: number;
  quick: boolean;
  /** How Sluice was loaded: compiled by tsc (as deployed), or its source through tsx (`--source`). */
  sluiceBuild: 'compiled' | 'source';
}

export interface Report {
  header: ReportHeader;
  rows: Row[];
  notes: string[];
}

export function makeHeader(
  command: string,
  runs: number,
  quick: boolean,
  sluiceBuild: ReportHeader['sluiceBuild'],
): ReportHeader {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    machine: {
      cores: cpuList.length,
      cpu: cpuList[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      platform: `${process.platform}-${process.arch}`,
    },
    node: process.version,
    command,
    runs,
    quick,
    sluiceBuild,
  };
}

const cell = (s: { median: number; min: number; max: number } | null): string =>
  s ? `${round(s.median)} (${round(s.min)}–${round(s.max)})` : 'n/a';

/** The report as markdown: a header, one table, notes. */
export function toMarkdown(report: Report): string {
  const h = report.header;
  const lines = [
    `**Sluice benchmark** — ${h.date}`,
    '',
    `- machine: ${h.machine.cores} cores (${h.machine.cpu}), ${h.machine.memoryGiB} GiB memory, ${h.machine.platform}`,
    `- node ${h.node}; command: \`${h.command}\`; ${h.runs} run(s) per row${h.quick ? ' (quick: smaller N, a subset)' : ''}`,
    `- Sluice ${h.sluiceBuild === 'compiled' ? 'compiled by tsc, as deployed (the peers are compiled JavaScript too)' : 'loaded from src/ through tsx (--source)'}`,
    '- values: median (min–max) over the runs; ratio = Sluice / peer, computed within each run, then the median (min–max)',
    '',
    '| Workload | Pair | Metric | Unit | Sluice | Peer | Sluice/peer | Note |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.rows) {
    const unit = r.unit ? `${r.unit} (${r.better === 'higher' ? '↑' : '↓'})` : '';
    const sluice = r.sluice ? `${r.sluice.name}: ${cell(r.sluice)}` : 'n/a';
    const peer = r.peer ? `${r.peer.name}: ${cell(r.peer)}` : 'n/a';
    const note = [r.error ? `ERROR: ${r.error}` : '', r.note ?? ''].filter(Boolean).join(' · ').replace(/\|/g, '/');
    lines.push(`| ${r.workload} | ${r.pair} | ${r.metric} | ${unit} | ${sluice} | ${peer} | ${cell(r.ratio)} | ${note} |`);
  }
  if (report.notes.length > 0) lines.push('', ...report.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}
