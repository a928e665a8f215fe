/**
 * The coordinator workspace in Chromium against the real server (one server and one browser per
 * database, 30 generated patients and the demo users). A coordinator signs in to their worklist, which
 * fills live as tasks are created for their patients; moves with j/k, opens the patient beside the
 * list, reads a rank's explanation, completes a task with "c" (it leaves the list), reassigns two in
 * bulk; opens the chart, creates a plan from the diabetes template and sees the goal chart with its
 * table for screen readers; completes a task from its page. Every page passes axe-core; screenshots
 * go to test-artifacts/screenshots/. Runs on SQLite and PostgreSQL.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/test-databases.js';
import { browserAvailable, browserSuite, expectAccessible, newPage, screenshot } from './support/browser.js';
import { e2eEnvironment, NOW, signIn, waitForLoaded } from './support/e2e-server.js';

const haveBrowser = browserAvailable();
const DAY = 86_400_000;

/** A JSON request with the page's session and its CSRF token, as the app itself sends it. */
async function api<T>(page: Page, method: 'GET' | 'POST', path: string, data?: unknown): Promise<T> {
  const session = (await (await page.request.get('/auth/session')).json()) as { csrfToken: string };
  const answer = await page.request.fetch(path, {
    method,
    headers: { 'x-csrf-token': session.csrfToken },
    ...(data === undefined ? {} : { data }),
  });
  expect(answer.status(), `${method} ${path}: ${await answer.text()}`).toBeLessThan(300);
  return (await answer.json()) as T;
}

interface Bundle {
  entry?: { resource: { id: string; subject?: { reference?: string } } }[];
}

/** The coordinator's patients with HbA1c results: the diabetes plan's goal chart has a series. */
async function patientWithHba1c(page: Page): Promise<string> {
  const visible = new Set(
    ((await api<Bundle>(page, 'GET', '/fhir/Patient?_count=1000')).entry ?? []).map((e) => e.resource.id),
  );
  const results = await api<Bundle>(page, 'GET', '/fhir/Observation?code=http://loinc.org|4548-4&_count=500');
  const counts = new Map<string, number>();
  for (const e of results.entry ?? []) {
    const id = e.resource.subject?.reference?.split('/')[1];
    if (id && visible.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const best = [...counts].sort((a, b) => b[1] - a[1])[0];
  expect(best, 'a visible patient with HbA1c results').toBeDefined();
  return best![0];
}

describe.each(databaseTargets)('coordinator workspace on $name', browserSuite, ({ name, available }) => {
  const env = e2eEnvironment(name, available && haveBrowser);

  it.skipIf(!available || !haveBrowser)(
    'a coordinator works the worklist: live rows, j/k, the patient beside the list, rank, complete with c, bulk reassign',
    async () => {
      const coordinator = env.server.user('care-coordinator');
      const { context, page } = await newPage(env.browser, env.server.baseURL);
      // The browser's clock agrees with the server's fixed one, so "in 2 d" means the same to both.
      await page.clock.setFixedTime(NOW);
      await signIn(page, coordinator.email);
      await expect.poll(() => page.getByRole('heading', { name: /^Worklist/, level: 1 }).count()).toBe(1);
      const nav = page.getByRole('navigation', { name: 'Main navigation' });
      await expect(nav.getByRole('link').allTextContents()).resolves.toEqual([
        'Worklist',
        'Patients',
        'Transitions',
        'My account',
      ]);
      await expect.poll(() => page.getByTestId('worklist-count').textContent()).not.toContain('Loading');
      const before = await page.getByTestId('worklist-row').count();
      if (before === 0) {
        await expect(page.getByTestId('worklist-empty').textContent()).resolves.toContain('Claimable');
        await screenshot(page, `${name}-worklist-empty`);
      }

      // Tasks for three of the coordinator's patients, made through the API as the coordinator would.
      const patients = (
        (await api<Bundle>(page, 'GET', '/fhir/Patient?_count=3&_sort=family')).entry ?? []
      ).map((e) => e.resource.id);
      const plan: { title: string; priority: string; due: number }[] = [
        { title: 'Call after discharge', priority: 'urgent', due: -3 },
        { title: 'Review medications', priority: 'routine', due: 0.3 },
        { title: 'Schedule diabetes education', priority: 'routine', due: 2 },
        { title: 'Confirm transport for visit', priority: 'asap', due: 1 },
      ];
      const created: string[] = [];
      for (const [i, t] of plan.entries()) {
        const { task } = await api<{ task: { id: string } }>(page, 'POST', '/api/tasks', {
          patientId: patients[i % patients.length],
          title: t.title,
          priority: t.priority,
          dueAt: new Date(NOW.getTime() + t.due * DAY).toISOString(),
          owner: coordinator.resource,
          reason: 'Follow-up agreed at the team huddle',
        });
        created.push(task.id);
      }
      // The list fills without a reload: the event stream (or the 30 s poll) brings them in.
      await expect
        .poll(() => page.getByTestId('worklist-row').count(), { timeout: 40_000 })
        .toBe(before + plan.length);
      await waitForLoaded(page);
      const overdue = page.locator(`[data-task-id="${created[0]}"]`);
      await expect(overdue.textContent()).resolves.toContain('3 d overdue');
      await screenshot(page, `${name}-worklist`);
      await expectAccessible(page, 'worklist');

      // j/k move the active row.
      await page.locator('body').click({ position: { x: 5, y: 300 } });
      const activeIndex = () =>
        page
          .getByTestId('worklist-row')
          .evaluateAll((rows) => rows.findIndex((r) => r.hasAttribute('data-active')));
      await expect(activeIndex()).resolves.toBe(0);
      await page.keyboard.press('j');
      await page.keyboard.press('j');
      await expect.poll(activeIndex).toBe(2);
      await page.keyboard.press('k');
      await expect.poll(activeIndex).toBe(1);

      // Enter opens the patient beside the list; the list stays.
      await page.keyboard.press('Enter');
      const panel = page.getByTestId('patient-panel');
      await expect.poll(() => panel.count()).toBe(1);
      const activeRow = page.getByTestId('worklist-row').nth(1);
      const rowPatient = (await activeRow.getByTestId('worklist-patient').textContent())!;
      await expect.poll(() => panel.getByTestId('panel-patient-name').textContent()).toBe(rowPatient);
      await waitForLoaded(page);
      await expect(page.getByTestId('worklist-row').count()).resolves.toBe(before + plan.length);
      await screenshot(page, `${name}-worklist-panel`);
      await expectAccessible(page, 'worklist with the patient panel');

      // The rank's explanation is one click away.
      await page.getByTestId('worklist-row').first().getByTestId('rank-button').click();
      const explanation = page.getByTestId('rank-explanation');
      await expect.poll(() => explanation.count()).toBe(1);
      await expect(explanation.textContent()).resolves.toMatch(/Rank \d+/);
      await screenshot(page, `${name}-worklist-rank`);
      await page.keyboard.press('Escape');

      // c completes the active row: it leaves the list, and the server has it completed.
      const row = page.getByTestId('worklist-row').nth(1);
      const taskId = (await row.getAttribute('data-task-id'))!;
      await row.locator('td').nth(3).click();
      await page.keyboard.press('c');
      await expect.poll(() => page.locator(`[data-task-id="${taskId}"]`).count()).toBe(0);
      await expect
        .poll(
          async () =>
            (await api<{ task: { status: string } }>(page, 'GET', `/api/tasks/${taskId}`)).task.status,
        )
        .toBe('completed');
      await expect(page.getByTestId('worklist-notice').textContent()).resolves.toContain('Completed');

      // Bulk: select two rows, reassign them to me (the coordinator) with a reason.
      const rows = page.getByTestId('worklist-row');
      await rows.nth(0).getByRole('checkbox').check();
      await rows.nth(1).getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Reassign selected' }).click();
      const dialog = page.getByRole('dialog', { name: 'Reassign 2 tasks' });
      await dialog
        .getByRole('combobox', { name: 'New owner' })
        .selectOption({ value: coordinator.resource! });
      await expectAccessible(page, 'reassign dialog');
      await dialog.getByRole('button', { name: 'Reassign' }).click();
      await expect
        .poll(() => page.getByTestId('worklist-notice').textContent())
        .toContain('Reassigned 2 tasks');
      await context.close();
    },
  );

  it.skipIf(!available || !haveBrowser)(
    'a coordinator creates a plan from the diabetes template, sees the goal chart, and completes a task on its page',
    async () => {
      const coordinator = env.server.user('care-coordinator');
      const { context, page } = await newPage(env.browser, env.server.baseURL);
      await page.clock.setFixedTime(NOW);
      await signIn(page, coordinator.email);
      await expect.poll(() => page.getByRole('heading', { name: /^Worklist/, level: 1 }).count()).toBe(1);
      const patientId = await patientWithHba1c(page);

      await page.goto(`/patients/${patientId}`);
      await expect.poll(() => page.getByTestId('patient-name').count()).toBe(1);
      await waitForLoaded(page);
      await expect(page.getByTestId('lead-coordinator').textContent()).resolves.not.toBe('…');
      await page.getByRole('link', { name: 'New care plan' }).click();
      await expect
        .poll(() => page.getByRole('heading', { name: /^New care plan for/, level: 1 }).count())
        .toBe(1);
      await page
        .getByRole('radio', { name: /diabetes/i })
        .first()
        .check();
      await expect.poll(() => page.getByTestId('template-preview').count()).toBe(1);
      await expect(page.getByTestId('template-preview').textContent()).resolves.toContain('HbA1c');
      await page
        .getByRole('textbox', { name: 'What matters to the patient' })
        .fill('Keep working as a bus driver');
      await page.getByRole('textbox', { name: 'Barriers' }).fill('Night shifts');
      await page.getByRole('checkbox', { name: /agreed to this plan/ }).check();
      await screenshot(page, `${name}-care-plan-new`);
      await expectAccessible(page, 'new care plan');
      await page.getByRole('button', { name: 'Create care plan' }).click();

      // Back on the chart: the plan, its HbA1c goal with a chart and the same numbers as a table.
      await expect
        .poll(() => page.getByTestId('care-plan-title').count(), { timeout: 15_000 })
        .toBeGreaterThan(0);
      await waitForLoaded(page);
      await expect(page.getByTestId('care-plan-title').first().textContent()).resolves.toMatch(/diabetes/i);
      const goal = page.getByTestId('goal').filter({ hasText: 'HbA1c' }).first();
      await expect.poll(() => goal.getByTestId('goal-chart').locator('svg').count()).toBeGreaterThan(0);
      await expect(goal.getByTestId('goal-table').locator('tbody tr').count()).resolves.toBeGreaterThan(0);
      await expect(goal.getByTestId('goal-explanation').textContent()).resolves.not.toBe('');
      await screenshot(page, `${name}-chart-care-plan`);
      await expectAccessible(page, 'chart with care plan');

      // The goal's target is edited with a reason: a new version, and the card shows the new target.
      await page
        .getByTestId('goal-card')
        .filter({ hasText: 'HbA1c' })
        .first()
        .getByRole('button', { name: /Edit goal/ })
        .click();
      const dialog = page.getByRole('dialog', { name: 'Edit goal' });
      await dialog.getByRole('textbox', { name: /^Below/ }).fill('7.5');
      await dialog
        .getByRole('textbox', { name: /Reason for the change/ })
        .fill('Individual target relaxed: hypoglycaemia risk');
      await expectAccessible(page, 'edit goal dialog');
      await dialog.getByRole('button', { name: 'Save goal' }).click();
      await expect.poll(() => dialog.count()).toBe(0);
      await expect
        .poll(() => page.getByTestId('goal-card').filter({ hasText: 'HbA1c' }).first().textContent())
        .toContain('7.5');

      // A task the plan created, completed from its page (accept, then complete).
      await expect.poll(() => page.getByTestId('chart-task').count()).toBeGreaterThan(0);
      await page.getByTestId('chart-task').first().getByRole('link').click();
      await expect.poll(() => page.getByTestId('task-title').count()).toBe(1);
      await waitForLoaded(page);
      const actions = page.getByRole('group', { name: 'Actions' });
      if ((await actions.getByRole('button', { name: 'Complete', exact: true }).count()) === 0)
        await actions.getByRole('button', { name: 'Accept' }).click();
      await actions.getByRole('button', { name: 'Complete', exact: true }).click();
      await expect.poll(() => page.getByTestId('task-status').first().textContent()).toContain('Completed');
      await expect
        .poll(() => page.getByTestId('task-history').locator('tbody tr').count())
        .toBeGreaterThan(1);
      await page.getByRole('textbox', { name: 'Add a note' }).fill('Patient confirmed by phone');
      await page.getByRole('button', { name: 'Add note' }).click();
      await expect
        .poll(() => page.getByTestId('task-notes').textContent())
        .toContain('Patient confirmed by phone');
      await screenshot(page, `${name}-task-detail`);
      await expectAccessible(page, 'task detail');
      await context.close();
    },
  );
});
