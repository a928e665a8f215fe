import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webRoutes } from './web.routes.js';

// A build as `npm run build:web` writes it: a large script with its .br and .gz copies beside it, a
// small one without (web/vite.config.ts compresses files of 1 KB or more), and index.html.
const script = `export const words = ${JSON.stringify('care coordination '.repeat(200))};\n`;

describe('the web app as served', () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'careloop-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>CareLoop</title>');
    writeFileSync(join(dir, 'assets/app-1a2b3c.js'), script);
    writeFileSync(join(dir, 'assets/app-1a2b3c.js.br'), brotliCompressSync(script));
    writeFileSync(join(dir, 'assets/app-1a2b3c.js.gz'), gzipSync(script));
    writeFileSync(join(dir, 'assets/tiny-4d5e6f.js'), 'export {};\n');
    app = Fastify();
    await app.register(webRoutes, { distDir: dir });
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (url: string, acceptEncoding?: string) =>
    app.inject({ url, headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} });

  it('sends the brotli copy of a script to a browser that accepts brotli, cached for a year', async () => {
    const res = await get('/assets/app-1a2b3c.js', 'gzip, deflate, br, zstd');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.headers.vary).toContain('accept-encoding');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.rawPayload.length).toBeLessThan(script.length / 4);
    expect(brotliDecompressSync(res.rawPayload).toString()).toBe(script);
  });

  it('sends the gzip copy to a browser that accepts gzip only', async () => {
    const res = await get('/assets/app-1a2b3c.js', 'gzip');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.rawPayload).toString()).toBe(script);
  });

  it('sends the file itself to a client that accepts no compression, and says the answer varies', async () => {
    const res = await get('/assets/app-1a2b3c.js');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toContain('accept-encoding');
    expect(res.body).toBe(script);
  });

  it('sends a file that has no compressed copy as it is, even to a browser that accepts brotli', async () => {
    const res = await get('/assets/tiny-4d5e6f.js', 'br');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body).toBe('export {};\n');
  });

  it('answers the app (index.html, never cached) for a page of the client-side router', async () => {
    const res = await app.inject({
      url: '/patients/42',
      headers: { accept: 'text/html', 'accept-encoding': 'br' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toContain('<title>CareLoop</title>');
  });
});
