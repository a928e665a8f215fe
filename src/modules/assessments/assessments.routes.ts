/**
 * HTTP routes of assessments (docs/assessments.md, API). Handlers parse, call the service as the
 * signed-in user, and present; access and audit happen in the store.
 */

import type { FastifyInstance } from 'fastify';
import type { QuestionnaireResponse } from 'fhir/r4.js';
import { requireUser } from '../../access/identity/authenticate.js';
import { notFound } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { parse, patientParams, responseBody, responseParams, trendQuery } from './assessments.schema.js';
import {
  assessmentView,
  listAssessments,
  type Processed,
  saveResponse,
  scoringDefinitions,
  submitResponse,
  trend,
} from './assessments.service.js';
import { rescreenRules, scoreRules, socialNeedRules } from './follow-up.rules.js';
import { enabledItems } from './questionnaire-engine.js';
import { findQuestionnaire, instruments } from './questionnaires.js';
import { responseIssues, scoredForm } from './scored-forms.js';
import { trendSources } from './trends.js';

export interface AssessmentsRoutesOptions {
  store: ResourceStore;
  timeZone: string;
}

/** What a save answers: the response scored, and what it set in motion. */
function saved(result: { response: QuestionnaireResponse } & Processed) {
  return {
    assessment: assessmentView(result.response, result.form),
    observations: result.observations.map((o) => `Observation/${o.id}`),
    followUps: {
      tasks: result.followUps.tasks.map((t) => ({
        id: t.id,
        title: t.code?.text,
        priority: t.priority,
        owner: t.owner?.reference,
        role: t.performerType?.[0]?.text,
        dueAt: t.restriction?.period?.end,
      })),
      flags: result.followUps.flags.map((f) => ({ id: f.id, text: f.code.text })),
      conditions: result.followUps.conditions.map((c) => ({ id: c.id, text: c.code?.text })),
      goals: result.followUps.goals.map((g) => ({ id: g.id, text: g.description.text })),
    },
  };
}

/** Registers /api/assessments and /api/patients/:id/assessments routes. */
export async function assessmentsRoutes(
  app: FastifyInstance,
  options: AssessmentsRoutesOptions,
): Promise<void> {
  const { store, timeZone } = options;
  const tags = ['assessments'];

  app.get(
    '/api/assessments/instruments',
    {
      schema: {
        tags,
        summary: 'The shipped instruments: Questionnaire, scoring bands, follow-up rules, sources',
      },
    },
    async (request) => {
      const as = store.as(requireUser(request));
      const list = [];
      for (const definition of Object.values(scoringDefinitions)) {
        const shipped = instruments[definition.instrument];
        const stored = await findQuestionnaire(
          as,
          `${definition.questionnaireUrl}|${definition.questionnaireVersion}`,
        );
        list.push({
          id: definition.instrument,
          title: definition.title,
          url: definition.questionnaireUrl,
          version: definition.questionnaireVersion,
          canonical: `${definition.questionnaireUrl}|${definition.questionnaireVersion}`,
          copyright: shipped.copyright,
          total: definition.total,
          bands: definition.bands,
          domains: (definition.domains ?? []).map(({ id, label, source }) => ({ id, label, source })),
          source: definition.source,
          followUps: scoreRules
            .filter((r) => r.instrument === definition.instrument)
            .map(({ id, task, flag, source }) => ({ id, task, flag: !!flag, source })),
          rescreen: rescreenRules.filter((r) => r.instrument === definition.instrument),
          ...(definition.instrument === 'ahc-hrsn' ? { socialNeeds: socialNeedRules } : {}),
          questionnaire: stored ?? shipped,
        });
      }
      return { instruments: list };
    },
  );

  app.post(
    '/api/assessments/check',
    {
      schema: {
        tags,
        summary: 'Check answers against a Questionnaire without saving (issues, enabled items)',
      },
      config: { access: { readOnly: true } },
    },
    async (request) => {
      const as = store.as(requireUser(request));
      const input = parse(responseBody, request.body);
      const questionnaire = await findQuestionnaire(as, input.questionnaire);
      if (!questionnaire) throw notFound(`no Questionnaire ${input.questionnaire} on this server`);
      const response: QuestionnaireResponse = {
        resourceType: 'QuestionnaireResponse',
        questionnaire: input.questionnaire,
        status: input.status,
        item: input.items,
      };
      const form = scoredForm(questionnaire);
      const view = assessmentView(response, form);
      return {
        issues: responseIssues(questionnaire, response, form),
        enabledItems: enabledItems(questionnaire, response),
        ...(view.total !== undefined ? { total: view.total } : {}),
        ...(view.band ? { band: view.band } : {}),
        domains: view.domains,
      };
    },
  );

  app.get(
    '/api/patients/:id/assessments',
    { schema: { tags, summary: "A patient's assessments, newest first, with scores, bands and factors" } },
    async (request) => {
      const as = store.as(requireUser(request));
      const { id } = parse(patientParams, request.params);
      return { assessments: await listAssessments(as, id) };
    },
  );

  app.post(
    '/api/patients/:id/assessments',
    {
      schema: { tags, summary: 'Submit a response (completed or in progress)' },
      // The scores and follow-ups a completed response makes are the server's own writes.
      config: { access: { writes: ['QuestionnaireResponse'] } },
    },
    async (request, reply) => {
      const as = store.as(requireUser(request));
      const { id } = parse(patientParams, request.params);
      const input = parse(responseBody, request.body);
      const result = await submitResponse(as, id, input, timeZone);
      return reply.code(201).send(saved(result));
    },
  );

  app.put(
    '/api/patients/:id/assessments/:responseId',
    {
      schema: { tags, summary: 'Save answers to a response in progress, complete it, or amend it' },
      config: { access: { writes: ['QuestionnaireResponse'] } },
    },
    async (request) => {
      const as = store.as(requireUser(request));
      const { id, responseId } = parse(responseParams, request.params);
      const input = parse(responseBody, request.body);
      return saved(await saveResponse(as, id, responseId, input, timeZone));
    },
  );

  app.get(
    '/api/patients/:id/assessments/trends',
    { schema: { tags, summary: 'PHQ-9 or GAD-7 over time, with response and remission marked' } },
    async (request) => {
      const as = store.as(requireUser(request));
      const { id } = parse(patientParams, request.params);
      const { instrument } = parse(trendQuery, request.query);
      return { instrument, points: await trend(as, id, instrument), sources: trendSources };
    },
  );
}
