/**
 * The transitions API as the web app uses it (docs/transitions.md): the board of recent discharges
 * with their TCM deadlines, one transition with its risk factors, contact attempts and complexity.
 */
import { request } from '../api';

export type TcmTaskKind = 'tcm-interactive-contact' | 'tcm-face-to-face' | 'medication-reconciliation';

export interface RiskView {
  score: number;
  band: string;
  tier?: string;
  factors?: { code: string; label: string; value: string; points: number }[];
}

export interface TransitionView {
  encounterId: string;
  patient: { id: string; name: string | null; age: number | null };
  facility: string | null;
  class: string | null;
  admittedAt: string | null;
  dischargedAt: string | null;
  disposition: { code: string; display?: string } | null;
  risk: { lace: RiskView | null; hospital: RiskView | null };
  complexity: { level: 'high' | 'moderate'; reason: string; by?: string } | null;
  tcmPeriod: { start?: string; end?: string } | null;
  tasks: {
    id: string;
    kind: TcmTaskKind;
    title: string;
    status: string;
    statusReason?: string;
    owner?: string;
    dueAt: string | null;
    overdue: boolean;
  }[];
  contactAttempts: {
    id: string;
    at: string | null;
    channel: string | null;
    outcome: string | null;
    note?: string;
  }[];
  readmission: { flagId: string; role: 'index' | 'readmission'; otherEncounterId: string | null } | null;
}

export const contactChannels = ['phone', 'video', 'in-person', 'portal', 'text'] as const;
export const contactOutcomes = ['reached', 'no-answer', 'left-message', 'wrong-number'] as const;

export const outcomeLabels: Record<(typeof contactOutcomes)[number], string> = {
  reached: 'Reached',
  'no-answer': 'No answer',
  'left-message': 'Left a message',
  'wrong-number': 'Wrong number',
};

export const kindLabels: Record<TcmTaskKind, string> = {
  'tcm-interactive-contact': 'Contact (2 business days)',
  'tcm-face-to-face': 'Visit',
  'medication-reconciliation': 'Medication reconciliation',
};

export function boardPath(days: number): string {
  return `/api/transitions?days=${days}`;
}

export function transitionPath(encounterId: string): string {
  return `/api/transitions/${encodeURIComponent(encounterId)}`;
}

export function recordContactAttempt(
  encounterId: string,
  input: { at: string; channel: string; outcome: string; note?: string },
): Promise<unknown> {
  return request('POST', `${transitionPath(encounterId)}/contact-attempts`, input);
}

export function setComplexity(
  encounterId: string,
  level: 'high' | 'moderate',
  reason: string,
): Promise<unknown> {
  return request('PUT', `${transitionPath(encounterId)}/complexity`, { level, reason });
}

const HOUR = 3_600_000;

/**
 * A deadline as a countdown: "due in 1 d 4 h", "due in 3 h", "overdue by 2 d". Hours matter here:
 * the contact deadline is two business days, and the last afternoon is when calls get made.
 */
export function countdown(
  dueAt: string | null,
  now: number,
): { words: string; late: boolean; soon: boolean } {
  if (!dueAt) return { words: 'No deadline', late: false, soon: false };
  const ms = Date.parse(dueAt) - now;
  const abs = Math.abs(ms);
  const days = Math.floor(abs / (24 * HOUR));
  const hours = Math.floor((abs % (24 * HOUR)) / HOUR);
  const span = days > 0 ? `${days} d${hours ? ` ${hours} h` : ''}` : hours > 0 ? `${hours} h` : 'under 1 h';
  if (ms < 0) return { words: `overdue by ${span}`, late: true, soon: false };
  return { words: `due in ${span}`, late: false, soon: ms < 24 * HOUR };
}
