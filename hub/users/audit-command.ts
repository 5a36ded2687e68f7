// `wardwatch hub audit verify --config hub.yaml`: walks the audit chain; exit 0 "ok, N rows", or 1 naming the row.
import { parseArgs } from 'node:util';
import { EXIT, UsageError, type Command } from '../../shared/command.js';
import { withHubAccounts } from './open.js';

export const auditCommand: Command = {
  name: 'audit',
  summary: 'check that no audit row was changed or deleted',
  usage: 'wardwatch hub audit verify --config hub.yaml',
  subcommands: ['verify'],
  async run(args, io) {
    const [action, ...rest] = args;
    if (action !== 'verify') throw new UsageError(`${action ? `unknown audit action "${action}"` : 'missing audit action'}; one of: verify`);
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { config: { type: 'string', short: 'c' } } });
    if (!values.config || positionals.length) throw new UsageError('audit verify takes --config FILE and nothing else');
    return withHubAccounts(values.config, io, async ({ audit, by }) => {
      const verdict = await audit.verify();
      // the check itself is on the record; a broken chain stays broken after this row (ids continue from the head)
      try {
        await audit.record({ ...by, action: 'audit.verify', detail: verdict.ok ? { ok: true, rows: verdict.rows } : { ok: false, problem: verdict.problem.message } });
      } catch (err) {
        io.err(`could not record this check: ${(err as Error).message}`);
      }
      if (verdict.ok) {
        io.out(`ok, ${verdict.rows} rows (last hash ${verdict.lastHash})`);
        return EXIT.ok;
      }
      io.err(`audit log broken: ${verdict.problem.message} (${verdict.rows} rows read)`);
      return EXIT.failure;
    });
  },
};
