// `npm run docs`: rewrites CONFIG.md from the schemas.
import { writeFileAtomicSync } from '../atomic.js';
import path from 'node:path';
import { packageRoot } from '../package.js';
import { configReference } from './reference.js';

writeFileAtomicSync(path.join(packageRoot(), 'CONFIG.md'), configReference());
process.stdout.write('CONFIG.md written\n');
