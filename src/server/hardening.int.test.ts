import { afterEach, describe, expect, it } from 'vitest';
import { type ClockedTestApp, openClockedTestApp } from '../../test/support/identity.js';

// Headers and limits do not depend on the database: SQLite alone.
describe('HTTP hardening', () => {
  let t: ClockedTestApp;
  afterEach(async () => t?.close());

  it('sends a same-origin Content-Security-Policy and the other helmet headers', async () => {
    t = await openClockedTestApp('sqlite');
    const res = await t.app.inject({ url: '/health' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('adds CORS headers only for configured origins, and answers their preflight', async () => {
    t = await openClockedTestApp('sqlite', { corsOrigins: ['https://app.example.org'] });
    const allowed = await t.app.inject({ url: '/health', headers: { origin: 'https://app.example.org' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.org');
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
    const other = await t.app.inject({ url: '/health', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/fhir/Patient',
      headers: { origin: 'https://app.example.org', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
  });

  it('limits sign-in attempts to 30 a minute per address', async () => {
    t = await openClockedTestApp('sqlite');
    const attempt = (remoteAddress: string) =>
      t.app.inject({ method: 'POST', url: '/auth/login', remoteAddress, payload: { email: 'a@b.org' } });
    for (let i = 0; i < 30; i++) expect((await attempt('10.5.5.5')).statusCode).toBe(400);
    const limited = await attempt('10.5.5.5');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('too_many_requests');
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await attempt('10.5.5.6')).statusCode).toBe(400);
  });

  it('limits all requests per address to the configured rate', async () => {
    t = await openClockedTestApp('sqlite', { rateLimitPerMinute: 5 });
    for (let i = 0; i < 5; i++) expect((await t.app.inject({ url: '/health' })).statusCode).toBe(200);
    const limited = await t.app.inject({ url: '/fhir/metadata' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ code: 'throttled' }],
    });
  });
});
