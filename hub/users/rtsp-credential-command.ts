// `wardwatch hub rtsp-credential --name N --config hub.yaml`: makes a city account's RTSP credential for its video
// system (a random password, printed once; only its Digest HA1 is kept), replacing any earlier one. Audited.
import { parseArgs } from 'node:util';
import { EXIT, printProblems, UsageError, type Command } from '../../shared/command.js';
import { cliActor } from '../../shared/accounts/user-command.js';
import { createAudit } from '../../shared/audit/index.js';
import { loadHubConfig } from '../../shared/config/load.js';
import { RtspCredentialError, RtspCredentials } from '../city-rtsp/credentials.js';
import { openConfiguredIndex } from '../store/store.js';

export const rtspCredentialCommand: Command = {
  name: 'rtsp-credential',
  summary: "make a city account's RTSP credential for the city's video system (printed once; audited)",
  usage: 'wardwatch hub rtsp-credential --name N --config hub.yaml',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string', short: 'c' }, name: { type: 'string' } } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (!values.config) throw new UsageError('missing --config hub.yaml');
    if (!values.name) throw new UsageError('missing --name (a city account, see `wardwatch hub user list`)');
    const loaded = loadHubConfig(values.config);
    if (!loaded.ok) {
      printProblems(io, values.config, loaded.problems);
      return EXIT.config;
    }
    const store = await openConfiguredIndex(loaded.config);
    try {
      const password = await new RtspCredentials({ sql: store.sql, audit: createAudit(store.sql) }).make(values.name, { actor: cliActor(), ip: null });
      const rtsp = loaded.config.cityRtsp;
      io.out(`RTSP credential made for ${values.name}; any earlier one no longer works`);
      io.out(`password (shown once): ${password}`);
      if (rtsp) io.out(`the city's video system reads ${rtsp.tls ? 'rtsps' : 'rtsp'}://${values.name}:<password>@<hub>:${rtsp.listen.port}/<ward>/<camera> (Digest, TCP), for cameras granted to the city`);
      else io.out('cityRtsp is not set in hub.yaml: the hub serves no RTSP until it is (see CONFIG.md)');
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof RtspCredentialError)) throw err;
      io.err(`--${err.message}`);
      return EXIT.usage;
    } finally {
      await store.close();
    }
  },
};
