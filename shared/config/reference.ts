// Builds CONFIG.md from the schemas, so the reference cannot drift from the code (a test compares them).
import type { z } from 'zod';
import { edgeConfigSchema } from './edge.js';
import { hubConfigSchema } from './hub.js';
import { docOf } from './schema-walk.js';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  options?: z.ZodType[];
  defaultValue?: unknown;
  values?: unknown[];
  entries?: Record<string, unknown>;
}
const def = (s: z.ZodType): Def => (s as unknown as { def: Def }).def;

interface Row {
  path: string;
  type: string;
  default: string;
  description: string;
}

function describeType(s: z.ZodType): { type: string; defaultValue?: unknown; required: boolean; core: z.ZodType } {
  let required = true;
  let defaultValue: unknown;
  let cur = s;
  for (;;) {
    const d = def(cur);
    if (d.type === 'optional') required = false;
    else if (d.type === 'default') {
      required = false;
      defaultValue = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
    } else if (d.type !== 'pipe' && d.type !== 'nullable') break;
    cur = (d.type === 'pipe' ? d.in : d.innerType)!;
  }
  const d = def(cur);
  const names: Record<string, string> = { string: 'text', number: 'number', boolean: 'true/false', object: 'mapping', array: 'list' };
  let type = names[d.type] ?? d.type;
  if (d.type === 'number' && (cur as unknown as { format?: string }).format === 'safeint') type = 'whole number';
  if (d.type === 'enum') type = Object.keys(d.entries ?? {}).join(' \\| ');
  if (d.type === 'literal') type = `"${String(d.values?.[0])}"`;
  if (d.type === 'array' && d.element) {
    const inner = def(d.element);
    type = inner.type === 'array' || inner.type === 'tuple' ? 'list of polygons' : `list of ${describeType(d.element).type}`;
    if (inner.type === 'tuple') type = 'polygon: list of [x, y]';
  }
  return { type, defaultValue, required, core: cur };
}

function rows(schema: z.ZodType, prefix: string, out: Row[]): void {
  const { core } = describeType(schema);
  const d = def(core);
  let shape: Record<string, z.ZodType> | undefined;
  let listPrefix = '';
  if (d.type === 'object') shape = d.shape;
  else if (d.type === 'array' && d.element && def(describeType(d.element).core).type === 'object') {
    shape = def(describeType(d.element).core).shape;
    listPrefix = '[]';
  }
  if (d.type === 'union' && d.options) {
    for (const o of d.options) rows(o, prefix, out);
    return;
  }
  if (!shape) return;
  for (const [key, field] of Object.entries(shape)) {
    const path = `${prefix}${listPrefix}${prefix || listPrefix ? '.' : ''}${key}`.replace(/^\./, '');
    const info = describeType(field);
    const doc = docOf(field);
    const dflt = info.required ? '**required**' : info.defaultValue === undefined ? '—' : `\`${JSON.stringify(info.defaultValue)}\``;
    const existing = out.find((r) => r.path === path);
    const isMapping = info.defaultValue !== null && typeof info.defaultValue === 'object' && !Array.isArray(info.defaultValue);
    if (!existing) out.push({ path, type: info.type, default: isMapping ? 'see its keys' : dflt, description: (doc?.description ?? '').replace(/\|/g, '\\|') });
    rows(field, path, out);
  }
}

function table(schema: z.ZodType): string {
  const out: Row[] = [];
  rows(schema, '', out);
  const lines = ['| key | type | default | meaning |', '|---|---|---|---|'];
  for (const r of out) lines.push(`| \`${r.path}\` | ${r.type} | ${r.default} | ${r.description} |`);
  return lines.join('\n');
}

export function configReference(): string {
  return `# Configuration reference

Generated from the schemas in \`shared/config/\` by \`npm run docs\`; a test fails when this file is out of date.
Check a file with \`wardwatch provision validate FILE\`: it prints \`ok\` or every problem with its line and a fix,
and exits 78 on bad configuration. Relative paths are relative to the config file. Examples: \`examples/edge.yaml\`,
\`examples/hub.yaml\`.

**Secrets** (camera passwords, the ward's hub token, webhook keys) never go in these files: they are named here
and looked up in the environment variable \`WARDWATCH_SECRET_<NAME>\` (upper case, \`-\` as \`_\`), then in the
secrets file, a YAML mapping \`name: value\` that must not be readable by other users (\`chmod 600\`).

**Privacy.** \`detect.labels\` accepts only person, bicycle, car, motorcycle, bus and truck. Face recognition,
face crops and identity features are not available by design, and a config that asks for them is refused.

**Coordinates** of zones and masks are normalised: \`[x, y]\` from 0 to 1, from the top-left corner of the picture.

## edge.yaml — a ward box

\`record\`, \`detect\` and \`events\` at the top are the defaults for every camera; the same keys under a camera
override them one by one.

${table(edgeConfigSchema)}

## hub.yaml — the district hub

${table(hubConfigSchema)}
`;
}
