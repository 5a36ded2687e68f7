// Building the page's pieces from API data. Text goes in through textContent only, never as HTML.
import { formatBytes, formatSkew, formatTime, t } from './i18n.js';

/** el('div', { class: 'x', onclick }, child, 'text', …) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

export const labelText = (label) => t(`label.${label}`);
const pct = (score) => `${Math.round(score * 100)}%`;

export function incidentRow(inc, wardName, open) {
  const thumb = inc.snapshot
    ? el('img', { class: 'thumb', src: `/api/incidents/${inc.id}/snapshot?size=thumb`, alt: labelText(inc.label), loading: 'lazy' })
    : el('div', { class: 'thumb empty' }, '—');
  return el(
    'li',
    { class: 'incident', dataset: { id: inc.id }, tabindex: 0, onclick: () => open(inc.id), onkeydown: (e) => e.key === 'Enter' && open(inc.id) },
    thumb,
    el(
      'div',
      { class: 'meta' },
      el('div', { class: 'title' }, el('strong', {}, labelText(inc.label)), ' · ', wardName(inc.ward), ' · ', inc.camera),
      el('div', { class: 'sub' }, formatTime(inc.start), ' · ', `${t('score')} ${pct(inc.topScore)}`, inc.zones.length ? ` · ${t('zones')}: ${inc.zones.join(', ')}` : ''),
    ),
    el('div', { class: 'badges' }, inc.forwarded ? el('span', { class: 'badge sent' }, t('forward.delivered')) : null, inc.state === 'open' ? el('span', { class: 'badge open' }, t('stateOpen')) : null),
  );
}

export function detailView(inc, wardName) {
  const facts = [
    [t('label'), labelText(inc.label)],
    [t('ward'), wardName(inc.ward)],
    [t('camera'), inc.camera],
    [t('time'), `${formatTime(inc.start)}${inc.end ? ` – ${formatTime(inc.end)}` : ''}`],
    [t('score'), pct(inc.topScore)],
    [t('zones'), inc.zones.join(', ') || '—'],
    [t('state'), inc.state === 'open' ? t('stateOpen') : t('stateEnded')],
  ];
  const media = el(
    'div',
    { class: 'media' },
    el(
      'figure',
      {},
      el('figcaption', {}, t('clip')),
      inc.clip.state === 'present'
        ? el('video', { id: 'clip', controls: true, preload: 'metadata', src: `/api/incidents/${inc.id}/clip` })
        : el('p', { class: 'muted', id: 'no-clip' }, t(`clip.${inc.clip.state}`)),
    ),
    el(
      'figure',
      {},
      el('figcaption', {}, t('snapshot')),
      inc.snapshot ? el('img', { id: 'snapshot', src: `/api/incidents/${inc.id}/snapshot`, alt: labelText(inc.label) }) : el('p', { class: 'muted' }, t('noSnapshot')),
    ),
  );
  const forwards = inc.forwards.length
    ? el(
        'ul',
        { class: 'forwards' },
        inc.forwards.map((f) => el('li', { class: `fw ${f.state}` }, `${f.target}: ${t(`forward.${f.state}`)}`, f.unblurred ? ` (${t('unblurred')})` : '', f.sharedBy ? ` · ${f.sharedBy}` : '', ` · ${formatTime(f.at)}`)),
      )
    : el('p', { class: 'muted' }, t('notForwarded'));
  return el(
    'div',
    {},
    media,
    el('p', { class: 'muted small' }, t('viewAudited')),
    el('dl', { class: 'facts' }, facts.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    el('h3', {}, t('forwards')),
    el('div', { id: 'forwards' }, forwards),
  );
}

/** Frames lost a minute above which a camera's detector is called overloaded (more than one in ten at 5 fps). */
const LOSSY_PER_MIN = 30;

const cameraClock = (c) => (c.clockSkewMs === null ? t('cameraClockUnknown') : t('cameraClock', { skew: formatSkew(c.clockSkewMs) }));

function cameraTitle(c) {
  const parts = [`${c.camera}: ${t(`cam.${c.state}`)}`, `${t('lastSeen')}: ${formatTime(c.lastSeenAt)}`, cameraClock(c)];
  if (c.detectFps !== null) parts.push(`${t('detectFps')}: ${c.detectFps}`);
  if (c.sightingsPerMin !== null) parts.push(`${t('sightingsPerMin')}: ${c.sightingsPerMin}`, `${t('alertsPerMin')}: ${c.alertsPerMin}`, `${t('framesLostPerMin')}: ${c.framesLostPerMin}`);
  if (c.detectedFps != null) parts.push(`${t('detectedFps')}: ${c.detectedFps}`, `${t('framesSkippedPerMin')}: ${c.framesSkippedPerMin ?? 0}`);
  return parts.join(' · ');
}

export function wardCard(w) {
  const cams = w.cameras.length
    ? el(
        'ul',
        { class: 'cams' },
        w.cameras.map((c) =>
          el(
            'li',
            // a detector that loses frames (overloaded) is marked: its camera's sightings and counts fall short;
            // a camera clock off the box's by more than 2 s says so, as its picture's time overlay will disagree
            { class: `cam ${c.state}${c.framesLostPerMin > LOSSY_PER_MIN ? ' lossy' : ''}${c.clockSkewed ? ' clock-off' : ''}`, title: cameraTitle(c), dataset: { camera: c.camera } },
            c.camera,
            c.clockSkewed ? el('span', { class: 'skew' }, ` ⚠ ${cameraClock(c)}`) : null,
          ),
        ),
      )
    : el('p', { class: 'muted small' }, t('noCameras'));
  const row = (k, v) => [el('dt', {}, k), el('dd', {}, v)];
  return el(
    'article',
    { class: `ward ${w.state}`, dataset: { ward: w.id, state: w.state } },
    el('header', {}, el('h3', {}, w.name), el('span', { class: `pill ${w.state}` }, t(`live.${w.state}`))),
    el(
      'dl',
      { class: 'facts compact' },
      row(t('camerasRecording'), w.camerasTotal === null ? '–' : `${w.camerasRecording}/${w.camerasTotal}`),
      row(t('diskFree'), w.diskFreeBytes === null ? '–' : `${formatBytes(w.diskFreeBytes)} / ${formatBytes(w.diskTotalBytes)}`),
      row(t('outbox'), w.outboxDepth ?? '–'),
      row(t('boxClock'), el('span', { class: `ntp ${w.clockNtp ?? 'unknown'}` }, w.clockNtp ? t(`ntp.${w.clockNtp}`) : '–')),
      row(t('lastSeen'), formatTime(w.lastSeenAt)),
      // a ward of several boxes lists them, each with its own state (a one-box ward is its box)
      w.boxes && (w.boxes.length > 1 || w.boxes[0]?.id !== w.id)
        ? row(t('boxes'), el('span', { class: 'boxes' }, w.boxes.map((b) => el('span', { class: `pill ${b.state}`, dataset: { box: b.id }, title: `${b.id} · ${t(`live.${b.state}`)}` }, b.name))))
        : null,
    ),
    w.alarms.length ? el('ul', { class: 'alarms' }, w.alarms.map((a) => el('li', {}, `⚠ ${a}`))) : null,
    cams,
  );
}

export function deadRow(d, retry) {
  return el(
    'tr',
    { dataset: { key: d.key } },
    el('td', {}, d.subject.kind === 'recording'
      ? el('a', { href: '#retrieve' }, `${t('tabRetrieve')} ${d.subject.id}`)
      : el('a', { href: `#incident/${d.incidentId}` }, d.incidentId)),
    el('td', {}, d.target, d.unblurred ? ` (${t('unblurred')})` : ''),
    el('td', {}, d.status ? `${d.status} · ${d.reason}` : d.reason),
    el('td', {}, d.attempts),
    el('td', {}, formatTime(d.deadAt)),
    el('td', {}, el('button', { class: 'retry', onclick: (e) => retry(d.key, e.currentTarget) }, t('retry'))),
  );
}
