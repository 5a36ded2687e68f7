// `wardwatch edge --config edge.yaml`: runs the ward box daemon until SIGTERM or SIGINT.
// Exit codes: 0 after a clean stop, 78 for a bad edge.yaml (every problem printed), 64 for a bad command line.
import { parseArgs } from 'node:util';
import { EXIT, printProblems, stopSignal, UsageError, type Command } from '../shared/command.js';
import { loadEdgeForStart } from '../shared/config/start-checks.js';
import { createLogger } from '../shared/log.js';
import { startEdge } from './main.js';

export const edgeCommand: Command = {
  name: 'run',
  summary: 'run the ward box daemon (recording, uplink to the hub)',
  usage: 'wardwatch edge [run] --config edge.yaml',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string', short: 'c' } } });
    if (!values.config || positionals.length) throw new UsageError('edge takes --config FILE and nothing else');
    // the same checks as `provision validate`: schema, secrets, and the files edge.yaml names (CA, model, ffmpeg)
    const loaded = loadEdgeForStart(values.config);
    if (!loaded.ok) {
      printProblems(io, values.config, loaded.problems);
      return EXIT.config;
    }
    const logger = createLogger({ name: 'edge' });
    const stopped = stopSignal();
    const edge = await startEdge(loaded.config, { logger });
    const signal = await stopped;
    logger.info({ signal }, 'ward box stopping');
    await edge.close();
    logger.info('ward box stopped');
    return EXIT.ok;
  },
};

export const edgeCommands: Command[] = [edgeCommand];
