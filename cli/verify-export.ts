// `wardwatch verify-export DIR --public-key FILE`: checks an export offline against a trusted copy of the box's
// public key. Exit 0 printing "ok", 1 naming the file that fails, 64 for a bad command line.
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyExport } from '../edge/review/export-manifest.js';
import { EXIT, UsageError, type Command } from '../shared/command.js';

export const verifyExportCommand: Command = {
  name: '',
  summary: 'check an export folder: signature of manifest.json, sha256 of every file',
  usage: 'wardwatch verify-export DIR --public-key FILE',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'public-key': { type: 'string', short: 'k' } } });
    if (positionals.length !== 1) throw new UsageError('verify-export takes one export folder');
    const keyFile = values['public-key'];
    if (!keyFile) throw new UsageError('missing --public-key FILE: a trusted copy of the box\'s export-ed25519.pub.pem (not the copy inside the export)');
    const dir = positionals[0]!;
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    } catch (err) {
      io.err(`${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (err as Error).message}`);
      return EXIT.failure;
    }
    let pem: string;
    try {
      pem = readFileSync(keyFile, 'utf8');
    } catch (err) {
      throw new UsageError(`--public-key: cannot read ${keyFile} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    const result = await verifyExport(dir, pem);
    if (!result.ok) {
      io.err(`FAILED ${result.file}: ${result.problem}`);
      return EXIT.failure;
    }
    const m = result.manifest;
    // exports before the local times were added carry UTC only
    const local = m.range.fromLocal && m.range.toLocal ? ` (${m.range.fromLocal} – ${m.range.toLocal}, ${m.timeZone ?? 'the box\'s time zone'})` : '';
    io.out(`ok: export ${m.id} of ward ${m.box.ward}, ${m.cameras.length} camera file${m.cameras.length === 1 ? '' : 's'}, ${m.range.from} – ${m.range.to}${local}, by ${m.exporter.name} at ${m.createdAt}`);
    return EXIT.ok;
  },
};
