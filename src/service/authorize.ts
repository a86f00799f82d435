import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ForbiddenError } from '../errors.ts';

const doc = JSON.parse(readFileSync(fileURLToPath(new URL('../../data/service/permissions.json', import.meta.url)), 'utf8')) as { roles: Role[]; grants: Record<Role, string[]> };

export type Role = 'viewer' | 'analyst' | 'officer' | 'admin';
export const ROLES: readonly Role[] = doc.roles;

/** Who is acting: every core operation takes one, whichever door the request came through. */
export interface Actor {
  userId: string;
  orgId: string;
  role: Role;
  name: string;
}

export type Action = string;

/** Each role holds its own grants and those of every role before it. */
const ALLOWED = new Map<Role, Set<string>>(ROLES.map((role, i) => [role, new Set(ROLES.slice(0, i + 1).flatMap((r) => doc.grants[r] ?? []))]));
export const ACTIONS: readonly string[] = [...new Set(ROLES.flatMap((r) => doc.grants[r] ?? []))];

// The refusals of a permission check, where the core's permission code imports them from.
export { ForbiddenError, NotFoundError } from '../errors.ts';

export function can(actor: Actor, action: Action): boolean {
  return ALLOWED.get(actor.role)?.has(action) ?? false;
}

export function authorize(actor: Actor, action: Action): void {
  if (!can(actor, action)) throw new ForbiddenError(`${actor.role} may not ${action}`);
}

/** Who wrote something, to a reader of another organisation: no name, no stable id. */
export const OTHER_ORG_USER = 'a user of another organisation';

/** The console's actor id for an operating-system user, and the name reports give it (never the id). */
export const cliActorId = (username: string): string => `cli:${username}`;
export const cliActorName = (actorId: string): string | null => (actorId.startsWith('cli:') ? `command line (${actorId.slice(4)})` : null);
