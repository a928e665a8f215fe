/**
 * No patient data in application logs: drives the server through the paths that carry names,
 * identifiers, birth dates and emails (FHIR writes and searches, sign-in, break-the-glass, errors)
 * with logging at its most verbose, and checks the log for every one of them.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatient, buildPractitioner } from '../../test/support/factories.js';
import { bearerFor, createTestUser } from '../../test/support/identity.js';
import { databaseTargets, openTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { fixedClock } from '../platform/clock.js';
import { loadConfig } from '../platform/config.js';
import { buildApp } from './app.js';

const secrets = {
  family: 'Zyxwvutsonian',
  given: 'Philomena',
  mrn: 'MRN-98765-Q',
  birthDate: '1941-07-23',
  email: 'philomena.zyx@example.org',
  phone: '555-0199-771',
};

describe.each(databaseTargets)('application logs ($name)', ({ name, available }) => {
  let db: TestDatabase;
  let log = '';
  let app: Awaited<ReturnType<typeof buildApp>>['app'];

  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    const stream = new PassThrough();
    stream.on('data', (chunk) => {
      log += chunk.toString();
    });
    const config = loadConfig({ LOG_LEVEL: 'trace' }, { databaseUrl: db.url, rateLimitPerMinute: 100_000 });
    ({ app } = await buildApp(config, {
      database: db.database,
      clock: fixedClock('2026-11-30T12:00:00Z'),
      logStream: stream,
    }));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.cleanup();
  });

  it.runIf(available)('holds no patient name, identifier, birth date, email or phone', async () => {
    const integration = (await bearerFor(db.database, { role: 'integration' })).authorization;
    const headers = { authorization: integration };
    const patient = buildPatient({
      name: [{ family: secrets.family, given: [secrets.given] }],
      identifier: [{ system: 'http://careloop.example/mrn', value: secrets.mrn }],
      birthDate: secrets.birthDate,
      telecom: [
        { system: 'phone', value: secrets.phone },
        { system: 'email', value: secrets.email },
      ],
    });
    const created = await app.inject({
      method: 'PUT',
      url: '/fhir/Patient/log-p',
      headers,
      payload: patient,
    });
    expect(created.statusCode).toBe(201);
    await app.inject({
      method: 'PUT',
      url: '/fhir/Practitioner/log-dr',
      headers,
      payload: { ...buildPractitioner(), id: 'log-dr' },
    });
    for (const query of [
      `name=${secrets.family}`,
      `identifier=${secrets.mrn}`,
      `birthdate=${secrets.birthDate}`,
      `email=${encodeURIComponent(secrets.email)}`,
      `phone=${secrets.phone}`,
    ])
      expect((await app.inject({ method: 'GET', url: `/fhir/Patient?${query}`, headers })).statusCode).toBe(
        200,
      );
    // A bad write that echoes the patient's data back in its error, and a bad search.
    const bad = await app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers,
      payload: { ...patient, birthDate: `${secrets.family}-not-a-date` },
    });
    expect(bad.statusCode).toBe(400);
    await app.inject({ method: 'GET', url: `/fhir/Patient?nonsense=${secrets.given}`, headers });
    // A patient signing in (their email is their user name), right and wrong.
    await createTestUser(db.database, {
      role: 'patient',
      resource: 'Patient/log-p',
      email: secrets.email,
      password: 'correct horse battery',
    });
    await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: secrets.email, password: 'wrong password here' },
    });
    await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: secrets.email, password: 'correct horse battery' },
    });
    // Break-the-glass by MRN, whose reason a clinician types.
    const doctor = (await bearerFor(db.database, { role: 'physician', resource: 'Practitioner/log-dr' }))
      .authorization;
    const btg = await app.inject({
      method: 'POST',
      url: '/api/break-glass',
      headers: { authorization: doctor },
      payload: { mrn: secrets.mrn, reason: `${secrets.given} collapsed in the waiting room` },
    });
    expect(btg.statusCode).toBe(200);
    await app.inject({ method: 'GET', url: '/fhir/Patient/log-p', headers: { authorization: doctor } });

    // The log was written (so the check below can fail), and holds none of it.
    expect(log).toContain('"path":"/fhir/Patient"');
    expect(log.split('\n').length).toBeGreaterThan(20);
    for (const [field, value] of Object.entries(secrets)) {
      expect(log.includes(value), `${field} appears in the log`).toBe(false);
      expect(log.includes(encodeURIComponent(value)), `${field} (URL-encoded) appears in the log`).toBe(
        false,
      );
    }
  });
});
