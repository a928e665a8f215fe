/**
 * HTTP hardening: security headers (helmet, with a Content-Security-Policy fit for the same-origin
 * React app), request limits, and CORS only for the origins configured.
 *
 * Requests are limited per principal, not per address: many users behind one hospital's NAT, and an
 * integration loading resources one request at a time, must not share one address's budget. The
 * limit is therefore applied once the caller is known (authentication calls `RequestThrottle`):
 * a signed-in session or a token counts against its user, with the integration role's own (high)
 * limit; anything else (no credentials, or credentials that do not hold) against its address.
 */
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FhirError } from '../fhir/outcome.js';
import type { Config } from '../platform/config.js';

/**
 * The SPA is built by Vite into same-origin files: scripts from 'self' only. Mantine injects <style>
 * elements at run time, hence 'unsafe-inline' for styles (not scripts). Swagger UI under /docs loads
 * its scripts from files too (no inline script), so one policy serves both.
 */
const cspDirectives = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const corsMethods = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const corsHeaders =
  'authorization, content-type, if-match, if-none-exist, if-none-match, prefer, x-csrf-token';
const corsExposed = 'etag, location, content-location, last-modified, retry-after';

/** Counts a request against its principal's (or address's) budget; throws 429 when it is spent. */
export type RequestThrottle = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Whom a request counts against: its user (never the token or cookie itself), or its address when it
 * carries no valid credentials. request.ip honours X-Forwarded-For (trustProxy), so clients behind
 * one proxy are told apart.
 */
function throttleKey(request: FastifyRequest): string {
  return request.access?.userId ? `user:${request.access.userId}` : `address:${request.ip}`;
}

/** The requests a minute the request's principal may make; 0 means no limit. */
function budgetOf(request: FastifyRequest, config: Config): number {
  return request.access?.role === 'integration'
    ? config.integrationRateLimitPerMinute
    : config.rateLimitPerMinute;
}

/** A 429 that says whose budget is spent (an OperationOutcome `throttled` on /fhir). */
function throttled(request: FastifyRequest, after: string): FhirError {
  const whose = request.access ? 'for this account' : 'from this address';
  return new FhirError(429, [
    { code: 'throttled', diagnostics: `too many requests ${whose}; retry in ${after}` },
  ]);
}

/**
 * Installs headers, the sign-in route's per-address limit and CORS; call before any route is
 * registered. Returns the throttle authentication applies to every request (undefined when
 * `rateLimitPerMinute` is 0: limits off).
 */
export async function installHardening(
  app: FastifyInstance,
  config: Config,
): Promise<RequestThrottle | undefined> {
  await app.register(helmet, {
    // No helmet defaults for CSP: its `upgrade-insecure-requests` would break the plain-HTTP demo.
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives },
    // Tokens in URLs never leave the site in a Referer header.
    referrerPolicy: { policy: 'no-referrer' },
  });

  let throttle: RequestThrottle | undefined;
  if (config.rateLimitPerMinute > 0) {
    // Not global: the plugin's own hooks would run per route, where the sign-in route's per-address
    // limit (its `config.rateLimit`) is the only one it applies. Every other request goes through
    // the throttle below, once authentication knows who is calling.
    await app.register(rateLimit, {
      global: false,
      keyGenerator: (request) => `address:${request.ip}`,
      errorResponseBuilder: (request, context) => throttled(request, context.after),
    });
    const limiter = app.createRateLimit({
      timeWindow: 60_000,
      keyGenerator: throttleKey,
      max: (request) => budgetOf(request, config),
      allowList: (request) => budgetOf(request, config) === 0,
    });
    throttle = async (request, reply) => {
      const result = await limiter(request);
      if (result.isAllowed) return;
      reply.header('x-ratelimit-limit', result.max);
      reply.header('x-ratelimit-remaining', result.remaining);
      reply.header('x-ratelimit-reset', result.ttlInSeconds);
      if (!result.isExceeded) return;
      reply.header('retry-after', result.ttlInSeconds);
      throw throttled(request, `${result.ttlInSeconds} seconds`);
    };
  }

  if (config.corsOrigins.length > 0) {
    const allowed = new Set(config.corsOrigins);
    app.addHook('onRequest', async (request, reply) => {
      const origin = request.headers.origin;
      if (!origin || !allowed.has(origin)) return;
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'Origin');
      reply.header('access-control-expose-headers', corsExposed);
      // No Access-Control-Allow-Credentials: other origins call with bearer tokens, never the cookie.
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
        reply.header('access-control-allow-methods', corsMethods);
        reply.header('access-control-allow-headers', corsHeaders);
        reply.header('access-control-max-age', '600');
        return reply.code(204).send();
      }
    });
  }
  return throttle;
}
