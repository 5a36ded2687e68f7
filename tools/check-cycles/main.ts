// `npm run check`'s cycle check: fails, naming the imports, when product folders (edge/*, hub/*, shared/*, cli,
// provisioning, demo) import each other round a loop. Tests, test helpers, fixtures and benches are not product and
// are left out (tools/check-cycles/graph.ts).
import { packageRoot } from '../../shared/package.js';
import { describeCycles, folderCycles, productFolder } from './graph.js';
import { productImports } from './imports.js';

const root = packageRoot();
const { files, imports } = productImports(root);
const cycles = folderCycles(imports);
const folders = new Set(imports.flatMap((i) => [productFolder(i.from), productFolder(i.to)]).filter((f) => f !== undefined));
if (cycles.length > 0) {
  process.stderr.write(`import cycles between product folders: move what both need to a folder both may import, or turn an arrow round\n${describeCycles(cycles)}\n`);
  process.exit(1);
}
process.stdout.write(`no import cycles among ${folders.size} product folders (${files} files, ${imports.length} imports)\n`);
