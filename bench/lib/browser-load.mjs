// Helpers of browser.bench.mjs: one cold page load in a fresh browser context (empty HTTP cache, empty
// storage), with the bytes that came over the network counted through the Chrome DevTools Protocol and
// the moments the page became ready read from the page's own clock (performance.now(), whose zero is
// the navigation start of the document).
/* global document, window, getComputedStyle */

/**
 * Runs in the page: false until every `visible` selector matches a visible element (and, with `each`,
 * until at least `each.count` elements match `each.selector` and each holds a visible `each.contains`);
 * then `{at}` = performance.now(). A visible `fail` match ends the wait with `{failed: text}`.
 */
function probe(spec) {
  const shown = (el) => Boolean(el) && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  if (spec.fail) {
    for (const bad of document.querySelectorAll(spec.fail)) {
      if (shown(bad)) return { failed: `${spec.fail}: ${(bad.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 400)}` };
    }
  }
  for (const selector of spec.visible ?? []) {
    if (!shown(document.querySelector(selector))) return false;
  }
  if (spec.each) {
    const all = document.querySelectorAll(spec.each.selector);
    if (all.length < spec.each.count) return false;
    for (const el of all) if (!shown(el.querySelector(spec.each.contains))) return false;
  }
  return { at: performance.now() };
}

/**
 * Waits, polling on every animation frame, until `probe(spec)` holds; answers the page's clock at that
 * frame (ms since navigation start). Throws with the page's visible text when it fails or times out.
 */
export async function waitUntil(page, spec, timeoutMs = 60_000) {
  let result;
  try {
    const handle = await page.waitForFunction(probe, spec, { polling: 'raf', timeout: timeoutMs });
    result = await handle.jsonValue();
    await handle.dispose();
  } catch (error) {
    const text = await page
      .evaluate(() => (document.body?.innerText ?? '').replace(/\s+/g, ' ').trim().slice(0, 600))
      .catch(() => '(page gone)');
    throw new Error(`${page.url()}: waiting for ${JSON.stringify(spec)}: ${error.message.split('\n')[0]}; the page shows: ${text}`);
  }
  if (result.failed) throw new Error(`${page.url()}: the page shows a failure instead (${result.failed})`);
  return result.at;
}

/** The page's clock now. */
export const pageNow = (page) => page.evaluate(() => performance.now());

/** The page's clock at the first click on a submit button (recorded by the init script), or null. */
export const submitClickedAt = (page) => page.evaluate(() => window.__syBenchSubmitAt ?? null);

/**
 * Counts every response of one page over CDP: transferred bytes (`Network.loadingFinished`
 * encodedDataLength: what came over the wire, headers included) and decoded body bytes
 * (`Network.dataReceived` dataLength), in all and for JavaScript (`.js`/`.mjs` or a Script resource).
 */
async function countNetwork(page) {
  const cdp = await page.context().newCDPSession(page);
  const requests = new Map();
  const entry = (id) => {
    let r = requests.get(id);
    if (!r) requests.set(id, (r = { url: '', type: '', decoded: 0, encoded: 0, finished: false, failed: false }));
    return r;
  };
  cdp.on('Network.requestWillBeSent', (e) => {
    const r = entry(e.requestId);
    r.url = e.request.url;
    r.type = e.type ?? r.type;
  });
  cdp.on('Network.responseReceived', (e) => {
    const r = entry(e.requestId);
    r.url = e.response.url;
    r.type = e.type ?? r.type;
  });
  cdp.on('Network.dataReceived', (e) => {
    entry(e.requestId).decoded += e.dataLength;
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = entry(e.requestId);
    r.encoded = e.encodedDataLength;
    r.finished = true;
  });
  cdp.on('Network.loadingFailed', (e) => {
    entry(e.requestId).failed = true;
  });
  await cdp.send('Network.enable');
  return {
    /** Totals of the responses finished so far. */
    snapshot() {
      const sum = { requests: 0, failed: 0, bytes: 0, decodedBytes: 0, jsRequests: 0, jsBytes: 0, jsDecodedBytes: 0 };
      for (const r of requests.values()) {
        if (r.url.startsWith('data:') || r.url.startsWith('blob:')) continue;
        if (r.failed) sum.failed++;
        if (!r.finished) continue;
        sum.requests++;
        sum.bytes += r.encoded;
        sum.decodedBytes += r.decoded;
        let path = '';
        try {
          path = new URL(r.url).pathname;
        } catch {
          path = '';
        }
        if (/\.m?js$/i.test(path) || r.type === 'Script') {
          sum.jsRequests++;
          sum.jsBytes += r.encoded;
          sum.jsDecodedBytes += r.decoded;
        }
      }
      return sum;
    },
    detach: () => cdp.detach().catch(() => undefined),
  };
}

/**
 * One cold load: a new browser context (so an empty cache and empty storage), optionally signed in by
 * putting `session` (the runtime's tokens) into localStorage `shuiyun.session` before any script of the
 * page runs, as the web kit's tokenStore keeps them. Navigates to `url` and hands the page to `run`,
 * which waits for what it needs and answers its figures; the network totals are taken when it returns.
 */
export async function coldLoad(browser, { url, session, viewport = { width: 1440, height: 900 }, run }) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const problems = [];
  try {
    await context.addInitScript((tokens) => {
      if (tokens) window.localStorage.setItem('shuiyun.session', JSON.stringify(tokens));
      // The moment the user's click reaches a submit button (sign-in), on the page's clock.
      window.addEventListener(
        'click',
        (event) => {
          if (window.__syBenchSubmitAt === undefined && event.target?.closest?.('button[type=submit]')) window.__syBenchSubmitAt = performance.now();
        },
        true,
      );
    }, session ?? null);
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text().slice(0, 300)}`);
    });
    const network = await countNetwork(page);
    const response = await page.goto(url, { waitUntil: 'commit', timeout: 60_000 });
    if (!response || response.status() >= 400) throw new Error(`GET ${url}: ${response?.status() ?? 'no response'}`);
    let figures;
    try {
      figures = await run(page);
    } catch (error) {
      if (problems.length > 0) error.message += `\n  ${problems.slice(0, 8).join('\n  ')}`;
      throw error;
    }
    const totals = network.snapshot();
    await network.detach();
    return { ...figures, network: totals, problems };
  } finally {
    await context.close().catch(() => undefined);
  }
}
