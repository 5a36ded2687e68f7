// "Watch live": opens a live relay of the chosen ward camera through the hub (POST /api/live, audited) and plays
// its fragmented MP4 with Media Source Extensions. The relay ends on its own a while after the player closes.
import { ApiError, post } from './api.js';
import { t } from './i18n.js';
import { el } from './views.js';

const $ = (id) => document.getElementById(id);
let current = null;

/** shared/page/mse-appender.js, a classic script the page loads before its modules */
const Appender = window.MseAppender;

function refusal(err) {
  if (!(err instanceof ApiError)) return t('error', { msg: String(err) });
  // NOT_GRANTED (a city account): the API's sentence says which grant is missing
  if (err.code === 'NOT_GRANTED') return err.message;
  const known = { UNKNOWN_WARD: 'retrieve.unknownWard', UNKNOWN_CAMERA: 'retrieve.unknownCamera', WARD_OFFLINE: 'live.offline', TOO_MANY_RELAYS: 'live.tooMany' }[err.code];
  return known ? `${t(known)} (${err.message})` : t('error', { msg: err.message });
}

export function stopLive() {
  if (!current) return;
  current.stopped = true;
  current.ws?.close();
  current.appender?.close();
  current.container.replaceChildren();
  current = null;
}

/** Plays a camera live in `container` (the operator's retrieve tab, or a city account's page). */
export async function watch(ward, camera, stream, container = $('live-player')) {
  stopLive();
  const note = el('p', { id: 'live-note', role: 'status' }, t('live.connecting'));
  const video = el('video', { id: 'live-video', muted: '', playsinline: '', controls: '' });
  video.muted = true;
  const stop = el('button', { type: 'button', class: 'secondary', onclick: stopLive }, t('live.stop'));
  container.replaceChildren(el('p', { class: 'muted small' }, `${ward} · ${camera} · ${stream} · ${t('viewAudited')}`), video, note, stop);
  const player = { stopped: false, ws: null, appender: null, container };
  current = player;
  let relayId;
  try {
    relayId = (await post('/api/live', { ward, camera, stream })).relayId;
  } catch (err) {
    note.textContent = refusal(err);
    note.className = 'error';
    return;
  }
  if (player.stopped) return;
  video.dataset.relay = relayId;
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live/${encodeURIComponent(relayId)}`);
  ws.binaryType = 'arraybuffer';
  player.ws = ws;
  let started = false;
  ws.onmessage = (m) => {
    if (typeof m.data === 'string') {
      const msg = JSON.parse(m.data);
      if (msg.type === 'init') {
        player.appender?.close();
        player.appender = new Appender(video, msg.codec);
        player.appender.ready.catch((err) => (note.textContent = t('error', { msg: String(err) })));
        note.textContent = '';
        started = false;
      } else if (msg.type === 'problem') {
        note.textContent = msg.message;
        note.className = 'error';
      }
      return;
    }
    if (!player.appender) return;
    player.appender.push(m.data);
    if (!started) { started = true; player.appender.ready.then(() => video.play().catch(() => {})); }
    // stay near the live edge when the tab was hidden or the link was slow
    const end = player.appender.bufferedEnd();
    if (end - video.currentTime > 4) video.currentTime = end - 0.5;
  };
  ws.onclose = () => {
    if (!player.stopped && !note.textContent) note.textContent = t('live.ended');
  };
}

$('live-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = $('retrieve-form').elements;
  void watch(f.ward.value, f.camera.value, e.currentTarget.elements.stream.value);
});
