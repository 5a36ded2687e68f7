// Walks zod schemas by field path: finds a field's documentation and an object's allowed keys.
import type { z } from 'zod';
import type { FieldDoc } from './fields.js';

type AnySchema = z.ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  items?: AnySchema[];
  options?: AnySchema[];
}

const def = (s: AnySchema): Def => (s as unknown as { def: Def }).def;

/** The documentation on a schema or on any wrapper around it. */
export function docOf(schema: AnySchema): FieldDoc | undefined {
  let s: AnySchema | undefined = schema;
  while (s) {
    const meta = s.meta() as FieldDoc | undefined;
    if (meta?.description) return meta;
    s = inner(s);
  }
  return undefined;
}

function inner(s: AnySchema): AnySchema | undefined {
  const d = def(s);
  if (d.type === 'default' || d.type === 'optional' || d.type === 'nullable' || d.type === 'catch' || d.type === 'prefault' || d.type === 'readonly') return d.innerType;
  if (d.type === 'pipe') return d.in;
  return undefined;
}

/** Strips default/optional/pipe wrappers. */
export function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let next = inner(s); next; next = inner(s)) s = next;
  return s;
}

export function objectShape(schema: AnySchema): Record<string, AnySchema> | undefined {
  const d = def(unwrap(schema));
  return d.type === 'object' ? d.shape : undefined;
}

/** The schemas found at a path (several when a union leaves it open), outermost wrappers kept. */
export function schemasAt(root: AnySchema, path: readonly PropertyKey[]): AnySchema[] {
  let current: AnySchema[] = [root];
  for (const key of path) {
    const next: AnySchema[] = [];
    for (const s of current) {
      const d = def(unwrap(s));
      if (d.type === 'object' && typeof key === 'string' && d.shape?.[key]) next.push(d.shape[key]);
      else if (d.type === 'array' && typeof key === 'number' && d.element) next.push(d.element);
      else if (d.type === 'tuple' && typeof key === 'number' && d.items?.[key]) next.push(d.items[key]);
      else if (d.type === 'union' && d.options) {
        for (const o of d.options) next.push(...schemasAt(o, [key]));
      }
    }
    current = next;
    if (!current.length) break;
  }
  return current;
}

/** Allowed keys of the object at a path (union of all object options). */
export function keysAt(root: AnySchema, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(root, path)) {
    const d = def(unwrap(s));
    if (d.type === 'object' && d.shape) Object.keys(d.shape).forEach((k) => keys.add(k));
    if (d.type === 'union' && d.options) d.options.forEach((o) => Object.keys(objectShape(o) ?? {}).forEach((k) => keys.add(k)));
  }
  return [...keys];
}

/** Is the field at this path a whole-number field? (for "must be a whole number" wording) */
export function isIntAt(root: AnySchema, path: readonly PropertyKey[]): boolean {
  return schemasAt(root, path).some((s) => {
    const u = unwrap(s) as unknown as { def: { checks?: { _zod?: { def?: { check?: string; format?: string } } }[] }; format?: string | null };
    return u.format === 'safeint' || u.format === 'int32' || (u.def.checks ?? []).some((c) => c._zod?.def?.format === 'safeint');
  });
}

/** The literal values a union's options take for `key` (e.g. the kinds of forward target). */
export function discriminatorValues(root: AnySchema, path: readonly PropertyKey[], key: string): string[] {
  const values: string[] = [];
  for (const s of schemasAt(root, [...path, key])) {
    const d = def(unwrap(s)) as Def & { values?: unknown[] };
    if (d.type === 'literal' && d.values) values.push(...d.values.map(String));
  }
  return values;
}
