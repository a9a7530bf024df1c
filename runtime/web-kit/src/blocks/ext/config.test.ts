import { describe, expect, it } from 'vitest';
import { actionApplies, anyBusy, changes, errorsByField, fillPath, filterDefault, isExtPath, isPicker, linkedPath, pageOf, readFormConfig, readTableConfig, rowLabel, valueAt } from './config.js';

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

describe('reading the newer configs', () => {
  it('reads money, lookup, file and requestKey fields, the result and resetOnSuccess', () => {
    const config = readFormConfig({
      path: '/api/ext/billing/payments',
      resetOnSuccess: 'no',
      result: [{ key: 'receiptNo', title: '票据号' }, { key: 'changeFen', label: '找零', format: 'fen' }, { title: 'no key' }, 7],
      fields: [
        {
          key: 'accountId',
          kind: 'lookup',
          required: true,
          autofocus: true,
          path: ' /api/ext/billing/accounts ',
          labelKeys: 'accountNo, customer.name，address',
          minChars: 100,
          pageSize: '5',
          detailPath: '/api/ext/billing/accounts/:id/balance',
          prefill: { amountFen: 'outstandingFen', bad: 3, '': 'x' },
          show: [{ key: 'outstandingFen', title: '欠费', format: 'fen' }],
          publish: 'account',
        },
        { key: 'amountFen', kind: 'money', required: true, allowNegative: 'yes' },
        { key: 'adjustFen', kind: 'money', allowNegative: true, default: '0.00' },
        { key: 'content', kind: 'file', fileNameKey: 'fileName', encoding: 'GB18030', maxBytes: 10 ** 12, accept: '' },
        { key: 'requestKey', kind: 'requestKey', required: true },
        { key: 'channel', kind: 'select', options: ['cash'], default: { nope: 1 } },
      ],
    });
    expect(config.resetOnSuccess).toBe(true);
    expect(readFormConfig({ refreshes: ['/api/ext/billing/receipts', '/api/other', 3] }).refreshes).toEqual(['/api/ext/billing/receipts']);
    expect(readFormConfig({ resetOnSuccess: false }).resetOnSuccess).toBe(false);
    expect(config.result).toEqual([
      { key: 'receiptNo', title: '票据号', format: 'text', labels: undefined },
      { key: 'changeFen', title: '找零', format: 'fen', labels: undefined },
    ]);
    const [lookup, amount, adjust, file, key, channel] = config.fields;
    expect(lookup).toMatchObject({ key: 'accountId', kind: 'lookup', required: true, autofocus: true });
    expect(lookup!.lookup).toEqual({
      path: '/api/ext/billing/accounts',
      param: 'q',
      valueKey: 'id',
      labelKeys: ['accountNo', 'customer.name', 'address'],
      minChars: 20,
      pageSize: 5,
      detailPath: '/api/ext/billing/accounts/:id/balance',
      prefill: { amountFen: 'outstandingFen' },
      show: [{ key: 'outstandingFen', title: '欠费', format: 'fen', labels: undefined }],
      publish: 'account',
    });
    expect(amount).toEqual({ key: 'amountFen', label: undefined, kind: 'money', required: true, options: [], entity: undefined });
    expect(adjust).toMatchObject({ kind: 'money', allowNegative: true, default: '0.00' });
    expect(file!.file).toEqual({ accept: '.csv,.txt,text/csv,text/plain', encoding: 'gb18030', maxBytes: 50 * 1024 * 1024, fileNameKey: 'fileName' });
    // A request key is never asked of the user: not required, whatever the config says.
    expect(key).toMatchObject({ kind: 'requestKey', required: false });
    expect(channel!.default).toBeUndefined();
    expect(isPicker(config)).toBe(false);
  });

  it('gives a lookup its defaults, and tells a picker', () => {
    const picker = readFormConfig({ fields: [{ key: 'account', kind: 'lookup', path: '/api/ext/billing/accounts' }] });
    expect(picker.fields[0]!.lookup).toEqual({ path: '/api/ext/billing/accounts', param: 'q', valueKey: 'id', labelKeys: ['id'], minChars: 1, pageSize: 8, prefill: {}, show: [] });
    expect(isPicker(picker)).toBe(false);
    expect(isPicker(readFormConfig({ fields: [{ key: 'a', kind: 'lookup', path: '/api/ext/b/c', publish: 'account' }] }))).toBe(true);
    expect(isPicker(readFormConfig({ fields: [{ key: 'a', kind: 'lookup', path: '/api/ext/b/c' }] }))).toBe(false);
    expect(isPicker(readFormConfig({ path: '/api/ext/b/c', fields: [{ key: 'a', kind: 'lookup', path: '/api/ext/b/c', publish: 'x' }] }))).toBe(false);
  });

  it('reads fen columns, selections and select row actions', () => {
    const config = readTableConfig({
      path: '/api/ext/billing/bills',
      columns: [{ key: 'amountFen', format: 'fen' }],
      selection: { name: 'account', params: { accountId: 'id', '': 'x', bad: 1 } },
      rowActions: [
        { label: '查看', select: 'account' },
        { label: '作废', path: '/api/ext/billing/receipts/:id/void', form: [{ key: 'reason', kind: 'textarea', required: true }] },
        { label: '选中但有表单', select: 'account', form: [{ key: 'x' }] },
      ],
      toolbar: [{ label: '只选择', select: 'account' }],
    });
    expect(config.columns[0]).toMatchObject({ format: 'fen' });
    expect(config.selection).toEqual({ name: 'account', params: { accountId: 'id' } });
    expect(readTableConfig({ path: '/api/ext/a/b', selection: 'account' }).selection).toEqual({ name: 'account', params: {} });
    expect(readTableConfig({ path: '/api/ext/a/b', selection: { params: {} } }).selection).toBeUndefined();
    expect(config.rowActions[0]).toMatchObject({ label: '查看', select: 'account', path: '' });
    expect(config.rowActions[1]!.form).toEqual([{ key: 'reason', label: undefined, kind: 'textarea', required: true }]);
    // A select action calls nothing, so it has no form.
    expect(config.rowActions[2]!.form).toBeUndefined();
    // The toolbar has no row to pick.
    expect(config.toolbar).toEqual([]);
  });

  it('reads row bodies and money fields of actions', () => {
    const config = readTableConfig({
      path: '/api/ext/billing/runs',
      rowActions: [{ label: '重新计费', path: '/api/ext/billing/runs', rowBody: { period: 'period', scope: 'scope', bad: 2 } }, { label: '查看', select: 'run', rowBody: { a: 'b' } }],
      toolbar: [{ label: '对账', path: '/api/ext/billing/finance/reconciliations', rowBody: { a: 'b' }, form: [{ key: 'declaredFen', kind: 'money', required: true }] }],
    });
    expect(config.rowActions[0]!.rowBody).toEqual({ period: 'period', scope: 'scope' });
    expect(config.rowActions[1]!.rowBody).toBeUndefined();
    expect(config.toolbar[0]!.rowBody).toBeUndefined();
    expect(config.toolbar[0]!.form).toEqual([{ key: 'declaredFen', label: undefined, kind: 'money', required: true }]);
  });
});

describe('lookups and linked tables', () => {
  it('labels a row by its keys, nested objects joined', () => {
    const row = { accountNo: 'A001', customer: { name: '张三', phone: null }, address: { community: '阳光小区', building: '3号楼', unit: '', room: '101' } };
    expect(rowLabel(row, ['accountNo', 'customer.name', 'address'])).toBe('A001 · 张三 · 阳光小区 · 3号楼 · 101');
    expect(rowLabel(row, ['missing'])).toBe('');
  });

  it('fills the path and the query from the picked row', () => {
    expect(linkedPath('/api/ext/billing/bills', { id: 7 }, { accountId: 'id' })).toBe('/api/ext/billing/bills?accountId=7');
    expect(linkedPath('/api/ext/billing/bills?status=open', { id: 7 }, { accountId: 'id' })).toBe('/api/ext/billing/bills?status=open&accountId=7');
    expect(linkedPath('/api/ext/billing/accounts/:id/balance', { id: 7 })).toBe('/api/ext/billing/accounts/7/balance');
    expect(linkedPath('/api/ext/billing/x', { customer: { name: '张 三' } }, { q: 'customer.name' })).toBe('/api/ext/billing/x?q=%E5%BC%A0%20%E4%B8%89');
    expect(linkedPath('/api/ext/billing/bills', {}, { accountId: 'id' })).toBeNull();
    expect(linkedPath('/api/ext/billing/accounts/:id', { id: '..' })).toBeNull();
  });
});

describe('nested bodies, lists and filters', () => {
  it('puts an error under a dotted field key, the longest first', () => {
    const details = [
      { path: 'body.customer.idNumber', message: 'bad id' },
      { path: 'body.customer', message: 'give a customer' },
      { path: 'body.address.community', message: 'required' },
      { path: 'body.documents.0.dataUrl', message: 'too big' },
    ];
    expect(errorsByField(details, ['customer.idNumber', 'address.community', 'idFront'], { documents: 'idFront' })).toEqual({
      fields: { 'customer.idNumber': ['bad id'], 'address.community': ['required'], idFront: ['too big'] },
      rest: ['give a customer'],
    });
  });

  it('reads photo documents, list keys and date filters', () => {
    const form = readFormConfig({ fields: [{ key: 'idFront', kind: 'photo', listKey: 'documents', documentName: '身份证正面.jpg' }, { key: 'other', kind: 'photo', listKey: 'documents' }, { key: 'plain', kind: 'text', listKey: 'x' }] });
    expect(form.fields.map((f) => [f.listKey, f.documentName])).toEqual([
      ['documents', '身份证正面.jpg'],
      ['documents', 'other.jpg'],
      [undefined, undefined],
    ]);
    const table = readTableConfig({
      path: '/api/ext/billing/finance/daily',
      itemsKey: 'rows',
      filters: [{ key: 'day', kind: 'date', default: 'today', required: true }, { key: 'period', kind: 'month', default: 'thisMonth' }, { key: 'q', default: 5 }, { key: 'n', kind: 'weird' }],
    });
    expect(table.itemsKey).toBe('rows');
    expect(table.filters.map((f) => [f.kind, f.default, f.required])).toEqual([
      ['date', 'today', true],
      ['month', 'thisMonth', undefined],
      ['text', '5', undefined],
      ['text', undefined, undefined],
    ]);
    const now = new Date(2026, 2, 9, 23, 30);
    expect(table.filters.map((f) => filterDefault(f, now))).toEqual(['2026-03-09', '2026-03', '5', undefined]);
    expect(filterDefault({ key: 'm', kind: 'month', options: [], default: 'today' }, now)).toBe('2026-03');
  });

  it('finds the rows of a list answer', () => {
    expect(pageOf({ items: [{ a: 1 }, 'junk'], total: 40 })).toEqual({ items: [{ a: 1 }], total: 40 });
    expect(pageOf([{ a: 1 }, { a: 2 }])).toEqual({ items: [{ a: 1 }, { a: 2 }], total: 2 });
    expect(pageOf({ day: '2026-03-01', rows: [{ channel: 'cash' }] }, 'rows')).toEqual({ items: [{ channel: 'cash' }], total: 1 });
    expect(pageOf({ report: { rows: [{ x: 1 }] } }, 'report.rows')).toEqual({ items: [{ x: 1 }], total: 1 });
    expect(pageOf(null, 'rows')).toEqual({ items: [], total: 0 });
  });
});

describe('which tables a write refreshes', () => {
  it('refreshes the resource written and the ones above it, not its neighbours', () => {
    expect(changes('/api/ext/billing/payments', '/api/ext/billing/payments?day=2026-03-01')).toBe(true);
    expect(changes('/api/ext/billing/requests/open', '/api/ext/billing/requests')).toBe(true);
    expect(changes('/api/ext/billing/payments/bank-files', '/api/ext/billing/payments')).toBe(true);
    expect(changes('/api/ext/billing/payments', '/api/ext/billing/payments/bank-files')).toBe(false);
    expect(changes('/api/ext/billing/paymentsx', '/api/ext/billing/payments')).toBe(false);
    expect(changes('/api/ext/billing/receipts', '/api/ext/billing/payments')).toBe(false);
  });
});
