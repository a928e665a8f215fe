/** Code system URIs and small constructors for the coded datatypes the generator emits. */
import type { CodeableConcept, Coding, Quantity, Reference } from 'fhir/r4.js';

export const SYS = {
  snomed: 'http://snomed.info/sct',
  loinc: 'http://loinc.org',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  ucum: 'http://unitsofmeasure.org',
  npi: 'http://hl7.org/fhir/sid/us-npi',
  nucc: 'http://nucc.org/provider-taxonomy',
  bcp47: 'urn:ietf:bcp:47',
  ombRaceEth: 'urn:oid:2.16.840.1.113883.6.238',
  // PHDSC Source of Payment Typology, the payer-type code system US Core and CARIN use for Coverage.type.
  payerType: 'urn:oid:2.16.840.1.113883.3.221.5',
  mrn: 'http://careloop.example/mrn',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  roleCode: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  nullFlavor: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor',
  maritalStatus: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerStatus: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  dischargeDisposition: 'http://terminology.hl7.org/CodeSystem/discharge-disposition',
  admitSource: 'http://terminology.hl7.org/CodeSystem/admit-source',
  diagnosisRole: 'http://terminology.hl7.org/CodeSystem/diagnosis-role',
  organizationType: 'http://terminology.hl7.org/CodeSystem/organization-type',
  locationPhysicalType: 'http://terminology.hl7.org/CodeSystem/location-physical-type',
  subscriberRelationship: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
  coverageClass: 'http://terminology.hl7.org/CodeSystem/coverage-class',
} as const;

/** A [code, display] pair, the compact form the data tables use. */
export type CodeDisplay = readonly [string, string];

/** A single Coding. */
export function coding(system: string, code: string, display: string): Coding {
  return { system, code, display };
}

/** A CodeableConcept with one coding and (optionally) text. */
export function concept(system: string, code: string, display: string, text?: string): CodeableConcept {
  const cc: CodeableConcept = { coding: [{ system, code, display }] };
  if (text) cc.text = text;
  return cc;
}

/** A Quantity in UCUM units. */
export function ucum(value: number, code: string, unit = code): Quantity {
  return { value, unit, system: SYS.ucum, code };
}

/** A relative reference (`Patient/<id>`) with an optional display. */
export function ref(resourceType: string, id: string, display?: string): Reference {
  return display ? { reference: resourceType + '/' + id, display } : { reference: resourceType + '/' + id };
}

/** Rounds to `digits` decimals (keeps the JSON short and stable). */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A CodeableConcept coded in both ICD-10-CM and SNOMED CT (problem lists and claims need both). */
export function dualCoded(icd: CodeDisplay, snomed: CodeDisplay, text: string): CodeableConcept {
  return {
    coding: [
      { system: SYS.icd10cm, code: icd[0], display: icd[1] },
      { system: SYS.snomed, code: snomed[0], display: snomed[1] },
    ],
    text,
  };
}
