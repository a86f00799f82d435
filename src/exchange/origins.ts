import type { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { checkDestination, DestinationError, parseAllowList, type DestinationPolicy } from '../monitoring/destinations.ts';
import { FeedRefused } from './service.ts';

/**
 * Where this installation may pull feeds from (DERISK_EXCHANGE_ALLOW). A subscription URL is typed
 * by an admin, and the server sits inside a university's network: it reaches only the origins the
 * installation's administrator named, and connects to them only at public addresses (or internal
 * ranges named there, or the address an origin is written as), checked on the address actually
 * connected to at every pull, as webhooks are.
 */
export interface FeedOrigins {
  /** Allowed origins (`https://feeds.uni-a.example`, `http://10.1.2.3:8080`): none by default. */
  origins: readonly string[];
  /** What the connection may reach: public addresses, and the internal ranges allowed. */
  destinations: DestinationPolicy;
}

export const FEED_ALLOW_SETTING = 'DERISK_EXCHANGE_ALLOW';
const PURPOSE = { refused: 'derisk pulls no feeds from', setting: FEED_ALLOW_SETTING };

/**
 * Reads the setting: origins (scheme, host and port, nothing after) and internal address ranges
 * (CIDRs) separated by commas. An origin written as an IP address allows that address. A bad entry
 * stops the server at start, naming it.
 */
export function parseFeedOrigins(text: string | null | undefined, lookup?: typeof dnsLookup): FeedOrigins {
  const origins: string[] = [];
  const ranges: string[] = [];
  for (const entry of (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!/^https?:\/\//i.test(entry)) {
      ranges.push(...parseAllowList(entry));
      continue;
    }
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new DestinationError(`${FEED_ALLOW_SETTING}: ${JSON.stringify(entry)} is not an origin (https://host[:port])`);
    }
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) throw new DestinationError(`${FEED_ALLOW_SETTING}: ${JSON.stringify(entry)} is not an origin: scheme, host and port only (https://host[:port])`);
    origins.push(url.origin);
    const bare = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(bare)) ranges.push(`${bare}/${isIP(bare) === 4 ? 32 : 128}`);
  }
  return { origins, destinations: { allowInternal: ranges, purpose: PURPOSE, ...(lookup ? { lookup } : {}) } };
}

/** No origin allowed: URL subscriptions are refused until an administrator names some. */
export const NO_FEED_ORIGINS: FeedOrigins = parseFeedOrigins(null);

export const isFeedUrl = (source: string) => /^https?:\/\//i.test(source);

/** The feed's URL when its origin is allowed, else a refusal naming the origin and the setting. */
export function allowedFeedUrl(source: string, allowed: FeedOrigins): URL {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new FeedRefused(`${JSON.stringify(source.slice(0, 100))} is not a URL`);
  }
  if (url.username || url.password) throw new FeedRefused('a feed URL carries no credentials');
  if (!allowed.origins.includes(url.origin)) {
    const named = allowed.origins.length === 0 ? 'none is allowed' : `allowed: ${allowed.origins.join(', ')}`;
    throw new FeedRefused(`${url.origin} is not an origin this installation pulls feeds from (${named}; an administrator names them in ${FEED_ALLOW_SETTING})`);
  }
  return url;
}

/** At registration: the origin is allowed and its host resolves to addresses the connection may reach. */
export async function checkFeedSource(source: string, allowed: FeedOrigins): Promise<void> {
  if (!isFeedUrl(source)) return;
  const url = allowedFeedUrl(source, allowed);
  try {
    await checkDestination(url.href, allowed.destinations);
  } catch (e) {
    throw e instanceof DestinationError ? new FeedRefused(e.message) : e;
  }
}
