import type { FastifySchemaCompiler } from 'fastify';
import { TypeBoxValidatorCompiler, type TLocalizedValidationError, type TSchema } from '../vendor/typebox.ts';
import { ValidationError, type RefusalError } from '../errors.ts';
import { refusalMessage } from '../schema.ts';
import { compiledOnFirstUse } from './lazy-validation.ts';

/**
 * Fastify's TypeBox validator, refusing the way the core refuses: a body that breaks a document's
 * schema is the core's typed error with the core's words (`partners[1].role: "sponsor" is not one of …`),
 * so a file and the same body sent over HTTP are refused alike. For a route whose body is such a document.
 */
export function documentValidator(documentName: string, refuse: (message: string) => RefusalError): FastifySchemaCompiler<TSchema> {
  return (route) => {
    const check = compiledOnFirstUse(() => TypeBoxValidatorCompiler(route) as (value: unknown) => { value?: unknown; error?: TLocalizedValidationError[] });
    return (value: unknown) => {
      const r = check(value);
      if (!r.error) return r;
      return { error: route.httpPart === 'body' ? refuse(refusalMessage(route.schema, value, r.error, documentName)) : new ValidationError(`${route.httpPart}: ${refusalMessage(route.schema, value, r.error, route.httpPart ?? 'request')}`) };
    };
  };
}
