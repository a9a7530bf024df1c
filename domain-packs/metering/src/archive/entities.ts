/**
 * The meter archive (表务档案) as entity models: the platform gives them their CRUD API
 * (`/api/entities/<code>/records`), list and form blocks, validation, audit and tenant isolation, and a
 * consultant may add fields. Address levels follow DOMAIN.md: community → building → unit → room.
 */
import type { PackManifestInput } from '@shuiyun/sdk';

const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });

type Entities = NonNullable<PackManifestInput['entities']>;

export const HOUSEHOLD = 'metering_household';
export const METER = 'metering_meter';
export const BOOK = 'metering_book';
export const PLAN = 'metering_plan';

export const meterKinds = [
  { value: 'mechanical', label: l('机械表（人工抄表）', 'Mechanical (read by hand)') },
  { value: 'remote', label: l('远传/NB-IoT 表', 'Remote / NB-IoT') },
  { value: 'concentrator', label: l('集中器抄表', 'Concentrator') },
];

export const meterStatuses = [
  { value: 'installed', label: l('已安装', 'Installed') },
  { value: 'accepted', label: l('已验收', 'Accepted') },
  { value: 'in_service', label: l('在用', 'In service') },
  { value: 'swapped', label: l('已换下', 'Swapped out') },
  { value: 'retired', label: l('已拆除', 'Retired') },
];

export const entities: Entities = [
  {
    code: HOUSEHOLD,
    name: '用户户籍',
    model: {
      label: l('用户', 'Household'),
      titleField: 'accountNo',
      fields: [
        { name: 'accountNo', label: l('户号', 'Account no.'), type: 'string', required: true, unique: true, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' },
        { name: 'name', label: l('户名', 'Name'), type: 'string', required: true, maxLength: 100 },
        { name: 'phone', label: l('电话', 'Phone'), type: 'string', maxLength: 20, pattern: '^[0-9+ -]{5,20}$' },
        { name: 'community', label: l('小区', 'Community'), type: 'string', required: true, maxLength: 100 },
        { name: 'building', label: l('楼栋', 'Building'), type: 'string', maxLength: 20 },
        { name: 'unit', label: l('单元', 'Entrance'), type: 'string', maxLength: 20 },
        { name: 'room', label: l('房号', 'Room'), type: 'string', maxLength: 20 },
        { name: 'householdSize', label: l('户籍人数', 'Household size'), type: 'integer', min: 1, max: 50 },
      ],
      indexes: [{ fields: ['community', 'building'] }],
    },
  },
  {
    code: BOOK,
    name: '抄表册',
    model: {
      label: l('抄表册', 'Reading book'),
      titleField: 'code',
      fields: [
        { name: 'code', label: l('册号', 'Book no.'), type: 'string', required: true, unique: true, maxLength: 32 },
        { name: 'name', label: l('名称', 'Name'), type: 'string', required: true, maxLength: 100 },
        { name: 'reader', label: l('抄表员（用户名）', 'Reader (username)'), type: 'string', maxLength: 100 },
        { name: 'community', label: l('小区', 'Community'), type: 'string', maxLength: 100 },
      ],
    },
  },
  {
    code: METER,
    name: '水表档案',
    model: {
      label: l('水表', 'Meter'),
      titleField: 'meterNo',
      fields: [
        { name: 'meterNo', label: l('表号', 'Meter no.'), type: 'string', required: true, unique: true, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' },
        { name: 'kind', label: l('表类型', 'Kind'), type: 'enum', required: true, options: meterKinds },
        { name: 'household', label: l('用户', 'Household'), type: 'reference', reference: HOUSEHOLD },
        { name: 'book', label: l('抄表册', 'Reading book'), type: 'reference', reference: BOOK },
        { name: 'device', label: l('设备编码（远传）', 'Device code (remote)'), type: 'string', maxLength: 64 },
        { name: 'registerDigits', label: l('整数位数（m³）', 'Register digits (m³)'), type: 'integer', min: 3, max: 9 },
        { name: 'initialReadingL', label: l('安装底数（升）', 'Initial reading (L)'), type: 'integer', min: 0 },
        { name: 'installedAt', label: l('安装日期', 'Installed on'), type: 'date', required: true },
        { name: 'acceptedAt', label: l('验收日期', 'Accepted on'), type: 'date' },
        { name: 'status', label: l('状态', 'Status'), type: 'enum', required: true, options: meterStatuses },
      ],
      indexes: [{ fields: ['device'] }, { fields: ['household'] }],
    },
  },
  {
    code: PLAN,
    name: '结算计划',
    model: {
      label: l('结算计划', 'Settlement plan'),
      titleField: 'name',
      fields: [
        { name: 'name', label: l('名称', 'Name'), type: 'string', required: true, maxLength: 100 },
        { name: 'dayOfMonth', label: l('结算日', 'Settlement day'), type: 'integer', required: true, min: 1, max: 28 },
        { name: 'community', label: l('小区（空为全部）', 'Community (empty: all)'), type: 'string', maxLength: 100 },
        { name: 'toleranceDays', label: l('冻结容差（天）', 'Freeze tolerance (days)'), type: 'integer', min: 0, max: 15 },
        { name: 'maxRatio', label: l('超均值倍数', 'Max × average'), type: 'integer', min: 2, max: 100 },
        { name: 'zeroDays', label: l('零用量天数', 'Zero-use days'), type: 'integer', min: 7, max: 365 },
      ],
    },
  },
];
