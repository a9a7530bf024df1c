import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';

describe.each(drivers)('operations endpoints on %s', (driver) => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime(driver);
  });
  afterAll(() => t?.close());

  it('answers /healthz and /readyz, naming the system of record', async () => {
    expect((await t.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await t.request('GET', '/readyz')).body).toEqual({ status: 'ready', database: driver });
  });

  it('sends security headers and no framework banner', async () => {
    const res = await t.request('GET', '/healthz');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('strict-transport-security')).toBeTruthy();
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('echoes a caller’s request id, or makes one, and puts it in error bodies', async () => {
    const given = await t.request('GET', '/api/nowhere', { headers: { 'x-request-id': 'trace-1234abcd' } });
    expect(given.headers.get('x-request-id')).toBe('trace-1234abcd');
    expect(given.body.error.requestId).toBe('trace-1234abcd');
    const made = await t.request('GET', '/api/nowhere');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exposes Prometheus metrics with request durations by route', async () => {
    const token = await t.login('admin@demo-county-a');
    await t.request('GET', '/api/communities', { token });
    const metrics = await t.request('GET', '/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.body).toMatch(/shuiyun_http_request_duration_seconds_count\{method="GET",route="\/api\/communities",status="200"\} [1-9]/);
    expect(metrics.body).toContain('shuiyun_process_cpu_seconds_total');
  });
});
