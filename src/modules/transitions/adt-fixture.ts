/**
 * Builds ADT messages for tests and demos, field by field, as a hospital's interface engine sends
 * them (CR-separated, v2.5.1): only the fields given, so each test states what it relies on.
 */

export interface AdtMessageOptions {
  controlId?: string;
  facility?: string;
  /** MSH-7 / EVN-2 (default: the admit time). */
  sentAt?: string;
  /** EVN-6 event occurred. */
  occurredAt?: string;
  patient?: {
    mrn?: string;
    authority?: string;
    name?: string;
    birthDate?: string;
    sex?: string;
    account?: string;
  };
  /** Extra PID fields by number (e.g. { 30: 'Y', 13: '""' }). */
  pid?: Record<number, string>;
  visit?: string;
  patientClass?: string;
  location?: string;
  admissionType?: string;
  attending?: string;
  admitAt?: string;
  dischargeAt?: string;
  disposition?: string;
  /** Extra PV1 fields by number. */
  pv1?: Record<number, string>;
  /** DG1-3 values (code^text^system). */
  diagnoses?: string[];
  /** PR1-3 values. */
  procedures?: string[];
  /** MRG-1 (A40) / MRG-5 (A06/A07) etc. by field number. */
  mrg?: Record<number, string>;
  /** Leave the PV1 out entirely. */
  noPv1?: boolean;
}

function segment(name: string, fields: Record<number, string | undefined>): string {
  const last = Math.max(0, ...Object.keys(fields).map(Number));
  const parts: string[] = [];
  for (let i = 1; i <= last; i++) parts.push(fields[i] ?? '');
  return [name, ...parts].join('|');
}

let counter = 0;

/** An ADT^<event> message (v2.5.1, CR-separated). */
export function adtMessage(event: string, o: AdtMessageOptions = {}): string {
  const p = o.patient ?? {};
  const authority = p.authority ?? 'CLH';
  const admitAt = o.admitAt ?? '20261120080000-0500';
  const sentAt = o.sentAt ?? admitAt;
  const facility = o.facility ?? 'CLH General';
  const msh = `MSH|^~\\&|ADT1|${facility}|CARELOOP|CARELOOP|${sentAt}||ADT^${event}^ADT_A01|${o.controlId ?? `ctl-${++counter}-${Date.now()}`}|P|2.5.1`;
  const evn = segment('EVN', { 1: event, 2: sentAt, ...(o.occurredAt ? { 6: o.occurredAt } : {}) });
  const pid = segment('PID', {
    1: '1',
    3: p.mrn === '' ? '' : `${p.mrn ?? 'MRN-100'}^^^${authority}^MR`,
    5: p.name ?? 'DOE^JANE^Q^^^^L',
    7: p.birthDate ?? '19500312',
    8: p.sex ?? 'F',
    ...(p.account ? { 18: p.account } : {}),
    ...o.pid,
  });
  const segments = [msh, evn, pid];
  if (!o.noPv1)
    segments.push(
      segment('PV1', {
        1: '1',
        2: o.patientClass ?? 'I',
        3: o.location ?? '4E^401^A^CLH',
        4: o.admissionType ?? 'E',
        7: o.attending ?? '1001^SMITH^ANNA^^^DR^^^CLH',
        ...(o.visit === '' ? {} : { 19: `${o.visit ?? 'V100'}^^^${authority}^VN` }),
        ...(o.disposition ? { 36: o.disposition } : {}),
        39: facility,
        44: admitAt,
        ...(o.dischargeAt ? { 45: o.dischargeAt } : {}),
        ...o.pv1,
      }),
    );
  for (const [i, code] of (o.diagnoses ?? []).entries())
    segments.push(segment('DG1', { 1: String(i + 1), 3: code, 6: 'F' }));
  for (const [i, code] of (o.procedures ?? []).entries())
    segments.push(segment('PR1', { 1: String(i + 1), 3: code, 5: admitAt }));
  if (o.mrg) segments.push(segment('MRG', o.mrg));
  return `${segments.join('\r')}\r`;
}
