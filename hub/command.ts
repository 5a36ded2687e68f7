// The hub's commands: `wardwatch hub [run] --config hub.yaml` runs the district hub until SIGTERM or SIGINT, and
// re-reads its wards from hub.yaml on SIGHUP (`systemctl reload`: new or revoked tokens without dropping the other
// wards); `hub user …` and `hub audit verify` are the administrator's (hub/users/).
// Readiness: once listening, it logs one JSON line per MQTT listener on stdout, e.g.
//   {"level":30,…,"listener":"tcp","host":"127.0.0.1","port":40123,"msg":"mqtt tcp listening on 127.0.0.1:40123"}
// so a test or supervisor started with `port: 0` reads the real port from the first line with a `port`.
// Exit codes: 0 after a clean stop, 78 for a bad hub.yaml (every problem printed), 64 for a bad command line.
import { parseArgs } from 'node:util';
import { EXIT, printProblems, stopSignal, UsageError, type Command } from '../shared/command.js';
import { loadHubConfig } from '../shared/config/load.js';
import { formatProblem } from '../shared/config/problems.js';
import { loadHubForStart } from '../shared/config/start-checks.js';
import { createLogger } from '../shared/log.js';
import type { RunningHub } from './main.js';
import { auditCommand } from './users/audit-command.js';
import { rtspCredentialCommand } from './users/rtsp-credential-command.js';
import { userCommand } from './users/user-command.js';

/** The group's default: `wardwatch hub --config …` is `wardwatch hub run --config …`. */
export const hubRunCommand: Command = {
  name: 'run',
  summary: 'run the district hub (MQTT broker, incident index)',
  usage: 'wardwatch hub [run] --config hub.yaml',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string', short: 'c' } } });
    if (!values.config || positionals.length) throw new UsageError('hub takes --config FILE and nothing else');
    // the same checks as `provision validate`: schema, secrets, and the certificates and keys hub.yaml names
    const loaded = loadHubForStart(values.config);
    if (!loaded.ok) {
      printProblems(io, values.config, loaded.problems);
      return EXIT.config;
    }
    const logger = createLogger({ name: 'hub' });
    // listen for signals before the ports are announced: a supervisor may stop us as soon as it reads one
    const stopped = stopSignal();
    // SIGHUP's default would end the process: take it from now on, and reload once the hub is up
    let hub: RunningHub | undefined = undefined;
    let reloadAsked = false;
    const reload = () => {
      if (!hub) {
        reloadAsked = true;
        return;
      }
      const again = loadHubConfig(values.config!);
      if (!again.ok) {
        const problems = again.problems.map((p) => formatProblem(p).replace('\n    fix:', ' — fix:'));
        logger.error({ problems }, `hub.yaml not reloaded, the hub goes on with the wards it had: ${problems.join('; ')}`);
        return;
      }
      const changes = hub.reloadWards(again.config.wards);
      logger.info({ ...changes, wards: again.config.wards.length }, `wards reloaded from ${values.config}: boxes ${changes.added.length} added, ${changes.changed.length} changed, ${changes.removed.length} removed (other settings take effect at the next restart)`);
    };
    process.on('SIGHUP', reload);
    // loaded here, not at the top: `hub user …` and `hub audit …` need none of the broker, ingest or forwarder
    const { startHub } = await import('./main.js');
    hub = await startHub(loaded.config, { logger });
    logger.info({ wards: loaded.config.wards.length, root: loaded.config.storage.root }, 'hub running');
    if (reloadAsked) reload();
    const signal = await stopped;
    process.off('SIGHUP', reload);
    logger.info({ signal }, 'hub stopping');
    await hub.close();
    logger.info('hub stopped');
    return EXIT.ok;
  },
};

export const hubCommands: Command[] = [hubRunCommand, userCommand, auditCommand, rtspCredentialCommand];
