// The city's access on the page: the emergency banner every logged-in page shows; the operators' and admins' "City
// access" tab (grant form, grants in force with revoke, the admin's emergency access, the city's current viewers);
// and a city account's own page (its grants, each camera's live view and recordings, the city's retrievals).
import { ApiError, get, post } from './api.js';
import { formatTime, inputTime, inputValue, setTimeZone, t } from './i18n.js';
import { stopLive, watch } from './live.js';
import { el } from './views.js';

const BANNER_EVERY_MS = 5000;
const REFRESH_MS = 3000;
const $ = (id) => document.getElementById(id);
let bannerTimer = null;
let timer = null;
let wards = [];

const failure = (err) => (err instanceof ApiError ? t('error', { msg: err.message }) : t('error', { msg: String(err) }));

function say(id, text, isError = false) {
  const out = $(id);
  out.textContent = text;
  out.className = isError ? 'error' : '';
  out.hidden = !text;
}

function what(g) {
  const parts = [];
  if (g.live) parts.push(t('city.whatLive'));
  if (g.kind === 'emergency') parts.push(t('city.whatAnyRec'));
  else if (g.recordings) parts.push(t('city.whatRec', { from: formatTime(g.recordings.from), to: formatTime(g.recordings.to) }));
  return parts.join(', ');
}

// ---- the emergency banner (every page; operators have no other notification path) ----

async function refreshBanner() {
  const banner = $('emergency-banner');
  try {
    const { emergency } = await get('/api/city/emergency');
    banner.hidden = !emergency;
    banner.textContent = emergency ? t('emergency.banner', { until: formatTime(emergency.endsAt), by: emergency.openedBy, reason: emergency.reason }) : '';
    banner.dataset.id = emergency?.id ?? '';
  } catch {
    // logged out or unreachable: the next call tells
  }
}

export function startBanner() {
  stopBanner();
  void refreshBanner();
  bannerTimer = setInterval(refreshBanner, BANNER_EVERY_MS);
}

export function stopBanner() {
  if (bannerTimer) clearInterval(bannerTimer);
  bannerTimer = null;
  $('emergency-banner').hidden = true;
}

// ---- "City access" (operators and admins) ----

function fillCameras() {
  const f = $('city-grant-form').elements;
  const ward = wards.find((w) => w.id === f.ward.value);
  const chosen = f.camera.value;
  f.camera.replaceChildren(new Option(t('city.wholeWard'), ''), ...(ward?.cameras ?? []).map((c) => new Option(c.camera, c.camera)));
  f.camera.value = chosen;
}

function grantRow(g) {
  const revoke = g.kind === 'grant' ? el('button', { type: 'button', class: 'secondary', 'data-revoke': g.id, onclick: () => revokeGrant(g) }, t('city.revoke')) : '';
  return el(
    'tr',
    { 'data-id': g.id, 'data-kind': g.kind },
    el('td', {}, t(`city.kind.${g.kind}`)),
    el('td', {}, g.ward ?? t('city.all')),
    el('td', {}, g.camera ?? t('city.all')),
    el('td', {}, what(g)),
    el('td', {}, formatTime(g.endsAt)),
    el('td', {}, g.reason),
    el('td', {}, g.grantedBy),
    el('td', {}, revoke),
  );
}

function viewerRow(v) {
  return el('tr', {}, el('td', {}, v.user), el('td', {}, v.ward), el('td', {}, v.camera), el('td', {}, v.stream), el('td', {}, v.via), el('td', {}, formatTime(v.since)), el('td', {}, v.ip ?? '–'));
}

async function revokeGrant(g) {
  if (!confirm(t('city.revokeConfirm'))) return;
  try {
    await post(`/api/city/grants/${encodeURIComponent(g.id)}/revoke`, {});
  } catch (err) {
    say('city-result', failure(err), true);
  }
  await refreshAccess();
}

async function refreshAccess() {
  try {
    const [r, v] = await Promise.all([get('/api/city/grants'), get('/api/city/viewers')]);
    setTimeZone(r.timeZone);
    $('city-grants').replaceChildren(...r.grants.map(grantRow));
    $('city-grants-empty').hidden = r.grants.length > 0;
    $('city-viewers').replaceChildren(...v.viewers.map(viewerRow));
    $('city-viewers-empty').hidden = v.viewers.length > 0;
    $('city-emergency-close').hidden = !r.emergency;
  } catch (err) {
    say('city-result', failure(err), true);
  }
}

/** Shows the tab: the wards and cameras for the form (operators), the emergency form (admins), refreshed lists. */
export async function startCityAccess(user) {
  $('city-emergency-form').hidden = user.role !== 'admin';
  try {
    // the wards and their cameras come with the grants (admins may not read the health board)
    wards = (await get('/api/city/grants')).wards ?? [];
    const f = $('city-grant-form').elements;
    const chosen = f.ward.value;
    f.ward.replaceChildren(...wards.map((w) => new Option(`${w.name} (${w.id})`, w.id)));
    if (chosen) f.ward.value = chosen;
    fillCameras();
    if (!f.recFrom.value) f.recFrom.value = inputValue(60 * 60_000, true);
  } catch (err) {
    say('city-result', failure(err), true);
  }
  await refreshAccess();
  stopCity();
  timer = setInterval(refreshAccess, REFRESH_MS);
}

export function stopCity() {
  if (timer) clearInterval(timer);
  timer = null;
}

$('city-grant-form').elements.ward.addEventListener('change', fillCameras);

$('city-grant-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget.elements;
  // no end given: recordings up to the grant's own end (what the cameras record while the city watches)
  const minutes = Number(f.minutes.value);
  const recordings = f.rec.checked ? { from: inputTime(f.recFrom.value), to: f.recTo.value ? inputTime(f.recTo.value) : Date.now() + minutes * 60_000 } : null;
  if (recordings && !(Number.isFinite(recordings.from) && Number.isFinite(recordings.to))) return say('city-result', t('retrieve.badRange'), true);
  try {
    const g = await post('/api/city/grants', { ward: f.ward.value, camera: f.camera.value || null, minutes, live: f.live.checked, recordings, reason: f.reason.value.trim() });
    say('city-result', t('city.granted', { until: formatTime(g.endsAt) }));
  } catch (err) {
    say('city-result', failure(err), true);
  }
  await refreshAccess();
});

$('city-emergency-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget.elements;
  if (!confirm(t('city.emergencyConfirm', { hours: f.hours.value }))) return;
  try {
    await post('/api/city/emergency', { hours: Number(f.hours.value), reason: f.reason.value.trim() });
    say('city-result', '');
  } catch (err) {
    say('city-result', failure(err), true);
  }
  await Promise.all([refreshAccess(), refreshBanner()]);
});

$('city-emergency-close').addEventListener('click', async () => {
  try {
    await post('/api/city/emergency/close', {});
  } catch (err) {
    say('city-result', failure(err), true);
  }
  await Promise.all([refreshAccess(), refreshBanner()]);
});

// ---- a city account's page ----

/** The start of the last `minutes` the grant allows (before its range ends, or before now), for the pull form. */
function defaultFrom(g, minutes) {
  const end = g.recordings ? Math.min(g.recordings.to, Date.now()) : Date.now();
  const from = Math.max(end - minutes * 60_000, g.recordings?.from ?? -Infinity);
  return inputValue(Date.now() - from, true);
}

function myRow(g, c) {
  const key = `${c.ward}/${c.camera}`;
  const actions = [];
  if (g.live) actions.push(el('button', { type: 'button', class: 'secondary', 'data-watch': key, onclick: () => watch(c.ward, c.camera, 'sub', $('city-live-player')) }, t('live.watch')));
  if (g.recordings || g.kind === 'emergency') {
    const from = el('input', { type: 'datetime-local', step: '1', name: 'from', value: defaultFrom(g, 1) });
    const minutes = el('select', { name: 'minutes' }, ...[1, 5, 10].map((m) => el('option', { value: m }, `${m}'`)));
    const form = el('form', { class: 'inline', 'data-pull': key }, from, ' ', minutes, ' ', el('button', { type: 'submit', class: 'secondary' }, t('cityHome.pull')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const start = inputTime(from.value);
      if (!Number.isFinite(start)) return say('city-home-result', t('retrieve.badRange'), true);
      try {
        await post('/api/retrievals', { ward: c.ward, camera: c.camera, from: start, to: start + Number(minutes.value) * 60_000 });
        say('city-home-result', t('cityHome.sent'));
      } catch (err) {
        say('city-home-result', err instanceof ApiError && err.code === 'NOT_GRANTED' ? err.message : failure(err), true);
      }
      await refreshMyRetrievals();
    });
    actions.push(form);
  }
  return el(
    'tr',
    { 'data-grant': g.id, 'data-camera': key },
    el('td', {}, c.ward),
    el('td', {}, c.camera),
    el('td', {}, what(g)),
    el('td', {}, formatTime(g.endsAt)),
    el('td', {}, g.reason),
    el('td', {}, ...actions),
  );
}

function retrievalRow(r) {
  const url = `/api/retrievals/${encodeURIComponent(r.id)}/clip`;
  const action = r.state === 'ready'
    ? el(
        'span',
        {},
        el('button', { type: 'button', class: 'secondary', 'data-play': r.id, onclick: () => playClip(r, url) }, t('retrieve.play')),
        ' ',
        el('a', { href: url, download: `${r.ward}-${r.camera}-${r.id}.mp4`, 'data-download': r.id }, t('cityHome.download')),
      )
    : el('span', { class: r.state === 'failed' ? 'error' : 'muted' }, r.reason ?? '');
  return el(
    'tr',
    { 'data-id': r.id, 'data-state': r.state },
    el('td', {}, formatTime(r.createdAt)),
    el('td', {}, r.ward),
    el('td', {}, r.camera),
    el('td', {}, `${formatTime(r.from)} – ${formatTime(r.to)}`),
    el('td', { class: 'state' }, t(`retrieve.state.${r.state}`)),
    el('td', {}, action),
  );
}

function playClip(r, url) {
  const video = el('video', { id: 'city-clip', controls: '', autoplay: '', muted: '', src: url });
  $('city-retrieve-player').replaceChildren(el('p', { class: 'muted small' }, `${r.ward} · ${r.camera} · ${formatTime(r.from)} – ${formatTime(r.to)} · ${t('viewAudited')}`), video);
}

async function refreshMyRetrievals() {
  try {
    const r = await get('/api/retrievals?limit=50');
    $('city-my-retrievals').replaceChildren(...r.retrievals.map(retrievalRow));
  } catch (err) {
    say('city-home-result', failure(err), true);
  }
}

let shownGrants = '';

async function refreshHome() {
  try {
    const r = await get('/api/city/grants');
    setTimeZone(r.timeZone);
    // re-render only when the grants change: a row holds the pull form the user may be filling in
    const key = JSON.stringify(r.grants.map((g) => [g.id, g.endsAt, g.cameras]));
    if (key !== shownGrants) {
      shownGrants = key;
      $('city-my-grants').replaceChildren(...r.grants.flatMap((g) => g.cameras.map((c) => myRow(g, c))));
      $('city-my-empty').hidden = r.grants.length > 0;
    }
  } catch (err) {
    say('city-home-result', failure(err), true);
  }
  await refreshMyRetrievals();
}

export async function startCityHome() {
  shownGrants = '';
  await refreshHome();
  stopCity();
  timer = setInterval(refreshHome, REFRESH_MS);
}

export function stopCityHome() {
  stopCity();
  stopLive();
}
