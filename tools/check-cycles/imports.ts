// The imports of the product's TypeScript files (static, dynamic, re-exports, `import type`), read with the
// compiler's own scanner and resolved to repository files; packages are left out.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { productFolder, type FileImport } from './graph.js';

const SKIP = new Set(['node_modules', 'dist', '.git', '.cache', 'coverage']);

function tsFiles(dir: string, root: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name) || e.name.startsWith('.')) return [];
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full, root);
    return /\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path.relative(root, full).split(path.sep).join('/')] : [];
  });
}

/** The repository file a relative specifier names (`./store.js` → `store.ts`), or undefined for a package or a missing file. */
function resolve(root: string, from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.posix.join(path.posix.dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base, `${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => existsSync(path.join(root, c)) && c.endsWith('ts'));
}

/** Every import of a product file by a product file, files in name order; `files`: how many product files were read. */
export function productImports(root: string): { files: number; imports: FileImport[] } {
  const files = tsFiles(root, root)
    .filter((f) => productFolder(f) !== undefined)
    .sort();
  const imports = files.flatMap((from) =>
    ts
      .preProcessFile(readFileSync(path.join(root, from), 'utf8'), true, true)
      .importedFiles.map((i) => resolve(root, from, i.fileName))
      .filter((to): to is string => to !== undefined)
      .map((to) => ({ from, to })),
  );
  return { files: files.length, imports };
}
