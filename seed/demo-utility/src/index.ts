/**
 * The demo utility every fresh install starts with: a water group (水投集团) with two county water
 * companies, one business office each, a few org units, communities and buildings. Deterministic,
 * so screenshots, tests and documentation can name its records.
 */
export interface DemoBuilding {
  code: string;
  name: string;
}
export interface DemoCommunity {
  code: string;
  name: string;
  address: string;
  /** Code of the org unit that serves it. */
  orgUnit: string;
  buildings: DemoBuilding[];
}
export interface DemoOrgUnit {
  code: string;
  name: string;
  kind: 'department' | 'office';
  parent?: string;
}
export interface DemoTenant {
  code: string;
  name: string;
  kind: 'group' | 'company' | 'site';
  /** Code of the parent tenant; the group hangs under the platform tenant. */
  parent: string | null;
  orgUnits: DemoOrgUnit[];
  communities: DemoCommunity[];
}

const buildingsOf = (prefix: string, count: number): DemoBuilding[] =>
  Array.from({ length: count }, (_, i) => ({ code: `${prefix}-B${String(i + 1).padStart(2, '0')}`, name: `${i + 1}号楼` }));

function company(code: string, county: string, parent: string): DemoTenant {
  return {
    code,
    name: `${county}自来水有限公司`,
    kind: 'company',
    parent,
    orgUnits: [
      { code: 'ops', name: '运营部', kind: 'department' },
      { code: 'metering', name: '计量科', kind: 'department', parent: 'ops' },
      { code: 'service', name: '客户服务部', kind: 'department' },
    ],
    communities: [
      { code: 'C001', name: `${county}锦绣花园`, address: `${county}城关镇锦绣路 8 号`, orgUnit: 'metering', buildings: buildingsOf('C001', 6) },
      { code: 'C002', name: `${county}滨江小区`, address: `${county}滨江大道 120 号`, orgUnit: 'service', buildings: buildingsOf('C002', 4) },
    ],
  };
}

function site(code: string, name: string, parent: string): DemoTenant {
  return {
    code,
    name,
    kind: 'site',
    parent,
    orgUnits: [{ code: 'counter', name: '营业厅', kind: 'office' }],
    communities: [{ code: 'C101', name: `${name}新村`, address: `${name}辖区新村路 1 号`, orgUnit: 'counter', buildings: buildingsOf('C101', 3) }],
  };
}

export const demoUtility: readonly DemoTenant[] = [
  {
    code: 'demo-group',
    name: '示范水务投资集团',
    kind: 'group',
    parent: null,
    orgUnits: [{ code: 'hq', name: '集团总部', kind: 'department' }],
    communities: [],
  },
  company('demo-county-a', '东湖县', 'demo-group'),
  company('demo-county-b', '西山县', 'demo-group'),
  site('demo-site-a1', '东湖县城东营业所', 'demo-county-a'),
  site('demo-site-b1', '西山县城西营业所', 'demo-county-b'),
];

/** Username of a tenant's seeded administrator. */
export const adminUsername = (tenantCode: string) => `admin@${tenantCode}`;
