// `node --import ./scripts/test-register.js`: the test files' loader (scripts/test-hooks.js), with
// stack traces pointing into the TypeScript the failing line was written in.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./test-hooks.js', import.meta.url);
