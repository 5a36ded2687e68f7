// Walks the whole command tree: `--help` anywhere prints a usage and exits 0, as README and provisioning/README promise.
import { describe, expect, it } from 'vitest';
import { groups, main } from './wardwatch.js';

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Every command line the docs can mean: each group, each command, each action of a command. */
function tree(): string[][] {
  const lines: string[][] = [[]];
  for (const g of groups) {
    lines.push([g.name]);
    for (const c of g.commands) {
      if (!c.name) continue;
      lines.push([g.name, c.name]);
      for (const s of c.subcommands ?? []) lines.push([g.name, c.name, s]);
    }
  }
  return lines;
}

describe('--help on every command', () => {
  it('covers the commands the docs name', () => {
    const all = tree().map((l) => l.join(' '));
    for (const c of ['provision validate', 'provision check', 'provision credentials apply', 'provision install', 'edge run', 'edge user add', 'hub user add', 'hub audit verify', 'verify-export']) expect(all).toContain(c);
  });

  for (const line of tree()) {
    for (const flag of ['--help', '-h']) {
      it(`wardwatch ${[...line, flag].join(' ')} prints a usage and exits 0`, async () => {
        const r = await run([...line, flag]);
        expect(r.code, r.err).toBe(0);
        expect(r.out).toMatch(/usage|wardwatch/i);
        expect(r.out).toContain(line.length ? `wardwatch ${line[0]}` : 'wardwatch');
        expect(r.out).toMatch(/exit codes/i);
      });
    }
  }

  it('still runs nothing for --help after --', async () => {
    const r = await run(['provision', 'validate', '--', '--help']);
    expect(r.code).not.toBe(0);
  });
});
