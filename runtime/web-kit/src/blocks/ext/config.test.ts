import { describe, expect, it } from 'vitest';
import { actionApplies, anyBusy, errorsByField, fillPath, isExtPath, readFormConfig, readTableConfig, valueAt } from './config.js';

describe('isExtPath', () => {
  it('takes pack routes only', () => {
    expect(isExtPath('/api/ext/metering/periods')).toBe(true);
    expect(isExtPath('/api/ext/metering/periods?scope=*')).toBe(true);
    expect(isExtPath('/api/ext/metering/periods/:period/settle')).toBe(true);
    expect(isExtPath('/api/entities/meter/records')).toBe(false);
    expect(isExtPath('https://evil.example/api/ext/x/y')).toBe(false);
    expect(isExtPath('/api/ext/metering')).toBe(false);
    expect(isExtPath('/api/ext//periods')).toBe(false);
    expect(isExtPath(42)).toBe(false);
  });

  it('refuses paths the browser would resolve out of the prefix', () => {
    expect(isExtPath('/api/ext/metering/../../auth/logout')).toBe(false);
    expect(isExtPath('/api/ext/metering/%2e%2e/x')).toBe(false);
    expect(isExtPath('/api/ext/metering/.%2E/x')).toBe(false);
    expect(isExtPath('/api/ext/metering/./x')).toBe(false);
    expect(isExtPath('/api/ext/metering\\..\\x')).toBe(false);
    expect(isExtPath('/api/ext/metering/a b')).toBe(false);
  });
});

describe('fillPath', () => {
  it('fills placeholders from the row, encoded', () => {
    expect(fillPath('/api/ext/metering/periods/:period/settle', { period: '2025-03' })).toEqual({ path: '/api/ext/metering/periods/2025-03/settle', used: ['period'] });
    expect(fillPath('/api/ext/p/items/:id?x=1', { id: 'a/b' })).toEqual({ path: '/api/ext/p/items/a%2Fb?x=1', used: ['id'] });
    expect(fillPath('/api/ext/p/meters/:meter.id', { meter: { id: 7 } })?.path).toBe('/api/ext/p/meters/7');
  });

  it('answers null for missing values and dot segments', () => {
    expect(fillPath('/api/ext/p/items/:id', {})).toBeNull();
    expect(fillPath('/api/ext/p/items/:id', { id: '' })).toBeNull();
    expect(fillPath('/api/ext/p/items/:id/x', { id: '..' })).toBeNull();
    expect(fillPath('/api/other/:id', { id: 1 })).toBeNull();
  });
});

describe('rows', () => {
  it('offers an action by its when', () => {
    expect(actionApplies({}, { status: 'open' })).toBe(true);
    expect(actionApplies({ when: { field: 'status', in: ['open', 'settled'] } }, { status: 'settled' })).toBe(true);
    expect(actionApplies({ when: { field: 'status', in: ['open'] } }, { status: 'closed' })).toBe(false);
    expect(actionApplies({ when: { field: 'n', in: [1] } }, { n: '1' })).toBe(true);
    expect(actionApplies({ when: { field: 'n', in: [null] } }, {})).toBe(false);
  });

  it('sees busy rows', () => {
    expect(anyBusy([{ status: 'open' }, { status: 'settling' }], ['settling'])).toBe(true);
    expect(anyBusy([{ status: 'open' }], ['settling'])).toBe(false);
    expect(anyBusy([{ status: 'settling' }], [])).toBe(false);
  });

  it('reads nested values', () => {
    expect(valueAt({ a: { b: 2 } }, 'a.b')).toBe(2);
    expect(valueAt({ 'a.b': 3 }, 'a.b')).toBe(3);
    expect(valueAt({ a: 1 }, 'a.b')).toBeUndefined();
  });
});

describe('errorsByField', () => {
  it('puts details on their fields', () => {
    const details = [
      { path: 'body.valueL', message: 'bad volume' },
      { path: 'body.location.latitude', message: 'never' },
      { path: 'body.latitude', message: 'bad latitude' },
      { path: 'params.period', message: 'bad period' },
      { path: 'pack', message: 'not installed' },
      { message: 'plain' },
    ];
    expect(errorsByField(details, ['valueL', 'location', 'period'], { latitude: 'location' })).toEqual({
      fields: { valueL: ['bad volume'], location: ['never', 'bad latitude'], period: ['bad period'] },
      rest: ['not installed', 'plain'],
    });
  });
});

describe('reading configs', () => {
  it('reads a table config defensively', () => {
    const config = readTableConfig({
      path: ' /api/ext/metering/periods ',
      columns: [{ key: 'period', title: { 'zh-CN': '结算期', en: 'Period' } }, { key: 'totalVolumeL', format: 'litres' }, { title: 'no key' }, 'junk'],
      pageSize: 1000,
      refreshSeconds: 1,
      busyStatuses: 'settling, queued',
      progress: {},
      filters: [{ key: 'status', kind: 'select', options: ['open', { value: 'closed', label: '已关账' }] }],
      rowActions: [{ label: '结算', path: '/api/ext/metering/periods/:period/settle', method: 'POST', when: { field: 'status', in: ['open'] } }, { label: 'no path' }],
      toolbar: 'nope',
    });
    expect(config.path).toBe('/api/ext/metering/periods');
    expect(config.columns).toHaveLength(2);
    expect(config.columns[1]).toMatchObject({ key: 'totalVolumeL', format: 'litres' });
    expect(config.pageSize).toBe(200);
    expect(config.refreshSeconds).toBe(2);
    expect(config.busyStatuses).toEqual(['settling', 'queued']);
    expect(config.progress).toEqual({ done: 'done', total: 'total', title: undefined });
    expect(config.filters[0]?.options).toEqual([{ value: 'open', label: 'open' }, { value: 'closed', label: '已关账' }]);
    expect(config.rowActions).toHaveLength(1);
    expect(config.rowActions[0]).toMatchObject({ method: 'post', when: { field: 'status', in: ['open'] } });
    expect(config.toolbar).toEqual([]);
  });

  it('reads a form config defensively', () => {
    const config = readFormConfig({ path: '/api/ext/metering/readings', fields: [{ key: 'valueL', kind: 'litres', required: true }, { key: 'x', kind: 'weird' }, {}] });
    expect(config.fields).toEqual([
      { key: 'valueL', label: undefined, kind: 'litres', required: true, options: [], entity: undefined },
      { key: 'x', label: undefined, kind: 'text', required: false, options: [], entity: undefined },
    ]);
  });
});
