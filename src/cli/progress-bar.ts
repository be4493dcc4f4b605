/** A job's progress as a bar on a terminal: `[##########----------]  50% message`. */
export function progressLine(progress: unknown, width = 20): string {
  const { percent, message } = progressParts(progress);
  const text = message === undefined ? '' : ` ${message}`;
  if (percent === undefined) return `[${' '.repeat(width)}]${text}`;
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(percent)).padStart(3)}%${text}`;
}

/** A number is a percentage; an object may carry `percent` and `message`. */
function progressParts(progress: unknown): { percent?: number; message?: string } {
  if (typeof progress === 'number' && Number.isFinite(progress)) return { percent: progress };
  if (progress && typeof progress === 'object') {
    const { percent, message } = progress as { percent?: unknown; message?: unknown };
    return {
      ...(typeof percent === 'number' && Number.isFinite(percent) ? { percent } : {}),
      ...(typeof message === 'string' ? { message } : {}),
    };
  }
  return {};
}

/**
 * Draws the bar on stderr: redrawn in place on a terminal, one line per change otherwise (a log
 * or a pipe keeps every step readable).
 */
export class ProgressBar {
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(progress: unknown): void {
    const line = progressLine(progress);
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else this.stream.write(`${line}\n`);
  }

  /** Leaves the bar's line before something else is written. */
  done(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
