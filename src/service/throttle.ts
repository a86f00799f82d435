import type { AppDb } from '../appdb/db.ts';
import { TooManyRequestsError } from '../errors.ts';

/** How a key slows down: `free` failures cost nothing, then each waits twice as long as the one before, up to `capMs`. */
export interface BackOff {
  free: number;
  baseMs: number;
  capMs: number;
  /** A key quiet this long starts again from nothing. */
  forgetMs: number;
}

export type ThrottleKind = 'account' | 'address' | 'device';

/**
 * An account is guessed at from anywhere, so it slows down soon; an address may hold a whole
 * institute behind one NAT, so it gets more room. A device that logged in to the account before
 * has its own counter: guessing at an account never slows its owner's own browser.
 */
export const BACK_OFF: Record<ThrottleKind, BackOff> = {
  account: { free: 5, baseMs: 1_000, capMs: 15 * 60_000, forgetMs: 24 * 3600_000 },
  address: { free: 20, baseMs: 1_000, capMs: 15 * 60_000, forgetMs: 24 * 3600_000 },
  device: { free: 5, baseMs: 1_000, capMs: 15 * 60_000, forgetMs: 24 * 3600_000 },
};

export class ThrottledError extends TooManyRequestsError {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed logins: try again in ${retryAfterSeconds} s`);
  }
}

export interface ThrottleKey {
  kind: ThrottleKind;
  key: string;
}

/** How long a key with `failures` failures waits after the last one. */
export const waitMs = (b: BackOff, failures: number): number => (failures < b.free ? 0 : Math.min(b.capMs, b.baseMs * 2 ** Math.min(30, failures - b.free)));

/**
 * Failed-login counters in the application database, so every server process on one database
 * shares them. An attempt is reserved (counted as a failure) before the password is checked, in
 * one serialised transaction: forty guesses sent at once cannot all be tried. A success gives back
 * the reservation on the address and clears the account's (or device's) own counter, nobody
 * else's.
 */
export class LoginThrottle {
  private lastSweep = 0;

  constructor(
    private readonly db: AppDb,
    private readonly policy: Record<ThrottleKind, BackOff> = BACK_OFF,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt against every key, or throws ThrottledError (nothing counted) if any key must still wait. */
  async reserve(keys: ThrottleKey[]): Promise<void> {
    const now = this.now();
    await this.db.transaction(async (tx) => {
      if (now - this.lastSweep > 60_000) {
        this.lastSweep = now;
        const forget = Math.max(...Object.values(this.policy).map((p) => p.forgetMs));
        await tx.query('DELETE FROM login_throttle WHERE last_at < $1', [new Date(now - forget).toISOString()]);
      }
      const current: { k: ThrottleKey; failures: number; exists: boolean }[] = [];
      let wait = 0;
      for (const k of keys) {
        const row = (await tx.query<{ failures: number; last_at: string }>('SELECT failures, last_at FROM login_throttle WHERE key = $1', [`${k.kind}:${k.key}`]))[0];
        const p = this.policy[k.kind];
        const last = row ? Date.parse(row.last_at) : 0;
        const failures = row && now - last < p.forgetMs ? Number(row.failures) : 0;
        wait = Math.max(wait, last + waitMs(p, failures) - now);
        current.push({ k, failures, exists: Boolean(row) });
      }
      if (wait > 0) throw new ThrottledError(Math.ceil(wait / 1000));
      for (const c of current) {
        const params = [c.failures + 1, new Date(now).toISOString(), `${c.k.kind}:${c.k.key}`];
        await tx.query(c.exists ? 'UPDATE login_throttle SET failures = $1, last_at = $2 WHERE key = $3' : 'INSERT INTO login_throttle (failures, last_at, key) VALUES ($1, $2, $3)', params);
      }
    });
  }

  /** The password was right: the account's (or device's) counter starts again; the address gets its reservation back. */
  async succeeded(keys: ThrottleKey[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const k of keys) {
        if (k.kind === 'address') await tx.query('UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0', [`${k.kind}:${k.key}`]);
        else await tx.query('DELETE FROM login_throttle WHERE key = $1', [`${k.kind}:${k.key}`]);
      }
    });
  }
}
