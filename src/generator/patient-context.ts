/** The state shared by the modules that build one patient's bundle. */
import type { BundleEntry, Reference, Resource } from 'fhir/r4.js';
import type { ChronicDef, ChronicKey } from './conditions-data.js';
import type { Race } from './demographics-data.js';
import type { Background, Sex } from './names.js';
import { hashSeed, Rng } from './prng.js';
import type { Directory, Practice, StaffMember } from './staffing.js';

export interface ChronicState {
  readonly def: ChronicDef;
  readonly id: string;
  readonly onset: number;
  readonly status: 'active' | 'remission';
}

export type EncounterKind = 'AMB' | 'EMER' | 'IMP';

export interface EncounterRecord {
  readonly id: string;
  readonly kind: EncounterKind;
  readonly start: number;
  /** Undefined while the encounter is in progress. */
  readonly end?: number;
  readonly practitioner: StaffMember;
  readonly locationId: string;
  /** A preventive (check-up or well-child) visit, where scheduled vaccines are given. */
  readonly checkup?: boolean;
}

export type Payer = 'medicare' | 'medicaid' | 'commercial' | 'uninsured';

export interface PatientContext {
  readonly rng: Rng;
  /** A separate stream for ids, so that clinical draws do not shift when a resource is added. */
  readonly ids: Rng;
  readonly now: number;
  readonly index: number;
  readonly dir: Directory;
  readonly id: string;
  /** Per-seed offset for medical record numbers. */
  readonly mrnBase: number;
  readonly entries: BundleEntry[];

  sex: Sex;
  birth: number;
  /** Age in whole years at `now` (or at death). */
  age: number;
  race: Race;
  hispanic: boolean;
  background: Background;
  language: string;
  given: string;
  family: string;
  practice: Practice;
  pcp: StaffMember;
  payer: Payer;

  death?: number;
  /** The period clinical history is generated for: the last ~3 years, bounded by birth and death. */
  windowStart: number;
  windowEnd: number;

  heightCm: number;
  bmi: number;
  /** Relative weight change per year (people gain or lose weight over the window). */
  weightDrift: number;
  /** The patient's usual systolic pressure (mm Hg), around which each reading varies. */
  bpBase: number;
  /** Hypertension treated with medication (about 9 in 10 diagnosed patients, CDC Hypertension Cascade). */
  htnTreated: boolean;
  smoking?: 'current' | 'former' | 'never';
  chronic: Map<ChronicKey, ChronicState>;
  burden: number;
  /** HbA1c trajectory for people with diabetes: value at windowStart and change per year. */
  a1c?: { readonly start: number; readonly slope: number };
  encounters: EncounterRecord[];
  /** Active medication count, for care-team composition (pharmacist for polypharmacy). */
  activeMedications: number;
}

/** Creates the context for patient `index`; each patient has its own streams, independent of the others. */
export function newContext(seed: string, index: number, now: number, dir: Directory): PatientContext {
  const rng = new Rng(`${seed}:patient:${index}`);
  const ids = new Rng(`${seed}:patient-ids:${index}`);
  return {
    rng,
    ids,
    now,
    index,
    dir,
    id: ids.uuid(),
    mrnBase: hashSeed(seed)[0] % 80_000_000,
    entries: [],
    sex: 'female',
    birth: 0,
    age: 0,
    race: 'unknown',
    hispanic: false,
    background: 'general',
    language: 'en',
    given: '',
    family: '',
    practice: dir.practices[0],
    pcp: dir.practices[0].staff.pcp[0],
    payer: 'uninsured',
    windowStart: 0,
    windowEnd: now,
    heightCm: 0,
    bmi: 0,
    weightDrift: 0,
    bpBase: 0,
    htnTreated: false,
    chronic: new Map(),
    burden: 0,
    encounters: [],
    activeMedications: 0,
  };
}

/** Adds a resource to the patient's transaction as an idempotent PUT. */
export function put(ctx: PatientContext, resource: Resource & { id: string }): void {
  ctx.entries.push({
    fullUrl: 'urn:uuid:' + resource.id,
    resource,
    request: { method: 'PUT', url: resource.resourceType + '/' + resource.id },
  });
}

/** Reference to the patient. */
export function patientRef(ctx: PatientContext): Reference {
  return { reference: 'Patient/' + ctx.id };
}

/** True when the patient has the chronic condition. */
export function has(ctx: PatientContext, key: ChronicKey): boolean {
  return ctx.chronic.has(key);
}

/** True when the chronic condition had been diagnosed by instant `at`. */
export function hadBy(ctx: PatientContext, key: ChronicKey, at: number): boolean {
  const state = ctx.chronic.get(key);
  return state !== undefined && state.onset <= at;
}
