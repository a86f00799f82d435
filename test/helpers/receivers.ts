import type { DestinationPolicy } from '../../src/monitoring/destinations.ts';

/**
 * Tests run their webhook receivers on the loopback address, which derisk refuses by default: they
 * opt in as an administrator would for an internal receiver, for 127.0.0.1 alone.
 */
export const LOOPBACK_RECEIVERS: DestinationPolicy = { allowInternal: ['127.0.0.1/32'] };
export const LOOPBACK_ENV = { DERISK_WEBHOOK_ALLOW_INTERNAL: '127.0.0.1/32' };
