// The one executable: `wardwatch <command> …`. Parses the command line and hands over; no logic here.
import { asksHelp, consoleOutput, EXIT, UsageError, type Command, type Output } from '../shared/command.js';
import { provisionCommands } from '../provisioning/index.js';
import { hubCommands } from '../hub/command.js';
import { edgeCommands } from '../edge/command.js';
import { verifyExportCommand } from './verify-export.js';
import { edgeUserCommand } from '../edge/user-command.js';
import { packageVersion } from '../shared/package.js';
import { demoCommand } from './demo.js';

interface Group {
  name: string;
  summary: string;
  commands: Command[];
  /** the command run when the first argument after the group is an option (`wardwatch hub --config …`) */
  defaultCommand?: string;
}

/** Only commands that exist are listed: nothing here is a stub. */
export const groups: Group[] = [
  { name: 'provision', summary: 'set up a ward box or the hub (installer)', commands: provisionCommands },
  // `wardwatch edge --config …` runs the daemon (the unnamed command); `wardwatch edge user …` manages accounts
  { name: 'edge', summary: 'run a ward box; manage its review page accounts', commands: [...edgeCommands, edgeUserCommand], defaultCommand: 'run' },
  { name: 'hub', summary: 'run the district hub; manage its users; verify its audit log', commands: hubCommands, defaultCommand: 'run' },
  { name: 'demo', summary: 'the whole district on this machine', commands: [demoCommand] },
  { name: 'verify-export', summary: 'check a ward box export offline', commands: [verifyExportCommand] },
];


function groupHelp(g: Group, io: Output): void {
  io.out(`wardwatch ${g.name} — ${g.summary}\n\nusage:`);
  for (const c of g.commands) io.out(`  ${c.usage.padEnd(58)} ${c.summary}`);
  io.out(`\nmore on one command: wardwatch ${g.name}${g.commands.length > 1 || g.commands[0]!.name ? ' <command>' : ''} --help`);
  io.out('exit codes: 0 ok, 1 failure, 64 bad command line, 78 bad configuration');
}

function commandHelp(c: Command, io: Output): void {
  io.out(`usage: ${c.usage}\n\n${c.summary}`);
  if (c.subcommands?.length) io.out(`actions: ${c.subcommands.join(', ')}`);
  io.out('\nexit codes: 0 ok, 1 failure, 64 bad command line, 78 bad configuration');
}

function help(io: Output): void {
  io.out('wardwatch — CCTV for a city district (ward boxes, district hub, city sharing)\n');
  io.out('usage:');
  for (const g of groups) {
    for (const c of g.commands) io.out(`  ${c.usage.padEnd(58)} ${c.summary}`);
  }
  io.out('\n  wardwatch --version');
  io.out('\nexit codes: 0 ok, 1 failure, 64 bad command line, 78 bad configuration');
}

export async function main(argv: string[], io: Output = consoleOutput): Promise<number> {
  const [first, second, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    help(io);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-v') {
    io.out(packageVersion());
    return EXIT.ok;
  }
  const group = groups.find((g) => g.name === first);
  if (!group) {
    io.err(`unknown command "${first}"; run wardwatch --help`);
    return EXIT.usage;
  }
  if (second === '--help' || second === '-h') {
    if (group.commands.length === 1 && group.commands[0]!.name === '' && group.commands[0]!.ownHelp) return group.commands[0]!.run(argv.slice(1), io);
    groupHelp(group, io);
    return EXIT.ok;
  }
  // a group whose only command has no name (`wardwatch edge --config …`) hands it every argument after the group
  const unnamed = group.commands.length === 1 && group.commands[0]!.name === '' ? group.commands[0] : undefined;
  const byDefault = group.defaultCommand !== undefined && second?.startsWith('-') ? group.commands.find((c) => c.name === group.defaultCommand) : undefined;
  const command = unnamed ?? byDefault ?? group.commands.find((c) => c.name === second);
  if (!command) {
    io.err(`${second === undefined ? 'missing' : `unknown`} ${group.name} command${second ? ` "${second}"` : ''}; one of: ${group.commands.map((c) => c.name).join(', ')}`);
    return EXIT.usage;
  }
  const args = unnamed || byDefault ? argv.slice(1) : rest;
  if (!command.ownHelp && asksHelp(args)) {
    commandHelp(command, io);
    return EXIT.ok;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`${(err as Error).message}\nusage: ${command.usage}`);
      return EXIT.usage;
    }
    throw err;
  }
}
