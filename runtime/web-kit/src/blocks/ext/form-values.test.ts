import { randomFillSync } from 'node:crypto';
import dayjs from 'dayjs';
import { describe, expect, it } from 'vitest';
import { readFormConfig } from './config.js';
import { isEmpty, nextEmptyField, prefillFrom, prefillValue, setAt, startValues, toBody } from './form-values.js';
import { newRequestKey } from './request-key.js';
import { currentSelection, onSelection, publishSelection } from './selection-store.js';

/** The counter form of the billing pack, as its page configures it. */
const counter = readFormConfig({
  path: '/api/ext/billing/payments',
  fields: [
    {
      key: 'accountId',
      kind: 'lookup',
      required: true,
      autofocus: true,
      path: '/api/ext/billing/accounts',
      labelKeys: ['accountNo', 'customer.name', 'address'],
      detailPath: '/api/ext/billing/accounts/:id/balance',
      prefill: { amountFen: 'outstandingFen' },
    },
    { key: 'amountFen', kind: 'money', required: true },
    { key: 'tenderedFen', kind: 'money' },
    { key: 'channel', kind: 'select', options: ['cash', 'card'], default: 'cash' },
    { key: 'requestKey', kind: 'requestKey', required: true },
    { key: 'note', kind: 'textarea' },
  ],
});

describe('form values', () => {
  it('starts with the defaults, now for date-times and m³ for volumes', () => {
    const now = dayjs('2026-03-01T08:00:00Z');
    const fields = readFormConfig({ fields: [{ key: 'at', kind: 'datetime' }, { key: 'v', kind: 'litres' }, { key: 'n', kind: 'integer', default: 3 }, { key: 'sel', kind: 'select', default: 'cash' }] }).fields;
    expect(startValues(fields, () => now)).toEqual({ at: now, v: { text: '', unit: 'm3' }, n: '3', sel: 'cash' });
    expect(startValues(counter.fields)).toEqual({ channel: 'cash' });
  });

  it('sends money as exact fen, a request key as given, leaves empty fields out', () => {
    const body = toBody(counter.fields, { accountId: 42, amountFen: '1,234.50', tenderedFen: '2000', channel: 'cash', note: '  ' }, { requestKey: 'k-1234567' });
    expect(body).toEqual({ accountId: 42, amountFen: '123450', tenderedFen: '200000', channel: 'cash', requestKey: 'k-1234567' });
    // A malformed amount is never sent (the field's rule says why).
    expect(toBody(counter.fields, { amountFen: '1.234' }, {})).toEqual({});
  });

  it('sends a file as its text and its name under fileNameKey', () => {
    const { fields } = readFormConfig({ fields: [{ key: 'content', kind: 'file', fileNameKey: 'fileName', required: true }] });
    expect(toBody(fields, { content: { name: 'bank.csv', text: 'a,b\n', size: 4 } })).toEqual({ content: 'a,b\n', fileName: 'bank.csv' });
    expect(isEmpty(fields[0]!, undefined)).toBe(true);
    expect(isEmpty(fields[0]!, { name: 'e.csv', text: '', size: 0 })).toBe(false);
  });

  it('nests dotted keys and lists photos as named documents', () => {
    const { fields } = readFormConfig({
      fields: [
        { key: 'customer.kind', kind: 'select', default: 'person' },
        { key: 'customer.name', kind: 'text' },
        { key: 'address.community', kind: 'text' },
        { key: 'householdSize', kind: 'integer' },
        { key: 'idFront', kind: 'photo', listKey: 'documents', documentName: '身份证正面.jpg' },
        { key: 'idBack', kind: 'photo', listKey: 'documents' },
        { key: 'deed', kind: 'photo', listKey: 'documents' },
      ],
    });
    expect(toBody(fields, { 'customer.kind': 'person', 'customer.name': ' 张三 ', 'address.community': '阳光小区', householdSize: '4', idFront: 'data:image/jpeg;base64,AA==', deed: 'data:image/jpeg;base64,BB==' })).toEqual({
      customer: { kind: 'person', name: '张三' },
      address: { community: '阳光小区' },
      householdSize: 4,
      documents: [
        { name: '身份证正面.jpg', dataUrl: 'data:image/jpeg;base64,AA==' },
        { name: 'deed.jpg', dataUrl: 'data:image/jpeg;base64,BB==' },
      ],
    });
    const body: Record<string, unknown> = { a: 'text' };
    setAt(body, 'a.b', 1);
    expect(body).toEqual({ a: { b: 1 } });
  });

  it('fills fields from a chosen row: fen as yuan, nothing that does not fit', () => {
    expect(prefillFrom(counter.fields, { amountFen: 'outstandingFen' }, { id: 42, outstandingFen: '12345' })).toEqual({ amountFen: '123.45' });
    expect(prefillFrom(counter.fields, { amountFen: 'outstandingFen' }, { id: 42 })).toEqual({});
    expect(prefillFrom(counter.fields, { amountFen: 'outstandingFen', missing: 'x' }, { outstandingFen: '-500' })).toEqual({});
    expect(prefillFrom(counter.fields, { note: 'customer.name' }, { customer: { name: '张三' } })).toEqual({ note: '张三' });
    const money = counter.fields[1]!;
    expect(prefillValue(money, 7)).toBe('0.07');
    expect(prefillValue(money, 'abc')).toBeUndefined();
    expect(prefillValue({ ...money, kind: 'litres' }, '1500')).toEqual({ text: '1.500', unit: 'm3' });
    expect(prefillValue({ ...money, kind: 'entity' }, '17')).toBe(17);
  });

  it('moves the cursor to the next empty typed field after a choice', () => {
    expect(nextEmptyField(counter.fields, { accountId: 42, amountFen: '123.45', channel: 'cash' }, 'accountId')).toBe('tenderedFen');
    expect(nextEmptyField(counter.fields, { accountId: 42, amountFen: '', channel: 'cash' }, 'accountId')).toBe('amountFen');
    expect(nextEmptyField(counter.fields, { amountFen: '1', tenderedFen: '2', note: 'x' }, 'accountId')).toBeUndefined();
  });
});

describe('request keys', () => {
  it('makes UUIDs, also without randomUUID', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(newRequestKey()).toMatch(uuid);
    const bytesOnly = { getRandomValues: (array: Uint8Array) => randomFillSync(array) };
    const keys = new Set(Array.from({ length: 100 }, () => newRequestKey(bytesOnly)));
    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(uuid);
  });
});

describe('page selections', () => {
  it('keeps the last pick per name and tells the followers', () => {
    const heard: unknown[] = [];
    const stop = onSelection('account-test', () => heard.push(currentSelection('account-test')));
    expect(currentSelection('account-test')).toBeNull();
    publishSelection('account-test', { id: 1 });
    publishSelection('other-test', { id: 2 });
    publishSelection('account-test', null);
    stop();
    publishSelection('account-test', { id: 3 });
    expect(heard).toEqual([{ id: 1 }, null]);
    expect(currentSelection('account-test')).toEqual({ id: 3 });
  });
});
