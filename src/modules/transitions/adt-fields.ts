/**
 * HL7 v2 data types → FHIR data types: TS/DTM → dateTime, CX → Identifier, XPN → HumanName,
 * XAD → Address, XTN → ContactPoint. Pure functions over the transport's Hl7Field.
 */
import type { Address, ContactPoint, HumanName, Identifier } from 'fhir/r4.js';
import { Hl7ProcessingError } from '../../integrations/hl7/hl7-handler.js';
import type { Hl7Field } from '../../integrations/hl7/hl7-message.js';
import {
  addressUseMap,
  HL7_AUTHORITY_PREFIX,
  knownAuthorities,
  nameUseMap,
  telecomSystemMap,
  telecomUseMap,
} from './transitions.rules.js';

/** HL7's explicit null: a field sent as `""` erases what the receiver holds (v2.5.1 §2.5.3). */
export const HL7_NULL = '""';

/** True when the field was sent as the explicit null `""`. */
export function isErased(field: Hl7Field): boolean {
  return field.value(1) === HL7_NULL;
}

const TS = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/;

/** Milliseconds `zone` is ahead of UTC at the instant `ms`. */
function zoneOffset(ms: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * An HL7 TS/DTM (YYYY[MM[DD[HHMM[SS[.S]]]]][+/-ZZZZ]) as a FHIR dateTime: a date (or year/month)
 * when no time was sent, else a UTC instant. A time without an offset is the sender's local time,
 * taken as the organization's zone. Undefined for an empty value; AE 102 naming `location` for a
 * malformed one.
 */
export function hl7DateTime(value: string, location: string, timeZone: string): string | undefined {
  if (!value) return undefined;
  const m = TS.exec(value.trim());
  if (!m)
    throw new Hl7ProcessingError('AE', '102', location, `${location}: "${value}" is not an HL7 date/time`);
  const [, y, mo, d, h, mi, s, frac, offset] = m;
  const month = Number(mo ?? 1);
  const day = Number(d ?? 1);
  const check = new Date(Date.UTC(Number(y), month - 1, day));
  if (
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    Number(h ?? 0) > 23 ||
    Number(mi ?? 0) > 59 ||
    Number(s ?? 0) > 59
  )
    throw new Hl7ProcessingError('AE', '102', location, `${location}: "${value}" is not a real date/time`);
  if (h === undefined) return [y, mo, d].filter(Boolean).join('-');
  const wall = Date.UTC(
    Number(y),
    month - 1,
    day,
    Number(h),
    Number(mi ?? 0),
    Number(s ?? 0),
    Math.round(Number(frac ?? 0) * 1000),
  );
  let ms: number;
  if (offset) {
    const sign = offset[0] === '-' ? -1 : 1;
    ms = wall - sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5))) * 60_000;
  } else {
    ms = wall - zoneOffset(wall, timeZone);
    ms = wall - zoneOffset(ms, timeZone);
  }
  return new Date(ms).toISOString();
}

/** The date part (YYYY-MM-DD) of an HL7 TS, for birth dates. */
export function hl7Date(value: string, location: string): string | undefined {
  if (!value) return undefined;
  const m = /^(\d{4})(\d{2})?(\d{2})?/.exec(value.trim());
  if (!m || !TS.test(value.trim()))
    throw new Hl7ProcessingError('AE', '102', location, `${location}: "${value}" is not an HL7 date`);
  // Validate month/day through the full parser (zone does not matter for the date part).
  hl7DateTime(m[0], location, 'UTC');
  return [m[1], m[2], m[3]].filter(Boolean).join('-');
}

/** An HD (namespace & universal id & type) component's usable name: the namespace, else the universal id. */
export function authorityOf(field: Hl7Field, component: number): string {
  return (field.value(component, 1) || field.value(component, 2)).trim();
}

/** The FHIR identifier system of an assigning authority (a published one when CareLoop knows it). */
export function authoritySystem(authority: string, type = ''): string {
  // FHIR uris hold no spaces: an authority such as "GOOD HEALTH HOSPITAL" is percent-encoded.
  return (
    knownAuthorities[`${authority}|${type}`] ?? `${HL7_AUTHORITY_PREFIX}${encodeURIComponent(authority)}`
  );
}

/**
 * CX repetitions (id ^ check digit ^ scheme ^ authority ^ type) → Identifiers. A CX without an
 * assigning authority is the sender's own number: `fallbackAuthority` (MSH-4) stands in.
 */
export function identifiersOf(field: Hl7Field, fallbackAuthority: string): Identifier[] {
  const out: Identifier[] = [];
  for (const rep of field.repetitions()) {
    const value = rep.value(1).trim();
    if (!value || value === HL7_NULL) continue;
    const authority = authorityOf(rep, 4) || fallbackAuthority;
    const type = rep.value(5).trim();
    out.push({
      ...(type === 'MR' ? { use: 'usual' as const } : {}),
      ...(type && /^[A-Z]{1,5}$/.test(type)
        ? { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: type }] } }
        : {}),
      system: authoritySystem(authority, type),
      value,
    });
  }
  return out;
}

/** XPN repetitions (family & … ^ given ^ middle ^ suffix ^ prefix ^ degree ^ type) → HumanNames. */
export function namesOf(field: Hl7Field): HumanName[] {
  const out: HumanName[] = [];
  for (const rep of field.repetitions()) {
    const family = rep.value(1, 1).trim();
    const given = [rep.value(2), rep.value(3)].map((v) => v.trim()).filter(Boolean);
    if (!family && given.length === 0) continue;
    const suffix = [rep.value(4), rep.value(6)].map((v) => v.trim()).filter(Boolean);
    const prefix = rep.value(5).trim();
    const use = nameUseMap[rep.value(7).trim()];
    out.push({
      ...(use ? { use } : {}),
      ...(family ? { family } : {}),
      ...(given.length ? { given } : {}),
      ...(prefix ? { prefix: [prefix] } : {}),
      ...(suffix.length ? { suffix } : {}),
    });
  }
  return out;
}

/** XAD repetitions (street & … ^ other ^ city ^ state ^ zip ^ country ^ type) → Addresses. */
export function addressesOf(field: Hl7Field): Address[] {
  const out: Address[] = [];
  for (const rep of field.repetitions()) {
    const line = [rep.value(1, 1), rep.value(2)].map((v) => v.trim()).filter(Boolean);
    const city = rep.value(3).trim();
    const state = rep.value(4).trim();
    const postalCode = rep.value(5).trim();
    const country = rep.value(6).trim();
    if (!line.length && !city && !state && !postalCode) continue;
    const use = addressUseMap[rep.value(7).trim()];
    out.push({
      ...(use ? { use } : {}),
      ...(line.length ? { line } : {}),
      ...(city ? { city } : {}),
      ...(state ? { state } : {}),
      ...(postalCode ? { postalCode } : {}),
      ...(country ? { country } : {}),
    });
  }
  return out;
}

/** XTN repetitions → ContactPoints: the number (XTN-1, else area + local + extension) or the e-mail (XTN-4). */
export function telecomsOf(field: Hl7Field): ContactPoint[] {
  const out: ContactPoint[] = [];
  for (const rep of field.repetitions()) {
    const equipment = rep.value(3).trim();
    const email = rep.value(4).trim();
    const composed = [rep.value(6), rep.value(7)]
      .map((v) => v.trim())
      .filter(Boolean)
      .join(' ');
    const extension = rep.value(8).trim();
    const number = rep.value(1).trim() || (composed ? `${composed}${extension ? ` x${extension}` : ''}` : '');
    const system = email && !number ? 'email' : (telecomSystemMap[equipment] ?? 'phone');
    const value = system === 'email' ? email || number : number;
    if (!value || value === HL7_NULL) continue;
    const use = equipment === 'CP' ? 'mobile' : telecomUseMap[rep.value(2).trim()];
    out.push({ system, value, ...(use ? { use } : {}) });
  }
  return out;
}

/** A value escaped for a FHIR search parameter (`\\`, `,`, `|`, `$`). */
export function searchEscape(value: string): string {
  return value.replace(/[\\,|$]/g, (c) => `\\${c}`);
}

/** The `identifier=system|value` query of an Identifier, URL-encoded for matchIds / ifNoneExist. */
export function identifierQuery(identifier: { system?: string; value?: string }): string {
  return `identifier=${encodeURIComponent(`${searchEscape(identifier.system ?? '')}|${searchEscape(identifier.value ?? '')}`)}`;
}
