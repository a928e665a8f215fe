import { randomBytes } from 'node:crypto';
import type { Binary, Bundle, DocumentReference, OperationOutcome } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../../test/support/test-app.js';
import { databaseTargets } from '../../test/support/test-databases.js';

const json = { 'content-type': 'application/fhir+json' };
const MB = 1024 * 1024;

describe.each(databaseTargets)('large attachments over HTTP on $name', ({ name, available }) => {
  let t: TestApp;
  beforeAll(async () => {
    if (available) t = await openTestApp(name, { bodyLimitBytes: 8 * MB });
  });
  afterAll(async () => t?.close());

  // A scanned advance directive: 4 MB of PDF bytes, 5.3 MB as base64 (random, so the whole alphabet).
  const pdf = randomBytes(4 * MB);
  const post = (url: string, body: unknown) =>
    t.app.inject({ method: 'POST', url, headers: json, payload: JSON.stringify(body) });
  const count = async (type: string) =>
    (JSON.parse((await t.app.inject({ url: `/fhir/${type}?_summary=count` })).body) as Bundle).total;

  it.runIf(available)(
    'stores a DocumentReference with several MB of attachment data and reads it back byte for byte',
    async () => {
      const document: DocumentReference = {
        resourceType: 'DocumentReference',
        status: 'current',
        description: 'Advance directive (scanned)',
        content: [{ attachment: { contentType: 'application/pdf', data: pdf.toString('base64') } }],
      };
      const created = await post('/fhir/DocumentReference', document);
      expect(created.statusCode, created.body.slice(0, 300)).toBe(201);
      const id = (JSON.parse(created.body) as DocumentReference).id;
      const read = JSON.parse((await t.app.inject({ url: `/fhir/DocumentReference/${id}` })).body);
      const data = (read as DocumentReference).content[0]!.attachment.data!;
      expect(Buffer.from(data, 'base64').equals(pdf)).toBe(true);
    },
  );

  it.runIf(available)('stores a Binary of several MB and reads it back byte for byte', async () => {
    const binary: Binary = {
      resourceType: 'Binary',
      contentType: 'application/pdf',
      data: pdf.toString('base64'),
    };
    const created = await post('/fhir/Binary', binary);
    expect(created.statusCode, created.body.slice(0, 300)).toBe(201);
    const id = (JSON.parse(created.body) as Binary).id;
    const read = JSON.parse((await t.app.inject({ url: `/fhir/Binary/${id}` })).body) as Binary;
    expect(Buffer.from(read.data!, 'base64').equals(pdf)).toBe(true);
  });

  it.runIf(available)(
    'still refuses markdown over 1 MB, which is a string type, naming the element',
    async () => {
      const before = await count('CarePlan');
      const res = await post('/fhir/CarePlan', {
        resourceType: 'CarePlan',
        status: 'active',
        intent: 'plan',
        subject: { display: 'Ana' },
        note: [{ text: 'x'.repeat(MB + 1) }],
      });
      expect(res.statusCode).toBe(400);
      const issue = (JSON.parse(res.body) as OperationOutcome).issue[0]!;
      expect(issue.expression).toEqual(['CarePlan.note[0].text']);
      expect(issue.diagnostics).toMatch(/markdown values are limited to 1 MB/);
      expect(await count('CarePlan')).toBe(before);
    },
  );

  it.runIf(available)(
    'answers a body past CARELOOP_BODY_LIMIT_MB with 413 and an OperationOutcome, storing nothing',
    async () => {
      const before = await count('Binary');
      const res = await post('/fhir/Binary', {
        resourceType: 'Binary',
        contentType: 'application/pdf',
        data: randomBytes(7 * MB).toString('base64'),
      });
      expect(res.statusCode).toBe(413);
      const outcome = JSON.parse(res.body) as OperationOutcome;
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue[0]).toMatchObject({
        code: 'too-costly',
        diagnostics: expect.stringMatching(/8 MB/),
      });
      expect(await count('Binary')).toBe(before);
    },
  );
});
