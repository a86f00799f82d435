import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.ts';
import type { Outgoing, Recipient } from './service.ts';

/**
 * TLP 2.0 (FIRST) in the order of how far information may travel, widest first. TLP:RED is for
 * named people in a conversation: derisk keeps it and never lets it leave the installation.
 */
export const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type Tlp = (typeof TLPS)[number];
/** The markings an export may carry (its --tlp is the most restrictive one included). */
export const EXPORTABLE_TLPS = ['clear', 'green', 'amber', 'amber+strict'] as const satisfies readonly Tlp[];
export type ExportableTlp = (typeof EXPORTABLE_TLPS)[number];
/**
 * The most restrictive marking a feed may carry: TLP:AMBER+STRICT is for one recipient organisation,
 * and a feed is read for every organisation of the installation that pulls it.
 */
export const FEED_MAX_TLP = 'amber' satisfies ExportableTlp;
export const FEED_TLPS = EXPORTABLE_TLPS.filter((t) => t !== 'amber+strict');

/** Who may receive an item. No sharing row means 'organisation': nothing leaves by default. */
export const DISTRIBUTIONS = ['organisation', 'community', 'everyone'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

/** MISP's distribution levels (core format §Event distribution): 0 your organisation, 1 this community, 3 all communities. */
export const MISP_DISTRIBUTION: Record<Distribution, string> = { organisation: '0', community: '1', everyone: '3' };

export class ExchangeError extends ValidationError {}

export function parseTlp(value: string, what = 'TLP'): Tlp {
  const v = value.trim().toLowerCase().replace(/^tlp:/, '');
  if (!(TLPS as readonly string[]).includes(v)) throw new ExchangeError(`${what}: ${JSON.stringify(value)} is not a TLP 2.0 marking (${TLPS.join(', ')})`);
  return v as Tlp;
}

export function parseDistribution(value: string): Distribution {
  if (!(DISTRIBUTIONS as readonly string[]).includes(value)) throw new ExchangeError(`distribution: ${JSON.stringify(value)} is not one of ${DISTRIBUTIONS.join(', ')}`);
  return value as Distribution;
}

/** Whether an item marked `tlp` may go into an export whose most restrictive marking is `max`. Never for RED. */
export const tlpAllows = (tlp: Tlp, max: ExportableTlp): boolean => tlp !== 'red' && TLPS.indexOf(tlp) <= TLPS.indexOf(max);

/** Whether an item at `distribution` goes to `audience` (a community feed carries community and everyone items). */
export const distributionAllows = (distribution: Distribution, audience: Exclude<Distribution, 'organisation'>): boolean => distribution !== 'organisation' && DISTRIBUTIONS.indexOf(distribution) >= DISTRIBUTIONS.indexOf(audience);

/**
 * The TLP 2.0 marking definitions of OASIS's TLP 2.0 STIX extension (fixed ids, created
 * 2022-10-01): consumers recognise the marking by its id.
 */
export const STIX_TLP_EXTENSION = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';
export const STIX_TLP_ID: Record<ExportableTlp, string> = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
};

export function stixTlpMarking(tlp: ExportableTlp) {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: STIX_TLP_ID[tlp],
    created: '2022-10-01T00:00:00.000Z',
    name: `TLP:${tlp.toUpperCase()}`,
    extensions: { [STIX_TLP_EXTENSION]: { extension_type: 'property-extension', tlp_2_0: tlp } },
  };
}

/** MISP taxonomy tag colours for TLP (the tlp taxonomy's own). */
const TLP_COLOUR: Record<Tlp, string> = { clear: '#ffffff', green: '#339900', amber: '#ffc000', 'amber+strict': '#ffc000', red: '#cc0033' };
export const mispTlpTag = (tlp: Tlp) => ({ name: `tlp:${tlp}`, colour: TLP_COLOUR[tlp], exportable: true });

/** A UUID as written in feeds and MISP events: lower-case hex in the 8-4-4-4-12 layout. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A name-based UUID (RFC 4122 version 5 layout over SHA-256): the same list entry or item gets the
 * same UUID on every installation, so notes and decisions from several feeds meet on one entity.
 */
export function nameUuid(name: string): string {
  const h = createHash('sha256').update(`derisk:${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** What goes to a whole audience: the items restricted to named partners left out (for formats that cannot say who may read them). */
export const unrestricted = (out: Outgoing): Outgoing => {
  const open = <T extends { recipients?: Recipient[] }>(items: T[]) => items.filter((i) => !i.recipients?.length);
  return { ...out, notes: open(out.notes), namesakes: open(out.namesakes), corrections: open(out.corrections), retractions: open(out.retractions ?? []) };
};
