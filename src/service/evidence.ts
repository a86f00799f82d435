import type { Store } from '../store/store.ts';
import { authorize, type Actor } from './authorize.ts';

/**
 * The evidence store as the multi-user core hands it out: every read names who asks, and the role
 * is checked here on the action, never on how the request's address was spelt. An organisation
 * reads through its corrected view when its match corrections decide any string (Store.viewOf).
 */
export class EvidenceAccess {
  constructor(private readonly store: Store) {}

  /** Indicators, institution profiles, the brief's facts: anything drawn from the evidence. */
  read<T>(actor: Actor, work: (store: Store) => Promise<T>): Promise<T> {
    authorize(actor, 'evidence.read');
    return this.store.viewOf(actor.orgId).then(work);
  }

  /** Name screening, briefing sheets, portfolios against the risk lists. */
  screen<T>(actor: Actor, work: (store: Store) => Promise<T>): Promise<T> {
    authorize(actor, 'screening.run');
    return this.store.viewOf(actor.orgId).then(work);
  }
}
