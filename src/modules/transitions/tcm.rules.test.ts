import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../platform/business-calendar.js';
import { laceScore } from './readmission-risk.rules.js';
import { tcmComplexity, tcmDeadlines, tcmQualification } from './tcm.rules.js';

const NY = 'America/New_York';
const federal = createBusinessCalendar();

function deadlines(dischargedAt: string, highComplexity = false, calendar = federal) {
  const d = tcmDeadlines({ dischargedAt: new Date(dischargedAt), timeZone: NY, calendar, highComplexity });
  return {
    contactDue: d.contactDue.toISOString(),
    visitDue: d.visitDue.toISOString(),
    medicationReconciliationDue: d.medicationReconciliationDue.toISOString(),
    periodEnd: d.periodEnd.toISOString(),
    cpt: d.cpt,
    visitDays: d.visitDays,
  };
}

describe('tcmDeadlines', () => {
  it('Friday-evening discharge (already Saturday in UTC): contact Tuesday, visit +14, period +29, all 23:59:59.999 EST', () => {
    // Friday 20 November 2026, 21:00 EST.
    expect(deadlines('2026-11-21T02:00:00Z')).toEqual({
      contactDue: '2026-11-25T04:59:59.999Z', // Tue 24 Nov
      visitDue: '2026-12-05T04:59:59.999Z', // Fri 4 Dec = 20 Nov + 14
      medicationReconciliationDue: '2026-12-05T04:59:59.999Z',
      periodEnd: '2026-12-20T04:59:59.999Z', // Sat 19 Dec = 20 Nov + 29
      cpt: '99495',
      visitDays: 14,
    });
  });

  it('high complexity: 99496 with the visit due 7 calendar days after the discharge day', () => {
    const d = deadlines('2026-11-21T02:00:00Z', true);
    expect(d.cpt).toBe('99496');
    expect(d.visitDays).toBe(7);
    expect(d.visitDue).toBe('2026-11-28T04:59:59.999Z'); // Fri 27 Nov
    expect(d.medicationReconciliationDue).toBe(d.visitDue);
    expect(d.contactDue).toBe('2026-11-25T04:59:59.999Z');
  });

  it('Saturday discharge: the two business days are Monday and Tuesday', () => {
    expect(deadlines('2026-11-21T15:00:00Z').contactDue).toBe('2026-11-25T04:59:59.999Z');
  });

  it('discharge the day before Thanksgiving: contact due Monday (Thursday is a holiday), Friday with no holidays', () => {
    expect(deadlines('2026-11-25T17:00:00Z').contactDue).toBe('2026-12-01T04:59:59.999Z');
    const weekendsOnly = createBusinessCalendar({ holidays: 'none' });
    expect(deadlines('2026-11-25T17:00:00Z', false, weekendsOnly).contactDue).toBe(
      '2026-11-28T04:59:59.999Z',
    );
  });

  it('discharges on 30 and 31 December skip New Year and carry the period into January', () => {
    // Wed 30 Dec 2026: Thu 31, (Fri 1 Jan holiday), Mon 4 Jan.
    expect(deadlines('2026-12-30T20:00:00Z').contactDue).toBe('2027-01-05T04:59:59.999Z');
    // Thu 31 Dec 2026: (Fri 1 Jan), Mon 4, Tue 5 Jan.
    const d = deadlines('2026-12-31T20:00:00Z', true);
    expect(d.contactDue).toBe('2027-01-06T04:59:59.999Z');
    expect(d.visitDue).toBe('2027-01-08T04:59:59.999Z');
    expect(d.periodEnd).toBe('2027-01-30T04:59:59.999Z'); // 29 Jan 2027
    // Thu 30 Dec 2027: Fri 31 Dec is New Year's Day 2028 observed, so Mon 3 and Tue 4 Jan 2028.
    expect(deadlines('2027-12-30T20:00:00Z').contactDue).toBe('2028-01-05T04:59:59.999Z');
  });

  it('across the spring DST change (8 March 2026) deadlines end at 23:59:59.999 EDT', () => {
    // Friday 6 March 2026, 18:00 EST.
    expect(deadlines('2026-03-06T23:00:00Z', true)).toMatchObject({
      contactDue: '2026-03-11T03:59:59.999Z', // Tue 10 Mar, EDT (UTC-4)
      visitDue: '2026-03-14T03:59:59.999Z', // Fri 13 Mar
      periodEnd: '2026-04-05T03:59:59.999Z', // Sat 4 Apr
    });
    expect(deadlines('2026-03-06T23:00:00Z').visitDue).toBe('2026-03-21T03:59:59.999Z'); // Fri 20 Mar
  });

  it('across the autumn DST change (1 November 2026) deadlines end at 23:59:59.999 EST', () => {
    // Friday 30 October 2026, 12:00 EDT.
    expect(deadlines('2026-10-30T16:00:00Z', true)).toMatchObject({
      contactDue: '2026-11-04T04:59:59.999Z', // Tue 3 Nov, EST (UTC-5)
      visitDue: '2026-11-07T04:59:59.999Z', // Fri 6 Nov
    });
    // Saturday 31 October, 23:30 EDT is Sunday 03:30 UTC: still a Saturday discharge locally.
    expect(deadlines('2026-11-01T03:30:00Z').contactDue).toBe('2026-11-04T04:59:59.999Z');
    expect(deadlines('2026-11-01T03:30:00Z').periodEnd).toBe('2026-11-30T04:59:59.999Z'); // 29 Nov
  });

  it('the first and last instants of a local day give the same deadlines', () => {
    const first = deadlines('2026-11-20T05:00:00.000Z'); // 00:00 EST
    const last = deadlines('2026-11-21T04:59:59.999Z'); // 23:59:59.999 EST
    expect(last).toEqual(first);
    expect(deadlines('2026-11-21T05:00:00.000Z').periodEnd).not.toBe(first.periodEnd);
  });
});

describe('tcmQualification', () => {
  it('qualifies an inpatient stay discharged home (01) or to home health (06)', () => {
    expect(tcmQualification({ encounterClass: 'IMP', dischargeDisposition: '01' }).qualifies).toBe(true);
    expect(tcmQualification({ encounterClass: 'ACUTE', dischargeDisposition: '06' })).toEqual({
      qualifies: true,
      reason: expect.stringContaining('home health'),
    });
  });

  it('assumes home when the feed sends no disposition, and says so', () => {
    const result = tcmQualification({ encounterClass: 'IMP' });
    expect(result.qualifies).toBe(true);
    expect(result.reason).toMatch(/no discharge disposition.*assumed/);
  });

  it.each([
    ['20', /expired/],
    ['02', /short-term general hospital/],
    ['03', /skilled nursing facility/],
    ['04', /intermediate care facility/],
    ['05', /another type of institution/],
    ['30', /still a patient/],
  ])('does not qualify disposition %s', (code, meaning) => {
    const result = tcmQualification({ encounterClass: 'IMP', dischargeDisposition: code });
    expect(result.qualifies).toBe(false);
    expect(result.reason).toMatch(meaning);
  });

  it('qualifies observation, non-acute inpatient (SNF, rehab, psychiatric) and partial hospitalization stays', () => {
    expect(tcmQualification({ encounterClass: 'OBSENC', dischargeDisposition: '01' }).qualifies).toBe(true);
    expect(tcmQualification({ encounterClass: 'NONAC', dischargeDisposition: '01' }).qualifies).toBe(true);
    expect(
      tcmQualification({ encounterClass: 'AMB', hospitalizationType: 'Partial hospitalization' }).qualifies,
    ).toBe(true);
    expect(tcmQualification({ encounterClass: 'AMB', hospitalizationType: 'observation' }).qualifies).toBe(
      true,
    );
    expect(tcmQualification({ encounterClass: 'imp', dischargeDisposition: '01' }).qualifies).toBe(true);
  });

  it('does not qualify emergency, ambulatory, short-stay or home-health encounters', () => {
    for (const encounterClass of ['EMER', 'AMB', 'SS', 'HH']) {
      const result = tcmQualification({ encounterClass, dischargeDisposition: '01' });
      expect(result.qualifies).toBe(false);
      expect(result.reason).toMatch(/Not a qualifying facility stay/);
    }
  });

  it('reads FHIR discharge-disposition codes too, and refuses an unknown code rather than guessing', () => {
    expect(tcmQualification({ encounterClass: 'IMP', dischargeDisposition: 'home' }).qualifies).toBe(true);
    expect(tcmQualification({ encounterClass: 'IMP', dischargeDisposition: 'exp' }).qualifies).toBe(false);
    expect(tcmQualification({ encounterClass: 'IMP', dischargeDisposition: '99' })).toEqual({
      qualifies: false,
      reason: expect.stringContaining('unknown discharge disposition 99'),
    });
  });
});

describe('tcmComplexity', () => {
  it('is high from LACE 10 or HOSPITAL 7, moderate just below', () => {
    expect(tcmComplexity({ lace: 9 }).high).toBe(false);
    expect(tcmComplexity({ lace: 10 }).high).toBe(true);
    expect(tcmComplexity({ hospital: 6 }).high).toBe(false);
    expect(tcmComplexity({ hospital: 7 })).toEqual({
      high: true,
      reason: 'High readmission risk: HOSPITAL ≥ 7.',
    });
    expect(tcmComplexity({ lace: 9, hospital: 6 }).reason).toBe(
      'Readmission risk below the high band (LACE < 10, HOSPITAL < 7): moderate complexity until a clinician says otherwise.',
    );
    expect(tcmComplexity({}).high).toBe(false);
  });

  it("lets the clinician's call override the scores both ways", () => {
    expect(tcmComplexity({ lace: 15, hospital: 9, clinicianSays: 'moderate' }).high).toBe(false);
    expect(tcmComplexity({ lace: 2, clinicianSays: 'high' }).high).toBe(true);
  });

  it('takes a LACE total straight from laceScore', () => {
    const lace = laceScore({
      lengthOfStayDays: 5,
      acuteAdmission: true,
      charlson: 1,
      emergencyVisits6Months: 2,
    });
    expect(lace.total).toBe(10);
    expect(tcmComplexity({ lace: lace.total }).high).toBe(true);
  });
});
