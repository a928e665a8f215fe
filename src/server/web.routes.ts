/**
 * Serves the web app (web/, built by `npm run build:web` into dist/web) at `/`. Files with a content
 * hash (dist/web/assets/) are cached for a year; index.html is never cached, so a new build shows up
 * on the next load. Any other GET that asks for HTML and is not an API path answers index.html, and
 * the app's router takes over (a reload of /patients/42 works). Files are looked up per request, so
 * a rebuild while the server runs is served at once; without a build, `/` says how to make one. The
 * build's brotli and gzip copies (`<file>.br`, `<file>.gz`) go to browsers that accept them.
 */
import { existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build:web` writes the app. */
export const webDistDir = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Path prefixes that belong to the server's APIs: never answered with the app. */
const apiPrefixes = ['/fhir', '/auth', '/admin', '/api', '/audit', '/docs', '/hl7', '/health'];

function isApiPath(path: string): boolean {
  return apiPrefixes.some((p) => path === p || path.startsWith(`${p}/`));
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>CareLoop</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style></head>
<body><h1>CareLoop</h1><p>The web app is not built: run <code>npm run build:web</code> (<code>npm start</code> builds it before starting).</p>
<p>The FHIR API is at <a href="/fhir/metadata">/fhir</a> and its documentation at <a href="/docs">/docs</a>.</p></body></html>`;

/** Registers `/` and the catch-all GET that serves built files or, for HTML requests, the app. */
export async function webRoutes(app: FastifyInstance, options: { distDir?: string } = {}): Promise<void> {
  const distDir = normalize(options.distDir ?? webDistDir);
  // serve: false — only reply.sendFile; the routes below decide what is a file and what is the app.
  await app.register(fastifyStatic, {
    root: distDir,
    serve: false,
    cacheControl: false,
    // The build writes brotli and gzip copies beside each file (web/vite.config.ts): sent to browsers
    // that accept them (Vary: accept-encoding), the file itself to the others.
    preCompressed: true,
    suppressWarning: true,
  });

  /** The built file a URL path names, if there is one (never outside distDir). */
  const fileFor = (path: string): string | undefined => {
    let relative: string;
    try {
      relative = decodeURIComponent(path).replace(/^\/+/, '');
    } catch {
      return undefined;
    }
    if (!relative) return undefined;
    const full = normalize(join(distDir, relative));
    if (!full.startsWith(distDir.endsWith(sep) ? distDir : distDir + sep)) return undefined;
    try {
      return statSync(full).isFile() ? relative : undefined;
    } catch {
      return undefined;
    }
  };

  const sendApp = (reply: FastifyReply) => {
    reply.header('cache-control', 'no-cache');
    if (!existsSync(join(distDir, 'index.html')))
      return reply.type('text/html; charset=utf-8').send(notBuiltPage);
    return reply.sendFile('index.html');
  };

  app.get('/', { schema: { hide: true } }, (_request, reply) => sendApp(reply));
  app.get('/*', { schema: { hide: true } }, (request, reply) => {
    const path = request.url.split('?')[0];
    if (isApiPath(path)) return reply.callNotFound();
    const file = fileFor(path);
    if (file) {
      const hashed = file.startsWith('assets/');
      reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      return reply.sendFile(file);
    }
    if (!request.headers.accept?.includes('text/html')) return reply.callNotFound();
    return sendApp(reply);
  });
}
