// Drives headless Chromium against a running daemon's live page. Run by
// tests/integration/test_browser.py, which starts the broker, InfluxDB and
// the daemon and passes what to expect in LIFELINE_EXPECT (JSON):
//   {url, mqtt_port, shots, counts: {total, online, offline, never},
//    hostile_id, hostile_name, live: {id, device, category}, alert: {id}|null,
//    token, chart: {field, points, axis}, filters: [{select: {id: value},
//    rows: [ids]}], coverage: {title, kpis: {label: [value, detail]},
//    districts}, tiles: prefix of the tile server's URLs}
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
  // the filters: each selection (the others back to "all") shows exactly these rows
  const rowIds = () => page.$$eval('#device-table tbody tr', (r) => r.map((e) => e.dataset.id));
  for (const f of X.filters) {
    for (const sel of ['district', 'category', 'state']) await page.selectOption('#f-' + sel, f.select[sel] || '');
    await waitFor((want) => JSON.stringify([...document.querySelectorAll('#device-table tbody tr')]
      .map((e) => e.dataset.id)) === JSON.stringify(want), f.rows, { timeout: 3000 })
      .then(() => ok('filter ' + JSON.stringify(f.select) + ' shows ' + f.rows.join(' ')),
        async () => check(false, 'filter ' + JSON.stringify(f.select) + ': want ' + JSON.stringify(f.rows) +
          ' have ' + JSON.stringify(await rowIds())));
  }
  await page.selectOption('#f-district', X.filters[0].select.district);
  await shot('devices-filtered');
  for (const sel of ['district', 'category', 'state']) await page.selectOption('#f-' + sel, '');
  await shot('devices');

  // a reading published over MQTT appears without a reload, within 2 s
  await page.goto(X.url + '/#device/' + encodeURIComponent(X.live.id));
  await page.waitForSelector('#value-table', { timeout: 5000 });
  // the 24 h chart: one point per 10 min interval that has readings, from
  // InfluxDB (read once when the page opens, so before the reading below)
  const chartSel = `.chart[data-field="${X.chart.field}"]`;
  const chartNow = () => page.evaluate((sel) => {
    const c = document.querySelector(sel);
    return c && { charts: document.querySelectorAll('.chart').length,
      points: (c.querySelector('polyline.line')?.getAttribute('points') || '').split(' ').filter(Boolean).length,
      dots: c.querySelectorAll('circle.pt').length, axis: [...c.querySelectorAll('text.axis')].slice(0, 3).map((e) => e.textContent) };
  }, chartSel);
  await waitFor((sel) => document.querySelector(sel + ' polyline.line'), chartSel, { timeout: 5000 }).catch(() => null);
  const ch = await chartNow();
  check(ch && ch.charts === 1 && ch.points === X.chart.points && ch.dots === X.chart.points &&
    JSON.stringify(ch.axis) === JSON.stringify(X.chart.axis),
  `24 h chart of ${X.chart.field}: want 1 chart, ${X.chart.points} points, axis ${JSON.stringify(X.chart.axis)}; have ${JSON.stringify(ch)}`);
  // above the profile's 0.14 MPa alarm, so that no second alert fires
  const marker = 0.2 + Math.round(Math.random() * 1000) / 1000;
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
  await shot('device');

  await page.goto(X.url + '/#map');
  await page.waitForSelector('#map-svg circle.dot', { timeout: 5000 });
  const dots = await page.$$eval('#map-svg circle.dot', (c) => c.length);
  check(dots === X.counts.mapped, `map dots ${dots} == ${X.counts.mapped}`);
  // tiles under the dots, every one fetched from the configured tile server
  const hrefs = await page.$$eval('#map-tiles image', (im) => im.map((e) => e.getAttribute('href')));
  check(hrefs.length > 0 && hrefs.every((u) => u.startsWith(X.tiles)),
    `map tiles from ${X.tiles}: ${hrefs.length} (${hrefs.slice(0, 2).join(' ')} ...)`);
  await waitFor((n) => performance.getEntriesByType('resource').filter((e) => e.name.includes('/tiles/')).length >= n,
    hrefs.length, { timeout: 5000 }).then(() => ok('map tiles loaded'), () => check(false, 'map tiles loaded'));
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
  // the embedded report: its title, headline figures and districts
  const frame = await (await page.$('#report-frame')).contentFrame();
  await frame.waitForSelector('section.kpis', { timeout: 10000 }).catch(() => null);
  const rep = await frame.evaluate(() => ({
    title: document.querySelector('h1')?.textContent,
    kpis: Object.fromEntries([...document.querySelectorAll('.kpi')].map((k) =>
      [k.querySelector('.l').textContent, [k.querySelector('.v').textContent, k.querySelector('.d').textContent]])),
    text: document.body.textContent,
  })).catch((e) => ({ error: String(e) }));
  check(rep.title === X.coverage.title, `coverage report title ${JSON.stringify(rep.title)}`);
  for (const [label, want] of Object.entries(X.coverage.kpis)) {
    const have = rep.kpis && rep.kpis[label];
    check(have && have[0] === want[0] && (want[1] === null || have[1] === want[1]),
      `coverage report ${label}: want ${JSON.stringify(want)} have ${JSON.stringify(have)}`);
  }
  const missing = X.coverage.districts.filter((d) => !(rep.text || '').includes(d));
  check(missing.length === 0, 'coverage report names every district (missing ' + JSON.stringify(missing) + ')');
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

  // the map without tiles (what a closed network without http.map_tile_url gets)
  const bare = await ctx.newPage();
  await bare.route('**/api/v1/settings', (r) => r.fulfill({ json: { map_tile_url: null } }));
  await bare.goto(X.url + '/#map');
  await bare.waitForSelector('#map-svg circle.dot', { timeout: 5000 });
  const bareMap = await bare.evaluate(() => ({ dots: document.querySelectorAll('#map-svg circle.dot').length,
    tiles: document.querySelectorAll('#map-svg image').length }));
  check(bareMap.dots === X.counts.mapped && bareMap.tiles === 0, 'map without tiles ' + JSON.stringify(bareMap));
  await bare.close();

  // wall mode: larger type, and the views cycle every 20 s (a fake clock
  // jumps the 20 s)
  const wallCtx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  const wall = await wallCtx.newPage();
  wall.on('pageerror', (e) => consoleErrors.push(String(e)));
  await wall.clock.install();
  await wall.goto(X.url + '/?wall=1#overview');
  await wall.waitForSelector('#kpi-total', { timeout: 5000 });
  const wallLook = await wall.evaluate(() => ({ wall: document.body.classList.contains('wall'),
    body: getComputedStyle(document.body).fontSize, kpi: getComputedStyle(document.querySelector('#kpi-total .kpi-value')).fontSize }));
  const plain = await wallCtx.newPage(); // the same screen without ?wall
  await plain.goto(X.url + '/#overview');
  await plain.waitForSelector('#kpi-total', { timeout: 5000 });
  const plainLook = await plain.evaluate(() => ({ wall: document.body.classList.contains('wall'),
    body: getComputedStyle(document.body).fontSize, kpi: getComputedStyle(document.querySelector('#kpi-total .kpi-value')).fontSize }));
  check(wallLook.wall && !plainLook.wall && parseFloat(wallLook.body) > parseFloat(plainLook.body) &&
    parseFloat(wallLook.kpi) > parseFloat(plainLook.kpi), 'wall mode has larger type: ' + JSON.stringify({ wallLook, plainLook }));
  await plain.close();
  await wall.screenshot({ path: `${X.shots}/wall.png` });
  const cycle = [];
  for (const want of ['#map', '#alerts', '#overview']) {
    await wall.clock.fastForward(20000);
    const deadline = Date.now() + 3000;
    let have = await wall.evaluate(() => location.hash);
    while (have !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      have = await wall.evaluate(() => location.hash);
    }
    cycle.push(have);
    if (want === '#map') {
      await wall.waitForSelector('#map-svg circle.dot', { timeout: 3000 }).catch(() => null);
      await wall.screenshot({ path: `${X.shots}/wall-map.png` });
    }
  }
  check(JSON.stringify(cycle) === JSON.stringify(['#map', '#alerts', '#overview']),
    'wall mode cycles overview, map, alerts: ' + JSON.stringify(cycle));
  await wallCtx.close();

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
