import Type, { type Static } from '../vendor/typebox.ts';
import { WATCH_KINDS, type AddRequest } from './watchlists.ts';

/** A request to watch something, from the CLI or an HTTP body: one schema checks both and documents the API. */
export const WatchRequest = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 300, pattern: '\\S', description: 'a name or an id to watch (at most 300 characters)' }),
    /** What the text names; without it, an institution if the registry knows it, else a list entry. */
    kind: Type.Optional(Type.Enum([...WATCH_KINDS])),
    scope: Type.Optional(Type.Enum(['organisation', 'user'])),
  },
  { additionalProperties: false },
);
// The schema and the type Watchlists.add takes agree, or this does not compile.
const agrees: [Static<typeof WatchRequest>, AddRequest] extends [AddRequest, Static<typeof WatchRequest>] ? true : false = true;
void agrees;
