/**
 * HTTP hardening: security headers (helmet, with a Content-Security-Policy fit for the same-origin
 * React app), a per-address rate limit, and CORS only for the origins configured.
 */
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
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

/** Installs headers, rate limiting and CORS; call before any route is registered. */
export async function installHardening(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(helmet, {
    // No helmet defaults for CSP: its `upgrade-insecure-requests` would break the plain-HTTP demo.
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives },
    // Tokens in URLs never leave the site in a Referer header.
    referrerPolicy: { policy: 'no-referrer' },
  });

  if (config.rateLimitPerMinute > 0)
    await app.register(rateLimit, {
      max: config.rateLimitPerMinute,
      timeWindow: '1 minute',
      // request.ip honours X-Forwarded-For (trustProxy), so clients behind one proxy are told apart.
      keyGenerator: (request) => request.ip,
      errorResponseBuilder: (_request, context) =>
        new FhirError(429, [
          {
            code: 'throttled',
            diagnostics: `too many requests from this address; retry in ${context.after}`,
          },
        ]),
    });

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
}
