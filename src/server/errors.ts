/**
 * One error handler for the whole app. FHIR paths answer with an OperationOutcome; other paths with
 * `{ error: { code, message, details } }`. Clients never see a stack trace, and logs never see the
 * request body or query (both may hold patient data).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { FhirError, operationOutcome } from '../fhir/outcome.js';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../platform/database-availability.js';

/** HTTP status for each error code used outside FHIR paths. */
export const errorCodes = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal: 500,
  service_unavailable: 503,
} as const;

/** Installs the global error and not-found handlers. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | FhirError, request, reply) => {
    const fhir = request.url.startsWith('/fhir');
    let failure: FhirError;
    if (error instanceof FhirError) failure = error;
    else if ((error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      failure = new FhirError(413, [
        {
          code: 'too-costly',
          diagnostics: `the request body is larger than the limit of ${Math.round(app.initialConfig.bodyLimit! / 1024 / 1024)} MB`,
        },
      ]);
    else if ((error as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      failure = new FhirError(415, [
        {
          code: 'not-supported',
          diagnostics: `unsupported content type "${request.headers['content-type']}"; send application/fhir+json`,
        },
      ]);
    else if ((error as FastifyError).code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      failure = new FhirError(400, [{ code: 'required', diagnostics: 'the request body is empty' }]);
    else if ((error as FastifyError).statusCode && (error as FastifyError).statusCode! < 500)
      failure = new FhirError((error as FastifyError).statusCode!, [
        { code: 'invalid', diagnostics: error.message },
      ]);
    else if (isDatabaseUnavailable(error)) {
      // The database is restarting or failing over: the request may be sent again as it is. Not a
      // bad credential either, whatever the authentication hook was about to say.
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      reply.removeHeader('www-authenticate');
      failure = new FhirError(503, [
        {
          code: 'transient',
          diagnostics: `the database is unavailable for the moment; retry in ${RETRY_AFTER_SECONDS} seconds`,
        },
      ]);
    } else {
      request.log.error(
        { err: { message: error.message, stack: error.stack, code: (error as FastifyError).code } },
        'unhandled error',
      );
      failure = new FhirError(500, [
        { code: 'exception', diagnostics: 'internal error; the server log has the details' },
      ]);
    }
    if (fhir)
      return reply
        .code(failure.status)
        .type('application/fhir+json; charset=utf-8')
        .send(failure.toOutcome());
    const code = (Object.entries(errorCodes).find(([, s]) => s === failure.status)?.[0] ??
      'bad_request') as keyof typeof errorCodes;
    return reply
      .code(failure.status)
      .send({ error: { code, message: failure.message, details: failure.issues } });
  });
  app.setNotFoundHandler((request, reply) => {
    const message = `no route for ${request.method} ${request.url.split('?')[0]}`;
    if (request.url.startsWith('/fhir'))
      return reply
        .code(404)
        .type('application/fhir+json; charset=utf-8')
        .send(operationOutcome([{ code: 'not-found', diagnostics: message }]));
    return reply.code(404).send({ error: { code: 'not_found', message } });
  });
}
