// The "Traffic indicators" tab: a ward's (or one camera's) last 24 hours and 7 days of objects across the counting
// lines, by label, drawn with Chart.js (served by the hub: /chart.umd.min.js); the busiest hour, the peak hour of the
// day, the last hour against the usual for this weekday and hour; the same numbers as a table, and a CSV export.
import { ApiError, get } from './api.js';
import { currentLang, formatNumber, formatTime, t } from './i18n.js';
import { el, labelText } from './views.js';

const $ = (id) => document.getElementById(id);
const COLOURS = { motorcycle: '#0b5cad', car: '#1d7a3a', truck: '#a15c00', bus: '#7b3fa0', bicycle: '#2a9d8f', person: '#7a8594' };
const charts = {};
let wards = [];

function fillCameras() {
  const f = $('dashboard-form').elements;
  const ward = wards.find((w) => w.id === f.ward.value);
  const chosen = f.camera.value;
  f.camera.replaceChildren(f.camera.options[0], ...(ward?.cameras ?? []).map((c) => new Option(c.camera, c.camera)));
  f.camera.value = chosen;
}

export async function startDashboard() {
  try {
    const r = await get('/api/wards');
    wards = r.wards;
    const f = $('dashboard-form').elements;
    const chosen = f.ward.value;
    f.ward.replaceChildren(...wards.map((w) => new Option(`${w.name} (${w.id})`, w.id)));
    if (chosen) f.ward.value = chosen;
    fillCameras();
    await show();
  } catch (err) {
    showError(err);
  }
}

function showError(err) {
  const out = $('dash-error');
  out.hidden = !err;
  if (err) out.textContent = t('error', { msg: err instanceof ApiError ? err.message : String(err) });
}

// formatTime: "06/12/2026 10:00:00 +07:00" in the district's zone
const hourText = (ms) => formatTime(ms).replace(/:\d\d(\s|$)/, '$1');
const dayText = (ms) => formatTime(ms).split(' ')[0];
const hourTick = (ms) => `${formatTime(ms).split(' ')[1].slice(0, 2)}h`;
const dayTick = (ms) => dayText(ms).slice(0, 5);

function draw(id, points, labels, tick) {
  const canvas = $(id);
  charts[id]?.destroy();
  if (!window.Chart) return;
  charts[id] = new window.Chart(canvas, {
    type: 'bar',
    data: {
      labels: points.map((p) => tick(p.at)),
      datasets: labels.map((l) => ({ label: labelText(l), data: points.map((p) => p.byLabel[l] ?? 0), backgroundColor: COLOURS[l] ?? '#999', stack: 'all' })),
    },
    options: { locale: currentLang() === 'vi' ? 'vi-VN' : 'en-GB', animation: false, responsive: true, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } }, plugins: { legend: { position: 'bottom' } } },
  });
}

function table(id, points, tick) {
  $(id).querySelector('tbody').replaceChildren(...points.map((p) => el('tr', { dataset: { at: String(p.at), n: String(p.n) } }, el('td', {}, tick(p.at)), el('td', { class: 'n' }, formatNumber(p.n)))));
}

async function show() {
  const f = $('dashboard-form').elements;
  const q = new URLSearchParams({ ward: f.ward.value });
  if (f.camera.value) q.set('camera', f.camera.value);
  try {
    const d = await get(`/api/indicators/dashboard?${q}`);
    showError(null);
    $('kpi-now').textContent = formatNumber(d.now.n);
    $('kpi-now').dataset.n = String(d.now.n);
    $('kpi-usual-label').textContent = t('dash.usualAt', { weekday: t(`weekday.${d.now.weekday}`), hour: d.now.hour, weeks: d.usual.weeks });
    $('kpi-usual').textContent = d.usual.n === null ? t('dash.noUsual') : formatNumber(d.usual.n);
    $('kpi-ratio').textContent = d.usual.ratio === null ? '' : ` (${Math.round(d.usual.ratio * 100)} %)`;
    $('kpi-busiest').textContent = d.busiest24h ? formatNumber(d.busiest24h.n) : '–';
    $('kpi-busiest-at').textContent = d.busiest24h ? ` ${hourText(d.busiest24h.at)}` : '';
    $('kpi-peak').textContent = d.peakHour ? `${d.peakHour.hour}:00–${d.peakHour.hour + 1}:00` : '–';
    $('kpi-peak-n').textContent = d.peakHour ? ` ${t('dash.perHour', { n: formatNumber(d.peakHour.perHour) })}` : '';
    draw('chart-24h', d.last24h, d.labels, hourTick);
    draw('chart-7d', d.last7d, d.labels, dayTick);
    table('table-24h', d.last24h, hourText);
    table('table-7d', d.last7d, dayText);
    const from = d.last7d[0]?.at ?? d.at - 7 * 86_400_000;
    const csv = new URLSearchParams(q);
    csv.set('from', String(from));
    csv.set('to', String(d.at));
    csv.set('bucket', 'quarter');
    csv.set('format', 'csv');
    $('dash-csv').href = `/api/indicators?${csv}`;
  } catch (err) {
    showError(err);
  }
}

$('dashboard-form').elements.ward.addEventListener('change', fillCameras);
$('dashboard-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void show();
});
