/**
 * The synthetic health system every patient belongs to: a hospital, primary-care practices, a pharmacy,
 * community organizations, payers, and their staff (Practitioner + PractitionerRole). Emitted once, as the
 * first ("information") transaction bundle; patient bundles reference it with relative references.
 */
import type {
  Address,
  Bundle,
  BundleEntry,
  ContactPoint,
  HumanName,
  Location,
  Organization,
  Practitioner,
  PractitionerRole,
  Resource,
} from 'fhir/r4.js';
import { type CodeDisplay, concept, ref, SYS } from './codes.js';
import { type Background, pickFamily, pickGiven, type Sex } from './names.js';
import { ASIAN_GROUPS } from './names-data.js';
import { Rng } from './prng.js';
import {
  type Directory,
  PRACTICE_NAMES,
  type Practice,
  practiceCount,
  ROLES,
  type Site,
  type StaffMember,
  type StaffRole,
  staffCount,
} from './staffing.js';

/** National Provider Identifier with a valid Luhn check digit (the NPI standard prefixes 80840). */
function npi(rng: Rng, used: Set<string>): string {
  for (;;) {
    let body = String(rng.pick([1, 2]));
    for (let i = 0; i < 8; i++) body += String(rng.int(0, 9));
    let sum = 24; // Luhn contribution of the constant prefix 80840
    for (let i = 0; i < 9; i++) {
      let d = body.charCodeAt(8 - i) - 48;
      if (i % 2 === 0) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    const id = body + String((10 - (sum % 10)) % 10);
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

function address(line: string, city: string, postalCode: string): Address {
  return { use: 'work', line: [line], city, state: 'OH', postalCode, country: 'US' };
}

function phone(rng: Rng, areaCode = '614'): ContactPoint {
  // 555-0100..0199 is reserved for fictional use.
  return {
    system: 'phone',
    value: `(${areaCode}) 555-01${String(rng.int(0, 99)).padStart(2, '0')}`,
    use: 'work',
  };
}

/** Builds the information bundle and the directory that patient generation draws staff and sites from. */
export function buildInformation(seed: string, patients: number): { bundle: Bundle; directory: Directory } {
  const rng = new Rng(seed + ':information');
  const usedNpis = new Set<string>();
  const orgs: BundleEntry[] = [];
  const locations: BundleEntry[] = [];
  const practitioners: BundleEntry[] = [];
  const roles: BundleEntry[] = [];
  const put = (list: BundleEntry[], resource: Resource & { id: string }): void => {
    list.push({
      fullUrl: 'urn:uuid:' + resource.id,
      resource,
      request: { method: 'PUT', url: resource.resourceType + '/' + resource.id },
    });
  };

  const organization = (
    name: string,
    type: CodeDisplay,
    addr: Address | undefined,
    extra: Partial<Organization> = {},
  ): Site => {
    const id = rng.uuid();
    const org: Organization = { resourceType: 'Organization', id, active: true, ...extra, name };
    if (type[0] === 'prov') org.identifier = [{ system: SYS.npi, value: npi(rng, usedNpis) }];
    org.type = [concept(SYS.organizationType, type[0], type[1])];
    org.telecom = [phone(rng)];
    if (addr) org.address = [addr];
    put(orgs, org as Organization & { id: string });
    return { id, name, locationId: '' };
  };

  const location = (
    name: string,
    orgId: string,
    type: CodeDisplay,
    physical: CodeDisplay,
    addr: Address,
    partOf?: string,
  ): string => {
    const id = rng.uuid();
    const loc: Location = {
      resourceType: 'Location',
      id,
      status: 'active',
      name,
      mode: 'instance',
      type: [concept(SYS.roleCode, type[0], type[1])],
      telecom: [phone(rng)],
      address: addr,
      physicalType: concept(SYS.locationPhysicalType, physical[0], physical[1]),
      managingOrganization: ref('Organization', orgId),
    };
    if (partOf) loc.partOf = ref('Location', partOf);
    put(locations, loc as Location & { id: string });
    return id;
  };

  const building: CodeDisplay = ['bu', 'Building'];
  const ward: CodeDisplay = ['wa', 'Ward'];

  // Hospital and its units.
  const hospitalAddr = address('1200 Riverside Dr', 'Columbus', '43214');
  const hospitalOrg = organization(
    'Riverside Regional Medical Center',
    ['prov', 'Healthcare Provider'],
    hospitalAddr,
  );
  const hospitalLoc = location(
    hospitalOrg.name,
    hospitalOrg.id,
    ['HOSP', 'Hospital'],
    building,
    hospitalAddr,
  );
  const unit = (name: string, type: CodeDisplay, physical = ward) =>
    location(`${hospitalOrg.name} - ${name}`, hospitalOrg.id, type, physical, hospitalAddr, hospitalLoc);
  const hospital = {
    ...hospitalOrg,
    locationId: hospitalLoc,
    edId: unit('Emergency Department', ['ER', 'Emergency room']),
    wardId: unit('Medical-Surgical Unit 4 West', ['HU', 'Hospital unit']),
    icuId: unit('Intensive Care Unit', ['ICU', 'Intensive care unit']),
  };
  const specialtyClinics = {
    cardiology: unit('Heart & Vascular Clinic', ['CVDX', 'Cardiovascular diagnostics or therapeutics unit']),
    endocrinology: unit('Diabetes & Endocrinology Clinic', ['ENDO', 'Endocrinology clinic']),
    nephrology: unit('Kidney Clinic', ['NEPH', 'Nephrology clinic']),
  };

  // Primary-care practices.
  const practiceSites = [
    address('455 County Line Rd W', 'Westerville', '43082'),
    address('3100 E Broad St', 'Columbus', '43209'),
    address('2250 Stringtown Rd', 'Grove City', '43123'),
  ];
  const practices: Practice[] = [];
  for (let i = 0; i < practiceCount(patients); i++) {
    const org = organization(PRACTICE_NAMES[i], ['prov', 'Healthcare Provider'], practiceSites[i]);
    const locationId = location(org.name, org.id, ['PC', 'Primary care clinic'], building, practiceSites[i]);
    practices.push({ ...org, locationId, staff: { pcp: [], nurse: [], caseManager: [], chw: [] } });
  }

  const pharmacyAddr = address('1180 Riverside Dr', 'Columbus', '43214');
  const pharmacyOrg = organization(
    'Riverside Community Pharmacy',
    ['prov', 'Healthcare Provider'],
    pharmacyAddr,
  );
  const pharmacy = {
    ...pharmacyOrg,
    locationId: location(pharmacyOrg.name, pharmacyOrg.id, ['PHARM', 'Pharmacy'], building, pharmacyAddr),
  };

  const communitySite = (name: string, addr: Address, alias: string): Site => {
    const org = organization(name, ['cg', 'Community Group'], addr, { alias: [alias] });
    return { ...org, locationId: location(name, org.id, ['COMM', 'Community Location'], building, addr) };
  };
  const community = {
    foodBank: communitySite(
      'Harvest Table Food Bank',
      address('88 Parsons Ave', 'Columbus', '43205'),
      'Food bank',
    ),
    housing: communitySite(
      'Open Door Housing Services',
      address('610 N High St', 'Columbus', '43215'),
      'Housing assistance agency',
    ),
    transport: communitySite(
      'RideWell Medical Transportation',
      address('47 W Main St', 'Newark', '43055'),
      'Non-emergency medical transportation',
    ),
  };

  const payer = (name: string) => organization(name, ['pay', 'Payer'], undefined);
  const payers = {
    medicare: payer('Medicare (Centers for Medicare & Medicaid Services)'),
    medicaid: payer('Ohio Department of Medicaid'),
    commercial: [payer('Buckeye Mutual Health Plan'), payer('Great Lakes Health Alliance')],
  };

  // Staff.
  const staff = {} as Record<StaffRole, StaffMember[]>;
  const workplace = (role: StaffRole, n: number): { org: Site; locationId: string } => {
    if (role === 'pcp' || role === 'nurse' || role === 'caseManager' || role === 'chw') {
      const p = practices[n % practices.length];
      return { org: p, locationId: p.locationId };
    }
    if (role === 'pharmacist') return { org: pharmacy, locationId: pharmacy.locationId };
    if (role === 'emergency') return { org: hospital, locationId: hospital.edId };
    if (role === 'cardiology' || role === 'endocrinology' || role === 'nephrology') {
      return { org: hospital, locationId: specialtyClinics[role] };
    }
    return { org: hospital, locationId: hospital.locationId };
  };
  for (const role of Object.keys(ROLES) as StaffRole[]) {
    const def = ROLES[role];
    staff[role] = [];
    for (let n = 0; n < staffCount(role, patients); n++) {
      const sex: Sex = rng.chance(def.doctor ? 0.45 : 0.8) ? 'female' : 'male';
      const r = rng.next();
      const background: Background =
        r < 0.12 ? 'hispanic' : r < 0.24 ? 'black' : r < 0.36 ? ASIAN_GROUPS.pick(rng) : 'general';
      const given = pickGiven(rng, sex, rng.int(1960, 1992), background);
      const family = pickFamily(rng, background);
      const suffix = rng.pick(def.suffix);
      const id = rng.uuid();
      const display = `${def.doctor ? 'Dr. ' : ''}${given} ${family}, ${suffix}`;
      const name: HumanName = { use: 'official', family, given: [given], suffix: [suffix] };
      if (def.doctor) name.prefix = ['Dr.'];
      const practitioner: Practitioner = {
        resourceType: 'Practitioner',
        id,
        identifier: [{ system: SYS.npi, value: npi(rng, usedNpis) }],
        active: true,
        name: [name],
        telecom: [phone(rng)],
        gender: sex,
      };
      put(practitioners, practitioner as Practitioner & { id: string });
      const place = workplace(role, n);
      const pr: PractitionerRole = {
        resourceType: 'PractitionerRole',
        id: rng.uuid(),
        active: true,
        practitioner: ref('Practitioner', id, display),
        organization: ref('Organization', place.org.id, place.org.name),
        code: [concept(SYS.nucc, def.nucc[0], def.nucc[1])],
        location: [ref('Location', place.locationId)],
        telecom: [phone(rng)],
      };
      if (def.specialty) pr.specialty = [concept(SYS.snomed, def.specialty[0], def.specialty[1])];
      put(roles, pr as PractitionerRole & { id: string });
      const member = { id, display, role };
      staff[role].push(member);
      if (role === 'pcp' || role === 'nurse' || role === 'caseManager' || role === 'chw') {
        practices[n % practices.length].staff[role].push(member);
      }
    }
  }

  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [...orgs, ...locations, ...practitioners, ...roles],
  };
  return {
    bundle,
    directory: { hospital, specialtyClinics, practices, pharmacy, community, payers, staff },
  };
}
