/**
 * What the transitions board shows of one discharge (`TransitionView`), as the API sends it. Types and
 * constants only, with no imports: the web app imports this file too, so server and client share one
 * definition (src/modules/transitions/transitions.service.ts builds it; web/src/transitions/ draws it).
 */

/** The tasks a qualifying discharge creates (tcm.service.ts), in the order the board lists them. */
export const tcmTaskKinds = [
  'tcm-interactive-contact',
  'tcm-face-to-face',
  'medication-reconciliation',
] as const;
export type TcmTaskKind = (typeof tcmTaskKinds)[number];

export interface RiskView {
  score: number;
  band: string;
  tier?: string;
  factors?: { code: string; label: string; value: string; points: number }[];
}

export interface TransitionView {
  encounterId: string;
  patient: { id: string; name: string | null; age: number | null };
  facility: string | null;
  class: string | null;
  admittedAt: string | null;
  dischargedAt: string | null;
  disposition: { code: string; display?: string } | null;
  risk: { lace: RiskView | null; hospital: RiskView | null };
  complexity: { level: 'high' | 'moderate'; reason: string; by?: string } | null;
  tcmPeriod: { start?: string; end?: string } | null;
  tasks: {
    id: string;
    kind: TcmTaskKind;
    title: string;
    status: string;
    statusReason?: string;
    owner?: string;
    dueAt: string | null;
    overdue: boolean;
  }[];
  contactAttempts: {
    id: string;
    at: string | null;
    channel: string | null;
    outcome: string | null;
    note?: string;
  }[];
  readmission: { flagId: string; role: 'index' | 'readmission'; otherEncounterId: string | null } | null;
}
