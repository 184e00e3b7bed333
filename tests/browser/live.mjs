// Drives headless Chromium against a running daemon's live page. Run by
// tests/integration/test_browser.py, which starts the broker, InfluxDB and
// the daemon and passes what to expect in LIFELINE_EXPECT (JSON):
//   {url, mqtt_port, shots, counts: {total, online, offline, never},
//    hostile_id, hostile_name, live: {id, device, category}, alert: {id}|null,
//    token}
// Exits 0 when every check passed; prints one line per check.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const X = JSON.parse(process.env.LIFELINE_EXPECT);
mkdirSync(X.shots, { recursive: true });
const problems = [];
const ok = (what) => console.log('ok   ' + what);
function check(cond, what) {
  if (cond) ok(what);
  else { console.log('FAIL ' + what); problems.push(what); }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const ctx = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' });
const page = await ctx.newPage();
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));
let dialogs = 0;
page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });

/* Polls fn(arg) in the page until truthy (page.waitForFunction compiles a
 * string in the page, which the page's CSP rightly forbids). */
async function waitFor(fn, arg, opts) {
  const deadline = Date.now() + ((opts && opts.timeout) || 5000);
  for (;;) {
    if (await page.evaluate(fn, arg).catch(() => false)) return true;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}
async function text(sel) {
  return page.$eval(sel, (e) => e.textContent.trim()).catch(() => null);
}
async function shot(name) {
  await page.waitForTimeout(50); // let the last frame paint; not a wait for data
  await page.screenshot({ path: `${X.shots}/${name}.png`, fullPage: true });
}

try {
  await page.goto(X.url + '/#overview');
  // overview counts, computed by the page from /api/v1/devices
  await waitFor((want) => {
    const v = (id) => document.querySelector(`#kpi-${id} .kpi-value`)?.textContent;
    return v('total') === String(want.total) && v('online') === String(want.online) &&
      v('offline') === String(want.offline) && v('never') === String(want.never) &&
      (want.firing === undefined || v('firing') === String(want.firing));
  }, X.counts, { timeout: 10000 }).then(() => ok('overview counts ' + JSON.stringify(X.counts)),
    async () => check(false, 'overview counts: want ' + JSON.stringify(X.counts) + ' have ' +
      JSON.stringify({ total: await text('#kpi-total .kpi-value'), online: await text('#kpi-online .kpi-value'),
        offline: await text('#kpi-offline .kpi-value'), never: await text('#kpi-never .kpi-value'),
        firing: await text('#kpi-firing .kpi-value') })));
  await page.waitForSelector('#live.on', { timeout: 5000 }).then(() => ok('live stream connected'),
    () => check(false, 'live stream connected'));
  await shot('overview');

  // a hostile name renders as text
  await page.goto(X.url + '/#devices');
  await page.waitForSelector(`tr[data-id="${X.hostile_id}"]`, { timeout: 5000 });
  const name = await page.$eval(`tr[data-id="${X.hostile_id}"] td.name`, (e) => e.textContent);
  check(name === X.hostile_name, 'hostile name shown as text: ' + JSON.stringify(name));
  const scripts = await page.$$eval('script', (s) => s.length);
  check(scripts === 1 && dialogs === 0, 'no script injected (scripts=' + scripts + ' dialogs=' + dialogs + ')');
  await page.fill('#f-q', X.live.id);
  await waitFor(() => document.querySelectorAll('#device-table tbody tr').length === 1, null, { timeout: 3000 })
    .then(() => ok('search narrows the list'), () => check(false, 'search narrows the list'));
  await page.fill('#f-q', '');
  await shot('devices');

  // a reading published over MQTT appears without a reload, within 2 s
  await page.goto(X.url + '/#device/' + encodeURIComponent(X.live.id));
  await page.waitForSelector('#value-table', { timeout: 5000 });
  const marker = 0.1 + Math.round(Math.random() * 1000) / 1000;
  const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length);
  await page.evaluate(() => { window.evs = []; S.es.addEventListener('reading', (e) => window.evs.push([Date.now(), e.data.slice(0, 120)])); });
  const t0 = Date.now();
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(X.mqtt_port), '-q', '1', '-t',
    `lifeline/x/${X.live.category}/${X.live.device}`, '-m', JSON.stringify({ ts: Date.now(), pressure_out: marker })]);
  const want = String(Math.round(marker * 1000) / 1000);
  await waitFor((w) => document.querySelector('tr[data-field="pressure_out"] td.value')?.textContent === w,
    want, { timeout: 2000 }).then(() => ok(`reading ${want} on the page after ${Date.now() - t0} ms`),
    async (err) => check(false, `reading ${want} on the page within 2 s: ${err} (have ${await text('tr[data-field="pressure_out"] td.value')}; page state ` +
      JSON.stringify(await page.evaluate(() => ({ version: S.version, es: S.es && S.es.readyState, now: Date.now(), evs: window.evs })).catch((e) => String(e))) + ' t0 ' + t0 + ')'));
  const loads2 = await page.evaluate(() => performance.getEntriesByType('navigation').length);
  check(loads === loads2, 'no reload');
  await page.waitForSelector('.chart .line', { timeout: 5000 }).then(() => ok('24 h chart drawn'),
    () => console.log('note no 24 h chart (history endpoint not available)'));
  await shot('device');

  await page.goto(X.url + '/#map');
  await page.waitForSelector('#map-svg circle.dot', { timeout: 5000 });
  const dots = await page.$$eval('#map-svg circle.dot', (c) => c.length);
  check(dots === X.counts.mapped, `map dots ${dots} == ${X.counts.mapped}`);
  await shot('map');

  await page.goto(X.url + '/#alerts');
  await page.waitForSelector('.view.alerts', { timeout: 5000 });
  if (X.alert) {
    await page.waitForSelector(`button[data-ack="${X.alert.id}"]`, { timeout: 10000 });
    await page.fill('#token', X.token);
    await page.click(`button[data-ack="${X.alert.id}"]`);
    await waitFor((id) => !document.querySelector(`button[data-ack="${id}"]`) &&
      document.querySelector(`tr[data-alert="${id}"]`), X.alert.id, { timeout: 5000 })
      .then(() => ok('alert acknowledged from the page'), () => check(false, 'alert acknowledged from the page'));
  }
  await shot('alerts');

  await page.goto(X.url + '/#coverage');
  await page.waitForSelector('#report-frame', { timeout: 5000 });
  await page.waitForLoadState('load');
  await shot('coverage');

  // English, and a phone
  await page.goto(X.url + '/#overview');
  await page.click('#lang');
  await waitFor(() => document.querySelector('nav a[data-view="overview"]').textContent === 'Overview', null, { timeout: 3000 })
    .then(() => ok('switches to English'), () => check(false, 'switches to English'));
  await shot('overview-en');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('overview-phone');
  await page.click('#lang'); // back to Chinese for the next run (localStorage)

  const csp = consoleErrors.filter((e) => /Content Security Policy|Refused/i.test(e));
  check(csp.length === 0, 'no CSP violations ' + JSON.stringify(csp));
  check(consoleErrors.filter((e) => !/404|Failed to load resource/.test(e)).length === 0,
    'no script errors ' + JSON.stringify(consoleErrors));
} catch (e) {
  check(false, 'exception: ' + (e && e.stack ? e.stack : e));
} finally {
  await browser.close();
}
if (problems.length) {
  console.log(problems.length + ' check(s) failed');
  process.exit(1);
}
console.log('all checks passed');
