/**
 * The codes and fixed rules of care planning: CareLoop's extension URLs (each states one thing with a
 * value[x], so every CarePlan stays valid R4), the role codes activities are assigned with, and the
 * review rule. Clinical targets live with their sources in templates/.
 */
import type { CodeableConcept } from 'fhir/r4.js';
import { roleCodes, roleOfCode } from '../tasks/tasks.rules.js';
import { localParts } from '../worklists/local-day.js';
import type { CareRole } from './templates/template-types.js';

const SD = 'https://careloop.org/fhir/StructureDefinition';
export const extensionUrls = {
  /** valueDate: when the plan is next reviewed (start + the template's review interval). */
  nextReview: `${SD}/next-review`,
  /** Complex: agreed (valueBoolean), date (valueDateTime), note (valueString) — shared decision making. */
  agreement: `${SD}/patient-agreement`,
  /** Complex: language, contact, times (valueString each) — how and when the patient wants contact. */
  preferences: `${SD}/patient-preferences`,
  /** valueString, repeating: a barrier to the plan the patient or team named (transport, cost, ...). */
  barrier: `${SD}/barrier`,
  /** valueCoding on an activity detail: the role that carries out a standing instruction. */
  performerRole: `${SD}/performer-role`,
} as const;

/** Identifies a Goal or Task made from a template item (`<template>/<item>`). */
export const TEMPLATE_ITEM_SYSTEM = 'https://careloop.org/fhir/template-item';
/** Identifies a review Task: `<carePlanId>/<review date>`, one per plan per review date. */
export const REVIEW_TASK_SYSTEM = 'https://careloop.org/fhir/care-plan-review';
/** CarePlan.instantiatesCanonical base for templates. */
export const TEMPLATE_CANONICAL = 'https://careloop.org/fhir/PlanDefinition';
/**
 * Task.performerType for a role, as the tasks module writes it (src/modules/tasks/tasks.rules.ts): the
 * role's occupation code (claiming and worklists match on it) and the CareLoop role name as text.
 */
export function roleConcept(role: CareRole): CodeableConcept {
  const code = role === 'patient' ? undefined : roleCodes[role];
  return code ? { coding: [{ ...code }], text: role } : { text: role };
}

/** The CareLoop role a performerType names (its text, else its occupation code), if any. */
export function roleOf(concept: CodeableConcept | undefined): string | undefined {
  return concept?.text ?? roleOfCode(concept?.coding?.[0]?.code);
}

/** A review task is due this many days after its review date comes (the coordinator's working window). */
export const REVIEW_TASK_DUE_DAYS = 3;

/** US Core CarePlan category "assess-plan" (assessment and plan of treatment). */
export const carePlanCategory: CodeableConcept = {
  coding: [{ system: 'http://hl7.org/fhir/us/core/CodeSystem/careplan-category', code: 'assess-plan' }],
  text: 'Assessment and plan of treatment',
};

/**
 * The calendar date in the organization's zone `days` after `from`: review dates are local dates
 * (DESIGN principle 7), not instants.
 */
export function localDateAfter(from: Date, days: number, timeZone: string): string {
  const p = localParts(from.getTime(), timeZone);
  return new Date(Date.UTC(p.year, p.month - 1, p.day + days)).toISOString().slice(0, 10);
}

export const DAY_MS = 86_400_000;
