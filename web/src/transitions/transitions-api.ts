/**
 * The transitions API as the web app uses it (docs/transitions.md): the board of recent discharges
 * with their TCM deadlines, one transition with its risk factors, contact attempts and complexity.
 */

import type { RiskView, TcmTaskKind, TransitionView } from '../../../src/modules/transitions/transition-view';
import { request } from '../api';

// One definition with the server's (it builds these views: src/modules/transitions/transitions.service.ts).
export type { RiskView, TcmTaskKind, TransitionView };

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
