// `npm run demo`: the whole district on this machine — hub, 3 wards × 8 fake cameras, the city receiver — with
// data in a temp dir (or --data-dir). Prints where to look, then one summary line every few seconds. Ctrl-C stops.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { DEMO_PASSWORD, findModel, startDistrict, type District } from './district.js';

export interface Summary {
  camerasRecording: number;
  cameras: number;
  incidents: number;
  withClip: number;
  forwarded: number;
}

/** What the district has done so far, read from the hub's index and the city receiver. */
export function summary(d: District): Summary {
  const db = new Database(path.join(d.hubDataDir, 'data', 'hub.db'), { readonly: true, fileMustExist: true });
  try {
    const statuses = db.prepare("SELECT status FROM ward_status WHERE state = 'online'").pluck().all() as string[];
    const camerasRecording = statuses.reduce((n, s) => n + ((JSON.parse(s) as { cameras?: { recording?: number } }).cameras?.recording ?? 0), 0);
    const incidents = db.prepare('SELECT count(*) FROM incidents').pluck().get() as number;
    const withClip = db.prepare("SELECT count(*) FROM incidents WHERE clip_state = 'present'").pluck().get() as number;
    return { camerasRecording, cameras: d.farm.cameras.length, incidents, withClip, forwarded: d.city.alerts().length };
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
    },
  });
  const dataDir = values['data-dir'] ?? mkdtempSync(path.join(tmpdir(), 'wardwatch-demo-'));
  const say = (line: string) => process.stdout.write(line + '\n');
  const modelPath = findModel();
  say(`Wardwatch demo — data in ${dataDir}`);
  say(modelPath ? `detector model: ${modelPath}` : 'no detector model found (set WARDWATCH_MODEL or run `wardwatch provision model`): running motion-only, no object events');
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
  say(`logs:                  ${dataDir}/*.log`);
  say('');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    say('\nstopping the district…');
    await district.stop();
    say('stopped.');
  };
  const timer = setInterval(() => {
    try {
      const s = summary(district);
      say(`${new Date().toLocaleTimeString('vi-VN')}  cameras recording ${s.camerasRecording}/${s.cameras} · incidents at hub ${s.incidents} (${s.withClip} with clip) · forwarded to city ${s.forwarded}`);
    } catch (err) {
      say(`summary unavailable: ${(err as Error).message}`);
    }
  }, 5000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => void stop().then(resolve));
    process.once('SIGTERM', () => void stop().then(resolve));
  });
  return 0;
}
