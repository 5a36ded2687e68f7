// How to start a TypeScript worker thread from built code (its .js beside it) and from source (tests, benches under tsx).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `script` is the worker's .ts URL. Built code runs the .js beside it. From source there is only the .ts file,
 * which a bare worker cannot load: the worker then registers tsx before importing it.
 */
export function workerEntry(script: URL): { filename: string | URL; eval: boolean } {
  const js = new URL(script.href.replace(/\.ts$/, '.js'));
  if (existsSync(fileURLToPath(js))) return { filename: js, eval: false };
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const mjs = cjs.replace(/\.cjs$/, '.mjs');
  const api = pathToFileURL(existsSync(mjs) ? mjs : cjs).href;
  return { filename: `import(${JSON.stringify(api)}).then((api) => { api.register(); return import(${JSON.stringify(script.href)}); })`, eval: true };
}
