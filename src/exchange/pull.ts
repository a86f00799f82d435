import type { Actor } from '../service/authorize.ts';
import { feedReader, readVerifiedFeed, type FeedReader } from './feed.ts';
import type { Publisher, Refused } from './misp.ts';
import { FeedRefused, type ExchangeService, type PullReport, type Subscription } from './service.ts';

/** Who pulls on schedule: the installation itself, as the audit trail records it. */
export const EXCHANGE_SCHEDULER: Actor = { userId: 'scheduler', orgId: 'system', role: 'admin', name: 'scheduled feed pull' };

export type PullOutcome =
  { source: string; subscription: string; status: 'pulled'; report: PullReport; refusedItems: Refused[] } | { source: string; subscription: string; status: 'up-to-date'; publisher: string; sequence: number } | { source: string; subscription: string; status: 'refused'; reason: string };

/**
 * Pulls one subscribed feed: verified against its key and last sequence, then recorded. A feed
 * that does not verify is refused whole, and the reason is kept on the subscription. The one pull
 * the CLI, the HTTP API and the server's schedule all run. `self` is the pulling installation as
 * a MISP organisation: items for a sharing group it is not in are refused.
 */
export async function pullSubscription(service: ExchangeService, actor: Actor, sub: Subscription, self?: Publisher, read: FeedReader = feedReader(sub.source, service.feedOrigins)): Promise<PullOutcome> {
  const at = { source: sub.source, subscription: sub.id };
  try {
    const feed = await readVerifiedFeed(read, sub, self);
    if (feed.unchanged) {
      await service.recordUpToDate(sub, feed.sequence);
      return { ...at, status: 'up-to-date', publisher: feed.publisher, sequence: feed.sequence };
    }
    return { ...at, status: 'pulled', report: await service.recordPull(actor, sub, feed), refusedItems: feed.refused };
  } catch (e) {
    // A feed that cannot be read at all (not JSON, not there) is refused like one that does not verify.
    const reason = e instanceof FeedRefused ? e.message : e instanceof SyntaxError ? `not readable JSON: ${e.message}` : /fetch failed|ECONNREFUSED|ENOTFOUND/.test(String((e as Error).message)) ? `${sub.source} could not be reached (${(e as Error).message})` : null;
    if (reason === null) throw e;
    await service.recordRefusal(actor, sub, reason);
    return { ...at, status: 'refused', reason };
  }
}

/** The server's scheduled pulls: every subscription due at `now`, one after another; `self` as for pullSubscription. */
export async function pullDue(service: ExchangeService, actor: Actor, self: () => Publisher | undefined, now = new Date()): Promise<PullOutcome[]> {
  const outcomes: PullOutcome[] = [];
  // Who this installation is is looked up only when a feed is due (its key is made on first use).
  for (const sub of await service.due(now)) outcomes.push(await pullSubscription(service, actor, sub, self()));
  return outcomes;
}
