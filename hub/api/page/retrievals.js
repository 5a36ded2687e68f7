// The "Retrieve recording" tab: ask a ward for a camera's recorded range through the hub, follow the requests'
// state and progress, cancel one on its way, play a clip once it is at the hub and share it with the City Centre
// (each view and each share is audited by the API).
import { ApiError, get, post } from './api.js';
import { formatBytes, formatTime, inputTime, inputValue, setTimeZone, t } from './i18n.js';
import { el } from './views.js';

const REFRESH_MS = 3000;
const OPEN = new Set(['requested', 'sent-to-ward', 'cutting', 'transferring']);
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
  const shared = r.shared.delivered ? 'delivered' : r.shared.pending ? 'pending' : r.shared.dead ? 'dead' : null;
  const stateText =
    t(`retrieve.state.${r.state}`) +
    (r.state === 'transferring' && pct !== null ? ` ${pct}%` : '') +
    (shared ? ` · ${t('retrieve.sharedWithCity')}: ${t(`retrieve.shareState.${shared}`)}` : '');
  let action = '';
  if (r.state === 'ready') {
    action = el(
      'span',
      {},
      el('button', { type: 'button', class: 'secondary', 'data-play': r.id, onclick: () => play(r) }, t('retrieve.play')),
      ' ',
      el('button', { type: 'button', class: 'secondary', 'data-share': r.id, onclick: () => shareForm(r) }, t('retrieve.share')),
    );
  } else if (OPEN.has(r.state)) {
    action = el('button', { type: 'button', class: 'secondary', 'data-cancel': r.id, onclick: () => cancel(r) }, t('retrieve.cancel'));
  } else if (r.state === 'failed' || r.state === 'cancelled') {
    action = el('span', { class: r.state === 'failed' ? 'error' : 'muted' }, r.reason ?? '');
  }
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

async function cancel(r) {
  if (!confirm(t('retrieve.cancelConfirm'))) return;
  const out = $('retrieve-result');
  out.hidden = false;
  try {
    await post(`/api/retrievals/${encodeURIComponent(r.id)}/cancel`, {});
    out.textContent = `${t('retrieve.state.cancelled')}: ${r.ward} · ${r.camera}`;
    out.className = '';
  } catch (err) {
    out.textContent = refusal(err);
    out.className = 'error';
  }
  await refresh();
}

/** The share form under the list: an optional note, then the results per target (queued, on its way, delivered). */
function shareForm(r) {
  const note = el('textarea', { name: 'note', maxlength: '1000', rows: '2' });
  const result = el('p', { role: 'status', class: 'share-result' });
  const form = el(
    'form',
    { id: 'retrieve-share', class: 'filters' },
    el('p', { class: 'muted small' }, `${r.ward} · ${r.camera} · ${formatTime(r.from)} – ${formatTime(r.to)}`),
    el('label', {}, el('span', {}, t('shareNote')), note),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, t('retrieve.shareSend'))),
    el('p', { class: 'muted small' }, t('retrieve.shareHint')),
    result,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const body = note.value.trim() ? { note: note.value.trim() } : {};
      const res = await post(`/api/retrievals/${encodeURIComponent(r.id)}/share`, body);
      result.textContent = res.results.map((x) => `${x.target}: ${t(`retrieve.shareState.${x.state}`)}`).join(' · ');
      result.className = 'share-result';
    } catch (err) {
      result.textContent = err instanceof ApiError ? t('error', { msg: err.message }) : t('error', { msg: String(err) });
      result.className = 'share-result error';
    }
  });
  playing = null;
  $('retrieve-player').replaceChildren(el('h3', {}, t('retrieve.share')), form);
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

let moment = null;

/**
 * "Open the moment" from a search: the form filled with the camera and the range (to the second; the operator
 * sends it, and the request is audited like any other).
 */
export function prefillMoment(m) {
  moment = m;
}

function applyMoment() {
  if (!moment) return;
  const f = $('retrieve-form').elements;
  if (!wards.some((w) => w.id === moment.ward)) wards.push({ id: moment.ward, name: moment.ward, cameras: [] });
  if (![...f.ward.options].some((o) => o.value === moment.ward)) f.ward.append(new Option(moment.ward, moment.ward));
  f.ward.value = moment.ward;
  fillCameras();
  if (![...f.camera.options].some((o) => o.value === moment.camera)) f.camera.append(new Option(moment.camera, moment.camera));
  f.camera.value = moment.camera;
  f.from.value = inputValue(Date.now() - moment.from, true);
  const minutes = (moment.to - moment.from) / 60_000;
  let option = [...f.duration.options].find((o) => o.dataset.moment);
  if (!option) {
    option = new Option('', '');
    option.dataset.moment = '1';
    f.duration.append(option);
  }
  option.value = String(minutes);
  option.textContent = `${Math.round(minutes * 60)} s`;
  f.duration.value = option.value;
  moment = null;
}

/** Shows the tab: the ward list (with their cameras) for the form, and the requests, refreshed every few seconds. */
export async function startRetrievals() {
  try {
    const answer = await get('/api/wards');
    wards = answer.wards;
    setTimeZone(answer.timeZone);
    const f = $('retrieve-form').elements;
    const chosen = f.ward.value;
    f.ward.replaceChildren(...wards.map((w) => new Option(`${w.name} (${w.id})`, w.id)));
    if (chosen) f.ward.value = chosen;
    fillCameras();
    // ten minutes ago, on the district's clock, as datetime-local wants it
    if (!f.from.value) f.from.value = inputValue(10 * 60_000);
    applyMoment();
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
  const from = inputTime(f.from.value);
  // a moment from a search lasts seconds: its duration is a fraction of a minute
  const to = Math.round(from + Number(f.duration.value) * 60_000);
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
