/* Lifeline live view. Plain JS, no build step, no external resources.
 * Every string from a device or the registry goes into the page through
 * textContent or setAttribute (never innerHTML), so a device named
 * "<script>" shows as text. */
'use strict';

const T = {
  zh: {
    title: '城市生命线 · 运行监测', nav_overview: '总览', nav_map: '地图', nav_devices: '设备',
    nav_alerts: '告警', nav_coverage: '改造覆盖', live_on: '实时', live_off: '离线',
    total: '资产总数', online: '在线', offline: '离线', never: '从未上报', firing: '告警中',
    district: '区域', category: '类别', state: '状态', name: '名称', id: '编号', device: '设备号',
    last_seen: '最后上报', values: '最新数据', all: '全部', search: '搜索名称、编号、区域…',
    field: '字段', value: '数值', unit: '单位', time: '时间', whole: '数据完整',
    partial: '部分字段被隔离', yes: '是', no: '否', registered: '已登记', unregistered: '未登记设备',
    charts: '最近 24 小时', no_chart: '无数据（或数据库不可达）', back: '← 返回设备列表',
    severity: '级别', rule: '规则', summary: '说明', since: '开始', ack: '确认', acked: '已确认',
    token: '操作员令牌', token_hint: '确认告警需要操作员令牌', recent: '最近告警',
    firing_alerts: '当前告警', none: '无', not_available: '此功能尚未启用',
    coverage_title: '改造覆盖报告', by_district: '按区域与类别', status: '登记状态',
    ago_s: '秒前', ago_m: '分钟前', ago_h: '小时前', ago_d: '天前', resolved: '已恢复',
    critical: '严重', major: '重要', minor: '次要', warning: '提示', count: '台',
    target: '目标', upgraded: '已改造', legacy: '未改造', planned: '计划改造', retired: '已退役',
    ack_failed: '确认失败', coverage_vs_target: '改造覆盖率 / 目标', cell_legend: '每格：在线 / 离线 / 从未上报（仅已改造资产）', not_upgraded: '未改造 / 计划',
  },
  en: {
    title: 'Urban Lifeline · Operations', nav_overview: 'Overview', nav_map: 'Map',
    nav_devices: 'Devices', nav_alerts: 'Alerts', nav_coverage: 'Coverage', live_on: 'LIVE',
    live_off: 'OFFLINE', total: 'Assets', online: 'Online', offline: 'Offline',
    never: 'Never reported', firing: 'Firing', district: 'District', category: 'Category',
    state: 'State', name: 'Name', id: 'ID', device: 'Device', last_seen: 'Last seen',
    values: 'Latest values', all: 'All', search: 'Search name, id, district…', field: 'Field',
    value: 'Value', unit: 'Unit', time: 'Time', whole: 'Reading whole',
    partial: 'some fields quarantined', yes: 'yes', no: 'no', registered: 'Registered',
    unregistered: 'Unregistered device', charts: 'Last 24 hours',
    no_chart: 'no data (or the database is unreachable)', back: '← Back to devices',
    severity: 'Severity', rule: 'Rule', summary: 'Summary', since: 'Since', ack: 'Ack',
    acked: 'Acknowledged', token: 'Operator token', token_hint: 'Acknowledging needs the operator token',
    recent: 'Recent alerts', firing_alerts: 'Firing alerts', none: 'none',
    not_available: 'Not enabled on this collector', coverage_title: 'Upgrade coverage report',
    by_district: 'By district and category', status: 'Registry status', ago_s: 's ago',
    ago_m: ' min ago', ago_h: ' h ago', ago_d: ' d ago', resolved: 'Resolved',
    critical: 'Critical', major: 'Major', minor: 'Minor', warning: 'Warning', count: '',
    target: 'target', upgraded: 'Upgraded', legacy: 'Legacy', planned: 'Planned',
    retired: 'Retired', ack_failed: 'Acknowledge failed', coverage_vs_target: 'Coverage vs target',
    cell_legend: 'each cell: online / offline / never reported (upgraded assets)', not_upgraded: 'Not yet upgraded',
  },
};
const CATS = {
  water_supply: ['二次供水', 'Water supply'], drainage: ['排水防涝', 'Drainage'],
  sewage: ['污水处理', 'Sewage'], manhole_cover: ['窨井盖', 'Manhole covers'],
  bridge_tunnel: ['桥梁隧道', 'Bridges & tunnels'], surveillance: ['视频监控', 'Surveillance'],
};
const SEVERITIES = ['critical', 'major', 'minor', 'warning'];

const S = {
  lang: localStorage.getItem('lifeline.lang') || 'zh',
  devices: new Map(), version: 0, es: null, alerts: null, coverage: null, settings: {},
  renderQueued: false, lastEvent: 0,
};

function t(k) { return (T[S.lang] && T[S.lang][k]) || T.en[k] || k; }
function catName(c) { const n = CATS[c]; return n ? n[S.lang === 'zh' ? 0 : 1] : c; }

/* Builds an element; children are nodes or strings (as text). */
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined) continue;
    e.appendChild(typeof k === 'string' || typeof k === 'number' ? document.createTextNode(String(k)) : k);
  }
  return e;
}
const SVGNS = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...kids) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) if (k) e.appendChild(typeof k === 'string' ? document.createTextNode(k) : k);
  return e;
}

function ago(ms) {
  if (!ms) return '—';
  const d = Math.max(0, (Date.now() - ms) / 1000);
  if (d < 60) return Math.round(d) + t('ago_s');
  if (d < 3600) return Math.round(d / 60) + t('ago_m');
  if (d < 86400) return Math.round(d / 3600) + t('ago_h');
  return Math.round(d / 86400) + t('ago_d');
}
function fmtTime(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
function fmtValue(v) {
  if (v === null || v === undefined) return '—';
  if (v.type === 'bool') return v.value ? t('yes') : t('no');
  if (v.type === 'float' && typeof v.value === 'number') return String(Math.round(v.value * 1000) / 1000);
  return String(v.value);
}
/* Online/offline is judged again here so that a quiet device turns offline without news. */
function stateOf(d) {
  if (!d.last_seen_ms) return 'never';
  return Date.now() - d.last_seen_ms <= d.interval_s * 3000 ? 'online' : 'offline';
}
/* What a row shows: a retired or planned asset that never reported is not "never reported". */
function shownState(d) {
  const st = stateOf(d);
  return st === 'never' && ['retired', 'planned', 'legacy'].includes(d.status) ? d.status : st;
}
function chip(state) { return h('span', { class: 'chip ' + state, text: t(state) }); }

async function getJSON(url, opts) {
  const r = await fetch(url, Object.assign({ cache: 'no-store' }, opts || {}));
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  return { status: r.status, body };
}

/* ------------------------------------------------------------ live data */
/* What the page needs of the collector's configuration (http.map_tile_url). */
async function loadSettings() {
  try {
    const { status, body } = await getJSON('/api/v1/settings');
    if (status === 200 && body) S.settings = body;
  } catch (e) { S.settings = {}; }
}
async function loadDevices() {
  const { status, body } = await getJSON('/api/v1/devices');
  if (status !== 200 || !body) return;
  S.devices = new Map(body.devices.map((d) => [d.id, d]));
  S.version = body.version;
  queueRender();
}

function connect() {
  if (S.es) S.es.close();
  const es = new EventSource('/api/v1/stream?since=' + S.version);
  S.es = es;
  es.addEventListener('open', () => setLive(true));
  es.addEventListener('error', () => setLive(false));
  es.addEventListener('reading', (ev) => {
    const d = JSON.parse(ev.data);
    S.devices.set(d.id, d);
    S.lastEvent = Date.now();
    flash.add(d.id);
    queueRender();
  });
  es.addEventListener('resync', () => loadDevices());
  /* A restarted daemon counts versions from 0 again: start over from a listing. */
  es.addEventListener('hello', (ev) => { if (JSON.parse(ev.data).version < S.version) loadDevices(); });
  es.addEventListener('alert', () => loadAlerts());
}
function setLive(on) {
  const el = document.getElementById('live');
  el.className = 'live ' + (on ? 'on' : 'off');
  el.textContent = t(on ? 'live_on' : 'live_off');
}

async function loadAlerts() {
  try {
    const { status, body } = await getJSON('/api/v1/alerts');
    S.alerts = status === 200 && body ? body.alerts : null;
  } catch (e) { S.alerts = null; }
  queueRender();
}
async function loadCoverage() {
  try {
    const { status, body } = await getJSON('/api/v1/coverage');
    S.coverage = status === 200 && body ? body : null;
  } catch (e) { S.coverage = null; }
  queueRender();
}

const flash = new Set();
function queueRender() {
  if (S.renderQueued) return;
  S.renderQueued = true;
  setTimeout(() => { S.renderQueued = false; render(false); }, 150);
}

/* ------------------------------------------------------------ views */
function route() {
  const hash = decodeURIComponent(location.hash.slice(1) || 'overview');
  const [view, ...rest] = hash.split('/');
  return { view, arg: rest.join('/') };
}

const filters = { q: '', district: '', category: '', state: '' };

function counts(list) {
  const c = { total: 0, online: 0, offline: 0, never: 0 };
  for (const d of list) { c.total++; c[stateOf(d)]++; }
  return c;
}
/* Devices expected to report: upgraded assets, unregistered devices, and
 * anything that did report; legacy, planned and retired assets have no sensor. */
function activeDevices() {
  return [...S.devices.values()].filter((d) => d.status === 'upgraded' || d.status === '' || d.last_seen_ms);
}
function firing() { return (S.alerts || []).filter((a) => a.state === 'firing'); }

function kpi(id, label, value, cls) {
  return h('div', { class: 'kpi ' + (cls || ''), id: 'kpi-' + id },
    h('div', { class: 'kpi-value', text: String(value) }), h('div', { class: 'kpi-label', text: label }));
}

function viewOverview() {
  const list = activeDevices();
  const c = counts(list);
  const f = firing();
  const kpis = h('section', { class: 'kpis' },
    kpi('total', t('total'), c.total), kpi('online', t('online'), c.online, 'online'),
    kpi('offline', t('offline'), c.offline, 'offline'), kpi('never', t('never'), c.never, 'never'),
    kpi('firing', t('firing'), S.alerts ? f.length : '—', f.length ? 'alarm' : ''),
    kpi('legacy', t('not_upgraded'), [...S.devices.values()].filter((d) => d.status === 'legacy' || d.status === 'planned').length, 'dim'));
  const sev = h('section', { class: 'sevs' }, SEVERITIES.map((sv) =>
    h('div', { class: 'sev ' + sv }, h('span', { class: 'sev-n', id: 'sev-' + sv,
      text: S.alerts ? String(f.filter((a) => a.severity === sv).length) : '—' }), ' ', t(sv))));

  const districts = [...new Set(list.map((d) => d.district || '—'))].sort();
  const cats = [...new Set(list.map((d) => d.category))].sort();
  const table = h('table', { class: 'grid', id: 'overview-table' }, h('caption', { text: t('cell_legend') }),
    h('thead', {}, h('tr', {}, h('th', { text: t('district') }), cats.map((c) => h('th', { text: catName(c) })),
      h('th', { text: t('total') }), h('th', { text: t('firing') }))),
    h('tbody', {}, districts.map((dist) => {
      const row = list.filter((d) => (d.district || '—') === dist);
      const nf = f.filter((a) => (a.district || '—') === dist).length;
      return h('tr', { 'data-district': dist }, h('th', { text: dist }), cats.map((c) => cell(row.filter((d) => d.category === c))), cell(row),
        h('td', { class: 'firing-cell' + (nf ? ' alarm' : ''), text: S.alerts ? String(nf) : '—' }));
    })));
  const parts = [kpis, sev, h('h2', { text: t('by_district') }), table];
  if (S.coverage) parts.push(coverageSummary());
  return h('div', { class: 'view overview' }, parts);
}
function cell(list) {
  const c = counts(list);
  if (!c.total) return h('td', { class: 'empty', text: '·' });
  return h('td', { 'data-online': c.online, 'data-offline': c.offline, 'data-never': c.never },
    h('span', { class: 'n online', text: String(c.online) }), h('span', { class: 'sep', text: '/' }),
    h('span', { class: 'n offline', text: String(c.offline) }), h('span', { class: 'sep', text: '/' }),
    h('span', { class: 'n never', text: String(c.never) }));
}
/* Upgrade coverage per category against its target (/api/v1/coverage). */
function coverageSummary() {
  const c = S.coverage;
  const rows = Array.isArray(c.categories) ? c.categories : [];
  if (!rows.length) return h('div');
  const pct = (x) => (typeof x === 'number' ? (x <= 1 ? x * 100 : x) : 0);
  const targetOf = (cat) => {
    const tg = (c.targets || []).find((x) => x.category === cat);
    return pct(tg ? tg.target : (c.settings || {}).default_target);
  };
  return h('section', { id: 'coverage-summary' }, h('h2', { text: t('coverage_vs_target') }),
    h('div', { class: 'bars' }, rows.map((r) => {
      const p = pct(r.coverage), target = targetOf(r.category);
      return h('div', { class: 'bar', 'data-category': r.category },
        h('span', { class: 'bar-label', text: catName(r.category) }),
        h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill' + (p >= target ? ' ok' : ''), 'data-pct': p }),
          h('span', { class: 'bar-target', 'data-pct': target })),
        h('span', { class: 'bar-value', text: p.toFixed(1) + '% / ' + target.toFixed(0) + '%' }));
    })));
}

/* Web Mercator in world units (0..1, y down), the projection of XYZ map tiles. */
function mercX(lon) { return (lon + 180) / 360; }
function mercY(lat) {
  const r = Math.max(-85, Math.min(85, lat)) * Math.PI / 180;
  return (1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2;
}

/* The XYZ tiles that cover the W x H map at scale k (SVG units per world
 * unit) with world point (wx0, wy0) at (ox, oy): a zoom whose tiles are 256
 * to 512 units wide. Failed tiles simply stay blank (closed network). */
function mapTiles(tpl, W, H, k, wx0, wy0, ox, oy) {
  const z = Math.max(0, Math.min(19, Math.floor(Math.log2(k / 256))));
  const n = 2 ** z, size = k / n;
  /* a nested <svg> clips the tiles to the map (the outer one may be wider than its viewBox) */
  const g = s('svg', { x: 0, y: 0, width: W, height: H, class: 'tiles', id: 'map-tiles', 'data-zoom': String(z) });
  const u0 = wx0 - ox / k, u1 = wx0 + (W - ox) / k, v0 = wy0 - oy / k, v1 = wy0 + (H - oy) / k;
  const clamp = (i) => Math.max(0, Math.min(n - 1, i));
  for (let ty = clamp(Math.floor(v0 * n)); ty <= clamp(Math.floor(v1 * n)); ty++) {
    for (let tx = clamp(Math.floor(u0 * n)); tx <= clamp(Math.floor(u1 * n)); tx++) {
      const href = tpl.replace('{z}', String(z)).replace('{x}', String(tx)).replace('{y}', String(ty));
      g.appendChild(s('image', { href, x: (ox + (tx / n - wx0) * k).toFixed(1), y: (oy + (ty / n - wy0) * k).toFixed(1),
        width: size.toFixed(1), height: size.toFixed(1), preserveAspectRatio: 'none', class: 'tile' }));
    }
  }
  return g;
}

function viewMap() {
  const list = [...S.devices.values()].filter((d) => typeof d.lat === 'number' && typeof d.lon === 'number');
  const W = 1000, H = 640, pad = 40;
  const wrap = h('div', { class: 'view map' });
  if (!list.length) { wrap.appendChild(h('p', { text: t('none') })); return wrap; }
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const d of list) {
    const mx = mercX(d.lon), my = mercY(d.lat);
    x0 = Math.min(x0, mx); x1 = Math.max(x1, mx); y0 = Math.min(y0, my); y1 = Math.max(y1, my);
  }
  const sx = (x1 - x0) || 0.00003, sy = (y1 - y0) || 0.00003; /* one asset: about 10 km across */
  const k = Math.min((W - 2 * pad) / sx, (H - 2 * pad) / sy);
  const ox = (W - (x1 - x0) * k) / 2, oy = (H - (y1 - y0) * k) / 2;
  const px = (lon) => ox + (mercX(lon) - x0) * k, py = (lat) => oy + (mercY(lat) - y0) * k;
  const tiles = S.settings.map_tile_url;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'mapsvg' + (tiles ? ' tiled' : ''), id: 'map-svg' });
  if (tiles) svg.appendChild(mapTiles(tiles, W, H, k, x0, y0, ox, oy));
  for (let i = 0; i <= 10; i++) {
    svg.appendChild(s('line', { x1: pad + i * (W - 2 * pad) / 10, y1: pad, x2: pad + i * (W - 2 * pad) / 10, y2: H - pad, class: 'gridline' }));
    svg.appendChild(s('line', { x1: pad, y1: pad + i * (H - 2 * pad) / 10, x2: W - pad, y2: pad + i * (H - 2 * pad) / 10, class: 'gridline' }));
  }
  const byDistrict = new Map();
  for (const d of list) {
    const st = shownState(d);
    const c = s('circle', { cx: px(d.lon).toFixed(1), cy: py(d.lat).toFixed(1), r: 7, class: 'dot ' + st + (flash.has(d.id) ? ' flash' : ''), 'data-id': d.id,
      onclick: () => { location.hash = 'device/' + encodeURIComponent(d.id); } },
    s('title', { text: `${d.name || d.id} · ${catName(d.category)} · ${t(st)}` }));
    svg.appendChild(c);
    const b = byDistrict.get(d.district) || []; b.push(d); byDistrict.set(d.district, b);
  }
  for (const [dist, ds] of byDistrict) {
    const lx = ds.reduce((a, d) => a + px(d.lon), 0) / ds.length, ly = Math.min(...ds.map((d) => py(d.lat))) - 16;
    svg.appendChild(s('text', { x: lx.toFixed(1), y: Math.max(18, ly).toFixed(1), class: 'maplabel', text: dist || '—' }));
  }
  wrap.appendChild(h('div', { class: 'legend' }, ['online', 'offline', 'never', 'legacy'].map((st) => h('span', {}, h('i', { class: 'dot-l ' + st }), t(st)))));
  wrap.appendChild(svg);
  return wrap;
}

function select(name, options, labeler) {
  const sel = h('select', { id: 'f-' + name, onchange: (e) => { filters[name] = e.target.value; render(true); } },
    h('option', { value: '', text: t(name) + ': ' + t('all') }),
    options.map((o) => h('option', { value: o, text: labeler ? labeler(o) : o })));
  sel.value = filters[name];
  return sel;
}

function viewDevices() {
  const all = [...S.devices.values()];
  const q = filters.q.toLowerCase();
  const list = all.filter((d) => (!filters.district || d.district === filters.district) &&
    (!filters.category || d.category === filters.category) && (!filters.state || stateOf(d) === filters.state) &&
    (!q || [d.id, d.name, d.device, d.district].some((x) => (x || '').toLowerCase().includes(q))))
    .sort((a, b) => a.id.localeCompare(b.id));
  const search = h('input', { id: 'f-q', type: 'search', placeholder: t('search'), value: filters.q,
    oninput: (e) => { filters.q = e.target.value; render(true); } });
  const bar = h('div', { class: 'filters' }, search,
    select('district', [...new Set(all.map((d) => d.district))].sort()),
    select('category', [...new Set(all.map((d) => d.category))].sort(), catName),
    select('state', ['online', 'offline', 'never'], t), h('span', { class: 'muted', id: 'device-count', text: list.length + ' / ' + all.length }));
  const rows = list.slice(0, 500).map((d) => {
    const vals = Object.entries(d.values || {}).slice(0, 3).map(([k, v]) => k + ' ' + fmtValue(v) + (v.unit ? ' ' + v.unit : '')).join(' · ');
    return h('tr', { 'data-id': d.id, class: flash.has(d.id) ? 'flash' : null, onclick: () => { location.hash = 'device/' + encodeURIComponent(d.id); } },
      h('td', {}, chip(shownState(d))), h('td', { class: 'name', text: d.name || d.device || d.id }), h('td', { class: 'mono', text: d.id }),
      h('td', { text: catName(d.category) }), h('td', { text: d.district }), h('td', { class: 'last-seen', text: ago(d.last_seen_ms) }),
      h('td', { class: 'vals mono', text: vals }));
  });
  return h('div', { class: 'view devices' }, bar,
    h('table', { class: 'list', id: 'device-table' },
      h('thead', {}, h('tr', {}, [t('state'), t('name'), t('id'), t('category'), t('district'), t('last_seen'), t('values')].map((x) => h('th', { text: x })))),
      h('tbody', {}, rows)));
}

const charts = { id: null, data: null, at: 0 };
async function loadHistory(id) {
  charts.id = id; charts.data = null; charts.at = Date.now();
  try {
    const { status, body } = await getJSON('/api/v1/devices/' + encodeURIComponent(id) + '/history?hours=24');
    charts.data = status === 200 && body ? body : { series: [] };
  } catch (e) { charts.data = { series: [] }; }
  if (charts.id === id) render(true);
}

function viewDevice(id) {
  const d = S.devices.get(id);
  const wrap = h('div', { class: 'view device' }, h('a', { href: '#devices', class: 'back', text: t('back') }));
  if (!d) { wrap.appendChild(h('p', { text: id + ': —' })); return wrap; }
  if (charts.id !== id || Date.now() - charts.at > 60000) loadHistory(id);
  wrap.appendChild(h('h2', { id: 'device-name' }, chip(shownState(d)), ' ', d.name || d.device || d.id));
  const info = [[t('id'), d.id], [t('device'), d.device], [t('category'), catName(d.category)], [t('district'), d.district],
    [t('status'), d.status ? t(d.status) : t('unregistered')], [t('last_seen'), fmtTime(d.last_seen_ms) + ' (' + ago(d.last_seen_ms) + ')'],
    [t('whole'), d.last_seen_ms ? (d.whole ? t('yes') : t('partial')) : '—']];
  wrap.appendChild(h('table', { class: 'kv' }, h('tbody', {}, info.map(([k, v]) => h('tr', {}, h('th', { text: k }), h('td', { text: v || '—' }))))));
  const mine = (S.alerts || []).filter((a) => a.state === 'firing' && (a.asset === d.id || a.device === d.device && d.device));
  if (mine.length) {
    wrap.appendChild(h('div', { class: 'device-alerts', id: 'device-alerts' }, mine.map((a) =>
      h('div', { class: 'device-alert ' + a.severity }, h('span', { class: 'sev-tag ' + a.severity, text: t(a.severity) }), ' ',
        (S.lang === 'zh' ? a.summary_zh : a.summary) || a.summary || a.rule, ' · ', ago(a.fired_ms || a.started_ms),
        a.acknowledged ? ' · ' + t('acked') : ''))));
  }
  wrap.appendChild(h('table', { class: 'list values', id: 'value-table' },
    h('thead', {}, h('tr', {}, [t('field'), t('value'), t('unit'), t('time')].map((x) => h('th', { text: x })))),
    h('tbody', {}, Object.entries(d.values || {}).map(([k, v]) => h('tr', { 'data-field': k },
      h('td', { class: 'mono', text: k }), h('td', { class: 'value big', text: fmtValue(v) }), h('td', { text: v.unit || '' }), h('td', { text: fmtTime(v.ts_ms) }))))));
  wrap.appendChild(h('h2', { text: t('charts') }));
  const series = (charts.data && charts.data.series) || [];
  if (!series.length) wrap.appendChild(h('p', { class: 'muted', text: charts.data ? t('no_chart') : '…' }));
  const box = h('div', { class: 'charts' });
  for (const sr of series) box.appendChild(chart(sr, (d.values[sr.field] || {}).unit || ''));
  wrap.appendChild(box);
  return wrap;
}

function chart(sr, unit) {
  const W = 480, H = 160, L = 48, B = 22;
  const pts = sr.points.filter((p) => typeof p[1] === 'number');
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', 'data-field': sr.field });
  if (!pts.length) return svg;
  const t1 = Date.now(), t0 = t1 - 24 * 3600 * 1000;
  let lo = Math.min(...pts.map((p) => p[1])), hi = Math.max(...pts.map((p) => p[1]));
  if (hi === lo) { hi += 1; lo -= 1; }
  const x = (ts) => L + (ts - t0) / (t1 - t0) * (W - L - 8), y = (v) => 8 + (hi - v) / (hi - lo) * (H - B - 8);
  svg.appendChild(s('rect', { x: L, y: 8, width: W - L - 8, height: H - B - 8, class: 'chart-bg' }));
  for (const v of [lo, (lo + hi) / 2, hi]) {
    svg.appendChild(s('line', { x1: L, x2: W - 8, y1: y(v), y2: y(v), class: 'gridline' }));
    svg.appendChild(s('text', { x: L - 4, y: y(v) + 4, class: 'axis', 'text-anchor': 'end', text: String(Math.round(v * 100) / 100) }));
  }
  for (let hrs = 0; hrs <= 24; hrs += 6) {
    const ts = t0 + hrs * 3600000, dt = new Date(ts);
    svg.appendChild(s('text', { x: x(ts), y: H - 6, class: 'axis', 'text-anchor': hrs === 24 ? 'end' : hrs === 0 ? 'start' : 'middle', text: String(dt.getHours()).padStart(2, '0') + ':' + String(dt.getMinutes()).padStart(2, '0') }));
  }
  svg.appendChild(s('polyline', { points: pts.map((p) => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' '), class: 'line' }));
  if (pts.length <= 48) for (const p of pts) svg.appendChild(s('circle', { cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 2.5, class: 'pt' }));
  svg.appendChild(s('text', { x: L + 6, y: 22, class: 'chart-title', text: sr.field + (unit ? ' (' + unit + ')' : '') }));
  return svg;
}

function viewAlerts() {
  const wrap = h('div', { class: 'view alerts' });
  if (S.alerts === null) { wrap.appendChild(h('p', { class: 'muted', text: t('not_available') })); return wrap; }
  const tok = h('input', { id: 'token', type: 'password', placeholder: t('token'), autocomplete: 'off',
    value: sessionStorage.getItem('lifeline.token') || '', oninput: (e) => sessionStorage.setItem('lifeline.token', e.target.value) });
  wrap.appendChild(h('div', { class: 'filters' }, h('label', { for: 'token', text: t('token_hint') }), tok, h('span', { id: 'ack-msg', class: 'muted' })));
  const sorted = [...S.alerts].sort((a, b) => (a.state === 'firing' ? 0 : 1) - (b.state === 'firing' ? 0 : 1) ||
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || (b.updated_ms || 0) - (a.updated_ms || 0));
  const rows = sorted.slice(0, 300).map((a) => h('tr', { 'data-alert': String(a.id), class: a.state,
    onclick: (e) => { if (e.target.tagName !== 'BUTTON' && S.devices.has(a.asset || a.device)) location.hash = 'device/' + encodeURIComponent(a.asset || a.device); } },
    h('td', {}, h('span', { class: 'sev-tag ' + a.severity, text: t(a.severity) })),
    h('td', { text: a.state === 'firing' ? t('firing') : a.state === 'resolved' ? t('resolved') : a.state }),
    h('td', { text: a.name || a.device }), h('td', { text: a.district }), h('td', { class: 'mono', text: a.rule }),
    h('td', { text: (S.lang === 'zh' ? a.summary_zh : a.summary) || a.summary || '' }),
    h('td', { text: ago(a.fired_ms || a.started_ms) }),
    h('td', {}, a.acknowledged ? h('span', { class: 'muted', text: t('acked') + (a.acked_by ? ' · ' + a.acked_by : '') })
      : a.state === 'firing' ? h('button', { type: 'button', class: 'ack', 'data-ack': String(a.id), text: t('ack'), onclick: () => ack(a.id) }) : null)));
  wrap.appendChild(h('table', { class: 'list', id: 'alert-table' },
    h('thead', {}, h('tr', {}, [t('severity'), t('state'), t('name'), t('district'), t('rule'), t('summary'), t('since'), ''].map((x) => h('th', { text: x })))),
    h('tbody', {}, rows)));
  return wrap;
}
async function ack(id) {
  const token = sessionStorage.getItem('lifeline.token') || '';
  const r = await fetch('/api/v1/alerts/' + encodeURIComponent(id) + '/ack', { method: 'POST',
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: JSON.stringify({ by: 'web' }) });
  const msg = document.getElementById('ack-msg');
  if (msg) msg.textContent = r.ok ? '' : t('ack_failed') + ' (HTTP ' + r.status + ')';
  await loadAlerts();
  render(true);
}

function viewCoverage() {
  return h('div', { class: 'view coverage' }, h('iframe', { src: '/report?lang=' + S.lang, title: t('coverage_title'), class: 'report', id: 'report-frame' }));
}

let lastView = '';
function render(force) {
  const r = route();
  const key = r.view + '/' + r.arg + '/' + S.lang;
  /* The coverage frame and a focused search box must not be rebuilt by live news. */
  if (!force && key === lastView && (r.view === 'coverage' || document.activeElement && document.activeElement.tagName === 'SELECT')) return;
  const focus = document.activeElement && document.activeElement.id;
  const caret = focus === 'f-q' ? document.activeElement.selectionStart : null;
  let v;
  switch (r.view) {
  case 'map': v = viewMap(); break;
  case 'devices': v = viewDevices(); break;
  case 'device': v = viewDevice(r.arg); break;
  case 'alerts': v = viewAlerts(); break;
  case 'coverage': v = viewCoverage(); break;
  default: v = viewOverview();
  }
  const main = document.getElementById('main');
  main.replaceChildren(v);
  lastView = key;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.view === (r.view === 'device' ? 'devices' : r.view));
  if (focus) { const el = document.getElementById(focus); if (el && el.focus) { el.focus(); if (caret !== null) el.setSelectionRange(caret, caret); } }
  for (const el of document.querySelectorAll('.bar-fill, .bar-target')) el.style.setProperty(el.classList.contains('bar-fill') ? 'width' : 'left', Math.min(100, el.dataset.pct) + '%');
  flash.clear();
  document.getElementById('foot').textContent = 'Lifeline · ' + S.devices.size + ' · v' + S.version + (S.lastEvent ? ' · ' + fmtTime(S.lastEvent) : '');
}

function applyLang() {
  document.documentElement.lang = S.lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  document.getElementById('lang').textContent = S.lang === 'zh' ? 'EN' : '中文';
  setLive(S.es && S.es.readyState === 1);
  document.title = t('title');
}

function tick() {
  const d = new Date();
  document.getElementById('clock').textContent = fmtTime(d.getTime()).slice(11);
}

document.addEventListener('DOMContentLoaded', async () => {
  document.getElementById('lang').addEventListener('click', () => {
    S.lang = S.lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('lifeline.lang', S.lang);
    applyLang(); render(true);
  });
  window.addEventListener('hashchange', () => render(true));
  applyLang();
  tick(); setInterval(tick, 1000);
  await Promise.all([loadSettings(), loadDevices()]);
  connect();
  loadAlerts(); loadCoverage();
  setInterval(loadAlerts, 10000);
  setInterval(() => { if (route().view !== 'coverage') render(false); }, 15000);
  /* Wall screens: /?wall=1 cycles overview, map and alerts every 20 s, larger type. */
  if (new URLSearchParams(location.search).has('wall')) {
    document.body.classList.add('wall');
    const views = ['overview', 'map', 'alerts'];
    let i = 0;
    setInterval(() => { i = (i + 1) % views.length; location.hash = views[i]; }, 20000);
  }
  render(true);
});
