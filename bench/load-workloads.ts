/**
 * The workloads of `npm run bench:load` (issue 16 item 3): what each request is, which server it
 * goes to, and the share of the hello-world rate CareLoop must reach. Imported by the load generator's
 * processes (which build the requests) and by bench/load.ts (which reports them); no dependencies, so
 * the generator starts light.
 */

/** One request as the load generator sends it. */
export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/** What the requests are built from: the seeded patients. */
export interface WorkloadData {
  patientIds: string[];
}

export interface Workload {
  name: WorkloadName;
  /** The hello-world baseline, or the real CareLoop server. */
  server: 'hello' | 'careloop';
  description: string;
  /** The share of the hello-world rate this workload must reach (issue 16); none for the baseline. */
  targetRatio?: number;
  /** The next request; `random` is the generator's seeded random source. */
  next(data: WorkloadData, random: () => number): RequestSpec;
}

export const workloadNames = ['hello', 'mix', 'read', 'search', 'create'] as const;
export type WorkloadName = (typeof workloadNames)[number];

const pick = <T>(list: T[], random: () => number): T => list[Math.floor(random() * list.length)]!;

const read = (data: WorkloadData, random: () => number): RequestSpec => ({
  method: 'GET',
  path: `/fhir/Patient/${pick(data.patientIds, random)}`,
});

// The query `npm run bench` calls "a patient's observations, newest first": a care coordinator's
// patient screen and an EHR integration ask it most.
const search = (data: WorkloadData, random: () => number): RequestSpec => ({
  method: 'GET',
  path: `/fhir/Observation?subject=Patient/${pick(data.patientIds, random)}&_sort=-date&_count=50`,
});

const create = (data: WorkloadData, random: () => number): RequestSpec => ({
  method: 'POST',
  path: '/fhir/Observation',
  body: JSON.stringify({
    resourceType: 'Observation',
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
      },
    ],
    code: {
      coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }],
      text: 'Heart rate',
    },
    subject: { reference: `Patient/${pick(data.patientIds, random)}` },
    effectiveDateTime: new Date().toISOString(),
    valueQuantity: {
      value: 50 + Math.floor(random() * 60),
      unit: 'beats/minute',
      system: 'http://unitsofmeasure.org',
      code: '/min',
    },
  }),
});

/** The workloads by name, in the order the harness runs them. */
export const workloads: Record<WorkloadName, Workload> = {
  hello: {
    name: 'hello',
    server: 'hello',
    description: 'GET / on a Fastify hello-world server (the baseline)',
    next: () => ({ method: 'GET', path: '/' }),
  },
  mix: {
    name: 'mix',
    server: 'careloop',
    description: '60 % read by id, 20 % search, 20 % create, drawn at random per request',
    targetRatio: 1 / 4,
    next: (data, random) => {
      const x = random();
      return x < 0.6 ? read(data, random) : x < 0.8 ? search(data, random) : create(data, random);
    },
  },
  read: {
    name: 'read',
    server: 'careloop',
    description: 'GET /fhir/Patient/{id} of a seeded patient',
    targetRatio: 1 / 2,
    next: read,
  },
  search: {
    name: 'search',
    server: 'careloop',
    description:
      "GET /fhir/Observation?subject=Patient/{id}&_sort=-date&_count=50 (a patient's observations)",
    targetRatio: 1 / 8,
    next: search,
  },
  create: {
    name: 'create',
    server: 'careloop',
    description: 'POST /fhir/Observation (a heart rate for a seeded patient)',
    targetRatio: 1 / 8,
    next: create,
  },
};
