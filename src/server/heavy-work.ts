import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TooManyRequestsError, UnavailableError } from '../errors.ts';
import { actorOf } from './auth.ts';

const LIMITS_FILE = 'data/service/heavy-requests.json';

interface HeavyLimits {
  perUser: number;
  perOrganisation: number;
  retryAfterSeconds: number;
}

function loadLimits(): HeavyLimits {
  const doc = JSON.parse(readFileSync(fileURLToPath(new URL(`../../${LIMITS_FILE}`, import.meta.url)), 'utf8')) as Partial<HeavyLimits>;
  for (const key of ['perUser', 'perOrganisation', 'retryAfterSeconds'] as const) {
    if (!Number.isInteger(doc[key]) || doc[key]! < 1) throw new Error(`${LIMITS_FILE}: ${key} must be a whole number of 1 or more, found ${JSON.stringify(doc[key])}`);
  }
  return doc as HeavyLimits;
}

/** Runs a heavy request's work: its signal, and its share of the server. */
export type HeavyRun = <T>(request: FastifyRequest, reply: FastifyReply, work: (signal: AbortSignal) => Promise<T>) => Promise<T>;

/**
 * Heavy requests (minutes of CPU at their bounds) over `app` (round 50, busy54). Each runs with a signal aborted when its
 * client closes the connection before the answer, or when the server begins to close: the work stops at its next slice
 * (mapInSlices) instead of running on for nobody. And each user runs at most perUser of them at once, each organisation
 * perOrganisation (data/service/heavy-requests.json): one more is refused with 429 and Retry-After.
 */
export function heavyRequests(app: FastifyInstance): HeavyRun {
  const limits = loadLimits();
  const stopping = new AbortController();
  // Before the server stops listening and waits for the requests under way: they end at their next slice.
  app.addHook('preClose', async () => stopping.abort(new UnavailableError('the server is stopping: send the request again once it is back')));
  const running = new Map<string, number>();
  const count = (key: string, by: number) => {
    const n = (running.get(key) ?? 0) + by;
    if (n === 0) running.delete(key);
    else running.set(key, n);
  };
  return async (request, reply, work) => {
    const actor = actorOf(request);
    const [user, org] = [`user\u0000${actor.userId}`, `org\u0000${actor.orgId}`];
    const busy = (running.get(user) ?? 0) >= limits.perUser ? `you have ${limits.perUser} under way` : (running.get(org) ?? 0) >= limits.perOrganisation ? `your organisation has ${limits.perOrganisation} under way` : null;
    if (busy) {
      reply.header('retry-after', String(limits.retryAfterSeconds));
      throw new TooManyRequestsError(`a batch screening or an assessment is heavy work, and ${busy} (${LIMITS_FILE}): send this one when it has finished`);
    }
    const gone = new AbortController();
    const closed = () => {
      if (!reply.raw.writableFinished) gone.abort(new UnavailableError('the client closed the request before its answer'));
    };
    reply.raw.once('close', closed);
    if (reply.raw.destroyed) closed();
    count(user, 1);
    count(org, 1);
    try {
      return await work(AbortSignal.any([gone.signal, stopping.signal]));
    } finally {
      count(user, -1);
      count(org, -1);
      reply.raw.off('close', closed);
    }
  };
}
