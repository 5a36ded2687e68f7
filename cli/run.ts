// Process entry: runs the CLI with this process's arguments and sets the exit code.
import { EXIT } from './command.js';
import { main } from './wardwatch.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`wardwatch: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.failure;
  },
);
