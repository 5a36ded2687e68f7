// `wardwatch provision validate FILE`: prints "ok" or every problem of an edge.yaml or hub.yaml — the same checks
// the daemons run before they start (schema, secrets, the files the config names), so the two cannot disagree.
import { EXIT, printProblems, UsageError, type Command, type Output } from '../shared/command.js';
import { guessKind } from '../shared/config/load.js';
import { formatProblem } from '../shared/config/problems.js';
import { loadEdgeForStart, loadHubForStart } from '../shared/config/start-checks.js';
import { parseCommand } from './cli-util.js';

export function validateFile(file: string, kind: 'edge' | 'hub' | undefined, io: Output, json = false): number {
  const which = kind ?? guessKind(file) ?? 'edge';
  const result = which === 'hub' ? loadHubForStart(file) : loadEdgeForStart(file);
  const warnings = result.warnings ?? [];
  if (json) {
    io.out(JSON.stringify({ ok: result.ok, kind: which, problems: result.problems, warnings }));
    return result.ok ? EXIT.ok : EXIT.config;
  }
  if (!result.ok) {
    printProblems(io, file, result.problems);
    return EXIT.config;
  }
  io.out('ok');
  for (const w of warnings) io.err(`warning: ${formatProblem(w)}`);
  return EXIT.ok;
}

const HELP = `wardwatch provision validate FILE [--kind edge|hub] [--json]

Checks an edge.yaml or hub.yaml exactly as \`wardwatch edge\` / \`wardwatch hub\` do before they start: every key
(with its line and a fix), every secret it names (in the secrets file or WARDWATCH_SECRET_<NAME>), and every file
it names (the hub's CA and the model on a box; certificates and keys on the hub). Prints "ok" or every problem.
Network and cameras are not checked here: \`wardwatch provision check --config edge.yaml\` does that.
  --kind edge|hub  which kind of file (default: guessed from its keys)
  --json           one JSON line: {ok, kind, problems, warnings}
Exit 0 ok (warnings on stderr); 78 problems (the daemon would refuse to start); 64 bad command line.`;

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check an edge.yaml or hub.yaml as the daemon does at start; print every problem',
  usage: 'wardwatch provision validate FILE [--kind edge|hub] [--json]',
  run(args, io) {
    const parsed = parseCommand(args, { kind: { type: 'string' }, json: { type: 'boolean', default: false } }, HELP, io, true);
    if (!parsed) return Promise.resolve(EXIT.ok);
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('validate takes exactly one FILE');
    if (values.kind !== undefined && values.kind !== 'edge' && values.kind !== 'hub') throw new UsageError('--kind must be edge or hub');
    return Promise.resolve(validateFile(positionals[0]!, values.kind, io, values.json));
  },
};
