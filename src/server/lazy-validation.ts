import type { FastifyServerOptions } from 'fastify';
import AjvCompiler from '@fastify/ajv-compiler';

/** Fastify's Ajv instance, as its `ajv.onCreate` hook is given it. */
type Ajv = Parameters<NonNullable<NonNullable<FastifyServerOptions['ajv']>['onCreate']>>[0];

/**
 * A validator compiled on its first use: it validates exactly as the one compiled at once would,
 * and a route never requested costs nothing. Compiling every route's schemas when the routes are
 * added was most of the server's start-up time.
 */
export function compiledOnFirstUse<V extends (...args: never[]) => unknown>(compile: () => V): V {
  let compiled: V | undefined;
  const validator = () => (compiled ??= compile());
  const validate = (...args: Parameters<V>) => validator()(...args);
  // Fastify reads these of Ajv's validators: schemaEnv to let Ajv coerce the request part in place, errors after a refusal.
  Object.defineProperty(validate, 'schemaEnv', { get: () => (validator() as { schemaEnv?: unknown }).schemaEnv });
  Object.defineProperty(validate, 'errors', { get: () => (validator() as { errors?: unknown }).errors });
  return validate as V;
}

/**
 * Fastify's Ajv (its `ajv.onCreate` hook), compiling each schema on its first use: Fastify, its Ajv
 * options, the shared schemas and its header handling stay as they are; only the time of compiling moves.
 */
export function compileOnFirstUse(ajv: Ajv): void {
  const compile = ajv.compile.bind(ajv);
  ajv.compile = ((schema: Parameters<Ajv['compile']>[0]) => compiledOnFirstUse(() => compile(schema))) as Ajv['compile'];
}

/**
 * Query strings, path parameters and headers arrive as text, so Ajv coerces them to the schema's
 * types; a JSON body already carries its types, so a body written `{"label": true}` is refused with
 * the reason instead of being stored as "true".
 */
export function bodiesValidatedAsWritten(): NonNullable<FastifyServerOptions['schemaController']> {
  // The package's types describe the compiler as taking a schema; at run time Fastify gives it the route part.
  const pool = AjvCompiler() as unknown as (externalSchemas: object, options: ValidatorOptions) => (route: { httpPart?: string }) => unknown;
  const buildValidator = (externalSchemas: object, options: ValidatorOptions) => {
    const coercing = pool(externalSchemas, options);
    const exact = pool(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } });
    return (route: { httpPart?: string }) => (route.httpPart === 'body' ? exact : coercing)(route);
  };
  return { compilersFactory: { buildValidator: buildValidator as unknown as AjvCompiler.BuildCompilerFromPool } };
}

type ValidatorOptions = { customOptions?: Record<string, unknown> } & Record<string, unknown>;
