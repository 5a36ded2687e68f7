// The "Retrieve recording" tab: ask a ward for a camera's recorded range through the hub, follow the requests'
// state and progress, and play a clip once it is at the hub (each view is audited by the API).
import { ApiError, get, post } from './api.js';
import { formatBytes, formatTime, t } from './i18n.js';
import { el } from './views.js';

const REFRESH_MS = 3000;
const $ = (id) => document.getElementById(id);
let timer = null;
let wards = [];
let playing = null;

/** The API's refusal in the operator's words when we know the code, with the API's own text after it. */
function refusal(err) {
  if (!(err instanceof ApiError)) return t('error', { msg: String(err) });
  const known = { UNKNOWN_WARD: 'retrieve.unknownWard', UNKNOWN_CAMERA: 'retrieve.unknownCamera', RANGE_TOO_LONG: 'retrieve.tooLong', BAD_RANGE: 'retrieve.badRange', TOO_MANY_OPEN: 'retrieve.tooMany' }[err.code];
  return known ? `${t(known)} (${err.message})` : t('error', { msg: err.message });
}

function fillCameras() {
  const f = $('retrieve-form').elements;
  const ward = wards.find((w) => w.id === f.ward.value);
  const chosen = f.camera.value;
  f.camera.replaceChildren(...(ward?.cameras ?? []).map((c) => new Option(c.camera, c.camera)));
  if (chosen) f.camera.value = chosen;
}

function row(r) {
  const pct = r.progress && r.progress.total ? Math.floor((100 * r.progress.received) / r.progress.total) : null;
  const stateText = t(`retrieve.state.${r.state}`) + (r.state === 'transferring' && pct !== null ? ` ${pct}%` : '');
  const action =
    r.state === 'ready'
      ? el('button', { type: 'button', class: 'secondary', 'data-play': r.id, onclick: () => play(r) }, t('retrieve.play'))
      : r.state === 'failed'
        ? el('span', { class: 'error' }, r.reason ?? '')
        : '';
  return el(
    'tr',
    { 'data-id': r.id, 'data-state': r.state },
    el('td', {}, formatTime(r.createdAt)),
    el('td', {}, r.ward),
    el('td', {}, r.camera),
    el('td', {}, `${formatTime(r.from)} – ${formatTime(r.to)}`),
    el('td', { class: 'state' }, stateText),
    el('td', {}, r.bytes ? formatBytes(r.bytes) : '–'),
    el('td', {}, action),
  );
}

function play(r) {
  playing = r.id;
  const video = el('video', { id: 'retrieve-video', controls: '', autoplay: '', muted: '', src: `/api/retrievals/${encodeURIComponent(r.id)}/clip` });
  $('retrieve-player').replaceChildren(el('p', { class: 'muted small' }, `${r.ward} · ${r.camera} · ${formatTime(r.from)} – ${formatTime(r.to)} · ${t('viewAudited')}`), video);
}

async function refresh() {
  try {
    const r = await get('/api/retrievals?limit=50');
    $('retrieve-list').replaceChildren(...r.retrievals.map(row));
    $('retrieve-empty').hidden = r.retrievals.length > 0;
  } catch (err) {
    $('retrieve-result').textContent = refusal(err);
    $('retrieve-result').hidden = false;
  }
}

/** Shows the tab: the ward list (with their cameras) for the form, and the requests, refreshed every few seconds. */
export async function startRetrievals() {
  try {
    wards = (await get('/api/wards')).wards;
    const f = $('retrieve-form').elements;
    const chosen = f.ward.value;
    f.ward.replaceChildren(...wards.map((w) => new Option(`${w.name} (${w.id})`, w.id)));
    if (chosen) f.ward.value = chosen;
    fillCameras();
    if (!f.from.value) {
      // ten minutes ago, in local time, as datetime-local wants it
      const d = new Date(Date.now() - 10 * 60_000 - new Date().getTimezoneOffset() * 60_000);
      f.from.value = d.toISOString().slice(0, 16);
    }
  } catch (err) {
    $('retrieve-result').textContent = refusal(err);
    $('retrieve-result').hidden = false;
  }
  await refresh();
  stopRetrievals();
  timer = setInterval(refresh, REFRESH_MS);
}

export function stopRetrievals() {
  if (timer) clearInterval(timer);
  timer = null;
}

$('retrieve-form').elements.ward.addEventListener('change', fillCameras);

$('retrieve-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget.elements;
  const out = $('retrieve-result');
  const from = new Date(f.from.value).getTime();
  const to = from + Number(f.duration.value) * 60_000;
  out.hidden = false;
  if (!Number.isFinite(from)) {
    out.textContent = t('retrieve.badRange');
    out.className = 'error';
    return;
  }
  try {
    await post('/api/retrievals', { ward: f.ward.value, camera: f.camera.value, from, to });
    out.textContent = t('retrieve.sent');
    out.className = '';
    await refresh();
  } catch (err) {
    out.textContent = refusal(err);
    out.className = 'error';
  }
});

export const playingId = () => playing;
