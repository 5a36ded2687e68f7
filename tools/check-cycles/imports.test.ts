import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../shared/package.js';
import { folderCycles } from './graph.js';
import { productImports } from './imports.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'ww-cycles-'));
  dirs.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe('productImports', () => {
  it('sees static, type-only, dynamic and re-exported imports, and index files', () => {
    const root = tree({
      'hub/a/x.ts': "import { y } from '../b/y.js';\nexport const x = y;\n",
      'hub/b/y.ts': "import type { X } from '../c/index.js';\nexport const y = 1;\nexport async function z() { return import('../d/z.js'); }\n",
      'hub/c/index.ts': "export type { X } from '../e/e.js';\n",
      'hub/d/z.ts': "import 'node:fs';\nimport { z } from 'zod';\nexport const q = z;\n",
      'hub/e/e.ts': 'export type X = number;\n',
      'hub/e/e.test.ts': "import { x } from '../a/x.js';\n",
      'testing/hub/h.ts': "import { x } from '../../hub/a/x.js';\n",
    });
    const { files, imports } = productImports(root);
    expect(files).toBe(5);
    expect(imports).toEqual([
      { from: 'hub/a/x.ts', to: 'hub/b/y.ts' },
      { from: 'hub/b/y.ts', to: 'hub/c/index.ts' },
      { from: 'hub/b/y.ts', to: 'hub/d/z.ts' },
      { from: 'hub/c/index.ts', to: 'hub/e/e.ts' },
    ]);
    expect(folderCycles(imports)).toEqual([]);
  });

  it('a type-only import back makes a cycle; one from a test does not', () => {
    const root = tree({
      'hub/store/schema.ts': "import { m } from '../retrieval/schema.js';\nexport const all = [m];\n",
      'hub/retrieval/schema.ts': 'export const m = 1;\n',
      'hub/retrieval/retrievals.ts': "import type { Store } from '../store/store.js';\nexport type R = Store;\n",
      'hub/store/store.ts': 'export type Store = 1;\n',
      'hub/ingest/ingest.test.ts': "import { m } from '../retrieval/schema.js';\n",
      'hub/retrieval/ingest.test.ts': "import { m } from '../ingest/ingest.js';\n",
      'hub/ingest/ingest.ts': "import { m } from '../retrieval/schema.js';\n",
    });
    expect(folderCycles(productImports(root).imports).map((c) => c.folders)).toEqual([['hub/retrieval', 'hub/store']]);
  });

  it('reads the real tree: hub/retrieval stands on hub/store, not the other way round', () => {
    const { imports } = productImports(packageRoot());
    expect(imports).toContainEqual({ from: 'hub/retrieval/retrievals.ts', to: 'hub/store/store.ts' });
    expect(imports.filter((i) => i.from.startsWith('hub/store/') && !i.to.startsWith('hub/store/') && i.to.startsWith('hub/'))).toEqual([]);
    expect(imports.filter((i) => /^(testing|test|test-fixtures|bench)\//.test(i.to) && !i.from.startsWith('demo/'))).toEqual([]);
  });
});
