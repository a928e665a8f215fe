/** Builds one patient's transaction bundle from its independent random streams. */
import type { Bundle } from 'fhir/r4.js';
import { addCareTeam } from './care-team.js';
import { addChronicConditions, sampleClinicalProfile } from './clinical-profile.js';
import { addCoverage } from './coverage.js';
import { addEncounters } from './encounters.js';
import { addImmunizations } from './immunizations.js';
import { addMedications } from './medications.js';
import { newContext } from './patient-context.js';
import { addPatient, sampleDemographics } from './patient-demographics.js';
import type { Directory } from './staffing.js';

/**
 * The transaction bundle of patient `index` (0-based). Each patient draws from streams seeded by
 * (seed, index), so a patient's clinical story does not depend on how many others are generated (only
 * which staff members it is assigned to does, since staffing scales with the population).
 */
export function buildPatientBundle(seed: string, index: number, now: number, dir: Directory): Bundle {
  const ctx = newContext(seed, index, now, dir);
  sampleDemographics(ctx);
  sampleClinicalProfile(ctx);
  addPatient(ctx);
  addCoverage(ctx);
  addChronicConditions(ctx);
  addEncounters(ctx);
  addMedications(ctx);
  addImmunizations(ctx);
  addCareTeam(ctx);
  return { resourceType: 'Bundle', type: 'transaction', entry: ctx.entries };
}
