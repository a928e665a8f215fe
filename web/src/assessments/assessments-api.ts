/** The assessments API as the web app uses it (docs/assessments.md). */
import { request } from '../api';
import type { Questionnaire } from './questionnaire-model';

export interface Band {
  code: string;
  label: string;
  interpretation: string;
  positive: boolean;
}

export interface InstrumentInfo {
  id: string;
  title: string;
  canonical: string;
  copyright?: string;
  source: { title: string; url?: string };
  questionnaire: Questionnaire;
}

export interface AssessmentView {
  id: string;
  questionnaire: string;
  instrument?: string;
  title?: string;
  status: string;
  authored?: string;
  total?: number;
  band?: Band;
  factors: {
    linkId: string;
    question?: string;
    answers: { code?: string; display?: string }[];
    points?: number;
  }[];
  domains: { id: string; label: string; positive: boolean; reason: string }[];
}

export interface FollowUps {
  tasks: { id: string; title?: string; priority?: string; owner?: string; role?: string; dueAt?: string }[];
  flags: { id: string; text?: string }[];
  conditions: { id: string; text?: string }[];
  goals: { id: string; text?: string }[];
}

export interface SaveAnswer {
  assessment: AssessmentView;
  followUps: FollowUps;
}

export interface TrendPoint {
  date: string;
  total: number;
  band?: string;
  episodeStart: boolean;
  baseline?: number;
  response: boolean;
  remission: boolean;
}

export const instrumentsPath = '/api/assessments/instruments';

export function assessmentsPath(patientId: string): string {
  return `/api/patients/${encodeURIComponent(patientId)}/assessments`;
}

export function trendPath(patientId: string, instrument: 'phq-9' | 'gad-7'): string {
  return `${assessmentsPath(patientId)}/trends?instrument=${instrument}`;
}

export function submitAssessment(
  patientId: string,
  body: { questionnaire: string; status: 'completed' | 'in-progress'; items: unknown[] },
  responseId?: string,
): Promise<SaveAnswer> {
  return responseId
    ? request('PUT', `${assessmentsPath(patientId)}/${encodeURIComponent(responseId)}`, body)
    : request('POST', assessmentsPath(patientId), body);
}

/** True when the answers show thoughts of self-harm (PHQ-9 item 9 above "Not at all"). */
export function reportsSelfHarm(a: AssessmentView): boolean {
  return a.factors.some((f) => /44260-8|item-?9|phq-9-9/i.test(f.linkId) && (f.points ?? 0) > 0);
}
