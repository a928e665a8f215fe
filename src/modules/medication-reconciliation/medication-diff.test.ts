/**
 * The reconciliation diff on the generator's drugs: every kind of line, brand against generic, one
 * drug in two strengths, missing dosage, text-only directions and the intended same-class pairs.
 */
import type { MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { DRUGS, type DrugKey } from '../../generator/medications-data.js';
import { diffMedicationLists, lineId } from './medication-diff.js';
import { entryOf, frequencyFromRepeatPattern } from './medication-entry.js';
import { RXNORM } from './medication-reconciliation.rules.js';

let n = 0;
/** A MedicationRequest for a generator drug: `dose` units of the product `perDay` times a day. */
function order(
  drug: DrugKey | { code?: string; text: string },
  dosage: { dose?: number; unit?: string; perDay?: number; text?: string; asNeeded?: boolean } = {
    dose: 1,
    perDay: 1,
  },
): MedicationRequest {
  const d = typeof drug === 'string' ? DRUGS[drug] : undefined;
  const custom = typeof drug === 'string' ? undefined : drug;
  const code = d?.rxnorm ?? custom?.code;
  return {
    resourceType: 'MedicationRequest',
    id: `mr-${++n}`,
    status: 'active',
    intent: 'order',
    subject: { reference: 'Patient/p' },
    medicationCodeableConcept: {
      ...(code ? { coding: [{ system: RXNORM, code, ...(d ? { display: d.display } : {}) }] } : {}),
      text: d?.text ?? custom!.text,
    },
    dosageInstruction: [
      {
        ...(dosage.text ? { text: dosage.text } : {}),
        ...(dosage.asNeeded ? { asNeededBoolean: true } : {}),
        ...(dosage.perDay !== undefined
          ? { timing: { repeat: { frequency: dosage.perDay, period: 1, periodUnit: 'd' } } }
          : {}),
        ...(dosage.dose !== undefined
          ? {
              doseAndRate: [
                {
                  doseQuantity: {
                    value: dosage.dose,
                    system: 'http://unitsofmeasure.org',
                    code: dosage.unit ?? d?.doseUnit[0] ?? '{tbl}',
                  },
                },
              ],
            }
          : {}),
      },
    ],
  };
}

const diff = (before: MedicationRequest[], after: MedicationRequest[]) =>
  diffMedicationLists(before.map(entryOf), after.map(entryOf));

describe('diffMedicationLists', () => {
  it('marks the same product, dose and frequency unchanged', () => {
    const [line, ...rest] = diff([order('lisinopril10')], [order('lisinopril10')]);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ kind: 'unchanged', class: 'ace-inhibitor' });
    expect(line!.detail).toBe('same drug, dose and frequency');
  });

  it('marks a drug only on the discharge list new and one only before admission stopped', () => {
    const lines = diff([order('warfarin5')], [order('sertraline50')]);
    expect(lines.map((l) => [l.kind, l.class])).toEqual([
      ['stopped', 'anticoagulant'],
      ['new', 'ssri'],
    ]);
    expect(lines[0]!.before?.name).toBe('Warfarin 5 mg tablet');
    expect(lines[0]!.after).toBeUndefined();
    expect(lines[1]!.detail).toBe('Sertraline 50 mg tablet is new on the discharge list');
  });

  it('sees one drug in two strengths as a dose change, not as a stop and a start', () => {
    const [line, ...rest] = diff([order('lisinopril10')], [order('lisinopril20')]);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ kind: 'dose-changed', detail: 'dose 10 mg → 20 mg' });
  });

  it('counts 2 tablets of 10 mg the same dose as 1 tablet of 20 mg', () => {
    const lines = diff([order('lisinopril10', { dose: 2, perDay: 1 })], [order('lisinopril20')]);
    expect(lines.map((l) => l.kind)).toEqual(['unchanged']);
  });

  it('reads a change in the number of tablets as a dose change (metformin 1 → 2 tablets twice daily)', () => {
    const [line] = diff(
      [order('metformin500', { dose: 1, perDay: 2 })],
      [order('metformin500', { dose: 2, perDay: 2 })],
    );
    expect(line).toMatchObject({ kind: 'dose-changed', detail: 'dose 500 mg → 1000 mg' });
  });

  it('reads a change of times a day as a frequency change', () => {
    const [line] = diff(
      [order('carvedilol12', { dose: 1, perDay: 1 })],
      [order('carvedilol12', { dose: 1, perDay: 2 })],
    );
    expect(line).toMatchObject({ kind: 'frequency-changed', detail: 'frequency once daily → twice daily' });
  });

  it('names both changes when dose and frequency change together (kind dose-changed)', () => {
    const [line] = diff([order('furosemide40')], [order('furosemide40', { dose: 2, perDay: 2 })]);
    expect(line).toMatchObject({
      kind: 'dose-changed',
      detail: 'dose 40 mg → 80 mg; frequency once daily → twice daily',
    });
  });

  it('treats a scheduled drug made as-needed as a frequency change', () => {
    const [line] = diff(
      [order('albuterol', { dose: 2, perDay: 4 })],
      [order('albuterol', { dose: 2, perDay: 4, asNeeded: true })],
    );
    expect(line?.kind).toBe('frequency-changed');
    expect(line?.detail).toBe('frequency four times daily → four times daily as needed');
  });

  it('matches a brand product to its generic (Eliquis 1364447 vs apixaban 1364445)', () => {
    const brand = order({ code: '1364447', text: 'Eliquis 5 mg tablet' }, { dose: 1, perDay: 2 });
    const [line, ...rest] = diff([order('apixaban5', { dose: 1, perDay: 2 })], [brand]);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ kind: 'unchanged', class: 'anticoagulant' });
  });

  it('matches a brand typed without a code (Lipitor 40 mg) to the generic product by name', () => {
    const brand = order({ text: 'Lipitor 40 mg tablet' }, { dose: 1, perDay: 1 });
    const [line, ...rest] = diff([order('atorvastatin20')], [brand]);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ kind: 'dose-changed', class: 'statin', detail: 'dose 20 mg → 40 mg' });
  });

  it('matches drugs the table does not know by normalized name', () => {
    const before = order({ text: 'Levothyroxine 50 mcg tablet' }, { dose: 1, perDay: 1 });
    const after = order({ text: 'levothyroxine 75 MCG Oral Tablet' }, { dose: 1, perDay: 1 });
    const [line, ...rest] = diff([before], [after]);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ kind: 'dose-changed', detail: 'dose 50 mcg → 75 mcg' });
    expect(line!.class).toBeUndefined();
  });

  it('keeps an unchanged line but asks to confirm when the discharge list has no dosage', () => {
    const bare: MedicationRequest = { ...order('atorvastatin40'), dosageInstruction: undefined };
    const [line] = diff([order('atorvastatin40')], [bare]);
    expect(line).toMatchObject({ kind: 'unchanged' });
    expect(line!.detail).toContain('dose not recorded on the discharge list: confirm');
    expect(line!.detail).toContain('frequency not recorded on the discharge list: confirm');
  });

  it('compares free-text directions when there is no structured dosage', () => {
    const text = (t: string) => order('metformin500', { text: t });
    expect(
      diff([text('Take 1 tablet by mouth twice daily')], [text('take 1 tablet BID with meals')])[0]!.kind,
    ).toBe('unchanged');
    expect(
      diff([text('Take 1 tablet by mouth twice daily')], [text('Take 2 tablets twice daily')])[0],
    ).toMatchObject({
      kind: 'dose-changed',
      detail: 'dose 500 mg → 1000 mg',
    });
    expect(diff([text('Take 1 tablet daily')], [text('Take 1 tablet every 8 hours')])[0]).toMatchObject({
      kind: 'frequency-changed',
      detail: 'frequency once daily → three times daily',
    });
    expect(diff([text('Use as directed')], [text('Use as directed by the clinic')])[0]).toMatchObject({
      kind: 'dose-changed',
      detail: 'directions differ: "Use as directed" → "Use as directed by the clinic"',
    });
  });

  it('flags two drugs of one class on the discharge list, continued first (atorvastatin + rosuvastatin)', () => {
    const rosuvastatin = order({ code: '301542', text: 'Rosuvastatin 10 mg tablet' });
    const lines = diff([order('atorvastatin40')], [rosuvastatin, order('atorvastatin40')]);
    expect(lines.map((l) => l.kind)).toEqual(['unchanged', 'new', 'duplicate-class']);
    const dup = lines[2]!;
    expect(dup.class).toBe('statin');
    expect(dup.before?.name).toBe('Atorvastatin 40 mg tablet');
    expect(dup.after?.name).toBe('Rosuvastatin 10 mg tablet');
    expect(dup.detail).toBe(
      'Atorvastatin 40 mg tablet and Rosuvastatin 10 mg tablet are both in the class HMG-CoA reductase inhibitor (statin)',
    );
  });

  it('flags across classes grouped for safety (warfarin continued + apixaban new: two anticoagulants)', () => {
    const lines = diff(
      [order('warfarin5')],
      [order('warfarin5'), order('apixaban5', { dose: 1, perDay: 2 })],
    );
    expect(lines.filter((l) => l.kind === 'duplicate-class').map((l) => l.class)).toEqual(['anticoagulant']);
  });

  it('flags the same drug twice on the discharge list', () => {
    const lines = diff([], [order('sertraline50'), order('sertraline50')]);
    expect(lines.at(-1)?.detail).toBe(
      'Sertraline 50 mg tablet and Sertraline 50 mg tablet are the same drug (sertraline) twice on the discharge list',
    );
  });

  it('does not flag the intended pairs: basal + rapid insulin, aspirin + a P2Y12 inhibitor', () => {
    const lispro = order(
      { code: '86009', text: 'Insulin lispro 100 units/mL' },
      { dose: 6, unit: '[IU]', perDay: 3 },
    );
    const clopidogrel = order({ code: '32968', text: 'Clopidogrel 75 mg tablet' });
    const lines = diff(
      [order('insulinGlargine', { dose: 20, perDay: 1 }), order('aspirin81')],
      [order('insulinGlargine', { dose: 20, perDay: 1 }), order('aspirin81'), lispro, clopidogrel],
    );
    expect(lines.map((l) => l.kind)).toEqual(['unchanged', 'unchanged', 'new', 'new']);
    // ...but two basal insulins or two P2Y12 inhibitors are duplicates.
    const ticagrelor = order({ code: '1116632', text: 'Ticagrelor 90 mg tablet' });
    const detemir = order({ code: '139825', text: 'Insulin detemir' });
    const dup = diff([], [clopidogrel, ticagrelor, order('insulinGlargine'), detemir]).filter(
      (l) => l.kind === 'duplicate-class',
    );
    expect(dup.map((l) => l.class)).toEqual(['antiplatelet', 'insulin']);
  });

  it('gives a line the same id whatever its kind, so a decision survives an edited dose', () => {
    const before = order('lisinopril10');
    const after = order('lisinopril10');
    const first = diff([before], [after])[0]!;
    const edited = diff(
      [before],
      [{ ...after, dosageInstruction: order('lisinopril20').dosageInstruction }],
    )[0]!;
    expect(first.id).toBe(edited.id);
    expect(first.id).toBe(lineId('med', `MedicationRequest/${before.id}`, `MedicationRequest/${after.id}`));
  });

  it('reads a MedicationStatement (what the patient reports taking) like a request', () => {
    const statement: MedicationStatement = {
      resourceType: 'MedicationStatement',
      id: 'ms-1',
      status: 'active',
      subject: { reference: 'Patient/p' },
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: '617310' }], text: 'atorvastatin 20 mg' },
      dosage: [{ text: 'one tablet at bedtime' }],
    };
    const [line] = diffMedicationLists([entryOf(statement)], [entryOf(order('atorvastatin20'))]);
    expect(line).toMatchObject({ kind: 'unchanged', before: { reference: 'MedicationStatement/ms-1' } });
  });
});

describe('HL7 repeat patterns (table 0335)', () => {
  it.each([
    ['BID', 2, 1, 'd'],
    ['tid', 3, 1, 'd'],
    ['Q6H', 1, 6, 'h'],
    ['Q2D', 1, 2, 'd'],
    ['QOD', 1, 2, 'd'],
  ])('%s is %d per %d %s', (code, frequency, period, periodUnit) => {
    expect(frequencyFromRepeatPattern(code)).toMatchObject({ frequency, period, periodUnit });
  });
  it('knows PRN as as-needed and refuses what it does not know', () => {
    expect(frequencyFromRepeatPattern('PRN')?.asNeeded).toBe(true);
    expect(frequencyFromRepeatPattern('SOMETIMES')).toBeUndefined();
  });
});
