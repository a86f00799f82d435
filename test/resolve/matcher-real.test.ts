import { existsSync } from 'node:fs';
import { ROR_DUMP, realRegistry } from '../helpers/registry.ts';
import { matcherExamples } from './matcher-examples.ts';

// The matcher examples on the real (partial) ROR registry in the data mirror: 51,000 institutions,
// every namesake there is.
matcherExamples(async () => (await realRegistry()).resolver, { skip: !existsSync(ROR_DUMP) && 'data mirror not present' });
