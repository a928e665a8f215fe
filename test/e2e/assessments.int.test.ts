/**
 * Assessments in Chromium against the real server (SQLite and PostgreSQL): a patient completes a
 * PHQ-9 on a phone-sized screen in the portal, reporting thoughts of self-harm on item 9 (the crisis
 * line is shown at once); the coordinator opens the patient's chart and sees the score with its
 * factors, the PHQ-9 trend and the urgent same-day task the answer created. Staff complete a GAD-7
 * from the chart. Every page passes axe-core; screenshots go to test-artifacts/screenshots/.
 */
import { readFileSync } from 'node:fs';
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/test-databases.js';
import {
  browserAvailable,
  browserSuite,
  expectAccessible,
  newPage,
  phone,
  screenshot,
} from './support/browser.js';
import { e2eEnvironment, NOW, signIn, waitForLoaded } from './support/e2e-server.js';

const haveBrowser = browserAvailable();

/**
 * Answers every question of the form shown: `choice` picks the option with that label where there is
 * one, else the first. Repeats until no question is left (answers can enable more questions).
 */
async function answerAll(form: Locator, choice: string): Promise<number> {
  const answered = new Set<number>();
  for (let pass = 0; pass < 5; pass++) {
    const groups = form.getByRole('radiogroup');
    const count = await groups.count();
    let progressed = false;
    for (let i = 0; i < count; i++) {
      if (answered.has(i)) continue;
      const group = groups.nth(i);
      const preferred = group.getByRole('radio', { name: choice, exact: true });
      await ((await preferred.count()) > 0 ? preferred : group.getByRole('radio').first()).check();
      answered.add(i);
      progressed = true;
    }
    if (!progressed) break;
  }
  return answered.size;
}

describe.each(databaseTargets)('assessments on $name', browserSuite, ({ name, available }) => {
  const env = e2eEnvironment(name, available && haveBrowser);

  it.skipIf(!available || !haveBrowser)(
    'a patient completes a PHQ-9 on a phone; the coordinator sees the urgent task, the score with its factors and the trend',
    async () => {
      const patientUser = env.server.user('patient');
      const patientId = patientUser.resource!.split('/')[1]!;
      const mobile = await newPage(env.browser, env.server.baseURL, phone);
      await mobile.page.clock.setFixedTime(NOW);
      await signIn(mobile.page, patientUser.email);
      await expect
        .poll(() => mobile.page.getByRole('heading', { name: 'My health', level: 1 }).count())
        .toBe(1);
      await mobile.page
        .getByRole('navigation', { name: 'Menu' })
        .getByRole('link', { name: 'Questions' })
        .click();
      await mobile.page
        .getByRole('combobox', { name: 'Choose a questionnaire' })
        .selectOption({ label: 'PHQ-9' });
      const form = mobile.page.getByTestId('questionnaire-form');
      await expect.poll(() => form.getByRole('radiogroup').count(), { timeout: 15_000 }).toBeGreaterThan(8);
      // Sending with nothing answered names what is missing, and sends nothing.
      await form.getByRole('button', { name: 'Send my answers' }).click();
      await expect.poll(() => mobile.page.getByTestId('questionnaire-error').count()).toBe(1);
      expect(await answerAll(form, 'Several days')).toBeGreaterThanOrEqual(9);
      await screenshot(mobile.page, `${name}-portal-phq9`);
      await expectAccessible(mobile.page, 'portal PHQ-9 form');
      await form.getByRole('button', { name: 'Send my answers' }).click();
      await expect
        .poll(() => mobile.page.getByTestId('questionnaire-sent').count(), { timeout: 15_000 })
        .toBe(1);
      // Item 9 answered "Several days": the crisis line is shown at once.
      await expect(mobile.page.getByTestId('crisis-message').textContent()).resolves.toContain('988');
      await screenshot(mobile.page, `${name}-portal-phq9-sent`);
      await expectAccessible(mobile.page, 'portal PHQ-9 sent');
      await mobile.context.close();

      // The coordinator: the chart shows the score, its factors, the trend and the urgent task.
      const { context, page } = await newPage(env.browser, env.server.baseURL);
      await page.clock.setFixedTime(NOW);
      await signIn(page, env.server.user('care-coordinator').email);
      await expect.poll(() => page.getByRole('heading', { name: /^Worklist/, level: 1 }).count()).toBe(1);
      await page.goto(`/patients/${patientId}`);
      await waitForLoaded(page);
      const section = page.getByTestId('assessments');
      const row = section.getByTestId('assessment-row').filter({ hasText: 'PHQ-9' }).first();
      await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
      // Nine items at "Several days" (1 point each): 9, mild.
      await expect(row.textContent()).resolves.toMatch(/9 · Mild/i);
      await row.getByRole('button', { name: 'Answers' }).click();
      await expect(
        section.getByTestId('assessment-factors').locator('tbody tr').count(),
      ).resolves.toBeGreaterThanOrEqual(9);
      await expect.poll(() => section.getByTestId('trend-phq-9').count()).toBe(1);
      await expect
        .poll(
          () =>
            page
              .getByTestId('chart-task')
              .filter({ hasText: /suicide|self-harm|safety/i })
              .count(),
          {
            timeout: 15_000,
          },
        )
        .toBeGreaterThan(0);
      await expect.poll(() => page.getByTestId('patient-flag').count()).toBeGreaterThan(0);
      await screenshot(page, `${name}-chart-assessments`);
      await expectAccessible(page, 'chart with assessments');

      // Staff complete a GAD-7 from the chart.
      await section.getByRole('combobox', { name: 'Start an assessment' }).selectOption({ label: 'GAD-7' });
      await expect.poll(() => page.getByTestId('assessment-title').textContent()).toContain('GAD-7');
      const staffForm = page.getByTestId('questionnaire-form');
      await expect
        .poll(() => staffForm.getByRole('radiogroup').count(), { timeout: 15_000 })
        .toBeGreaterThan(6);
      await answerAll(staffForm, 'More than half the days');
      await staffForm.getByRole('button', { name: 'Save and score' }).click();
      await expect.poll(() => page.getByTestId('assessment-score').count(), { timeout: 15_000 }).toBe(1);
      // Seven items at 2 points: 14, moderate — a rescreen and a care-plan suggestion follow.
      await expect(page.getByTestId('assessment-score').textContent()).resolves.toMatch(/14 · Moderate/i);
      await expect(page.getByTestId('assessment-follow-ups').locator('li').count()).resolves.toBeGreaterThan(
        0,
      );
      await screenshot(page, `${name}-gad7-result`);
      await expectAccessible(page, 'GAD-7 result');

      // Any Questionnaire on the server renders too: the NLM Hunger Vital Sign (LHC-Forms fixture).
      const hvs = JSON.parse(readFileSync('test/fixtures/questionnaires/hunger-vital-signs.json', 'utf8'));
      const { resource } = await env.server.store.create({ ...hvs, id: undefined, status: 'active' });
      await page.goto(`/patients/${patientId}`);
      await waitForLoaded(page);
      await section.getByRole('combobox', { name: 'Start an assessment' }).selectOption({ label: hvs.title });
      await expect.poll(() => page.getByTestId('assessment-title').textContent()).toContain('Hunger');
      await expect
        .poll(() => staffForm.getByRole('radiogroup').count(), { timeout: 15_000 })
        .toBeGreaterThan(1);
      await answerAll(staffForm, 'Often true');
      await screenshot(page, `${name}-fixture-questionnaire`);
      await expectAccessible(page, 'fixture questionnaire');
      await staffForm.getByRole('button', { name: 'Save and score' }).click();
      await expect.poll(() => page.getByTestId('assessment-result').count(), { timeout: 15_000 }).toBe(1);
      const saved = await env.server.store.search(
        'QuestionnaireResponse',
        [['subject', `Patient/${patientId}`]],
        '',
      );
      expect(
        (saved.entry ?? []).filter(
          // Saved against the Questionnaire's canonical url (or its id when it has none).
          (e) =>
            [hvs.url, `Questionnaire/${resource.id}`].includes(
              (e.resource as { questionnaire?: string }).questionnaire?.split('|')[0],
            ),
        ),
      ).toHaveLength(1);
      await context.close();
    },
  );
});
