// The operator page: login (with the forced password change), incidents with filters and "load more",
// incident detail with clip playback and sharing, the self-refreshing health board, dead letters; the city's access
// (city.js): admins see only that tab, a city account only its own page, everyone the emergency banner.
import { ApiError, get, post, setCsrf, whenLoggedOut } from './api.js';
import { startBanner, startCityAccess, startCityHome, stopBanner, stopCity, stopCityHome } from './city.js';
import { currentLang, formatTime, inputTime, setLang, setTimeZone, t, translatePage, zoneNote } from './i18n.js';
import { stopLive } from './live.js';
import { startDashboard } from './dashboard.js';
import { startRetrievals, stopRetrievals } from './retrievals.js';
import { startSearch } from './search.js';
import { deadRow, detailView, incidentRow, wardCard } from './views.js';

const HEALTH_EVERY_MS = 5000;
const PAGE = 30;
const $ = (id) => document.getElementById(id);

const state = { user: null, wards: [], cursor: null, detailId: null, healthTimer: null };

function show(view) {
  for (const id of ['login-view', 'password-view', 'app-view']) $(id).hidden = id !== view;
  $('logout').hidden = view === 'login-view';
}

function message(text, isError = false) {
  const m = $('message');
  m.textContent = text ?? '';
  m.hidden = !text;
  m.classList.toggle('error', isError);
}

function errorText(err) {
  return t('error', { msg: err instanceof ApiError ? err.message : String(err) });
}

const wardName = (id) => state.wards.find((w) => w.id === id)?.name ?? id;

// ---- session ----

async function start() {
  translatePage();
  try {
    const s = await get('/api/session');
    enter(s);
  } catch {
    show('login-view');
  }
}

function enter(s) {
  setCsrf(s.csrfToken);
  state.user = s.user;
  $('who').textContent = `${s.user.displayName || s.user.name} (${s.user.role})`;
  if (s.status === 'must-change') {
    show('password-view');
    $('password-form').elements.current.focus();
    return;
  }
  if (!['operator', 'admin', 'city'].includes(s.user.role)) {
    show('login-view');
    message(t('noPermission'), true);
    return;
  }
  show('app-view');
  message('');
  startBanner();
  if (s.user.role === 'city') return enterCity();
  if (s.user.role === 'admin') return route();
  void loadWards().then(route);
}

/** A city account: no tabs, only the cameras granted to the city. */
function enterCity() {
  document.querySelector('nav.tabs').hidden = true;
  for (const name of TABS) $(`${name}-view`).hidden = true;
  $('city-home').hidden = false;
  void startCityHome();
}

function stopAll() {
  stopHealth();
  stopRetrievals();
  stopLive();
  stopCity();
  stopCityHome();
}

whenLoggedOut(() => {
  stopAll();
  stopBanner();
  state.user = null;
  show('login-view');
  message(t('sessionEnded'), true);
});

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget.elements;
  const out = $('login-error');
  out.hidden = true;
  try {
    const s = await post('/api/login', { name: f.name.value.trim(), password: f.password.value });
    f.password.value = '';
    enter(s);
  } catch (err) {
    out.hidden = false;
    if (err.code === 'LOCKED') out.textContent = err.body?.lockedUntil ? t('locked', { until: formatTime(err.body.lockedUntil) }) : t('lockedAdmin');
    else if (err.code === 'THROTTLED') out.textContent = t('throttled', { until: formatTime(err.body?.retryAt ?? Date.now()) });
    else if (err.status === 401) out.textContent = t('wrongLogin');
    else out.textContent = errorText(err);
  }
});

$('password-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget.elements;
  const out = $('password-error');
  out.hidden = true;
  if (f.next.value !== f.confirm.value) {
    out.hidden = false;
    out.textContent = t('passwordMismatch');
    return;
  }
  try {
    const s = await post('/api/password', { current: f.current.value, next: f.next.value });
    for (const k of ['current', 'next', 'confirm']) f[k].value = '';
    enter(s);
  } catch (err) {
    out.hidden = false;
    out.textContent = err.code === 'BAD_PASSWORD' ? t('wrongCurrent') : err.field === 'next' ? `${t('passwordRule')} (${err.message})` : errorText(err);
  }
});

$('logout').addEventListener('click', async () => {
  stopAll();
  stopBanner();
  try {
    await post('/api/logout');
  } catch {
    // already logged out
  }
  state.user = null;
  document.querySelector('nav.tabs').hidden = false;
  $('city-home').hidden = true;
  show('login-view');
});

$('lang').addEventListener('click', () => {
  setLang(currentLang() === 'vi' ? 'en' : 'vi');
  translatePage();
  if ($('zone-note').textContent) $('zone-note').textContent = zoneNote();
  // re-render what shows data in words of the language
  if (state.user && !$('app-view').hidden) route();
  if (state.detailId && $('detail').open) void openDetail(state.detailId);
});

// ---- navigation ----

const TABS = ['incidents', 'health', 'dead', 'retrieve', 'search', 'dashboard', 'city'];

function route() {
  if (state.user?.role === 'city') return enterCity();
  const hash = location.hash.slice(1) || 'incidents';
  const [tab, arg] = hash.split('/');
  // an admin's page holds the city's access only
  const tabs = state.user?.role === 'admin' ? ['city'] : TABS;
  const current = tab === 'incident' ? 'incidents' : tabs.includes(tab) ? tab : tabs[0];
  document.querySelector('nav.tabs').hidden = false;
  $('city-home').hidden = true;
  for (const name of TABS) {
    $(`${name}-view`).hidden = name !== current;
    $(`tab-${name}`).hidden = !tabs.includes(name);
    $(`tab-${name}`).setAttribute('aria-selected', String(name === current));
  }
  stopAll();
  if (current === 'city') void startCityAccess(state.user);
  if (current === 'retrieve') void startRetrievals();
  if (current === 'incidents') void reloadIncidents();
  if (current === 'health') startHealth();
  if (current === 'dead') void loadDead();
  if (current === 'search') void startSearch();
  if (current === 'dashboard') void startDashboard();
  if (tab === 'incident' && arg) void openDetail(arg);
}
window.addEventListener('hashchange', () => state.user && route());

// ---- incidents ----

async function loadWards() {
  try {
    const r = await get('/api/wards');
    state.wards = r.wards;
    showZone(r.timeZone);
    const select = $('filters').elements.ward;
    const chosen = select.value;
    select.replaceChildren(select.options[0]);
    for (const w of r.wards) select.append(new Option(`${w.name} (${w.id})`, w.id));
    select.value = chosen;
    showOnline(r.wards);
  } catch (err) {
    message(errorText(err), true);
  }
}

function filterQuery() {
  const f = $('filters').elements;
  const q = new URLSearchParams();
  for (const k of ['ward', 'label', 'zone', 'minScore', 'forwarded']) if (f[k].value) q.set(k, f[k].value.trim());
  if (f.camera.value.trim()) q.set('camera', f.camera.value.trim());
  for (const k of ['from', 'to']) if (f[k].value) q.set(k, String(inputTime(f[k].value)));
  return q;
}

async function loadIncidents(append) {
  const q = filterQuery();
  q.set('limit', String(PAGE));
  if (append && state.cursor) q.set('cursor', state.cursor);
  const list = $('incident-list');
  try {
    const r = await get(`/api/incidents?${q}`);
    if (!append) list.replaceChildren();
    for (const inc of r.incidents) list.append(incidentRow(inc, wardName, (id) => (location.hash = `incident/${id}`)));
    state.cursor = r.next;
    $('load-more').hidden = !r.next;
    $('list-end').hidden = !!r.next;
    $('list-end').textContent = list.children.length ? t('endOfList') : t('noIncidents');
    message('');
  } catch (err) {
    message(errorText(err), true); // the API names the field: "minScore: must be a number from 0 to 1"
  }
}

const reloadIncidents = () => loadIncidents(false);
$('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  void reloadIncidents();
});
$('filters').addEventListener('reset', () => setTimeout(reloadIncidents, 0));
$('load-more').addEventListener('click', () => void loadIncidents(true));

// ---- detail and share ----

async function openDetail(id) {
  state.detailId = id;
  const dialog = $('detail');
  const body = $('detail-body');
  body.replaceChildren(document.createTextNode(t('loading')));
  $('share-result').hidden = true;
  if (!dialog.open) dialog.showModal();
  try {
    const inc = await get(`/api/incidents/${encodeURIComponent(id)}`);
    body.replaceChildren(detailView(inc, wardName));
  } catch (err) {
    body.replaceChildren(document.createTextNode(errorText(err)));
  }
}

function closeDetail() {
  const video = $('clip');
  if (video) video.pause();
  $('detail').close();
}
$('detail-close').addEventListener('click', closeDetail);
$('detail').addEventListener('close', () => {
  state.detailId = null;
  $('detail-body').replaceChildren(); // stops the video's downloads
  $('share-form').reset();
  $('share-warning').hidden = true;
  if (location.hash.startsWith('#incident/')) history.replaceState(null, '', '#incidents');
});

$('share-unblurred').addEventListener('change', (e) => {
  $('share-warning').hidden = !e.currentTarget.checked;
});

$('share-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget.elements;
  const unblurred = f.unblurred.checked;
  if (unblurred && !confirm(t('shareConfirmUnblurred'))) return;
  const out = $('share-result');
  const button = $('share');
  button.disabled = true;
  try {
    const note = f.note.value.trim();
    await post(`/api/incidents/${encodeURIComponent(state.detailId)}/share`, { unblurred, ...(note ? { note } : {}) });
    out.textContent = t('shareDone');
    out.className = '';
    const id = state.detailId;
    setTimeout(() => state.detailId === id && $('detail').open && void refreshForwards(id), 1500);
  } catch (err) {
    out.textContent = errorText(err);
    out.className = 'error';
  } finally {
    out.hidden = false;
    button.disabled = false;
  }
});

async function refreshForwards(id) {
  // re-render the facts only: the video keeps playing
  try {
    const inc = await get(`/api/incidents/${encodeURIComponent(id)}`);
    const fresh = detailView(inc, wardName).querySelector('#forwards');
    $('forwards')?.replaceWith(fresh);
  } catch {
    // the next open shows it
  }
}

// ---- health board ----

/** The district's zone: every time on the page is in it, and the date boxes are read in it. */
function showZone(timeZone) {
  setTimeZone(timeZone);
  $('zone-note').textContent = zoneNote();
}

function showOnline(wards) {
  $('wards-online').textContent = t('wardsOnline', { n: wards.filter((w) => w.online).length, total: wards.length });
}

async function refreshHealth() {
  try {
    const r = await get('/api/wards');
    state.wards = r.wards;
    showZone(r.timeZone);
    $('ward-board').replaceChildren(...r.wards.map(wardCard));
    $('health-updated').textContent = t('healthUpdated', { time: formatTime(r.at) });
    showOnline(r.wards);
  } catch (err) {
    $('health-updated').textContent = errorText(err);
  }
}

function startHealth() {
  void refreshHealth();
  state.healthTimer = setInterval(refreshHealth, HEALTH_EVERY_MS);
}

function stopHealth() {
  if (state.healthTimer) clearInterval(state.healthTimer);
  state.healthTimer = null;
}

// ---- dead letters ----

async function loadDead() {
  try {
    const r = await get('/api/forward/dead');
    $('dead-list').replaceChildren(...r.deadLetters.map((d) => deadRow(d, retry)));
    $('dead-empty').hidden = r.deadLetters.length > 0;
  } catch (err) {
    message(errorText(err), true);
  }
}

async function retry(key, button) {
  button.disabled = true;
  try {
    await post(`/api/forward/dead/${encodeURIComponent(key)}/retry`);
    button.replaceWith(document.createTextNode(t('retried')));
  } catch (err) {
    button.disabled = false;
    message(errorText(err), true);
  }
}

void start();
