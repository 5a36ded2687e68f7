// `wardwatch provision validate FILE`: prints "ok" or every problem of an edge.yaml or hub.yaml.
import { parseArgs } from 'node:util';
import { EXIT, printProblems, UsageError, type Command, type Output } from '../cli/command.js';
import { guessKind, loadEdgeConfig, loadHubConfig } from '../shared/config/load.js';
import { formatProblem } from '../shared/config/problems.js';

export function validateFile(file: string, kind: 'edge' | 'hub' | undefined, io: Output, json = false): number {
  const which = kind ?? guessKind(file) ?? 'edge';
  const result = which === 'hub' ? loadHubConfig(file, { requireSecrets: false }) : loadEdgeConfig(file, { requireSecrets: false });
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

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check an edge.yaml or hub.yaml and print every problem',
  usage: 'wardwatch provision validate FILE [--kind edge|hub] [--json]',
  run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { kind: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
    if (positionals.length !== 1) throw new UsageError('validate takes exactly one FILE');
    if (values.kind !== undefined && values.kind !== 'edge' && values.kind !== 'hub') throw new UsageError('--kind must be edge or hub');
    return Promise.resolve(validateFile(positionals[0]!, values.kind, io, values.json));
  },
};
