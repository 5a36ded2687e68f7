// The farm's command line: start N fake cameras (or one per video file), print their URLs, run until Ctrl-C.
import { parseArgs } from 'node:util';
import { createLogger } from '../../shared/log.js';
import type { FakeCamera } from './camera.js';
import { startCameraFarm } from './farm.js';
import { SCENE_NAMES, type GroundTruth, type SceneName } from './scenes.js';

const USAGE = `usage: npx tsx test-fixtures/camera [--count N] [--scene quiet|traffic|jump|street[,…]] [--loop SECONDS]
                                  [--username U --password P | --no-auth] [--json]
       npx tsx test-fixtures/camera --file PATH[,PATH…] [--file PATH …] [--username U --password P | --no-auth] [--json]
         (each H.264 video file is one camera, looped, its video as both main and sub; no ground truth)`;

export async function runCli(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        count: { type: 'string' },
        scene: { type: 'string' },
        loop: { type: 'string', default: '60' },
        file: { type: 'string', multiple: true },
        username: { type: 'string' },
        password: { type: 'string' },
        'no-auth': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const files = (values.file ?? []).flatMap((f) => f.split(',')).filter(Boolean);
  const count = Number(values.count ?? '1');
  const loopSeconds = Number(values.loop);
  const scenes = (values.scene ?? 'traffic').split(',');
  const unknown = scenes.filter((s) => !SCENE_NAMES.includes(s as SceneName));
  const problems = [
    ...(!Number.isInteger(count) || count < 1 ? [`--count must be a whole number ≥ 1 (got "${values.count}")`] : []),
    ...(!(loopSeconds >= 2) ? [`--loop must be ≥ 2 seconds (got "${values.loop}")`] : []),
    ...(unknown.length ? [`unknown scene ${unknown.join(', ')}`] : []),
    ...(files.length && (values.count !== undefined || values.scene !== undefined) ? ['--file serves files instead of scenes: leave out --count and --scene'] : []),
  ];
  if (problems.length > 0) {
    console.error(`bad arguments: ${problems.join('; ')}\n${USAGE}`);
    return 64;
  }
  // logs to stderr: stdout carries only the URLs, for scripts
  const logger = createLogger({ name: 'camera-farm', destination: process.stderr });
  const common = { username: values.username, password: values.password, auth: !values['no-auth'], logger };
  let farm;
  try {
    farm = files.length
      ? await startCameraFarm({ ...common, files })
      : await startCameraFarm({ ...common, count, scenes: scenes as SceneName[], loopSeconds });
  } catch (error) {
    if (!files.length) throw error;
    console.error((error as Error).message);
    return 65; // EX_DATAERR: a file that cannot be read or served
  }
  const shows = (camera: FakeCamera<GroundTruth | undefined>): string => camera.groundTruth?.scene ?? `file:${farm.files.get(camera.id)?.file}`;
  const cameras: FakeCamera<GroundTruth | undefined>[] = farm.cameras;
  if (values.json) {
    console.log(JSON.stringify(cameras.map((c) => ({
      id: c.id, scene: c.groundTruth?.scene ?? null, file: farm.files.get(c.id)?.file ?? null, main: c.urlWithCredentials('main'), sub: c.urlWithCredentials('sub'),
    }))));
  } else {
    for (const camera of cameras) {
      console.log(`${camera.id}\t${shows(camera)}\t${camera.urlWithCredentials('main')}\t${camera.urlWithCredentials('sub')}`);
    }
    console.log(`${cameras.length} cameras up; Ctrl-C to stop`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await farm.stop();
  return 0;
}
