// TypeBox, as derisk uses it, from one file. The package is some 700 small ES modules, and Node 20
// resolves, reads and compiles each one apart: importing it cost every process that checks a
// document (the server, assess, kb, the test processes) about half a second of CPU. The build
// (scripts/build.js) bundles this module into dist/vendor/typebox.js; the sources import TypeBox
// from here only, so there is one copy of it (and of its format registry) in a process.
export { default, type Static, type TSchema } from 'typebox';
export { Compile } from 'typebox/compile';
export type { TLocalizedValidationError } from 'typebox/error';
export { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
