// `npm run demo`: the whole district on this machine — hub, 3 wards × 8 fake cameras, the city receiver — with
// data in a temp dir (or --data-dir). Prints where to look, then one summary line every few seconds. Ctrl-C stops;
// `--seconds N` stops by itself and exits 0 only when every ward recorded and the hub got an object incident.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { UsageError } from '../shared/command.js';
import { DEMO_PASSWORD, findModel, startDistrict, type District } from './district.js';

export interface Summary {
  camerasRecording: number;
  cameras: number;
  /** wards whose box says at least one of its cameras is recording */
  wardsRecording: number;
  incidents: number;
  /** incidents by label, e.g. { person: 3, car: 2 } */
  byLabel: Record<string, number>;
  withClip: number;
  forwarded: number;
}

/** What the district has done so far, read from the hub's index and the city receiver. */
export function summary(d: District): Summary {
  const db = new Database(path.join(d.hubDataDir, 'data', 'hub.db'), { readonly: true, fileMustExist: true });
  try {
    const statuses = db.prepare("SELECT status FROM box_status WHERE state = 'online'").pluck().all() as string[];
    const recording = statuses.map((s) => (JSON.parse(s) as { cameras?: { recording?: number } }).cameras?.recording ?? 0);
    const camerasRecording = recording.reduce((n, r) => n + r, 0);
    const rows = db.prepare('SELECT label, count(*) AS n FROM incidents GROUP BY label').all() as { label: string; n: number }[];
    const byLabel = Object.fromEntries(rows.map((r) => [r.label, r.n]));
    const incidents = rows.reduce((n, r) => n + r.n, 0);
    const withClip = db.prepare("SELECT count(*) FROM incidents WHERE clip_state = 'present'").pluck().get() as number;
    return { camerasRecording, cameras: d.farm.cameras.length, wardsRecording: recording.filter((r) => r > 0).length, incidents, byLabel, withClip, forwarded: d.city.alerts().length };
  } finally {
    db.close();
  }
}

export async function runDemo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      wards: { type: 'string', default: '3' },
      cameras: { type: 'string', default: '8' },
      traffic: { type: 'string', default: '2' },
      seconds: { type: 'string' },
    },
  });
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(Number.isInteger(seconds) && seconds >= 10)) throw new UsageError(`--seconds must be a whole number of seconds ≥ 10 (got "${values.seconds}")`);
  const dataDir = values['data-dir'] ?? mkdtempSync(path.join(tmpdir(), 'wardwatch-demo-'));
  const say = (line: string) => process.stdout.write(line + '\n');
  const modelPath = findModel();
  say(`Wardwatch demo — data in ${dataDir}`);
  say(`detector model: ${modelPath}${process.env.WARDWATCH_MODEL ? ' (WARDWATCH_MODEL)' : ' (the copy that ships with Wardwatch)'}`);
  const district = await startDistrict({
    dataDir,
    wards: Number(values.wards),
    camerasPerWard: Number(values.cameras),
    trafficPerWard: Number(values.traffic),
    modelPath,
    log: say,
    users: true,
  });
  say('');
  say(`district hub (MQTT):   mqtt://127.0.0.1:${district.hubMqttPort}`);
  say(`district hub (web):    http://127.0.0.1:${district.hubHttpPort}/   login: operator / ${DEMO_PASSWORD}`);
  for (const w of district.wards) say(`${w.name.padEnd(10)} review:  http://127.0.0.1:${w.reviewPort}/   login: officer-${w.id} / ${DEMO_PASSWORD}`);
  say('(every first login asks for a new password: that is the rule for initial passwords)');
  say(`city centre receiver:  ${district.city.url}  (alerts also in ${path.join(dataDir, 'city-alerts.jsonl')})`);
  if (district.cityRtsp) {
    const r = district.cityRtsp;
    say(`city video system:     ${r.url}`);
    say(`                       (RTSP over TCP, Digest; ${r.ward}/${r.camera} granted to the city for ${r.grantDays} days: try \`ffplay -rtsp_transport tcp "${r.url}"\` or VLC)`);
  }
  say(`logs:                  ${dataDir}/*.log`);
  say('');

  const line = (s: Summary) =>
    `cameras recording ${s.camerasRecording}/${s.cameras} · incidents at hub ${s.incidents} (${s.withClip} with clip) · forwarded to city ${s.forwarded}`;
  let last: Summary | undefined;
  let wardsSeenRecording = 0;
  const timer = setInterval(() => {
    try {
      last = summary(district);
      wardsSeenRecording = Math.max(wardsSeenRecording, last.wardsRecording);
      say(`${new Date().toLocaleTimeString('vi-VN')}  ${line(last)}`);
    } catch (err) {
      say(`summary unavailable: ${(err as Error).message}`);
    }
  }, 5000);
  const signal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const ended = await Promise.race([signal, ...(seconds ? [new Promise<string>((r) => setTimeout(() => r('time'), seconds * 1000).unref())] : [])]);
  clearInterval(timer);
  try {
    last = summary(district);
    wardsSeenRecording = Math.max(wardsSeenRecording, last.wardsRecording);
  } catch (err) {
    say(`summary unavailable: ${(err as Error).message}`);
  }
  say('\nstopping the district…');
  await district.stop();
  // a temp folder is the demo's own (recordings grow ~1.5 GB a minute): gone with it; --data-dir keeps the data
  if (values['data-dir'] === undefined) {
    rmSync(dataDir, { recursive: true, force: true });
    say(`stopped; removed ${dataDir} (keep the data with --data-dir DIR).`);
  } else say('stopped.');
  if (ended !== 'time') return 0;
  // a run of fixed length is a check: every ward recorded, and the hub got at least one object incident
  const wards = district.wards.length;
  const labels = Object.entries(last?.byLabel ?? {}).map(([l, n]) => `${l} ${n}`).join(', ') || 'none';
  const ok = wardsSeenRecording === wards && (last?.incidents ?? 0) > 0;
  say(`total after ${seconds} s: wards recording ${wardsSeenRecording}/${wards} · ${last ? line(last) : 'no summary'} · incidents by label: ${labels} → ${ok ? 'OK' : 'FAILED'}`);
  return ok ? 0 : 1;
}
