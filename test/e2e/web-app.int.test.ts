/**
 * The web app in Chromium against the real server (one server and one browser per database, a
 * generated population of 30 patients and the demo users):
 * - staff: a coordinator (whose home is the worklist) sees exactly the patients their session may see (a patient off their care
 *   teams is absent even when searched by name), opens a chart and the emergency-access dialog;
 * - portal, on a 390x844 phone: a patient sees only their own record (no staff navigation, 404 for
 *   anyone else's), in English and Spanish, and who viewed it; a caregiver sees whose record it is;
 * - administration: the admin enrols an authenticator and manages users; the privacy officer reads
 *   and verifies the audit trail.
 * Every page passes axe-core (no serious or critical violations); screenshots go to
 * test-artifacts/screenshots/. Runs on SQLite and PostgreSQL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { webDistDir } from '../../src/server/web.routes.js';
import { databaseTargets } from '../support/test-databases.js';
import {
  browserAvailable,
  browserSuite,
  expectAccessible,
  newPage,
  phone,
  screenshot,
} from './support/browser.js';
import { completeTotpSetup, e2eEnvironment, signIn, waitForLoaded } from './support/e2e-server.js';
import { recordTransfers, transferredBytes } from './support/transfer.js';

const haveBrowser = browserAvailable();

/**
 * The most JavaScript the sign-in page may transfer, as served (compressed, headers included). It was
 * 1,165 KB as one bundle; split by route, 169 KB (bench/results/web-transfer.md); the rest is room
 * for upgrades of React and Mantine, which every page needs.
 */
const SIGN_IN_SCRIPT_BUDGET = 200 * 1024;
/** Class names only recharts writes: how its code is recognised in a minified chunk. */
const chartCode = /recharts-(surface|wrapper)/;

interface PatientBundle {
  total?: number;
  entry?: { resource: { id: string; name?: { family?: string }[] } }[];
}

/** Every patient id the page's session may see, read through the API page by page. */
async function apiPatientIds(page: Page): Promise<string[]> {
  const answer = await page.request.get('/fhir/Patient?_count=1000&_sort=family&_total=accurate');
  expect(answer.status()).toBe(200);
  const bundle = (await answer.json()) as PatientBundle;
  return (bundle.entry ?? []).map((e) => e.resource.id);
}

/** The patient ids listed in the UI, following "Next" through every page. */
async function listedPatientIds(page: Page): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    await page.getByTestId('patient-row').first().waitFor();
    const pageIds = await page
      .getByTestId('patient-row')
      .locator('a[data-patient-id]')
      .evaluateAll((links) => links.map((a) => a.getAttribute('data-patient-id')!));
    ids.push(...pageIds);
    const next = page.getByRole('button', { name: 'Next page' });
    if ((await next.count()) === 0 || (await next.isDisabled())) return ids;
    const first = pageIds[0];
    await next.click();
    await expect
      .poll(() => page.locator('a[data-patient-id]').first().getAttribute('data-patient-id'))
      .not.toBe(first);
  }
}

interface SearchBundle {
  entry?: { resource: { id: string; code?: { text?: string; coding?: { display?: string }[] } } }[];
}

describe.each(databaseTargets)('web app on $name', browserSuite, ({ name, available }) => {
  const env = e2eEnvironment(name, available && haveBrowser);

  it.skipIf(!available || !haveBrowser)(
    'a coordinator sees exactly the patients their session may see, and not one off their care teams even by name',
    async () => {
      const { context, page } = await newPage(env.browser, env.server.baseURL);
      await expectAccessibleSignIn(page, name);
      await signIn(page, env.server.user('care-coordinator').email);
      // A coordinator's home is the worklist (test/e2e/workspace.int.test.ts); the patients are one link away.
      await expect.poll(() => page.getByRole('heading', { name: /^Worklist/, level: 1 }).count()).toBe(1);
      await page
        .getByRole('navigation', { name: 'Main navigation' })
        .getByRole('link', { name: 'Patients' })
        .click();
      await expect.poll(() => page.getByRole('heading', { name: 'Patients', level: 1 }).count()).toBe(1);
      await expect(page.getByTestId('user-name').textContent()).resolves.toBe(
        env.server.user('care-coordinator').name,
      );
      await expect(page.getByTestId('user-role').textContent()).resolves.toBe(
        'Care coordinator / case manager',
      );
      const nav = page.getByRole('navigation', { name: 'Main navigation' });
      await expect(nav.getByRole('link').allTextContents()).resolves.toEqual([
        'Worklist',
        'Patients',
        'Transitions',
        'My account',
      ]);

      const visible = await apiPatientIds(page);
      expect(visible.length).toBeGreaterThan(0);
      const listed = await listedPatientIds(page);
      expect([...listed].sort()).toEqual([...visible].sort());
      await expect(page.getByTestId('patient-count').textContent()).resolves.toContain(
        `of ${visible.length} patient`,
      );
      await screenshot(page, `${name}-coordinator-patients`);
      await expectAccessible(page, 'patient list');

      // A patient the coordinator may not see: in the store, absent from the API and from the page.
      const all = await env.server.db.database.db
        .selectFrom('resources')
        .select(['id', 'content'])
        .where('resource_type', '=', 'Patient')
        .where('deleted', '=', 0)
        .execute();
      expect(all.length).toBeGreaterThan(visible.length);
      const outsider = all.find((p) => !visible.includes(p.id))!;
      const family = (JSON.parse(outsider.content) as { name: { family: string }[] }).name[0].family;
      await page.getByRole('searchbox', { name: 'Search by name or MRN' }).fill(family);
      await expect.poll(() => page.getByTestId('patient-count').textContent()).toContain(family);
      const shownIds = await page
        .locator('a[data-patient-id]')
        .evaluateAll((links) => links.map((a) => a.getAttribute('data-patient-id')));
      expect(shownIds).not.toContain(outsider.id);
      const direct = await page.request.get(`/fhir/Patient/${outsider.id}`);
      expect(direct.status()).toBe(404);
      await context.close();
    },
  );

  it.skipIf(!available || !haveBrowser)(
    `the sign-in page on a phone transfers under ${SIGN_IN_SCRIPT_BUDGET / 1024} KB of JavaScript and no chart code: screens and charts load when shown`,
    async () => {
      const { context, page } = await newPage(env.browser, env.server.baseURL, phone);
      const recorder = recordTransfers(page);
      await page.goto('/');
      await page.getByRole('textbox', { name: 'Email' }).waitFor();
      await page.waitForLoadState('networkidle');
      const scripts = (await recorder.read()).filter((t) => t.type === 'script');
      const listing = scripts.map((t) => `${t.path} ${t.body} B ${t.encoding || 'uncompressed'}`).join('\n');
      expect(scripts.length, listing).toBeGreaterThan(0);
      expect(transferredBytes(scripts), listing).toBeLessThan(SIGN_IN_SCRIPT_BUDGET);
      const assets = join(webDistDir, 'assets');
      const source = (file: string) => readFileSync(join(assets, file), 'utf8');
      for (const t of scripts) expect(source(t.path.replace('/assets/', '')), t.path).not.toMatch(chartCode);
      // The marker does find the chart library in the build, so its absence above means something.
      expect(readdirSync(assets).filter((f) => f.endsWith('.js') && chartCode.test(source(f)))).not.toEqual(
        [],
      );
      await context.close();
    },
  );

  it.skipIf(!available || !haveBrowser)(
    'a coordinator opens a chart with its sections and the emergency-access dialog',
    async () => {
      const { context, page } = await newPage(env.browser, env.server.baseURL);
      await signIn(page, env.server.user('care-coordinator').email);
      await page.goto('/patients');
      const [firstId] = await apiPatientIds(page);
      const patient = (await (await page.request.get(`/fhir/Patient/${firstId}`)).json()) as {
        name: { given: string[]; family: string }[];
      };
      await page.locator(`a[data-patient-id="${firstId}"]`).click();
      await expect
        .poll(() => page.getByTestId('patient-name').textContent())
        .toBe([...patient.name[0].given, patient.name[0].family].join(' '));
      for (const section of [
        'Active problems',
        'Active medications',
        'Care team',
        'Recent encounters',
        'Recent observations',
      ])
        await expect(page.getByRole('heading', { name: section, level: 2 }).count()).resolves.toBe(1);
      // Every section finished loading: no skeleton left.
      await expect.poll(() => page.locator('.mantine-Skeleton-root').count()).toBe(0);
      await expect(page.getByTestId('care-team').getByRole('table').count()).resolves.toBe(1);
      await screenshot(page, `${name}-coordinator-chart`);
      await expectAccessible(page, 'patient chart');

      await page.getByRole('link', { name: '← Patients' }).click();
      await page.getByRole('button', { name: 'Emergency access (break-the-glass)' }).click();
      const dialog = page.getByRole('dialog', { name: 'Emergency access (break-the-glass)' });
      await expect(
        dialog.getByText('The privacy officer reviews every emergency access.').count(),
      ).resolves.toBe(1);
      await dialog.getByRole('button', { name: 'Open the record' }).click();
      await expect(dialog.getByText('Write at least 10 characters').count()).resolves.toBe(1);
      await screenshot(page, `${name}-break-glass-dialog`);
      await expectAccessible(page, 'break-glass dialog');

      // With an MRN and a reason, a patient off the coordinator's teams opens, marked as emergency access.
      const visible = await apiPatientIds(page);
      const outsider = (
        await env.server.db.database.db
          .selectFrom('resources')
          .select(['id', 'content'])
          .where('resource_type', '=', 'Patient')
          .execute()
      ).find((p) => !visible.includes(p.id))!;
      const record = JSON.parse(outsider.content) as {
        identifier: { value: string }[];
        name: { given: string[]; family: string }[];
      };
      await dialog.getByRole('textbox', { name: 'Patient MRN' }).fill(record.identifier[0].value);
      await dialog
        .getByRole('textbox', { name: 'Reason' })
        .fill('Unconscious in the emergency room, no team reachable');
      await dialog.getByRole('button', { name: 'Open the record' }).click();
      await expect
        .poll(() => page.getByTestId('patient-name').textContent())
        .toBe([...record.name[0].given, record.name[0].family].join(' '));
      await expect(page.getByRole('status').filter({ hasText: 'emergency access' }).count()).resolves.toBe(1);
      await context.close();
    },
  );

  it.skipIf(!available || !haveBrowser)(
    'a patient on a phone sees only their own record, no staff navigation, and 404 for anyone else',
    async () => {
      const me = env.server.user('patient');
      const ownId = me.resource!.split('/')[1];
      const { context, page } = await newPage(env.browser, env.server.baseURL, phone);
      await signIn(page, me.email);
      await expect.poll(() => page.getByRole('heading', { name: 'My health', level: 1 }).count()).toBe(1);
      await waitForLoaded(page);

      const links = await page.getByRole('link').allTextContents();
      for (const staffOnly of ['Patients', 'Users', 'Audit']) expect(links).not.toContain(staffOnly);
      expect(links).toEqual(expect.arrayContaining(['My health', 'Who viewed my record']));

      // The conditions shown are this patient's active ones, as the API gives them.
      const conditions = (await (
        await page.request.get(`/fhir/Condition?patient=${ownId}&clinical-status=active&_count=100`)
      ).json()) as SearchBundle;
      const expected = (conditions.entry ?? []).map(
        (e) => e.resource.code?.text ?? e.resource.code?.coding?.[0]?.display,
      );
      const shown = await page.getByTestId('my-conditions').locator('li p:first-child').allTextContents();
      expect(shown.sort()).toEqual([...expected].sort());

      // The API agrees: one patient visible, and another patient's record does not exist for them.
      const search = (await (await page.request.get('/fhir/Patient?_count=100')).json()) as SearchBundle;
      expect((search.entry ?? []).map((e) => e.resource.id)).toEqual([ownId]);
      const other = await env.server.db.database.db
        .selectFrom('resources')
        .select('id')
        .where('resource_type', '=', 'Patient')
        .where('id', '!=', ownId)
        .executeTakeFirstOrThrow();
      expect((await page.request.get(`/fhir/Patient/${other.id}`)).status()).toBe(404);

      // 44 px touch targets on the phone.
      for (const button of await page.getByRole('button').all()) {
        const box = await button.boundingBox();
        if (box) expect(box.height, (await button.textContent()) ?? '').toBeGreaterThanOrEqual(44);
      }
      await screenshot(page, `${name}-portal-my-health`);
      await expectAccessible(page, 'portal: my health');

      await page.getByRole('button', { name: 'Español' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Mi salud', level: 1 }).count()).toBe(1);
      await expect(page.evaluate('document.documentElement.lang')).resolves.toBe('es');
      await screenshot(page, `${name}-portal-my-health-es`);
      await expectAccessible(page, 'portal: my health (Spanish)');

      await page.getByRole('link', { name: 'Quién vio mi expediente' }).click();
      await expect
        .poll(() => page.getByRole('heading', { name: 'Quién vio mi expediente', level: 1 }).count())
        .toBe(1);
      await waitForLoaded(page);
      await page.getByRole('button', { name: 'English' }).click();
      await expect
        .poll(() => page.getByRole('heading', { name: 'Who viewed my record', level: 1 }).count())
        .toBe(1);
      await screenshot(page, `${name}-portal-access-log`);
      await expectAccessible(page, 'portal: who viewed my record');
      await context.close();
    },
  );

  it.skipIf(!available || !haveBrowser)('a caregiver sees whose record they are viewing', async () => {
    const caregiver = env.server.user('caregiver');
    const patient = env.server.user('patient');
    const { context, page } = await newPage(env.browser, env.server.baseURL, phone);
    await signIn(page, caregiver.email);
    const viewing = page.getByRole('combobox', { name: 'Viewing the record of:' });
    await expect.poll(() => viewing.count()).toBe(1);
    await expect(viewing.locator('option:checked').textContent()).resolves.toContain(patient.name);
    await expect
      .poll(() => page.getByText(`This is a short summary of the health record of ${patient.name}.`).count())
      .toBe(1);
    await waitForLoaded(page);
    await screenshot(page, `${name}-portal-caregiver`);
    await expectAccessible(page, 'portal: caregiver');
    await context.close();
  });

  it.skipIf(!available || !haveBrowser)(
    'an admin sets up the authenticator, sees Users and creates one',
    async () => {
      const { context, page } = await newPage(env.browser, env.server.baseURL);
      await signIn(page, env.server.user('admin').email);
      await expect
        .poll(() => page.getByRole('heading', { name: 'Set up your authenticator app' }).count())
        .toBe(1);
      await screenshot(page, `${name}-admin-totp-setup`);
      await expectAccessible(page, 'authenticator set-up');
      await completeTotpSetup(page);

      await expect.poll(() => page.getByRole('heading', { name: 'Users', level: 1 }).count()).toBe(1);
      const nav = page.getByRole('navigation', { name: 'Main navigation' });
      await expect(nav.getByRole('link').allTextContents()).resolves.toEqual([
        'Users',
        'Audit',
        'HL7 feed',
        'My account',
      ]);
      await expect.poll(() => page.getByTestId('user-row').count()).toBe(env.server.users.length);
      await screenshot(page, `${name}-admin-users`);
      await expectAccessible(page, 'users');

      await page.getByRole('button', { name: 'Create user' }).click();
      const dialog = page.getByRole('dialog', { name: 'Create user' });
      await dialog.getByRole('textbox', { name: 'Name' }).fill('Robin Case');
      // An email already in use: the server's reason is shown in the dialog, and no one is created.
      await dialog.getByRole('textbox', { name: 'Email' }).fill(env.server.user('nurse').email);
      await dialog.getByRole('combobox', { name: 'Role' }).selectOption({ label: 'Nurse' });
      await dialog.getByRole('button', { name: 'Create user' }).click();
      await expect
        .poll(() => dialog.getByRole('alert').textContent())
        .toContain('a user with this email already exists');
      await expect(dialog.getByRole('button', { name: 'Create user' }).isEnabled()).resolves.toBe(true);
      await dialog.getByRole('textbox', { name: 'Email' }).fill('robin.case@example.org');
      await expectAccessible(page, 'create user dialog');
      await dialog.getByRole('button', { name: 'Create user' }).click();
      const secret = page
        .getByRole('dialog', { name: 'User created' })
        .getByRole('textbox', { name: 'Temporary password' });
      await expect
        .poll(async () => (await secret.count()) && (await secret.inputValue()).length)
        .toBeGreaterThan(8);
      await screenshot(page, `${name}-admin-user-created`);
      await page.getByRole('button', { name: 'Done' }).click();
      await expect.poll(() => page.getByTestId('user-row').count()).toBe(env.server.users.length + 1);

      // My account: a wrong current password is refused with the server's reason, and nothing changes.
      await nav.getByRole('link', { name: 'My account' }).click();
      await page.getByLabel('Current password').fill('not-my-password-at-all');
      await page.getByLabel('New password').fill('a-new-and-long-passphrase');
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toContain('is not your current password');
      await expect(
        page.getByRole('status').filter({ hasText: 'Your password is changed' }).count(),
      ).resolves.toBe(0);
      await context.close();
    },
  );

  it.skipIf(!available || !haveBrowser)(
    'the privacy officer sees the audit trail and verifies the chain',
    async () => {
      const { context, page } = await newPage(env.browser, env.server.baseURL);
      await signIn(page, env.server.user('auditor').email);
      await completeTotpSetup(page);
      await expect.poll(() => page.getByRole('heading', { name: 'Audit trail', level: 1 }).count()).toBe(1);
      const nav = page.getByRole('navigation', { name: 'Main navigation' });
      await expect(nav.getByRole('link').allTextContents()).resolves.toEqual(['Audit', 'My account']);
      await expect.poll(() => page.getByTestId('audit-row').count()).toBeGreaterThan(0);
      // The sign-in just made is on the trail.
      await expect(
        page.getByTestId('audit-row').filter({ hasText: 'sign-in' }).count(),
      ).resolves.toBeGreaterThan(0);

      await page.getByRole('textbox', { name: 'Action' }).fill('sign-in');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await expect
        .poll(async () =>
          (await page.getByTestId('audit-row').locator('td:nth-child(4)').allTextContents()).every(
            (a) => a === 'sign-in',
          ),
        )
        .toBe(true);

      await page.getByRole('button', { name: 'Verify chain' }).click();
      await expect
        .poll(() => page.getByTestId('verify-result').textContent())
        .toContain('The audit chain is intact');
      await screenshot(page, `${name}-auditor-audit`);
      await expectAccessible(page, 'audit trail');
      await context.close();
    },
  );
});

async function expectAccessibleSignIn(page: Page, name: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('textbox', { name: 'Email' }).waitFor();
  await screenshot(page, `${name}-sign-in`);
  await expectAccessible(page, 'sign-in page');
}
