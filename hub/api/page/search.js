// The "Vehicle search" tab: sightings of every ward by time window, place, label, colour, heading, line, zone and
// dwell (the API audits every search); a result opens its moment (the Retrieve tab, pre-filled ±10 s) or follows
// the vehicle to the cameras around it. A refusal names the field, and the page says what to fix.
import { ApiError, get } from './api.js';
import { formatNumber, formatTime, inputTime, inputValue, t } from './i18n.js';
import { prefillMoment } from './retrievals.js';
import { el, labelText } from './views.js';

const LABELS = ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'];
const COLOURS = ['white', 'black', 'grey', 'silver', 'red', 'blue', 'yellow', 'green', 'brown', 'orange'];
const PAGE = 30;
const MOMENT_MS = 10_000;
const FOLLOW = { minutes: 5, radius: 500 };
const $ = (id) => document.getElementById(id);
const state = { cursor: null, query: null, ready: false };

function setupOnce() {
  if (state.ready) return;
  state.ready = true;
  $('search-labels').append(...LABELS.map((l) => el('label', { class: 'check' }, el('input', { type: 'checkbox', name: 'labels', value: l }), ' ', labelText(l))));
  $('search-colours').append(...COLOURS.map((c) => el('label', { class: 'check' }, el('input', { type: 'checkbox', name: 'colours', value: c }), el('span', { class: `swatch c-${c}` }), t(`colour.${c}`))));
  const f = $('search-form').elements;
  if (!f.from.value) f.from.value = inputValue(60 * 60_000);
  // a minute ahead: the minute in progress is in the window
  if (!f.to.value) f.to.value = inputValue(-60_000);
}

/** Shows the tab: the wards and the cameras with a position (for "around camera"). */
export async function startSearch() {
  setupOnce();
  try {
    const [w, c] = await Promise.all([get('/api/wards'), get('/api/cameras')]);
    const f = $('search-form').elements;
    const ward = f.wards.value;
    f.wards.replaceChildren(f.wards.options[0], ...w.wards.map((x) => new Option(`${x.name} (${x.id})`, x.id)));
    f.wards.value = ward;
    const near = f.near.value;
    f.near.replaceChildren(f.near.options[0], ...c.cameras.filter((x) => x.lat !== null).map((x) => new Option(`${x.ward}/${x.camera}`, `${x.ward}/${x.camera}`)));
    f.near.value = near;
  } catch (err) {
    showError(err);
  }
}

function checked(name) {
  return [...document.querySelectorAll(`#search-form input[name=${name}]:checked`)].map((i) => i.value);
}

/** The form as the API's query; the API checks it (and names what is wrong). */
function formQuery() {
  const f = $('search-form').elements;
  const q = new URLSearchParams();
  const from = inputTime(f.from.value);
  const to = inputTime(f.to.value);
  if (Number.isFinite(from)) q.set('from', String(from));
  if (Number.isFinite(to)) q.set('to', String(to));
  if (f.wards.value) q.set('wards', f.wards.value);
  if (f.cameras.value.trim()) q.set('cameras', f.cameras.value.trim());
  if (f.near.value) {
    q.set('near', f.near.value);
    q.set('radius', f.radius.value.trim());
  } else if (f.radius.value.trim() && f.radius.value.trim() !== '500') q.set('radius', f.radius.value.trim());
  const labels = checked('labels');
  const colours = checked('colours');
  if (labels.length) q.set('labels', labels.join(','));
  if (colours.length) q.set('colours', colours.join(','));
  if (f.heading.value) q.set('heading', f.heading.value);
  for (const k of ['line', 'direction', 'zone', 'minDwell']) if (f[k].value.trim()) q.set(k, f[k].value.trim());
  return q;
}

function showError(err) {
  const out = $('search-error');
  for (const i of document.querySelectorAll('#search-form [aria-invalid]')) i.removeAttribute('aria-invalid');
  if (!err) {
    out.hidden = true;
    return;
  }
  out.hidden = false;
  if (err instanceof ApiError && err.field) {
    const input = document.getElementById(`search-${err.field}`) ?? $('search-form').elements[err.field];
    if (input && input.setAttribute) input.setAttribute('aria-invalid', 'true');
    const fix = t(`search.fix.${err.field}`);
    const msg = err.message.replace(/^[a-zA-Z]+: /, '');
    out.textContent = t('search.fix', { field: err.field, msg: fix === `search.fix.${err.field}` ? msg : `${fix} (${msg})` });
  } else out.textContent = t('error', { msg: err instanceof ApiError ? err.message : String(err) });
}

const sightingTitle = (s) => [labelText(s.label), s.colour ? t(`colour.${s.colour}`) : null].filter(Boolean).join(' · ');

/** One result: its thumbnail when the box sent one (never for people), what, where, when; its actions. */
function sightingRow(s, extra = null) {
  const thumb = s.thumbnail ? el('img', { class: 'thumb', src: `/api/sightings/${s.id}/thumbnail`, alt: sightingTitle(s), loading: 'lazy' }) : el('div', { class: 'thumb empty' }, '—');
  const vehicle = s.label !== 'person';
  return el(
    'li',
    { class: 'incident sighting', dataset: { id: s.id, ward: s.ward, camera: s.camera } },
    thumb,
    el(
      'div',
      { class: 'meta' },
      el('div', { class: 'title' }, el('strong', {}, sightingTitle(s)), ' · ', s.ward, ' · ', s.camera, extra ? ` · ${extra}` : ''),
      el(
        'div',
        { class: 'sub' },
        formatTime(s.first),
        s.heading !== null ? ` · ${Math.round(s.heading)}°` : '',
        s.crossing ? ` · ${s.crossing.line} ${t(`search.${s.crossing.direction}`)}` : '',
        s.zones.length ? ` · ${s.zones.map((z) => `${z.zone} ${Math.round(z.seconds)} s`).join(', ')}` : '',
      ),
    ),
    el(
      'div',
      { class: 'badges' },
      el('button', { type: 'button', class: 'secondary open-moment', onclick: () => openMoment(s) }, t('search.open')),
      vehicle ? el('button', { type: 'button', class: 'secondary follow-before', onclick: () => follow(s, 'before') }, t('search.followBefore')) : null,
      vehicle ? el('button', { type: 'button', class: 'secondary follow-after', onclick: () => follow(s, 'after') }, t('search.followAfter')) : null,
    ),
  );
}

async function load(append) {
  const q = append ? new URLSearchParams(state.query) : formQuery();
  if (!append) state.query = q.toString();
  q.set('limit', String(PAGE));
  if (append && state.cursor) q.set('cursor', state.cursor);
  try {
    const r = await get(`/api/sightings?${q}`);
    showError(null);
    if (!append) {
      $('search-list').replaceChildren();
      $('follow-view').hidden = true;
      const total = $('search-total');
      total.hidden = false;
      total.dataset.n = String(r.total.n);
      total.textContent = r.total.n === 0 ? t('search.none') : r.total.exact ? t('search.total', { n: formatNumber(r.total.n) }) : t('search.totalMore', { n: formatNumber(r.total.n) });
    }
    $('search-list').append(...r.sightings.map((s) => sightingRow(s)));
    state.cursor = r.next;
    $('search-more').hidden = !r.next;
  } catch (err) {
    showError(err);
  }
}

/** The recording around it: the Retrieve tab, filled with its camera and first seen − 10 s … last seen + 10 s. */
function openMoment(s) {
  prefillMoment({ ward: s.ward, camera: s.camera, from: s.first - MOMENT_MS, to: s.last + MOMENT_MS });
  location.hash = 'retrieve';
}

async function follow(s, direction) {
  const view = $('follow-view');
  try {
    const r = await get(`/api/sightings/${encodeURIComponent(s.id)}/follow?direction=${direction}&minutes=${FOLLOW.minutes}&radius=${FOLLOW.radius}`);
    view.hidden = false;
    view.dataset.from = s.id;
    view.dataset.direction = direction;
    $('follow-title').textContent = t(`follow.${direction}`, { what: sightingTitle(s).toLowerCase(), r: FOLLOW.radius, m: FOLLOW.minutes });
    $('follow-window').textContent = `${s.ward} · ${s.camera} · ${formatTime(r.from)} – ${formatTime(r.to)}`;
    $('follow-list').replaceChildren(...r.sightings.map((x) => sightingRow(x, t('follow.metres', { n: x.metres }))));
    $('follow-empty').hidden = r.sightings.length > 0;
    view.scrollIntoView({ block: 'nearest' });
  } catch (err) {
    showError(err);
  }
}

$('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void load(false);
});
$('search-more').addEventListener('click', () => void load(true));
