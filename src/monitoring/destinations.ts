import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { ValidationError } from '../errors.ts';

/**
 * Where derisk may send an organisation's alerts. A webhook URL is typed by a user, and the server
 * sits inside a university's network: left alone it would POST to the loopback admin port, the
 * cloud metadata service or an intranet host (server-side request forgery). Only public unicast
 * addresses are allowed, unless an administrator names internal ranges for an internal receiver
 * (`DERISK_WEBHOOK_ALLOW_INTERNAL`, CIDRs).
 */
export interface DestinationPolicy {
  /** Internal ranges an administrator allowed, as CIDRs (`10.20.0.0/16`, `127.0.0.1/32`, `fd00::/8`). */
  allowInternal?: readonly string[];
  /** The resolver (tests give one that answers differently each time, as a rebinding DNS server does). */
  lookup?: typeof dnsLookup;
  /** What a refusal says is refused and which setting allows more; webhooks' by default. */
  purpose?: { refused: string; setting: string };
}

const WEBHOOKS = { refused: 'derisk sends no alerts to', setting: 'DERISK_WEBHOOK_ALLOW_INTERNAL' };

export class DestinationError extends ValidationError {
  readonly code = 'EDESTINATION';
}

type Bytes = number[];
interface Range {
  bytes: Bytes;
  prefix: number;
  what: string;
}

function v4(text: string): Bytes | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.map(Number);
}

function v6(text: string): Bytes | null {
  let head = text
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  const bytes: Bytes = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(head);
  if (dotted) {
    const four = v4(dotted[2]!);
    if (!four) return null;
    head = `${dotted[1]}${((four[0]! << 8) | four[1]!).toString(16)}:${((four[2]! << 8) | four[3]!).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return null;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  for (const g of all) bytes.push(parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff);
  return bytes;
}

/** An address as bytes; an IPv4 address written as IPv6 (mapped, compatible, NAT64, 6to4) is judged as the IPv4 address it carries. */
function bytesOf(address: string): Bytes | null {
  const four = v4(address);
  if (four) return four;
  const b = v6(address);
  if (!b) return null;
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12);
  if (zero(0, 12) && !zero(12, 16) && !(zero(12, 15) && b[15] === 1)) return b.slice(12); // ::a.b.c.d (deprecated IPv4-compatible)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return b.slice(12); // 64:ff9b::/96 NAT64
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6); // 2002::/16 6to4
  return b;
}

function range(cidr: string, what: string): Range {
  const [addr, bits] = cidr.split('/') as [string, string | undefined];
  const bytes = v4(addr) ?? v6(addr);
  const prefix = bits === undefined ? (bytes?.length ?? 0) * 8 : Number(bits);
  if (!bytes || !/^\d+$/.test(bits ?? '0') || prefix > bytes.length * 8) throw new DestinationError(`${JSON.stringify(cidr)} is not an address range (CIDR such as 10.0.0.0/8 or fd00::/8)`);
  return { bytes, prefix, what };
}

function within(b: Bytes, r: Range): boolean {
  if (b.length !== r.bytes.length) return false;
  for (let bit = 0; bit < r.prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((b[bit >> 3]! & mask) !== (r.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

// IANA's special-purpose registries (RFC 6890 and successors): nothing here is a public receiver.
const INTERNAL: Range[] = [
  ['0.0.0.0/8', 'this network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'local NAT64'],
  ['100::/64', 'discard'],
  ['2001::/23', 'IETF protocol assignments'],
  ['2001:db8::/32', 'documentation'],
  ['fc00::/7', 'unique local (private)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
].map(([cidr, what]) => range(cidr!, what!));

/** Checks an administrator's list of internal ranges (a bad one stops the server at start, not at the first delivery). */
export function parseAllowList(text: string | null | undefined): string[] {
  const cidrs = (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const c of cidrs) range(c, 'allowed');
  return cidrs;
}

/** Why an address may not receive alerts, or null when it may. */
export function refusal(address: string, policy: DestinationPolicy = {}): string | null {
  const b = bytesOf(address);
  if (!b) return `${address} is not an IP address`;
  const internal = INTERNAL.find((r) => within(b, r));
  if (!internal) return null;
  if ((policy.allowInternal ?? []).some((c) => within(b, range(c, 'allowed')))) return null;
  return `${address} is ${internal.what}`;
}

const isLocalName = (host: string) => /(^|\.)localhost\.?$/i.test(host);

/**
 * Resolves a host name and refuses it when any address it resolves to may not receive alerts; an
 * IP literal is judged as written (the URL parser has already read decimal, octal and hex forms).
 */
async function resolveAllowed(host: string, policy: DestinationPolicy): Promise<LookupAddress[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const { refused, setting } = policy.purpose ?? WEBHOOKS;
  if (isIP(bare)) {
    const why = refusal(bare, policy);
    if (why) throw new DestinationError(`${refused} ${host}: ${why} (an administrator may allow internal ranges with ${setting})`);
    return [{ address: bare, family: isIP(bare) }];
  }
  // RFC 6761: localhost names are loopback whatever a resolver says.
  if (isLocalName(host) && refusal('127.0.0.1', policy)) throw new DestinationError(`${refused} ${host}: a loopback name`);
  const addresses = await new Promise<LookupAddress[]>((done, fail) => (policy.lookup ?? dnsLookup)(host, { all: true, verbatim: true }, (e, found) => (e ? fail(new DestinationError(`${host} does not resolve (${e.code ?? e.message})`)) : done(found))));
  const bad = addresses.map((a) => refusal(a.address, policy)).find(Boolean);
  if (bad) throw new DestinationError(`${refused} ${host}: it resolves to ${bad} (an administrator may allow internal ranges with ${setting})`);
  if (addresses.length === 0) throw new DestinationError(`${host} does not resolve`);
  return addresses;
}

/** Checks a webhook URL when it is registered: http(s), no credentials, and a host that resolves to allowed addresses only. */
export async function checkDestination(url: string, policy: DestinationPolicy = {}): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DestinationError(`webhook url ${JSON.stringify(url.slice(0, 100))} is not a URL`);
  }
  if (!['https:', 'http:'].includes(parsed.protocol) || parsed.username || parsed.password) throw new DestinationError('a webhook url is http(s), without credentials in it');
  await resolveAllowed(parsed.hostname, policy);
  return parsed;
}

/**
 * A `lookup` for `http.request` that resolves once and hands the connection only addresses it
 * checked: a name that answered with a public address at registration and an internal one now
 * (DNS rebinding) is refused at the moment of connecting, on the address actually used.
 */
export function guardedLookup(policy: DestinationPolicy): LookupFunction {
  return ((host: string, options: { all?: boolean; family?: number }, callback: (e: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    resolveAllowed(host, policy).then(
      (found) => {
        const usable = options.family === 4 || options.family === 6 ? found.filter((a) => a.family === options.family) : found;
        if (usable.length === 0) return callback(Object.assign(new DestinationError(`${host} has no IPv${options.family} address`), { code: 'ENOTFOUND' }), '');
        if (options.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (e: Error) => callback(e as NodeJS.ErrnoException, ''),
    );
  }) as LookupFunction;
}

/** Refuses an IP literal before connecting (Node connects to literals without calling lookup). */
export function checkLiteral(host: string, policy: DestinationPolicy): void {
  const bare = host.replace(/^\[|\]$/g, '');
  if (!isIP(bare)) return;
  const why = refusal(bare, policy);
  if (why) throw new DestinationError(`${(policy.purpose ?? WEBHOOKS).refused} ${host}: ${why}`);
}
