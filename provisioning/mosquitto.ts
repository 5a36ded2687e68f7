// `wardwatch provision mosquitto`: Mosquitto's ACL and password files for hub.yaml `broker.mode: external`, from the
// same topic table as the embedded broker. One login and ACL per box (ward-<box id>: a ward that is one box has the
// ward's id); boxes' password lines come from `credentials issue --mosquitto-passwd`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT, UsageError, type Command, type Output } from '../shared/command.js';
import { boxLogin } from '../shared/config/box-id.js';
import { boxesOf } from '../shared/config/boxes.js';
import { loadHubConfig } from '../shared/config/load.js';
import { formatProblem } from '../shared/config/problems.js';
import { mergePasswordFile, mosquittoAcl, mosquittoPasswordLine, passwordFileUsers } from '../hub/broker/mosquitto-files.js';
import { parseCommand } from './cli-util.js';
import { replaceFile } from './replace-file.js';

const HELP = `wardwatch provision mosquitto --hub-config hub.yaml --dir DIR

Writes DIR/wardwatch.acl and DIR/wardwatch.passwd for a Mosquitto 2 broker that hub.yaml names in broker.external
(broker.mode: external). The ACL is the embedded broker's table, one login per box (ward-<box id>; a ward listed
without boxes is one box of the ward's id): each box publishes only under wardwatch/v1/<box>/ (status,
cameras/+/status, events, sightings, counts, retrievals, clips/+/+) and reads only its own wardwatch/v1/<box>/cmd/#;
the hub (broker.external.username) reads wardwatch/v1/# and writes the boxes' cmd/#. The password file gets the
hub's line (its password from the secrets file); a box's line is written by \`wardwatch provision credentials issue
--box ID --mosquitto-passwd DIR/wardwatch.passwd …\` (or --ward ID for a ward that is one box) and kept here; the
line of a box that is no longer in hub.yaml, or whose token was revoked, is removed.

In mosquitto.conf: password_file DIR/wardwatch.passwd, acl_file DIR/wardwatch.acl, allow_anonymous false,
persistence true, max_queued_messages 0 (the hub's session queues while the hub is down); then reload Mosquitto.`;

export function readOptional(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

async function run(args: string[], io: Output): Promise<number> {
  const parsed = parseCommand(args, { 'hub-config': { type: 'string' }, dir: { type: 'string' } }, HELP, io);
  if (!parsed) return EXIT.ok;
  const v = parsed.values;
  if (!v['hub-config'] || !v.dir) throw new UsageError('mosquitto needs --hub-config hub.yaml and --dir DIR');
  const loaded = loadHubConfig(v['hub-config']);
  if (!loaded.ok) {
    for (const p of loaded.problems) io.err(formatProblem(p));
    return EXIT.config;
  }
  const config = loaded.config;
  const external = config.broker.external;
  if (config.broker.mode !== 'external' || !external) {
    io.err(`${v['hub-config']}: broker.mode is not external: the embedded broker keeps its logins in hub.yaml (set broker.mode: external and broker.external first)`);
    return EXIT.config;
  }
  const dir = path.resolve(v.dir);
  // one login per box: mosquittoAcl's "wards" are the ids the senders publish under, i.e. box ids
  const boxes = boxesOf(config.wards).filter((b) => b.tokenHash !== undefined);
  const ids = boxes.map((b) => b.id);
  const aclFile = path.join(dir, 'wardwatch.acl');
  const passwdFile = path.join(dir, 'wardwatch.passwd');
  replaceFile(aclFile, mosquittoAcl({ hubUsername: external.username, wards: ids }), 0o640);
  const before = readOptional(passwdFile);
  const hubLine = mosquittoPasswordLine(external.username, config.secrets.get(external.passwordSecret) ?? '');
  const next = mergePasswordFile(before, new Map([[external.username, hubLine]]), new Set(ids.map(boxLogin)));
  replaceFile(passwdFile, next, 0o640, 0o660);
  const users = passwordFileUsers(next);
  const missing = boxes.filter((b) => !users.has(boxLogin(b.id)));
  const removed = [...passwordFileUsers(before)].filter((u) => !users.has(u));
  const wards = new Set(boxes.map((b) => b.ward)).size;
  io.out(`wrote ${aclFile} (the hub and ${ids.length} box${ids.length === 1 ? '' : 'es'} of ${wards} ward${wards === 1 ? '' : 's'}) and ${passwdFile} (the hub's login${removed.length ? `; removed ${removed.join(', ')}` : ''})`);
  const issueFor = (b: (typeof boxes)[number]) => (b.id === b.ward ? `--ward ${b.ward}` : `--box ${b.id} --ward ${b.ward}`);
  if (missing.length) io.out(`boxes without a broker login yet: ${missing.map((b) => b.id).join(', ')} — run \`wardwatch provision credentials issue ${missing.length === 1 ? issueFor(missing[0]!) : '--box ID'} --mosquitto-passwd ${passwdFile} …\` for each`);
  io.out('reload Mosquitto to apply them (systemctl reload mosquitto, or kill -HUP its pid)');
  return EXIT.ok;
}

export const mosquittoCommand: Command = {
  name: 'mosquitto',
  summary: 'write Mosquitto\'s ACL and password files for an external broker (broker.mode: external)',
  usage: 'wardwatch provision mosquitto --hub-config hub.yaml --dir DIR',
  run,
};
