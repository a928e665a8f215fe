/**
 * Access control beyond the matrix: what the audit trail records for each path, break-the-glass and
 * its expiry, a patient's access log, the AuditEvent view, consent changes taking effect at once,
 * community-organization trimming, and the docs tables matching the enforced policy.
 */
import { readFileSync } from 'node:fs';
import type { AuditEvent, Bundle, Patient } from 'fhir/r4.js';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCareTeam,
  buildObservation,
  buildPatient,
  buildPractitioner,
  buildPrivacyConsent,
  securityLabels,
} from '../../test/support/factories.js';
import { bearerFor } from '../../test/support/identity.js';
import { openTestApp, type TestApp } from '../../test/support/test-app.js';
import { databaseTargets } from '../../test/support/test-databases.js';
import * as relationshipSource from '../platform/migrations/015-relationship-source.js';
import * as teamMembersMigration from '../platform/migrations/016-team-members.js';
import type { AuditEntry } from './audit/audit-trail.js';
import { docBlock, regenerate } from './policy/security-doc.js';

describe('docs/security.md', () => {
  it('holds exactly the tables the code enforces (run npm run docs:security after changing the policy)', () => {
    const text = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
    expect(regenerate(text)).toBe(text);
    expect(docBlock(text, 'permission-matrix')).toContain('| care-coordinator |');
  });
});

describe.each(databaseTargets)('access control and audit ($name)', ({ name, available }) => {
  let t: TestApp;
  const as: Record<string, string> = {};
  const entries = async (): Promise<(AuditEntry & { seq: number })[]> =>
    (await t.db.database.db.selectFrom('audit_events').select(['seq', 'entry']).orderBy('seq').execute()).map(
      (r) => ({
        seq: Number(r.seq),
        ...(JSON.parse(r.entry) as AuditEntry),
      }),
    );
  const lastEntry = async () => (await entries()).at(-1)!;

  beforeAll(async () => {
    if (!available) return;
    t = await openTestApp(name);
    const s = t.store;
    for (const id of ['pr-nurse', 'pr-er', 'pr-coord', 'pr-food'])
      await s.update('Practitioner', id, {
        ...buildPractitioner({ name: [{ family: `Smith-${id}`, given: ['Jo'] }] }),
        id,
      });
    await s.update('Organization', 'org-food', {
      resourceType: 'Organization',
      id: 'org-food',
      name: 'Food bank',
    });
    await s.update('PractitionerRole', 'role-food', {
      resourceType: 'PractitionerRole',
      id: 'role-food',
      practitioner: { reference: 'Practitioner/pr-food' },
      organization: { reference: 'Organization/org-food' },
    });
    await s.update('Patient', 'p1', {
      ...buildPatient({ name: [{ family: 'Quintero', given: ['Rosa'] }] }),
      id: 'p1',
    });
    await s.update('Patient', 'p2', {
      ...buildPatient({ name: [{ family: 'Abernathy', given: ['Lee'] }], identifier: [{ value: 'MRN-P2' }] }),
      id: 'p2',
    });
    await s.update('CareTeam', 'ct1', {
      ...buildCareTeam('p1', ['Practitioner/pr-nurse', 'Practitioner/pr-coord']),
      id: 'ct1',
    });
    await s.update('Observation', 'o1', { ...buildObservation('p1'), id: 'o1' });
    await s.update('Observation', 'o2', { ...buildObservation('p2'), id: 'o2' });
    await s.update('Observation', 'bh1', {
      ...buildObservation('p1', { meta: securityLabels('PSY') }),
      id: 'bh1',
    });
    await s.update('Task', 'ref1', {
      resourceType: 'Task',
      id: 'ref1',
      status: 'requested',
      intent: 'order',
      for: { reference: 'Patient/p1' },
      owner: { reference: 'Organization/org-food' },
    });
    const token = async (role: Parameters<typeof bearerFor>[1]['role'], resource?: string) =>
      (await bearerFor(t.db.database, { role, resource })).authorization;
    as.nurse = await token('nurse', 'Practitioner/pr-nurse');
    as.er = await token('physician', 'Practitioner/pr-er');
    as.coord = await token('care-coordinator', 'Practitioner/pr-coord');
    as.patient = await token('patient', 'Patient/p1');
    as.auditor = await token('auditor', 'Practitioner/pr-coord');
    as.food = await token('community-organization', 'PractitionerRole/role-food');
  }, 60_000);
  afterAll(async () => t?.close());

  const req = (who: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: { authorization: as[who]! },
      ...(payload ? { payload: payload as object } : {}),
    });

  it.runIf(available)(
    "resolves whom a user stands for: a practitioner's roles and their organizations, a role's practitioner",
    async () => {
      const s = t.store;
      await s.update('Organization', 'org-clinic', { resourceType: 'Organization', id: 'org-clinic' });
      await s.update('PractitionerRole', 'role-coord-clinic', {
        resourceType: 'PractitionerRole',
        id: 'role-coord-clinic',
        practitioner: { reference: 'Practitioner/pr-coord' },
        organization: { reference: 'Organization/org-clinic' },
      });
      await s.update('PractitionerRole', 'role-coord-home', {
        resourceType: 'PractitionerRole',
        id: 'role-coord-home',
        practitioner: { reference: 'Practitioner/pr-coord' },
      });
      await s.update('PractitionerRole', 'role-coord-gone', {
        resourceType: 'PractitionerRole',
        id: 'role-coord-gone',
        practitioner: { reference: 'Practitioner/pr-coord' },
        organization: { reference: 'Organization/org-food' },
      });
      await s.delete('PractitionerRole', 'role-coord-gone');
      const user = (resource: string) =>
        s
          .as({
            kind: 'user',
            role: 'care-coordinator',
            userId: 'u-grants',
            resource,
            actor: resource,
            via: 'token',
            purposeOfUse: 'TREAT',
          })
          .grants();
      try {
        const coordinator = await user('Practitioner/pr-coord');
        expect([...coordinator.principals].sort()).toEqual([
          'Organization/org-clinic',
          'Practitioner/pr-coord',
          'PractitionerRole/role-coord-clinic',
          'PractitionerRole/role-coord-home',
          'User/u-grants',
        ]);
        expect(coordinator.organizations).toEqual(['Organization/org-clinic']);
        const role = await user('PractitionerRole/role-food');
        expect([...role.principals].sort()).toEqual([
          'Organization/org-food',
          'Practitioner/pr-food',
          'PractitionerRole/role-food',
          'User/u-grants',
        ]);
        expect(role.organizations).toEqual(['Organization/org-food']);
        expect((await user('PractitionerRole/role-coord-gone')).principals).toEqual([
          'User/u-grants',
          'PractitionerRole/role-coord-gone',
        ]);
      } finally {
        for (const id of ['role-coord-clinic', 'role-coord-home']) await s.delete('PractitionerRole', id);
      }
    },
  );

  it.runIf(available)(
    'names the CareTeam each care-team relationship comes from, also in rows migration 015 fills in',
    async () => {
      const db = t.db.database.db;
      const sources = () =>
        db
          .selectFrom('access_relationships')
          .select(['principal', 'source_ref'])
          .where('kind', '=', 'care-team')
          .where('patient_id', '=', 'p1')
          .orderBy('principal')
          .execute();
      const expected = [
        { principal: 'Practitioner/pr-coord', source_ref: 'CareTeam/ct1' },
        { principal: 'Practitioner/pr-nurse', source_ref: 'CareTeam/ct1' },
      ];
      expect(await sources()).toEqual(expected);
      // A database from before migration 015: the column is added and filled from the source rows.
      await sql`alter table access_relationships drop column source_ref`.execute(db);
      await relationshipSource.up(db as unknown as Kysely<unknown>);
      expect(await sources()).toEqual(expected);
    },
  );

  it.runIf(available)(
    'keeps the members of every active care team, with or without a patient, also as migration 016 fills them in',
    async () => {
      const s = t.store;
      const db = t.db.database.db;
      // A program's team without a patient: one member for a period that has ended.
      await s.update('CareTeam', 'ct-program', {
        resourceType: 'CareTeam',
        id: 'ct-program',
        status: 'active',
        participant: [
          { member: { reference: 'Practitioner/pr-nurse' } },
          { member: { reference: 'Practitioner/pr-coord' }, period: { end: '2026-01-01T00:00:00Z' } },
          { member: { reference: 'Practitioner/pr-nurse' } },
        ],
      });
      const members = () =>
        db
          .selectFrom('team_members')
          .select(['team_ref', 'principal', 'expires_ms'])
          .where('team_ref', 'in', ['CareTeam/ct1', 'CareTeam/ct-program'])
          .orderBy('team_ref')
          .orderBy('principal')
          .execute()
          .then((rows) =>
            rows.map((r) => ({ ...r, expires_ms: r.expires_ms === null ? null : Number(r.expires_ms) })),
          );
      const expected = [
        {
          team_ref: 'CareTeam/ct-program',
          principal: 'Practitioner/pr-coord',
          expires_ms: Date.parse('2026-01-01T00:00:00Z'),
        },
        { team_ref: 'CareTeam/ct-program', principal: 'Practitioner/pr-nurse', expires_ms: null },
        { team_ref: 'CareTeam/ct1', principal: 'Practitioner/pr-coord', expires_ms: null },
        { team_ref: 'CareTeam/ct1', principal: 'Practitioner/pr-nurse', expires_ms: null },
      ];
      try {
        expect(await members()).toEqual(expected);
        // A database from before migration 016: the table is made and filled from the stored teams.
        await sql`drop table team_members`.execute(db);
        await teamMembersMigration.up(db as unknown as Kysely<unknown>, t.db.database.dialect);
        expect(await members()).toEqual(expected);
        // A team that is no longer active has no members to claim for.
        await s.update('CareTeam', 'ct-program', {
          resourceType: 'CareTeam',
          id: 'ct-program',
          status: 'inactive',
          participant: [{ member: { reference: 'Practitioner/pr-nurse' } }],
        });
        expect(await members()).toEqual(expected.slice(2));
      } finally {
        await s.delete('CareTeam', 'ct-program');
      }
      expect(await members()).toEqual(expected.slice(2));
    },
  );

  it.runIf(available)('records a read with who, role, patient, resource, purpose and address', async () => {
    const res = await req('nurse', 'GET', '/fhir/Observation/o1');
    expect(res.statusCode).toBe(200);
    const e = await lastEntry();
    expect(e).toMatchObject({
      action: 'read',
      outcome: 'success',
      actor: 'Practitioner/pr-nurse',
      role: 'nurse',
      patientIds: ['p1'],
      resources: ['Observation/o1'],
      purposeOfUse: 'TREAT',
      clientAddress: '127.0.0.1',
    });
  });

  it.runIf(available)('records a refused read as denied while the client sees a plain 404', async () => {
    const res = await req('nurse', 'GET', '/fhir/Observation/o2');
    expect(res.statusCode).toBe(404);
    expect(res.json().issue[0].diagnostics).toBe('Observation/o2 does not exist');
    expect(await lastEntry()).toMatchObject({
      action: 'read',
      outcome: 'denied',
      resources: ['Observation/o2'],
    });
  });

  it.runIf(available)(
    'records a search with the parameter names (never their values) and the patients it returned',
    async () => {
      const res = await req('nurse', 'GET', '/fhir/Patient?name=Quintero');
      expect((res.json() as Bundle).total).toBe(1);
      const e = await lastEntry();
      expect(e).toMatchObject({
        action: 'search',
        detail: 'Patient?name',
        patientIds: ['p1'],
        resources: ['Patient/p1'],
      });
      expect(JSON.stringify(e)).not.toContain('Quintero');
    },
  );

  it.runIf(available)('records a refused write as denied, and the 403 names the reason', async () => {
    const res = await req('nurse', 'POST', '/fhir/Observation', buildObservation('p2'));
    expect(res.statusCode).toBe(403);
    expect(res.json().issue[0].diagnostics).toBe(
      'you may write Observation only for patients you have a care relationship with',
    );
    expect(await lastEntry()).toMatchObject({ action: 'create', outcome: 'denied' });
    const count = await t.store.search('Observation', [['patient', 'p2']], 'x');
    expect(count.total).toBe(1);
  });

  it.runIf(available)(
    'breaks the glass for one patient for 60 minutes, flagged for the privacy officer',
    async () => {
      expect((await req('er', 'GET', '/fhir/Patient/p2')).statusCode).toBe(404);
      const short = await req('er', 'POST', '/api/break-glass', { patientId: 'p2', reason: 'urgent' });
      expect(short.statusCode).toBe(400);
      expect(short.json().error.message).toContain('reason');
      const nurseByMrn = await req('er', 'POST', '/api/break-glass', {
        mrn: 'MRN-P2',
        reason: 'Collapsed in clinic, no history available',
      });
      expect(nurseByMrn.json()).toEqual({ patientId: 'p2', expiresAt: '2026-11-30T13:00:00.000Z' });
      expect((await req('er', 'GET', '/fhir/Patient/p2')).statusCode).toBe(200);
      expect(await lastEntry()).toMatchObject({ action: 'read', patientIds: ['p2'], purposeOfUse: 'ETREAT' });
      // Only p2, only for this user.
      expect((await req('er', 'GET', '/fhir/Patient/p1')).statusCode).toBe(404);
      expect((await req('nurse', 'GET', '/fhir/Patient/p2')).statusCode).toBe(404);
      const review = await req('auditor', 'GET', '/audit/break-glass');
      expect(review.statusCode).toBe(200);
      expect(review.json().events[0]).toMatchObject({
        action: 'break-the-glass',
        actor: 'Practitioner/pr-er',
        purposeOfUse: 'ETREAT',
        patientIds: ['p2'],
      });
      expect(review.json().events[0].detail).toContain('Collapsed in clinic');
      // A community organization cannot break the glass.
      expect(
        (await req('food', 'POST', '/api/break-glass', { patientId: 'p2', reason: 'Collapsed in clinic' }))
          .statusCode,
      ).toBe(403);
    },
  );

  it.runIf(available)('a break-the-glass grant ends on its own after 60 minutes', async () => {
    const later = await openTestApp(name);
    try {
      await later.store.update('Practitioner', 'x', { ...buildPractitioner(), id: 'x' });
      await later.store.update('Patient', 'q', { ...buildPatient(), id: 'q' });
      const { authorization } = await bearerFor(later.db.database, {
        role: 'physician',
        resource: 'Practitioner/x',
      });
      const headers = { authorization };
      await later.app.inject({
        method: 'POST',
        url: '/api/break-glass',
        headers,
        payload: { patientId: 'q', reason: 'Unconscious, brought by ambulance' },
      });
      expect((await later.app.inject({ method: 'GET', url: '/fhir/Patient/q', headers })).statusCode).toBe(
        200,
      );
      // Move the grant's window into the past, as 61 minutes of waiting would.
      await later.db.database.db
        .updateTable('access_relationships')
        .set({ expires_ms: Date.parse('2026-11-30T11:59:00Z') })
        .where('kind', '=', 'break-the-glass')
        .execute();
      expect((await later.app.inject({ method: 'GET', url: '/fhir/Patient/q', headers })).statusCode).toBe(
        404,
      );
    } finally {
      await later.close();
    }
  });

  it.runIf(available)('a patient lists who accessed their record, with staff names', async () => {
    const res = await req('patient', 'GET', '/api/me/access-log?limit=100');
    expect(res.statusCode).toBe(200);
    const events = res.json().events as { actor: string; actorName?: string; action: string }[];
    expect(
      events.some(
        (e) =>
          e.actor === 'Practitioner/pr-nurse' && e.actorName === 'Jo Smith-pr-nurse' && e.action === 'read',
      ),
    ).toBe(true);
    // Only successful accesses to their own record: not the refused read of p2's observation.
    expect(events.every((e) => e.action !== 'break-the-glass')).toBe(true);
    expect((await req('nurse', 'GET', '/api/me/access-log')).statusCode).toBe(403);
  });

  it.runIf(available)('auditors read the trail as FHIR AuditEvent; others may not', async () => {
    const res = await req('auditor', 'GET', '/fhir/AuditEvent?patient=p1&_count=5');
    expect(res.statusCode).toBe(200);
    const bundle = res.json() as Bundle<AuditEvent>;
    expect(bundle.entry!.length).toBe(5);
    const event = bundle.entry![0]!.resource!;
    expect(event.entity!.some((e) => e.what?.reference === 'Patient/p1')).toBe(true);
    expect(event.source.observer.display).toBe('CareLoop');
    const one = await req('auditor', 'GET', `/fhir/AuditEvent/${event.id}`);
    expect(one.json().id).toBe(event.id);
    expect((await req('nurse', 'GET', '/fhir/AuditEvent')).statusCode).toBe(403);
    expect((await req('auditor', 'GET', '/fhir/Observation/o1')).statusCode).toBe(404);
  });

  it.runIf(available)(
    'a consent denying behavioral-health records hides them at once, and withdrawing it shows them again',
    async () => {
      expect((await req('nurse', 'GET', '/fhir/Observation/bh1')).statusCode).toBe(200);
      const consent = await t.store.create({
        ...buildPrivacyConsent('p1', { type: 'deny', labels: ['PSY'] }),
      });
      expect(await lastEntry()).toMatchObject({
        action: 'create',
        detail: 'consent change',
        patientIds: ['p1'],
      });
      expect((await req('nurse', 'GET', '/fhir/Observation/bh1')).statusCode).toBe(404);
      const search = (await req('nurse', 'GET', '/fhir/Observation?patient=p1')).json() as Bundle;
      expect(search.entry!.map((e) => e.resource!.id)).toEqual(['o1']);
      expect((await req('patient', 'GET', '/fhir/Observation/bh1')).statusCode).toBe(200);
      await t.store.update('Consent', consent.resource.id!, {
        ...(consent.resource as object),
        status: 'inactive',
      } as never);
      expect((await req('nurse', 'GET', '/fhir/Observation/bh1')).statusCode).toBe(200);
    },
  );

  it.runIf(available)('leaving the care team ends access immediately', async () => {
    expect((await req('coord', 'GET', '/fhir/Patient/p1')).statusCode).toBe(200);
    await t.store.update('CareTeam', 'ct1', { ...buildCareTeam('p1', ['Practitioner/pr-nurse']), id: 'ct1' });
    expect((await req('coord', 'GET', '/fhir/Patient/p1')).statusCode).toBe(404);
    await t.store.update('CareTeam', 'ct1', {
      ...buildCareTeam('p1', ['Practitioner/pr-nurse', 'Practitioner/pr-coord']),
      id: 'ct1',
    });
    expect((await req('coord', 'GET', '/fhir/Patient/p1')).statusCode).toBe(200);
  });

  it.runIf(available)(
    'community-organization staff see their referral and only the minimum demographics',
    async () => {
      const task = await req('food', 'GET', '/fhir/Task/ref1');
      expect(task.statusCode).toBe(200);
      const patient = (await req('food', 'GET', '/fhir/Patient/p1')).json() as Patient;
      expect(patient.name![0]!.family).toBe('Quintero');
      expect(patient.identifier).toBeUndefined();
      expect(patient.meta!.tag!.some((t) => t.code === 'SUBSETTED')).toBe(true);
      expect((await req('food', 'GET', '/fhir/Observation/o1')).statusCode).toBe(404);
      // Closing the loop: they may update the referral addressed to them (accepting it first).
      const done = await req('food', 'PUT', '/fhir/Task/ref1', {
        ...(task.json() as object),
        status: 'accepted',
      });
      expect(done.statusCode).toBe(200);
    },
  );

  it.runIf(available)('an explicit assignment gives a colleague access to one patient', async () => {
    const colleague = await bearerFor(t.db.database, { role: 'social-worker' });
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/fhir/Patient/p1',
          headers: { authorization: colleague.authorization },
        })
      ).statusCode,
    ).toBe(404);
    const assigned = await req('coord', 'POST', '/api/assignments', {
      patientId: 'p1',
      userId: colleague.user.id,
    });
    expect(assigned.statusCode).toBe(201);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/fhir/Patient/p1',
          headers: { authorization: colleague.authorization },
        })
      ).statusCode,
    ).toBe(200);
    // Nobody assigns a patient they cannot reach themselves.
    expect(
      (await req('coord', 'POST', '/api/assignments', { patientId: 'p2', userId: colleague.user.id }))
        .statusCode,
    ).toBe(404);
  });

  it.runIf(available)('the audit chain verifies after all of the above', async () => {
    const res = await req('auditor', 'GET', '/audit/verify');
    expect(res.json().broken).toBeUndefined();
    expect(res.json().entries).toBeGreaterThan(20);
  });
});
