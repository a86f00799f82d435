import { invocation, type Sink } from './io.ts';

/**
 * Progress for long jobs: a bar redrawn in place on a terminal, and structured JSON lines at a
 * calm pace otherwise (CI logs, pipes), so both people and log collectors can follow along.
 */
export class ProgressReporter {
  private lastLog = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly stream: Sink = invocation().stderr,
    private readonly intervalMs = 2000,
  ) {
    this.tty = invocation().progressBar;
  }

  update(done: number, total: number, detail = ''): void {
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    if (this.tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      this.stream.write(`\r${this.label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${detail}\x1b[K`);
      return;
    }
    const now = Date.now();
    if (now - this.lastLog < this.intervalMs && fraction < 1) return;
    this.lastLog = now;
    this.stream.write(`${JSON.stringify({ progress: this.label, done, total, percent: Math.round(fraction * 100), detail })}\n`);
  }

  finish(message: string): void {
    if (this.tty) this.stream.write(`\r${this.label} ${message}\x1b[K\n`);
    else this.stream.write(`${JSON.stringify({ progress: this.label, finished: true, message })}\n`);
  }
}
