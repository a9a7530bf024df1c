// browser: what a user waits for and downloads when opening the designer and an app-shell dashboard, in
// headless Chromium against the built apps served by the runtime, and in the same run the same kind of
// load of a minimal static page, so the browser/machine floor is visible (CONVENTIONS.md § Benchmarks).
//
// Every measured load is cold: a fresh browser context (empty HTTP cache, empty storage). Times are read
// from the page's own clock (performance.now(), zero at navigation start) at the animation frame where
// the awaited elements are visible. Bytes are counted over CDP: "transferred" is the encoded length of
// every finished response (what came over the wire, headers included; the runtime does not compress),
// "JS" those of `.js` files. 1 KB = 1000 bytes, as DevTools shows them.
//
//   designer_first_load   /designer/ → the sign-in form is visible; sign in (the time to type is left
//                         out: ms = form visible + (artifact list shown − submit click)); the list is
//                         shown when its 新建 button and the row of the bench's process are visible.
//   designer_process      /designer/process/<id>, signed in (tokens in localStorage): the bpmn-js canvas
//                         has drawn the diagram (a task of it is visible) and the properties panel shows.
//   app_dashboard         /app/p/<route>, signed in: a published dashboard of four chart blocks over one
//                         report template (built-in dataset device-online-rate), until each of the four
//                         [data-testid=block-chart] holds its ECharts canvas (or svg).
//   reference             a 3 KB static HTML page with one inline script, from a node:http server in this
//                         process, until the element that script adds is visible.
//
// Setup, removed at the end: the built runtime (runtime/server/dist/main.js) as a child process on its
// embedded defaults (PGlite and chDB in a fresh temp dir), the demo utility seeded with 20 simulated
// meters. MQTT is on, on a free loopback port: the demo meters are only registered when the embedded
// broker runs (MQTT_PORT=0 would leave the dataset, hence the charts, empty).
//
// Environment: SHUIYUN_BENCH_BROWSER_RUNS (measured loads of each page, default 5), SHUIYUN_BENCH_CHROMIUM
// (default /usr/bin/chromium). One unmeasured load of each page comes first (runtime and browser warm-up).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { coldLoad, submitClickedAt, waitUntil } from './lib/browser-load.mjs';

const BENCH = 'browser';
const RUNS = Math.min(50, Math.max(1, Math.floor(Number(process.env.SHUIYUN_BENCH_BROWSER_RUNS ?? 5) || 5)));
const WARMUP = 1;
const CHROMIUM = process.env.SHUIYUN_BENCH_CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'Bench-passw0rd-2026';
const USERNAME = 'admin@demo-county-a';
const TEMPLATE_CODE = 'bench-devices-by-community';
const PROCESS_CODE = 'bench_meter_inspection';
const PAGE_CODE = 'bench-dashboard';
const PAGE_ROUTE = 'bench-dashboard';
const CHARTS = 4;
/** Whole run, setup and cleanup included; past it the benchmark gives up and cleans up. */
const DEADLINE_MS = (120 + (RUNS + WARMUP) * 60) * 1000;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (message) => process.stderr.write(`[${BENCH}] ${message}\n`);
const emit = (line) => process.stdout.write(`${JSON.stringify({ bench: BENCH, ...line })}\n`);

// ---------------------------------------------------------------------------------------------
// The built apps: without them the runtime answers 503 and there is nothing to measure.

const dists = [
  ['designer', join(root, 'designer/web/dist/index.html')],
  ['app shell', join(root, 'runtime/app-shell/dist/index.html')],
  ['runtime', join(root, 'runtime/server/dist/main.js')],
];
const missing = dists.filter(([, file]) => !existsSync(file));
if (missing.length > 0) {
  for (const [name, file] of missing) log(`the ${name} is not built: ${file} is missing`);
  log('build first: `npm run -s build` (or run the benchmarks with `npm run bench`, which builds)');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  log(`no Chromium at ${CHROMIUM} (set SHUIYUN_BENCH_CHROMIUM)`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Cleanup: the browser, the runtime, the reference server and the temp dir go away whatever happens.

const scratch = mkdtempSync(join(tmpdir(), 'shuiyun-bench-browser-'));
const children = new Set();
let browser = null;
let referenceServer = null;
let cleaning = null;

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(hard);
}

function cleanup() {
  cleaning ??= (async () => {
    if (browser) {
      const closing = browser.close().catch(() => undefined);
      await Promise.race([closing, new Promise((r) => setTimeout(r, 10_000))]);
      browser = null;
    }
    if (referenceServer) {
      referenceServer.closeAllConnections();
      await new Promise((resolve) => referenceServer.close(resolve));
      referenceServer = null;
    }
    await Promise.all([...children].map((c) => stopChild(c).catch(() => undefined)));
    children.clear();
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (!cleaning) log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}
setTimeout(() => {
  log(`still running after ${DEADLINE_MS / 1000} s: giving up`);
  void cleanup().finally(() => process.exit(1));
}, DEADLINE_MS).unref();

// ---------------------------------------------------------------------------------------------
// The runtime and its API.

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRuntime() {
  const [port, mqttPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(root, 'runtime/server/dist/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      SHUIYUN_DATA_DIR: join(scratch, 'data'),
      PORT: String(port),
      HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      MQTT_HOST: '127.0.0.1',
      COAP_PORT: '0',
      SHUIYUN_DEMO_METERS: '20',
      SHUIYUN_DEMO_PASSWORD: PASSWORD,
      MODBUS_POLLING: 'off',
      LOG_LEVEL: 'warn',
      // One sign-in serves every signed-in load; the designer's sign-ins must not meet the rate limit.
      SHUIYUN_ACCESS_TOKEN_TTL: '3600',
      SHUIYUN_LOGIN_RATE_LIMIT: '10000',
    },
    // Its stdout (the seeded accounts) would break our JSON-only stdout: send it to stderr.
    stdio: ['ignore', 2, 2],
  });
  children.add(child);
  const base = `http://127.0.0.1:${port}`;
  let exited = null;
  child.once('exit', (code, signal) => (exited = code ?? signal));
  const started = Date.now();
  for (;;) {
    if (exited !== null) throw new Error(`the runtime exited (${exited}) before it was ready`);
    if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
    if (Date.now() - started > 180_000) throw new Error('the runtime was not ready within 180 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  log(`runtime ready on ${base} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return base;
}

async function call(base, method, path, body, token) {
  const headers = { 'accept-language': 'zh-CN' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 600)}`);
  return parsed;
}

/** A small real process: start → user task → gateway → service task | user task → end, with its diagram. */
function processXml(id, name) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_${id}" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Shuiyun" exporterVersion="0.1.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
  <bpmn:process id="${id}" name="${name}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" name="报修"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_Inspect" name="现场勘查"><bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="Gateway_Ok" name="表计正常?" default="Flow_4"><bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing><bpmn:outgoing>Flow_4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:serviceTask id="Task_Bill" name="结算">
      <bpmn:extensionElements><zeebe:taskDefinition type="bench-bill" /></bpmn:extensionElements>
      <bpmn:incoming>Flow_3</bpmn:incoming><bpmn:outgoing>Flow_5</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="Task_Replace" name="换表"><bpmn:incoming>Flow_4</bpmn:incoming><bpmn:outgoing>Flow_6</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="EndEvent_Done" name="完成"><bpmn:incoming>Flow_5</bpmn:incoming><bpmn:incoming>Flow_6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Inspect" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Inspect" targetRef="Gateway_Ok" />
    <bpmn:sequenceFlow id="Flow_3" name="是" sourceRef="Gateway_Ok" targetRef="Task_Bill"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=meterOk</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_4" name="否" sourceRef="Gateway_Ok" targetRef="Task_Replace" />
    <bpmn:sequenceFlow id="Flow_5" sourceRef="Task_Bill" targetRef="EndEvent_Done" />
    <bpmn:sequenceFlow id="Flow_6" sourceRef="Task_Replace" targetRef="EndEvent_Done" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="${id}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Task_Inspect_di" bpmnElement="Task_Inspect"><dc:Bounds x="240" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Gateway_Ok_di" bpmnElement="Gateway_Ok" isMarkerVisible="true"><dc:Bounds x="395" y="95" width="50" height="50" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Task_Bill_di" bpmnElement="Task_Bill"><dc:Bounds x="500" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Task_Replace_di" bpmnElement="Task_Replace"><dc:Bounds x="500" y="200" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="EndEvent_Done_di" bpmnElement="EndEvent_Done"><dc:Bounds x="662" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1"><di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_2_di" bpmnElement="Flow_2"><di:waypoint x="340" y="120" /><di:waypoint x="395" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_3_di" bpmnElement="Flow_3"><di:waypoint x="445" y="120" /><di:waypoint x="500" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_4_di" bpmnElement="Flow_4"><di:waypoint x="420" y="145" /><di:waypoint x="420" y="240" /><di:waypoint x="500" y="240" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_5_di" bpmnElement="Flow_5"><di:waypoint x="600" y="120" /><di:waypoint x="662" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_6_di" bpmnElement="Flow_6"><di:waypoint x="600" y="240" /><di:waypoint x="680" y="240" /><di:waypoint x="680" y="138" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}

/**
 * As the admin of demo-county-a: a report template over the built-in online-rate dataset (devices per
 * community, a bar chart), a process artifact (its draft is what the modeler opens), and a published
 * dashboard page with four chart blocks on that template. Answers the session for localStorage and ids.
 */
async function prepareContent(base) {
  const login = await call(base, 'POST', '/api/auth/login', { username: USERNAME, password: PASSWORD });
  const token = login.accessToken;
  const session = { accessToken: login.accessToken, refreshToken: login.refreshToken, user: login.user };

  const template = await call(
    base,
    'POST',
    '/api/reports/templates',
    {
      template: {
        code: TEMPLATE_CODE,
        name: '各小区设备数与在线数',
        dataset: { code: 'device-online-rate' },
        query: { dimensions: ['communityName'], measures: ['devices', 'onlineDevices'] },
        view: 'chart',
        chart: { type: 'bar', category: 'communityName', measures: ['devices', 'onlineDevices'] },
      },
    },
    token,
  );
  // An empty result would render an empty state, not a chart: check the data is there first.
  const run = await call(base, 'POST', '/api/reports/run', { template: template.id, view: 'chart' }, token);
  if (!Array.isArray(run.rows) || run.rows.length === 0 || !run.chart) throw new Error(`the template ${TEMPLATE_CODE} has no rows to chart (demo meters not registered?)`);
  log(`template ${TEMPLATE_CODE} (#${template.id}): ${run.rows.length} rows`);

  const processArtifact = await call(base, 'POST', '/api/design/artifacts', { kind: 'process', code: PROCESS_CODE, name: '抄表异常处理', content: { xml: processXml(PROCESS_CODE, '抄表异常处理') } }, token);

  const block = (chart, title) => `<div data-sy-block="chart" data-sy-config='${JSON.stringify({ template: TEMPLATE_CODE, chart, title })}'></div>`;
  const html =
    '<section class="bench-grid">' +
    [block('bar', '设备数 A'), block('bar', '设备数 B'), block('bar', '设备数 C'), block('bar', '设备数 D')].join('') +
    '</section>';
  const css = '.bench-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }';
  const page = await call(
    base,
    'POST',
    '/api/design/artifacts',
    {
      kind: 'page',
      code: PAGE_CODE,
      name: '基准大屏',
      content: { kind: 'dashboard', route: PAGE_ROUTE, title: { 'zh-CN': '基准大屏', en: 'Bench dashboard' }, menu: { show: true, order: 1 }, html, css },
    },
    token,
  );
  const published = await call(base, 'POST', `/api/design/artifacts/${page.id}/publish`, {}, token);
  const shown = await call(base, 'GET', `/api/app/pages/${PAGE_ROUTE}`, undefined, token);
  const blocks = (shown.html.match(/data-sy-block="chart"/g) ?? []).length;
  if (blocks !== CHARTS) throw new Error(`the published page holds ${blocks} chart blocks, not ${CHARTS}`);
  log(`process artifact #${processArtifact.id}; dashboard #${page.id} published as v${published.version} at /app/p/${PAGE_ROUTE}`);
  return { session, processId: processArtifact.id };
}

// ---------------------------------------------------------------------------------------------
// The reference: a minimal static page from a node:http server in this process.

function referenceHtml() {
  const rows = Array.from({ length: 40 }, (_, i) => `<li>第 ${i + 1} 号表 · meter ${String(i + 1).padStart(3, '0')} — 抄表正常, reading ok</li>`).join('\n      ');
  return `<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="UTF-8" />
    <title>水云 · reference</title>
    <style>body { font-family: sans-serif; margin: 24px; } #ready { padding: 8px; border: 1px solid #1677ff; }</style>
  </head>
  <body>
    <h1>水云 Shuiyun reference page</h1>
    <ul>
      ${rows}
    </ul>
    <script>
      const items = document.querySelectorAll('li').length;
      const ready = document.createElement('div');
      ready.id = 'ready';
      ready.textContent = 'ready: ' + items + ' items';
      document.body.appendChild(ready);
    </script>
  </body>
</html>
`;
}

function startReferenceServer() {
  const body = Buffer.from(referenceHtml());
  referenceServer = createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-cache' });
    res.end(body);
  });
  return new Promise((resolve) => referenceServer.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${referenceServer.address().port}/`, bytes: body.length })));
}

// ---------------------------------------------------------------------------------------------
// The loads.

const DESIGNER_FAILURE = '[data-testid=sign-in-error], .ant-result';

const loads = {
  reference: (ctx) =>
    coldLoad(browser, {
      url: ctx.referenceUrl,
      run: async (page) => ({ ms: await waitUntil(page, { visible: ['#ready'] }) }),
    }),

  designerFirstLoad: (ctx) =>
    coldLoad(browser, {
      url: `${ctx.base}/designer/`,
      run: async (page) => {
        const formAt = await waitUntil(page, { visible: ['input[name=username]', 'input[name=password]', 'button[type=submit]'], fail: DESIGNER_FAILURE });
        await page.fill('input[name=username]', USERNAME);
        await page.fill('input[name=password]', PASSWORD);
        await page.click('button[type=submit]');
        const listAt = await waitUntil(page, { visible: ['[data-testid=artifact-new]', `[data-testid="artifact-row-${PROCESS_CODE}"]`], fail: DESIGNER_FAILURE });
        const clickAt = await submitClickedAt(page);
        if (clickAt === null) throw new Error('the click on the sign-in button was not seen');
        return { ms: formAt + (listAt - clickAt), signInFormMs: formAt, signInToListMs: listAt - clickAt };
      },
    }),

  designerProcess: (ctx) =>
    coldLoad(browser, {
      url: `${ctx.base}/designer/process/${ctx.processId}`,
      session: ctx.session,
      run: async (page) => ({
        ms: await waitUntil(page, {
          visible: ['[data-testid=modeler-canvas] .djs-container', '.djs-container [data-element-id="Task_Inspect"]', '[data-testid=properties-panel] .bio-properties-panel'],
          fail: '.ant-result',
        }),
      }),
    }),

  appDashboard: (ctx) =>
    coldLoad(browser, {
      url: `${ctx.base}/app/p/${PAGE_ROUTE}`,
      session: ctx.session,
      run: async (page) => ({
        ms: await waitUntil(page, {
          each: { selector: '[data-testid=block-chart]', count: CHARTS, contains: 'canvas, .sy-echart svg' },
          fail: '[data-testid=block-chart] [role=alert], [data-testid=block-chart] .sy-block-empty, .ant-result',
        }),
      }),
    }),
};

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const round = (x) => Math.round(x * 10) / 10;
const kb = (bytes) => Math.round(bytes / 100) / 10;

/** p50, min and max of one figure over the measured loads. */
function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), min: round(sorted[0]), max: round(sorted[sorted.length - 1]) };
}

async function main() {
  const started = Date.now();
  const base = await startRuntime();
  const { session, processId } = await prepareContent(base);
  const reference = await startReferenceServer();
  log(`reference page ${reference.url} (${reference.bytes} bytes)`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // Our own handlers close the browser with everything else.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  log(`Chromium ${browser.version()}; ${WARMUP} warm-up + ${RUNS} measured cold loads of each page`);

  const ctx = { base, session, processId, referenceUrl: reference.url };
  const results = Object.fromEntries(Object.keys(loads).map((name) => [name, []]));
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const measured = i >= WARMUP;
    // Interleaved, so that a noisy moment of the machine touches every figure alike.
    for (const [name, load] of Object.entries(loads)) {
      const result = await load(ctx);
      const extra = result.signInFormMs === undefined ? '' : ` (sign-in form ${round(result.signInFormMs)} ms + sign-in → list ${round(result.signInToListMs)} ms)`;
      log(
        `${measured ? `run ${i - WARMUP + 1}/${RUNS}` : 'warm-up'} ${name}: ${round(result.ms)} ms${extra}, ` +
          `JS ${kb(result.network.jsBytes)} KB in ${result.network.jsRequests} files, ${kb(result.network.bytes)} KB in ${result.network.requests} responses`,
      );
      if (measured) results[name].push(result);
    }
  }

  const figure = (name) => {
    const list = results[name];
    const ms = stats(list.map((r) => r.ms));
    return {
      ms,
      js: stats(list.map((r) => r.network.jsBytes)),
      jsDecoded: stats(list.map((r) => r.network.jsDecodedBytes)),
      total: stats(list.map((r) => r.network.bytes)),
      requests: stats(list.map((r) => r.network.requests)),
      jsRequests: stats(list.map((r) => r.network.jsRequests)),
      list,
    };
  };
  const ref = figure('reference');
  const refFields = { reference_ms: ref.ms.p50, reference_min_ms: ref.ms.min, reference_max_ms: ref.ms.max, reference_kB: kb(ref.total.p50) };
  const common = { runs: RUNS, cold: true, browser: `Chromium ${browser.version()} headless` };

  emit({
    metric: 'reference_load_ms',
    value: ref.ms.p50,
    unit: 'ms',
    target: `static HTML page (${reference.bytes} bytes, one inline script) from node:http in the bench process`,
    reference: true,
    min: ref.ms.min,
    max: ref.ms.max,
    totalKB: kb(ref.total.p50),
    ...common,
  });

  const targets = [
    ['designerFirstLoad', 'designer_first_load', '/designer/: sign-in page, sign in, artifact list shown (typing time left out)'],
    ['designerProcess', 'designer_process_modeler', `/designer/process/<id>: bpmn-js canvas drawn and properties panel shown (signed in)`],
    ['appDashboard', 'app_dashboard_4_charts', `/app/p/${PAGE_ROUTE}: four ECharts chart blocks over a report template rendered (signed in)`],
  ];
  for (const [name, metric, target] of targets) {
    const f = figure(name);
    const extra =
      name === 'designerFirstLoad'
        ? { sign_in_form_ms: stats(f.list.map((r) => r.signInFormMs)).p50, sign_in_to_list_ms: stats(f.list.map((r) => r.signInToListMs)).p50 }
        : {};
    emit({
      metric: `${metric}_ms`,
      value: f.ms.p50,
      unit: 'ms',
      target,
      min: f.ms.min,
      max: f.ms.max,
      ...extra,
      jsKB: kb(f.js.p50),
      totalKB: kb(f.total.p50),
      ratio_to_reference: round(f.ms.p50 / ref.ms.p50),
      ...refFields,
      ...common,
    });
    emit({
      metric: `${metric}_js_transferred`,
      value: kb(f.js.p50),
      unit: 'KB',
      target,
      min: kb(f.js.min),
      max: kb(f.js.max),
      js_files: f.jsRequests.p50,
      js_decoded_KB: kb(f.jsDecoded.p50),
      totalKB: kb(f.total.p50),
      responses: f.requests.p50,
      ...refFields,
      ...common,
    });
  }
  log(`measured in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  // Interrupted: the load in flight fails because its browser went away; that is not worth a stack.
  if (cleaning) log(`interrupted (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  else log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
