// Wardwatch review page: login, live grid and large view (fMP4 over WebSocket into MSE), timeline and playback
// (one continuous fMP4 per recorded run into MSE), alerts, the street (lines, zones, rules, today's counts), exports,
// evidence holds. Vietnamese by default.
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
const state = { lang: localStorage.getItem('ww-lang') || 'vi', csrf: '', user: null, box: null, tab: 'live', boxTimer: null };

// ---------- words
function t(key, fallback = key) {
  const words = window.WW_I18N[state.lang] || window.WW_I18N.vi;
  return words[key] || fallback;
}
/** t() with {name} places filled from `vars` */
const tf = (key, vars) => t(key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
const labelName = (label) => t(`label_${label}`, label);
function translate() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  $('#lang').textContent = t('language');
  document.title = t('title');
}
const pad = (n) => String(n).padStart(2, '0');
// Every time is the box's (edge.yaml timeZone, from /api/box), shown with its offset whatever zone the browser is in;
// the date and time boxes are read in it too (shared/page/zone-time.js).
const Zone = window.ZoneTime;
const zone = () => (state.box && state.box.timeZone) || 'Asia/Ho_Chi_Minh';
/** 14:03:12 +07:00 */
const clock = (ms) => Zone.time(ms, zone());
/** 14:03:12 (where the offset follows) */
const hms = (ms) => Zone.time(ms, zone(), false);
/** 14:03:12 – 14:05:40 +07:00 */
const between = (a, b) => `${hms(a)} – ${clock(b)}`;
/** 26/11/2026 14:03:12 +07:00 */
const dateTime = (ms) => Zone.dateTime(ms, zone());
const localInput = (ms) => Zone.inputValue(ms, zone());
/** a date box's day, a datetime box's moment: the instant it means on the box's clock */
const fromInput = (value) => Zone.fromInput(value, zone());
const dayStart = (dayStr) => fromInput(dayStr);
const timeOnDay = (dayStr, time) => fromInput(`${dayStr}T${time}`);
/** +3.2 s (a decimal comma in Vietnamese) */
const skewText = (ms) => Zone.skew(ms, state.lang);
function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

// ---------- API
async function api(method, url, body) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['x-csrf-token'] = state.csrf;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : {};
  if (typeof json.csrfToken === 'string') state.csrf = json.csrfToken;
  if (res.status === 401 && url !== '/api/login') showLogin();
  return { status: res.status, ok: res.ok, json };
}

// ---------- login
function showOnly(id) {
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== id;
}
function showLogin() {
  stopAll();
  clearInterval(state.boxTimer);
  $('#clockNote').hidden = true; $('#zoneNote').textContent = '';
  $('#tabs').hidden = true; $('#logout').hidden = true; $('#who').textContent = '';
  showOnly('loginView');
}
async function afterLogin(answer) {
  state.user = answer.user;
  if (answer.status === 'must-change') { showOnly('passwordView'); return; }
  const box = await api('GET', '/api/box');
  if (!box.ok) return;
  state.box = box.json;
  $('#wardName').textContent = `${t('ward')}: ${box.json.ward.name}`;
  showClocks();
  clearInterval(state.boxTimer);
  state.boxTimer = setInterval(refreshClocks, 60_000);
  $('#who').textContent = state.user.displayName;
  $('#logout').hidden = false;
  $('#tabs').hidden = false;
  const may = box.json.may;
  const allowed = { live: may.live, timeline: may.playback, events: may.events, street: may.events, exports: may.export, holds: may.holdPlace || may.holdManage };
  for (const b of document.querySelectorAll('#tabs button')) b.hidden = !allowed[b.dataset.tab];
  fillCameraSelects();
  const first = ['live', 'timeline', 'events', 'street', 'exports', 'holds'].find((k) => allowed[k]);
  $('#adminNote').hidden = may.live;
  showTab(first || 'holds');
}
$('#loginForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target;
  const r = await api('POST', '/api/login', { name: f.name.value, password: f.password.value });
  $('#loginError').textContent = r.ok ? '' : r.json.code === 'LOCKED' ? t('locked') : r.json.code === 'THROTTLED' ? t('throttled') : r.json.code === 'BAD_LOGIN' ? t('badLogin') : r.json.error;
  if (r.ok) { f.password.value = ''; await afterLogin(r.json); }
});
$('#passwordForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target;
  const r = await api('POST', '/api/password', { current: f.current.value, next: f.next.value });
  $('#passwordError').textContent = r.ok ? '' : r.json.error;
  if (r.ok) { f.current.value = ''; f.next.value = ''; await afterLogin(r.json); }
});
$('#logout').addEventListener('click', async () => { await api('POST', '/api/logout'); state.csrf = ''; showLogin(); });
$('#lang').addEventListener('click', () => {
  state.lang = state.lang === 'vi' ? 'en' : 'vi';
  localStorage.setItem('ww-lang', state.lang);
  translate();
  if (state.box) {
    fillCameraSelects();
    showClocks();
    if (state.tab === 'timeline') loadTimeline();
    if (state.tab === 'events') loadEvents(false);
    if (state.tab === 'street') loadStreet();
    if (state.tab === 'exports') loadExports();
    if (state.tab === 'holds') loadHolds();
  }
});

function fillCameraSelects() {
  const cams = state.box.cameras;
  for (const sel of [$('#tlCamera'), $('#evFilter').camera, $('#stCamera'), $('#hoForm').camera]) {
    const keep = sel.value;
    sel.replaceChildren(...(sel === $('#evFilter').camera ? [el('option', { value: '' }, t('allCameras'))] : []), ...cams.map((c) => el('option', { value: c.id }, c.name)));
    if (keep) sel.value = keep;
  }
  const checks = $('#exCameras');
  const checked = new Set([...checks.querySelectorAll('input:checked')].map((i) => i.value));
  checks.replaceChildren(...cams.map((c) => el('label', {}, el('input', { type: 'checkbox', value: c.id, ...(checked.has(c.id) ? { checked: '' } : {}) }), c.name)));
}

// ---------- clocks: the zone of the page's times, the box's NTP state, each camera's clock skew
function showClocks() {
  const box = state.box;
  $('#zoneNote').textContent = tf('timesIn', { zone: zone(), offset: Zone.offsetText(Zone.offsetAt(Date.now(), zone())) });
  $('#clockNote').hidden = box.clock.ntp !== 'unsynced';
  for (const c of box.cameras) {
    for (const tag of document.querySelectorAll(`.clock[data-camera="${CSS.escape(c.id)}"]`)) {
      tag.textContent = c.clockSkewMs === null ? '' : `${c.clockSkewed ? '⚠ ' : ''}${tf('cameraClock', { skew: skewText(c.clockSkewMs) })}`;
      tag.classList.toggle('off', c.clockSkewed);
    }
  }
}
/** The clocks are checked every few minutes on the box: the page asks again every minute. */
async function refreshClocks() {
  const r = await api('GET', '/api/box');
  if (!r.ok) return;
  state.box = r.json;
  showClocks();
}

// ---------- tabs
function showTab(tab) {
  if (state.tab === 'live' && tab !== 'live') stopLive();
  if (state.tab === 'timeline' && tab !== 'timeline') playback.stop();
  if (state.tab === 'street' && tab !== 'street') stopStreet();
  state.tab = tab;
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === tab);
  showOnly(`${tab}View`);
  if (tab === 'live') startLive();
  if (tab === 'timeline') { if (!$('#tlDay').value) $('#tlDay').value = localInput(Date.now()).slice(0, 10); loadTimeline(); }
  if (tab === 'events') loadEvents(false);
  if (tab === 'street') loadStreet();
  if (tab === 'exports') loadExports();
  if (tab === 'holds') loadHolds();
}
for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab));
function stopAll() { stopLive(); playback.stop(); stopStreet(); }

// ---------- MSE helpers
/** shared/page/mse-appender.js (served at /mse-appender.js, loaded before this script) */
const Appender = window.MseAppender;

// ---------- live
/** One camera stream in one <video>: WebSocket, init segment, fragments; reconnects until stopped. */
class LivePlayer {
  constructor(video, camera, stream, note) { Object.assign(this, { video, camera, stream, note, stopped: false, tries: 0 }); this.connect(); }
  connect() {
    if (this.stopped) return;
    this.note(t('connecting'));
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live/${encodeURIComponent(this.camera)}?stream=${this.stream}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onmessage = (m) => {
      if (typeof m.data === 'string') {
        const msg = JSON.parse(m.data);
        if (msg.type === 'init') {
          if (this.appender) this.appender.close();
          this.appender = new Appender(this.video, msg.codec);
          this.appender.ready.catch(() => this.note(t('unsupported')));
          this.note(msg.transcoded ? t('transcoded') : '');
          this.started = false;
        } else if (msg.type === 'problem') {
          this.note(msg.code === 'transcode-busy' ? t('transcodeBusy') : msg.code === 'unsupported' ? t('unsupported') : msg.code === 'reconnecting' ? t('reconnecting') : msg.message);
        }
        return;
      }
      if (!this.appender) return;
      this.tries = 0;
      this.appender.push(m.data);
      if (!this.started) { this.started = true; this.appender.ready.then(() => this.video.play().catch(() => {})); }
      // stay near the live edge: a viewer who fell behind (tab hidden, slow PC) jumps forward
      const end = this.appender.bufferedEnd();
      if (end - this.video.currentTime > 4) this.video.currentTime = end - 0.5;
    };
    ws.onclose = () => {
      if (this.stopped) return;
      this.note(t('reconnecting'));
      const delay = Math.min(10_000, 1000 * 2 ** this.tries++);
      setTimeout(() => this.connect(), delay);
    };
  }
  stop() { this.stopped = true; if (this.ws) this.ws.close(); if (this.appender) this.appender.close(); this.video.removeAttribute('src'); this.video.load(); }
}

const live = { grid: [], large: null };
function startLive() {
  stopLive();
  const grid = $('#grid');
  grid.replaceChildren();
  for (const cam of state.box.cameras) {
    const video = el('video', { muted: '', playsinline: '', 'data-camera': cam.id });
    video.muted = true;
    const note = el('p', { class: 'note' });
    const tile = el('div', { class: 'tile', title: t('large'), 'data-camera': cam.id, onclick: () => openLarge(cam) }, video, el('span', { class: 'name' }, cam.name), el('span', { class: 'clock', 'data-camera': cam.id }), note);
    grid.append(tile);
    live.grid.push(new LivePlayer(video, cam.id, 'sub', (s) => (note.textContent = s)));
  }
  showClocks();
}
function openLarge(cam) {
  if (live.large) live.large.stop();
  $('#large').hidden = false;
  $('#largeName').textContent = cam.name;
  const video = $('#largeVideo');
  video.muted = true;
  live.large = new LivePlayer(video, cam.id, 'main', (s) => ($('#largeNote').textContent = s));
  $('#large').scrollIntoView({ behavior: 'smooth' });
}
$('#largeClose').addEventListener('click', () => { if (live.large) live.large.stop(); live.large = null; $('#large').hidden = true; });
function stopLive() {
  for (const p of live.grid) p.stop();
  live.grid = [];
  if (live.large) live.large.stop();
  live.large = null;
  $('#large').hidden = true;
}

// ---------- playback
/** Plays recordings from a moment: one continuous fMP4 per run, appended as it arrives, the next run after a gap. */
const playback = {
  video: null, appender: null, run: null, abort: null, camera: null,
  stop() {
    if (this.abort) this.abort.abort();
    this.abort = null;
    if (this.appender) this.appender.close();
    this.appender = null; this.run = null;
  },
  /** wall-clock ms shown now, or null */
  position() { return this.run && this.video ? this.run.start + this.video.currentTime * 1000 : null; },
  async playFrom(camera, ms) {
    this.stop();
    this.video = $('#pbVideo');
    this.camera = camera;
    const abort = new AbortController();
    this.abort = abort;
    $('#pbNote').textContent = t('connecting');
    let res;
    try { res = await fetch(`/api/playback/${encodeURIComponent(camera)}?from=${Math.floor(ms)}`, { signal: abort.signal }); } catch { return; }
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      $('#pbNote').textContent = res.status === 404 ? t('noRecording') : body.error || res.statusText;
      return;
    }
    const run = { start: Number(res.headers.get('x-playback-start')), end: Number(res.headers.get('x-playback-end')), offset: Number(res.headers.get('x-playback-offset')) };
    this.run = run;
    const appender = new Appender(this.video, res.headers.get('x-codec'));
    this.appender = appender;
    $('#pbNote').textContent = '';
    await appender.ready;
    const reader = res.body.getReader();
    let positioned = false;
    const video = this.video;
    for (;;) {
      if (abort.signal.aborted) { reader.cancel().catch(() => {}); return; }
      // read ahead at most 30 s: ffmpeg waits (TCP back-pressure) instead of the browser's memory filling
      if (appender.bufferedEnd() - video.currentTime > 30) { await new Promise((r) => setTimeout(r, 500)); continue; }
      let chunk;
      try { chunk = await reader.read(); } catch { return; }
      if (chunk.done) break;
      appender.push(chunk.value);
      if (!positioned && appender.bufferedEnd() > run.offset + 0.5) {
        positioned = true;
        await appender.drained();
        video.currentTime = run.offset;
        video.play().catch(() => {});
      }
    }
    await appender.drained();
    if (!positioned) { video.currentTime = run.offset; video.play().catch(() => {}); }
    appender.end();
  },
  /** a moment of the same camera: inside what is buffered, just move; otherwise ask for a new stream */
  seek(camera, ms) {
    const r = this.run;
    if (r && this.appender && camera === this.camera && ms >= r.start && ms < r.end) {
      const tt = (ms - r.start) / 1000;
      if (tt >= this.appender.bufferedStart() && tt <= this.appender.bufferedEnd()) { this.video.currentTime = tt; this.video.play().catch(() => {}); return; }
    }
    void this.playFrom(camera, ms);
  },
};
$('#pbVideo').addEventListener('timeupdate', () => {
  const pos = playback.position();
  if (pos !== null) { $('#pbClock').textContent = clock(pos); drawCursor(pos); }
});
$('#pbVideo').addEventListener('ended', () => {
  // the run ended at a gap: go on with the next recording after it
  const r = playback.run;
  const tl = timeline.data;
  if (!r || !tl) return;
  const next = tl.coverage.find((c) => c.from >= r.end - 500 && c.from > playback.position() + 200);
  if (next) void playback.playFrom(playback.camera, next.from);
});

// ---------- timeline
const timeline = { data: null, hourStart: null };
function bar(container, from, to, data) {
  container.replaceChildren();
  const span = to - from;
  const place = (a, b, cls, title) => {
    const left = Math.max(0, (a - from) / span), right = Math.min(1, (b - from) / span);
    if (right <= 0 || left >= 1 || right < left) return;
    const d = el('div', { class: cls, title });
    d.style.left = `${left * 100}%`;
    d.style.width = `max(${(right - left) * 100}%, 1px)`;
    container.append(d);
  };
  for (const c of data.coverage) place(c.from, c.to, 'rec', between(c.from, c.to));
  for (const g of data.gaps) place(g.from, g.to, 'gap', `${t('gap')} ${between(g.from, g.to)}: ${t(`reason_${g.reason}`)}`);
  for (const h of data.holds) place(h.from, h.to, 'hold', t('hold'));
  for (const e of data.events) place(e.start, e.start, 'ev', `${e.label} ${clock(e.start)}`);
  const cursor = el('div', { class: 'cursor' });
  cursor.hidden = true;
  container.append(cursor);
  container.onclick = (ev) => {
    const rect = container.getBoundingClientRect();
    const ms = from + ((ev.clientX - rect.left) / rect.width) * span;
    if (container.id === 'tlDayBar') { timeline.hourStart = Math.floor((ms - from) / 3_600_000) * 3_600_000 + from; drawHour(); }
    playback.seek($('#tlCamera').value, ms);
  };
}
function drawCursor(ms) {
  for (const [id, from, span] of [['#tlDayBar', timeline.data && timeline.data.from, 86_400_000], ['#tlHourBar', timeline.hourStart, 3_600_000]]) {
    const cur = $(`${id} .cursor`);
    if (!cur || from === null || from === undefined) continue;
    const x = (ms - from) / span;
    cur.hidden = x < 0 || x > 1;
    cur.style.left = `${x * 100}%`;
  }
}
function drawHour() {
  if (!timeline.data || timeline.hourStart === null) return;
  const end = timeline.hourStart + 3_600_000;
  $('#tlHourLabel').textContent = `${hms(timeline.hourStart).slice(0, 5)}–${hms(end).slice(0, 5)} ${Zone.offsetText(Zone.offsetAt(end - 1, zone()))}`;
  bar($('#tlHourBar'), timeline.hourStart, timeline.hourStart + 3_600_000, timeline.data);
}
async function loadTimeline() {
  const camera = $('#tlCamera').value;
  const from = dayStart($('#tlDay').value);
  const to = from + 86_400_000;
  const r = await api('GET', `/api/timeline/${encodeURIComponent(camera)}?from=${from}&to=${to}`);
  if (!r.ok) return;
  timeline.data = r.json;
  bar($('#tlDayBar'), from, to, r.json);
  $('#tlDayAxis').replaceChildren(...[0, 3, 6, 9, 12, 15, 18, 21, 24].map((h) => { const s = el('span', {}, `${pad(h)}:00`); s.style.left = `${(h / 24) * 100}%`; return s; }));
  if (timeline.hourStart === null || timeline.hourStart < from || timeline.hourStart >= to) {
    const now = Math.min(Date.now(), to - 1);
    timeline.hourStart = from + Math.floor((now - from) / 3_600_000) * 3_600_000;
  }
  drawHour();
  $('#tlGaps').replaceChildren(...(r.json.gaps.length
    ? r.json.gaps.map((g) => el('li', { class: 'gap-item', 'data-reason': g.reason }, `${g.open ? `${clock(g.from)} – …` : between(g.from, g.to)}: ${t(`reason_${g.reason}`)}`))
    : [el('li', {}, t('noGaps'))]));
}
$('#tlCamera').addEventListener('change', () => { playback.stop(); loadTimeline(); });
$('#tlDay').addEventListener('change', () => { playback.stop(); timeline.hourStart = null; loadTimeline(); });
$('#tlGo').addEventListener('click', () => {
  const v = $('#tlTime').value;
  if (!v) return;
  const ms = timeOnDay($('#tlDay').value, v);
  timeline.hourStart = dayStart($('#tlDay').value) + Math.floor((ms - dayStart($('#tlDay').value)) / 3_600_000) * 3_600_000;
  drawHour();
  playback.seek($('#tlCamera').value, ms);
});
function rangeFromInputs() {
  const day = $('#tlDay').value;
  const a = $('#rgFrom').value, b = $('#rgTo').value;
  if (!a || !b) return null;
  return { camera: $('#tlCamera').value, fromMs: timeOnDay(day, a), toMs: timeOnDay(day, b), reason: $('#rgReason').value || undefined };
}
$('#rgHold').addEventListener('click', async () => {
  const r = rangeFromInputs();
  if (!r) return;
  const res = await api('POST', '/api/holds', r);
  $('#rgNote').textContent = res.ok ? t('saved') : res.json.error;
  loadTimeline();
});
$('#rgExport').addEventListener('click', async () => {
  const r = rangeFromInputs();
  if (!r) return;
  const res = await api('POST', '/api/exports', { cameras: [r.camera], fromMs: r.fromMs, toMs: r.toMs, reason: r.reason });
  $('#rgNote').textContent = res.ok ? t('running') : res.json.error;
  if (res.ok) showTab('exports');
});

// ---------- events
const events = { before: undefined };
async function loadEvents(more) {
  const f = $('#evFilter');
  const labelSel = f.label;
  const q = new URLSearchParams();
  if (f.camera.value) q.set('camera', f.camera.value);
  if (labelSel.value) q.set('label', labelSel.value);
  if (f.from.value) q.set('from', String(fromInput(f.from.value)));
  if (f.to.value) q.set('to', String(fromInput(f.to.value)));
  if (more && events.before) q.set('before', events.before);
  q.set('limit', '48');
  const r = await api('GET', `/api/events?${q}`);
  if (!r.ok) return;
  const keep = labelSel.value;
  labelSel.replaceChildren(el('option', { value: '' }, t('allLabels')), ...r.json.labels.map((l) => el('option', { value: l }, l)));
  labelSel.value = keep;
  const cards = r.json.events.map((e) => {
    const cam = state.box.cameras.find((c) => c.id === e.camera);
    return el('div', { class: 'ev-card', 'data-event': e.id },
      e.hasSnapshot ? el('img', { src: `/api/events/${e.id}/snapshot`, alt: e.label, loading: 'lazy' }) : el('img', { alt: '' }),
      el('div', {}, el('strong', {}, e.label), el('span', {}, cam ? cam.name : e.camera),
        e.rule ? el('span', { class: 'rule', 'data-rule': e.rule.id, 'data-kind': e.rule.kind }, `${t(`kind_${e.rule.kind}`, e.rule.kind)} · ${e.rule.id}`) : null, el('span', {}, dateTime(e.start)), el('span', {}, `${t('score')} ${Math.round(e.topScore * 100)}%`),
        e.clip === 'done' ? el('button', { type: 'button', class: 'play-clip', onclick: () => playClip(e.id) }, t('clip')) : el('em', {}, t('noClip')),
        el('button', { type: 'button', class: 'hold-event', onclick: async (ev) => { const res = await api('POST', '/api/holds', { eventId: e.id }); ev.target.textContent = res.ok ? t('saved') : res.json.error; } }, t('hold'))));
  });
  if (more) $('#evList').append(...cards); else $('#evList').replaceChildren(...(cards.length ? cards : [el('p', {}, t('noEvents'))]));
  events.before = r.json.events.length ? r.json.events[r.json.events.length - 1].id : undefined;
  $('#evMore').hidden = r.json.events.length < 48;
}
function playClip(id) {
  $('#evClip').hidden = false;
  const v = $('#evVideo');
  v.src = `/api/events/${id}/clip`;
  v.play().catch(() => {});
}
$('#evFilter').addEventListener('submit', (e) => { e.preventDefault(); loadEvents(false); });
$('#evMore').addEventListener('click', () => loadEvents(true));

// ---------- street
const SVG_NS = 'http://www.w3.org/2000/svg';
/** the diagram is a 16:9 picture of this many units; lines and zones are 0–1 from its top-left */
const W = 1600, H = 900;
function svg(tag, attrs = {}, ...kids) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}
const inside = (v, max) => Math.min(max - 24, Math.max(24, v));

function drawZone(z) {
  const pts = z.polygon.map(([x, y]) => [x * W, y * H]);
  const cx = pts.reduce((s, p) => s + p[0], 0) / pts.length, cy = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  return svg('g', { class: 'zone', 'data-zone': z.id },
    svg('polygon', { points: pts.map((p) => p.join(',')).join(' ') }),
    svg('text', { x: cx, y: cy }, z.id));
}
function drawLine(l) {
  const [ax, ay] = [l.points[0][0] * W, l.points[0][1] * H], [bx, by] = [l.points[1][0] * W, l.points[1][1] * H];
  const len = Math.hypot(bx - ax, by - ay);
  // forward crosses from the right-hand side of first→second to its left (edge.yaml): with y down, that way is (dy, -dx)
  const nx = (by - ay) / len, ny = -(bx - ax) / len;
  const mx = (ax + bx) / 2, my = (ay + by) / 2;
  const r = 80;
  return svg('g', { class: 'line', 'data-line': l.id },
    svg('title', {}, l.name),
    svg('line', { class: 'counting', x1: ax, y1: ay, x2: bx, y2: by }),
    svg('line', { class: 'forward', x1: mx - nx * r, y1: my - ny * r, x2: mx + nx * r, y2: my + ny * r, 'marker-end': 'url(#stArrow)' }),
    svg('text', { class: 'dir forward', x: inside(mx + nx * (r + 40), W), y: inside(my + ny * (r + 40), H) }, l.directions.forward),
    svg('text', { class: 'dir backward', x: inside(mx - nx * (r + 40), W), y: inside(my - ny * (r + 40), H) }, l.directions.backward),
    svg('text', { class: 'name', x: inside(ax, W), y: inside(ay - 24, H) }, l.name));
}
function drawDiagram(data) {
  $('#stDiagram').replaceChildren(
    svg('defs', {}, svg('marker', { id: 'stArrow', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto' }, svg('path', { d: 'M0,0 L10,5 L0,10 z' }))),
    svg('rect', { class: 'ground', x: 0, y: 0, width: W, height: H }),
    ...data.zones.map(drawZone),
    ...data.lines.map(drawLine));
}

/** "Dwell ≥ 30 s in box-junction: car, truck, bus (22:00–05:00)" */
function ruleSentence(rule, data) {
  const line = data.lines.find((l) => l.id === rule.line);
  const words = tf(`rule_${rule.kind}`, {
    zone: rule.zone, seconds: rule.seconds, count: rule.count,
    line: line ? line.name : rule.line, direction: line && rule.direction ? line.directions[rule.direction] : rule.direction,
  });
  return `${words}${rule.labels ? `: ${rule.labels.map(labelName).join(', ')}` : ''}${rule.hours ? ` (${tf('ruleHours', rule.hours)})` : ''}`;
}
function drawRules(data) {
  $('#stRules').replaceChildren(...(data.alerts.length
    ? data.alerts.map((a) => el('li', { 'data-rule': a.id }, ruleSentence(a, data), ' ', el('span', { class: 'hint' }, `(${a.id})`)))
    : [el('li', {}, t('noRules'))]));
}

/** Today's crossings: a row per line and direction, a column per label, totals on the right and at the bottom. */
function drawCounts(data) {
  const counts = data.today.counts;
  // lines gone from edge.yaml since the morning still show what they counted
  const known = new Set(data.lines.map((l) => l.id));
  const gone = [...new Set(counts.map((c) => c.line))].filter((id) => !known.has(id));
  const lines = [...data.lines, ...gone.map((id) => ({ id, name: id, directions: { forward: t('dir_forward'), backward: t('dir_backward') } }))];
  if (!lines.length) { $('#stCounts').replaceChildren(el('p', {}, t('noLines'))); return; }
  const labels = [...new Set(counts.map((c) => c.label))].sort();
  const sum = (keep) => counts.filter(keep).reduce((s, c) => s + c.n, 0);
  const rows = lines.flatMap((l) => ['forward', 'backward'].map((dir) => {
    const mine = (c) => c.line === l.id && c.direction === dir;
    return el('tr', { 'data-line': l.id, 'data-direction': dir },
      el('td', {}, l.name), el('td', {}, l.directions[dir]),
      ...labels.map((label) => el('td', { class: 'num', 'data-label': label }, String(sum((c) => mine(c) && c.label === label)))),
      el('td', { class: 'num total' }, String(sum(mine))));
  }));
  const totals = el('tr', { class: 'total' }, el('th', {}, t('total')), el('th', {}),
    ...labels.map((label) => el('th', { class: 'num', 'data-label': label }, String(sum((c) => c.label === label)))),
    el('th', { class: 'num' }, String(sum(() => true))));
  $('#stCounts').replaceChildren(el('table', { class: 'counts' },
    el('tr', {}, el('th', {}, t('line')), el('th', {}, t('direction')), ...labels.map((label) => el('th', { class: 'num' }, labelName(label))), el('th', { class: 'num' }, t('total'))),
    ...rows, totals));
}

/** The open street tab asks again every minute, when the box has written the minute's counts. */
const street = { timer: null, asked: 0 };
async function loadStreet() {
  clearTimeout(street.timer);
  const camera = $('#stCamera').value;
  if (!camera) return;
  const asked = ++street.asked;
  const r = await api('GET', `/api/street?camera=${encodeURIComponent(camera)}`);
  if (asked !== street.asked || state.tab !== 'street') return;
  street.timer = setTimeout(loadStreet, 60_000);
  $('#stNote').textContent = r.ok ? '' : r.json.error || t('error');
  if (!r.ok) return;
  drawDiagram(r.json);
  drawRules(r.json);
  drawCounts(r.json);
  const d = r.json.detection;
  $('#stDetection').textContent = d ? tf('detectionLine', { detected: d.detectedFps, analysed: d.detectFps, skipped: d.framesSkippedPerMin, lost: d.framesLostPerMin }) : '';
  $('#stUpdated').textContent = tf('updatedAt', { time: clock(Date.now()) });
}
function stopStreet() { clearTimeout(street.timer); street.asked++; }
$('#stCamera').addEventListener('change', loadStreet);

// ---------- exports
let exportPoll = null;
async function loadExports() {
  clearTimeout(exportPoll);
  const f = $('#exForm');
  if (!f.from.value) { f.from.value = localInput(Date.now() - 600_000); f.to.value = localInput(Date.now() - 60_000); }
  const r = await api('GET', '/api/exports');
  if (!r.ok) return;
  const rows = await Promise.all(r.json.exports.map(async (x) => {
    const files = x.state === 'done' ? (await api('GET', `/api/exports/${x.id}`)).json.files : [];
    return el('tr', { 'data-export': x.id, 'data-state': x.state },
      el('td', {}, dateTime(x.createdAt)), el('td', {}, x.cameras.join(', ')), el('td', {}, `${dateTime(x.fromMs)} – ${dateTime(x.toMs)}`), el('td', {}, x.createdBy),
      el('td', {}, x.state === 'running' ? el('span', {}, el('progress', { max: '1', value: String(x.progress) }), ` ${x.step || ''}`) : t(x.state), x.error ? el('div', { class: 'error' }, x.error) : null),
      el('td', {}, ...files.map((fl) => el('div', {}, el('a', { href: `/api/exports/${x.id}/files/${encodeURIComponent(fl.name)}`, download: fl.name }, fl.name), ` (${(fl.bytes / 1e6).toFixed(1)} MB)`))));
  }));
  $('#exList').replaceChildren(el('table', {}, el('tr', {}, ...['createdAt', 'cameras', 'from', 'by', 'running', 'files'].map((k) => el('th', {}, t(k)))), ...rows));
  if (r.json.exports.some((x) => x.state === 'running') && state.tab === 'exports') exportPoll = setTimeout(loadExports, 1000);
}
$('#exForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target;
  const cameras = [...$('#exCameras').querySelectorAll('input:checked')].map((i) => i.value);
  const res = await api('POST', '/api/exports', { cameras, fromMs: fromInput(f.from.value), toMs: fromInput(f.to.value), reason: f.reason.value || undefined });
  $('#exError').textContent = res.ok ? '' : res.json.error;
  loadExports();
});

// ---------- holds
async function loadHolds() {
  const f = $('#hoForm');
  if (!f.from.value) { f.from.value = localInput(Date.now() - 600_000); f.to.value = localInput(Date.now()); }
  const r = await api('GET', '/api/holds');
  if (!r.ok) return;
  const manage = state.box.may.holdManage;
  $('#hoList').replaceChildren(r.json.holds.length
    ? el('table', {}, ...r.json.holds.map((h) => el('tr', { 'data-hold': String(h.id) },
      el('td', {}, `#${h.id}`), el('td', {}, h.camera), el('td', {}, `${dateTime(h.fromMs)} – ${dateTime(h.toMs)}`), el('td', {}, h.ref || ''), el('td', {}, h.createdBy || ''),
      el('td', {}, manage ? el('button', { type: 'button', onclick: async () => { await api('POST', `/api/holds/${h.id}/release`, {}); loadHolds(); } }, t('release')) : ''))))
    : el('p', {}, t('noHolds')));
}
$('#hoForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target;
  const res = await api('POST', '/api/holds', { camera: f.camera.value, fromMs: fromInput(f.from.value), toMs: fromInput(f.to.value), reason: f.reason.value || undefined });
  $('#hoNote').textContent = res.ok ? t('saved') : res.json.error;
  loadHolds();
});

// ---------- start
window.wardwatch = { playback, timeline, live, street, state };
translate();
(async () => {
  const r = await api('GET', '/api/session');
  if (r.ok) await afterLogin(r.json); else showLogin();
})();
