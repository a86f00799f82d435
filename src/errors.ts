/**
 * The kinds of refusal the core tells apart. Each kind fixes its HTTP status here and nowhere else:
 * a capability throws the kind that fits (usually a subclass with its own name), and the server
 * answers with the kind's status and label, never by reading the message.
 */
export abstract class RefusalError extends Error {
  abstract readonly statusCode: number;
}

/** The request is malformed or names something that does not exist in the data it refers to. */
export class ValidationError extends RefusalError {
  readonly statusCode = 400;
}

/** Nobody is logged in, or the credential is wrong. */
export class UnauthenticatedError extends RefusalError {
  readonly statusCode = 401;
}

export class ForbiddenError extends RefusalError {
  readonly statusCode = 403;
}

/** Not found and not yours look the same from outside: another organisation's case does not exist for you. */
export class NotFoundError extends RefusalError {
  readonly statusCode = 404;
}

/** The request is fine but the state it meets is not (a stale version, the last admin, no lists loaded yet). */
export class ConflictError extends RefusalError {
  readonly statusCode = 409;
}

export class PayloadTooLargeError extends RefusalError {
  readonly statusCode = 413;
}

/** Well-formed but unusable content: a file that is not a readable export, a feed that failed verification. */
export class UnprocessableError extends RefusalError {
  readonly statusCode = 422;
}

/** A change that must name the version it started from did not (an edit of a case without If-Match). */
export class PreconditionRequiredError extends RefusalError {
  readonly statusCode = 428;
}

export class TooManyRequestsError extends RefusalError {
  readonly statusCode = 429;
}

/** A capability this installation lacks (Chromium for PDF reports): the request may work elsewhere. */
export class UnavailableError extends RefusalError {
  readonly statusCode = 503;
}

/** The word in an HTTP error answer beside the message. */
export const STATUS_LABEL: Readonly<Record<number, string>> = {
  400: 'bad request',
  401: 'unauthorised',
  403: 'forbidden',
  404: 'not found',
  409: 'conflict',
  413: 'payload too large',
  415: 'unsupported media type',
  422: 'unprocessable',
  428: 'precondition required',
  429: 'too many requests',
  503: 'service unavailable',
};
