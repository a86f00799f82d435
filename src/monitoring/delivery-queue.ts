/** The retry schedule of the Standard Webhooks specification, in seconds after each failed attempt (about three days in all); mail uses it too. */
export const RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400] as const;

export interface QueueOptions {
  /** Seconds to wait after the n-th failed attempt; when it runs out the delivery has failed. */
  schedule?: readonly number[];
  now?: () => number;
}

/** One attempt's worth of work: the delivery rows (`alert_id/target`) it settles. */
export interface DeliveryJob {
  rows: string[];
}

/**
 * The one delivery mechanism of alerts, whatever carries them (webhooks, mail): the jobs are rows of
 * `alert_deliveries`, written with their alert, so a restart picks up where a crash left off; each
 * attempt runs on its own, so a slow or failing receiver holds up neither the server nor the other
 * deliveries; a failed attempt is retried on the schedule.
 */
export abstract class DeliveryQueue<J extends DeliveryJob> {
  private readonly inFlight = new Map<J, Promise<void>>();
  private readonly busy = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  protected readonly schedule: readonly number[];
  protected readonly now: () => number;

  constructor(
    private readonly label: string,
    options: QueueOptions,
  ) {
    this.schedule = options.schedule ?? RETRY_SCHEDULE;
    this.now = options.now ?? Date.now;
  }

  /** The jobs due at `now` (an ISO time). */
  protected abstract due(now: string): Promise<J[]>;
  protected abstract attempt(job: J): Promise<void>;

  /** When the attempt after `attempts` failed ones is due (a Retry-After longer than the schedule's wait is honoured, up to a day), or null when the schedule ran out. */
  protected retryAt(attempts: number, retryAfterSeconds = 0): string | null {
    const wait = this.schedule[attempts - 1];
    return wait === undefined ? null : new Date(this.now() + Math.max(wait, Math.min(retryAfterSeconds, 86_400)) * 1000).toISOString();
  }

  /** Starts the deliveries that are due and not already under way; resolves when they are started. */
  tick(): Promise<void> {
    this.ticking ??= this.startDue().finally(() => (this.ticking = null));
    return this.ticking;
  }

  /** Starts what is due and waits until nothing is under way (tests, and a clean stop). */
  async drain(): Promise<void> {
    await this.tick();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  start(intervalMs = 1000): void {
    this.timer ??= setInterval(() => void this.tick().catch((e: Error) => console.error(`${this.label}: ${e.message}`)), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([this.ticking, ...this.inFlight.values()]);
  }

  private async startDue(): Promise<void> {
    for (const job of await this.due(new Date(this.now()).toISOString())) {
      if (job.rows.some((r) => this.busy.has(r))) continue;
      for (const r of job.rows) this.busy.add(r);
      const run = this.attempt(job)
        .catch((e: Error) => console.error(`${this.label} ${job.rows[0]}: ${e.message}`))
        .finally(() => {
          this.inFlight.delete(job);
          for (const r of job.rows) this.busy.delete(r);
        });
      this.inFlight.set(job, run);
    }
  }
}
