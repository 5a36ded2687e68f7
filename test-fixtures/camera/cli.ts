// The farm's command line: start N fake cameras, print their URLs, run until Ctrl-C.
import { parseArgs } from 'node:util';
import { createLogger } from '../../shared/log.js';
import { startCameraFarm } from './farm.js';
import { SCENE_NAMES, type SceneName } from './scenes.js';

const USAGE = `usage: npx tsx test-fixtures/camera [--count N] [--scene quiet|traffic|jump[,…]] [--loop SECONDS]
                                  [--username U --password P | --no-auth] [--json]`;

export async function runCli(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        count: { type: 'string', default: '1' },
        scene: { type: 'string', default: 'traffic' },
        loop: { type: 'string', default: '60' },
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
  const count = Number(values.count);
  const loopSeconds = Number(values.loop);
  const scenes = values.scene.split(',');
  const unknown = scenes.filter((s) => !SCENE_NAMES.includes(s as SceneName));
  if (!Number.isInteger(count) || count < 1 || !(loopSeconds >= 2) || unknown.length > 0) {
    console.error(`bad arguments${unknown.length ? ` (unknown scene ${unknown.join(', ')})` : ''}\n${USAGE}`);
    return 64;
  }
  // logs to stderr: stdout carries only the URLs, for scripts
  const logger = createLogger({ name: 'camera-farm', destination: process.stderr });
  const farm = await startCameraFarm({
    count,
    scenes: scenes as SceneName[],
    loopSeconds,
    username: values.username,
    password: values.password,
    auth: !values['no-auth'],
    logger,
  });
  if (values.json) {
    console.log(JSON.stringify(farm.cameras.map((c) => ({
      id: c.id, scene: c.groundTruth.scene, main: c.urlWithCredentials('main'), sub: c.urlWithCredentials('sub'),
    }))));
  } else {
    for (const camera of farm.cameras) {
      console.log(`${camera.id}\t${camera.groundTruth.scene}\t${camera.urlWithCredentials('main')}\t${camera.urlWithCredentials('sub')}`);
    }
    console.log(`${farm.cameras.length} cameras up; Ctrl-C to stop`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await farm.stop();
  return 0;
}
