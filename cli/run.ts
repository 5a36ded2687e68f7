// Process entry: runs the CLI with this process's arguments and sets the exit code.
import { EXIT } from '../shared/command.js';
import { errorReport, wantsStack } from './error-report.js';
import { main } from './wardwatch.js';

const verbose = wantsStack(process.argv, process.env);
main(process.argv.slice(2).filter((a) => a !== '--verbose')).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    for (const line of errorReport(err, verbose)) process.stderr.write(line + '\n');
    process.exitCode = EXIT.failure;
  },
);
