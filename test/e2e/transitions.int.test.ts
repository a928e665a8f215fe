import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { hl7Timestamp } from '../../src/integrations/hl7/ack.js';
import { adtMessage } from '../../src/modules/transitions/adt-fixture.js';
import { bearerFor } from '../support/identity.js';
import { databaseTargets } from '../support/test-databases.js';
import { browserAvailable, browserSuite, expectAccessible, newPage, screenshot } from './support/browser.js';
import { completeTotpSetup, e2eEnvironment, NOW, signIn, waitForLoaded } from './support/e2e-server.js';

const haveBrowser = browserAvailable();
const DAY = 86_400_000;

interface PatientResource {
  id: string;
  name?: { family?: string; given?: string[] }[];
  birthDate?: string;
  gender?: string;
  identifier?: { system?: string; value?: string }[];
}

describe.each(databaseTargets)('care transitions on $name', browserSuite, ({ name, available }) => {
  const env = e2eEnvironment(name, available && haveBrowser);

  /** Sends one message as the hospital's interface engine would over HTTP; returns the ACK text. */
  async function send(message: string): Promise<string> {
    const { authorization } = await bearerFor(env.server.db.database, { role: 'integration' });
    const res = await fetch(`${env.server.baseURL}/hl7/v2`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'x-application/hl7-v2+er7' },
      body: message,
    });
    expect(res.status).toBe(200);
    return res.text();
  }

  /** A patient on the coordinator's care team (the demo patient's), as the hospital's PID knows them. */
  async function demoPatientForHospital(page: Page) {
    const patientRef = env.server.user('patient').resource!;
    const patient = (await (await page.request.get(`/fhir/${patientRef}`)).json()) as PatientResource;
    const mrn = patient.identifier!.find((i) => i.system === 'http://careloop.example/mrn')!.value!;
    const family = patient.name![0]!.family!;
    const given = patient.name![0]!.given![0]!;
    const pid = {
      mrn,
      authority: 'CARELOOP',
      name: `${family}^${given}`,
      birthDate: patient.birthDate!.replace(/-/g, ''),
      sex: patient.gender === 'female' ? 'F' : 'M',
    };
    return { patientRef, pid, family };
  }

  it.skipIf(!available || !haveBrowser)(
    'a discharge from the ADT feed reaches the coordinator: notification, board with deadlines and LACE, contact recorded, medications reconciled',
    async () => {
      const coordinator = env.server.user('care-coordinator');
      const { context, page } = await newPage(env.browser, env.server.baseURL);
      await page.clock.setFixedTime(NOW);
      await signIn(page, coordinator.email);
      await expect.poll(() => page.getByRole('heading', { name: /^Worklist/, level: 1 }).count()).toBe(1);

      const { patientRef, pid, family } = await demoPatientForHospital(page);
      const admitAt = hl7Timestamp(new Date(NOW.getTime() - 5 * DAY), 'UTC');
      const dischargeAt = hl7Timestamp(new Date(NOW.getTime() - DAY), 'UTC');
      const visit = `E2E-${name}`;
      expect(await send(adtMessage('A01', { patient: pid, visit, admitAt }))).toContain('MSA|AA');
      expect(
        await send(
          adtMessage('A03', {
            patient: pid,
            visit,
            admitAt,
            dischargeAt,
            disposition: '01',
            sentAt: dischargeAt,
          }),
        ),
      ).toContain('MSA|AA');

      // The discharge is announced to the care team.
      await page.reload();
      await expect
        .poll(() => page.getByTestId('notifications-button').textContent(), { timeout: 15_000 })
        .toMatch(/unread|\d/);
      await page.getByTestId('notifications-button').click();
      await expect
        .poll(() =>
          page
            .getByTestId('notification')
            .filter({ hasText: /discharg/i })
            .count(),
        )
        .toBeGreaterThan(0);
      await screenshot(page, `${name}-notifications`);
      await page.keyboard.press('Escape');

      // The board: the patient's discharge with three deadlines counting down and the LACE score.
      await page
        .getByRole('navigation', { name: 'Main navigation' })
        .getByRole('link', { name: 'Transitions' })
        .click();
      await expect.poll(() => page.getByRole('heading', { name: 'Transitions', level: 1 }).count()).toBe(1);
      await waitForLoaded(page);
      const row = page.getByTestId('transition-row').filter({ hasText: family });
      await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
      await expect(row.getByTestId('countdown').count()).resolves.toBe(3);
      // Discharged Sunday: the contact is due by the end of Tuesday (2 business days), the visit by day 7 or 14.
      await expect(row.getByTestId('deadline-tcm-interactive-contact').textContent()).resolves.toMatch(
        /due in 1 d/,
      );
      await expect(row.getByTestId('risk-lace').textContent()).resolves.toMatch(/LACE \d+/);
      await screenshot(page, `${name}-transitions-board`);
      await expectAccessible(page, 'transitions board');

      // The transition: every LACE factor with its points; a call that reached the patient.
      await row.getByRole('button', { name: /Details/ }).click();
      const detail = page.getByTestId('transition-detail');
      await expect.poll(() => detail.count(), { timeout: 15_000 }).toBe(1);
      await expect(detail.getByTestId('factors-lace').locator('tbody tr').count()).resolves.toBe(4);
      await detail.getByRole('combobox', { name: 'Outcome' }).selectOption('reached');
      await detail.getByRole('textbox', { name: 'Note' }).fill('Spoke with the patient; follow-up booked');
      await detail.getByRole('button', { name: 'Record attempt' }).click();
      await expect.poll(() => detail.getByTestId('contact-attempts').locator('tr').count()).toBe(1);
      await expect
        .poll(() => row.getByTestId('deadline-tcm-interactive-contact').textContent(), { timeout: 15_000 })
        .toContain('Completed');
      await screenshot(page, `${name}-transition-detail`);
      await expectAccessible(page, 'transition detail');

      // Medication reconciliation: the coordinator follows it; the pharmacist resolves the lines.
      await detail.getByRole('link', { name: 'Reconcile' }).click();
      await expect
        .poll(() => page.getByRole('heading', { name: 'Medication reconciliation' }).count())
        .toBe(1);
      await expect
        .poll(() => page.getByTestId('reconciliation-progress').count(), { timeout: 15_000 })
        .toBe(1);
      await expect(page.getByTestId('reconciliation-read-only').count()).resolves.toBe(1);
      const reconciliationPath = new URL(page.url()).pathname;
      await context.close();

      // The demo pharmacist joins the patient's care team (as the coordinator would on the team screen).
      const pharmacist = env.server.user('pharmacist');
      const team = (await env.server.store.search('CareTeam', [['subject', patientRef]], '')).entry![0]!
        .resource as { id: string; participant?: unknown[] };
      await env.server.store.update('CareTeam', team.id, {
        ...team,
        participant: [...(team.participant ?? []), { member: { reference: pharmacist.resource } }],
      } as never);
      const second = await newPage(env.browser, env.server.baseURL);
      await second.page.clock.setFixedTime(NOW);
      await signIn(second.page, pharmacist.email);
      await second.page.goto(reconciliationPath);
      await expect
        .poll(() => second.page.getByTestId('reconciliation-progress').count(), { timeout: 15_000 })
        .toBe(1);
      const lines = second.page.getByTestId('reconciliation-line');
      // The demo patient takes medicines and none are on the (empty) discharge list: each is a line.
      await expect.poll(() => lines.count()).toBeGreaterThan(0);
      const total = await lines.count();
      await lines.first().getByRole('button', { name: 'Resolve' }).click();
      await expect.poll(() => lines.first().getByTestId('line-resolution').count()).toBe(1);
      await expect(second.page.getByTestId('reconciliation-progress').textContent()).resolves.toBe(
        `1 of ${total} lines resolved`,
      );
      await screenshot(second.page, `${name}-medication-reconciliation`);
      await expectAccessible(second.page, 'medication reconciliation');
      await second.context.close();
    },
  );

  it.skipIf(!available || !haveBrowser)(
    'the header shows the whole unread count, one digit or two, on a desktop and a phone',
    async () => {
      const { context, page } = await newPage(env.browser, env.server.baseURL);
      await page.clock.setFixedTime(NOW);
      await signIn(page, env.server.user('care-coordinator').email);
      await expect.poll(() => page.getByRole('heading', { name: /^Worklist/, level: 1 }).count()).toBe(1);
      // Start from nothing unread: what earlier tests announced is read.
      const { csrfToken } = (await (await page.request.get('/auth/session')).json()) as { csrfToken: string };
      const unread = async () =>
        (
          (await (await page.request.get('/api/notifications?unread=true')).json()) as {
            notifications: { id: string }[];
          }
        ).notifications;
      for (const n of await unread())
        await page.request.post(`/api/notifications/${n.id}/read`, {
          headers: { 'x-csrf-token': csrfToken },
        });
      expect(await unread()).toEqual([]);

      // Admissions of a patient on the coordinator's team, one visit after another, until the unread
      // count reaches one digit, then two (an admission soon after a discharge also says readmission).
      const { pid } = await demoPatientForHospital(page);
      let visit = 0;
      const admitUntil = async (atLeast: number) => {
        while ((await unread()).length < atLeast) {
          visit += 1;
          const ack = await send(
            adtMessage('A01', {
              patient: pid,
              visit: `BADGE-${name}-${visit}`,
              admitAt: hl7Timestamp(new Date(NOW.getTime() - visit * 3_600_000), 'UTC'),
            }),
          );
          expect(ack).toContain('MSA|AA');
        }
        return (await unread()).length;
      };
      const badge = page.getByTestId('notifications-button').getByTestId('unread-count');
      for (const [atLeast, digits] of [
        [1, 1],
        [10, 2],
      ] as const) {
        const count = String(await admitUntil(atLeast));
        expect(count).toHaveLength(digits);
        await page.reload();
        await expect.poll(() => badge.textContent(), { timeout: 15_000 }).toBe(count);
        await waitForLoaded(page);
        // Checks the badge, and every other word on the page, at 1280 and at 390 px.
        await screenshot(page, `${name}-notification-badge-${digits}-digit`);
      }
      await context.close();
    },
  );

  it.skipIf(!available || !haveBrowser)(
    'the administrator sees a rejected HL7 message with the field its acknowledgement named',
    async () => {
      const ack = await send(adtMessage('A01', { patient: { mrn: '' }, visit: 'E2E-BAD' }));
      expect(ack).toMatch(/MSA\|A[ER]/);
      expect(ack).toContain('PID');
      const { context, page } = await newPage(env.browser, env.server.baseURL);
      await page.clock.setFixedTime(NOW);
      await signIn(page, env.server.user('admin').email);
      await completeTotpSetup(page);
      await expect.poll(() => page.getByRole('heading', { name: 'Users', level: 1 }).count()).toBe(1);
      await page
        .getByRole('navigation', { name: 'Main navigation' })
        .getByRole('link', { name: 'HL7 feed' })
        .click();
      await expect.poll(() => page.getByRole('heading', { name: 'HL7 feed', level: 1 }).count()).toBe(1);
      await waitForLoaded(page);
      const failed = page.getByTestId('hl7-message').filter({ hasText: 'PID-3' });
      await expect.poll(() => failed.count(), { timeout: 15_000 }).toBeGreaterThan(0);
      await screenshot(page, `${name}-hl7-feed`);
      await expectAccessible(page, 'HL7 feed');
      await context.close();
    },
  );
});
