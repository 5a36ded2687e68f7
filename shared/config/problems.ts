// Turns YAML and schema errors into problems a person can act on: file, line, field, what is wrong, how to fix it.
import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node, type Pair } from 'yaml';
import type { z } from 'zod';
import { stringify } from 'yaml';
import { discriminatorValues, docOf, isIntAt, keysAt, schemasAt } from './schema-walk.js';

export interface ConfigProblem {
  file: string;
  /** 1-based line in the file; 0 when the file as a whole is meant */
  line: number;
  /** field path as written in messages: `cameras[3].record.retainDays` */
  path: string;
  message: string;
  hint: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(top level)';
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  return `${where}: ${p.path}: ${p.message}${p.hint ? `\n    fix: ${p.hint}` : ''}`;
}

/** Edit distance, for "did you mean". */
export function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Finds the YAML node (or key) at a path and tells its line. */
export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private lineOf(offset: number | undefined): number {
    return offset === undefined ? 0 : this.lines.linePos(offset).line;
  }

  private pairAt(path: readonly PropertyKey[]): { node: Node | undefined; pair: Pair | undefined; depth: number } {
    let node: unknown = this.doc.contents;
    let pair: Pair | undefined;
    let depth = 0;
    for (const key of path) {
      if (isMap(node)) {
        const found = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
        if (!found) break;
        pair = found as Pair;
        node = found.value;
      } else if (isSeq(node) && typeof key === 'number' && node.items[key] !== undefined) {
        pair = undefined;
        node = node.items[key];
      } else break;
      depth++;
    }
    return { node: node as Node | undefined, pair, depth };
  }

  /** Line of the value at the path, or of the closest ancestor that exists. */
  lineAt(path: readonly PropertyKey[]): number {
    const { node, pair, depth } = this.pairAt(path);
    if (depth === path.length) {
      const keyRange = pair && isScalar(pair.key) ? pair.key.range : undefined;
      return this.lineOf(keyRange?.[0] ?? node?.range?.[0]);
    }
    return this.lineOf(node?.range?.[0]);
  }

  /** Line of the key `key` inside the mapping at `path`. */
  keyLine(path: readonly PropertyKey[], key: string): number {
    return this.lineAt([...path, key]);
  }
}

function repr(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key as string];
  }
  return v;
}

function exampleHint(root: z.ZodType, path: readonly PropertyKey[]): string {
  // a list item or tuple member has no doc of its own: use its list's
  while (path.length && typeof path[path.length - 1] === 'number') path = path.slice(0, -1);
  for (const s of schemasAt(root, path)) {
    const d = docOf(s);
    if (!d) continue;
    const key = [...path].reverse().find((k) => typeof k === 'string');
    if (d.example !== undefined && key !== undefined) {
      const text = stringify({ [String(key)]: d.example }, { flow: true } as never).trim().replace(/^\{\s*|\s*\}$/g, '');
      return `${d.description}, e.g. ${text}`;
    }
    return d.description;
  }
  return '';
}

const typeWords: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys',
  tuple: 'a list',
};

/** Converts zod issues into problems, one per issue (one per key for unknown keys). */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  root: z.ZodType,
  data: unknown,
  file: string,
  source: SourceMap,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path;
    const value = valueAt(data, path);
    const at = (message: string, hint: string, p = path): ConfigProblem => ({
      file,
      line: source.lineAt(p),
      path: formatPath(p),
      message,
      hint,
    });
    const whole = isIntAt(root, path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = keysAt(root, path);
        for (const key of issue.keys) {
          const guess = closest(key, allowed);
          problems.push({
            file,
            line: source.keyLine(path, key),
            path: formatPath([...path, key]),
            message: `unknown key "${key}"`,
            hint: guess ? `did you mean "${guess}"?` : `allowed keys here: ${allowed.join(', ')}`,
          });
        }
        break;
      }
      case 'invalid_type': {
        if (value === undefined) {
          problems.push(at('is required', exampleHint(root, path)));
        } else {
          const expected = whole && issue.expected === 'number' ? 'int' : issue.expected;
          problems.push(at(`must be ${typeWords[expected] ?? expected} (got ${repr(value)})`, exampleHint(root, path)));
        }
        break;
      }
      case 'too_small':
      case 'too_big': {
        const small = issue.code === 'too_small';
        const bound = small ? issue.minimum : issue.maximum;
        const op = small ? (issue.inclusive === false ? '>' : '≥') : issue.inclusive === false ? '<' : '≤';
        let message: string;
        if (issue.origin === 'array') message = small ? `needs at least ${String(bound)} item(s)` : `allows at most ${String(bound)} item(s)`;
        else if (issue.origin === 'string') message = small ? (Number(bound) <= 1 ? 'must not be empty' : `needs at least ${String(bound)} characters`) : `allows at most ${String(bound)} characters`;
        else message = `must be ${whole ? 'a whole number' : 'a number'} ${op} ${String(bound)} (got ${repr(value)})`;
        problems.push(at(issue.message.startsWith('Too') ? message : issue.message, exampleHint(root, path)));
        break;
      }
      case 'invalid_value':
        problems.push(at(`must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${repr(value)})`, exampleHint(root, path)));
        break;
      case 'invalid_union': {
        // a discriminated union names its discriminator and options; the path then ends at the discriminator
        const u = issue as { discriminator?: string; options?: unknown[] };
        const kinds = u.options?.map(String) ?? discriminatorValues(root, path, 'type');
        const key = u.discriminator ?? 'type';
        const hint = kinds.length ? `set ${key} to one of: ${kinds.join(', ')} (see CONFIG.md)` : 'see CONFIG.md for the allowed forms';
        problems.push(at(value === undefined ? `needs a "${key}"` : u.discriminator ? `has an unknown ${key} ${repr(value)}` : `does not match any allowed form (got ${repr(value)})`, hint));
        break;
      }
      case 'custom': {
        const hint = (issue.params as { hint?: string } | undefined)?.hint ?? exampleHint(root, path);
        problems.push(at(issue.message, hint));
        break;
      }
      default:
        problems.push(at(`${issue.message} (got ${repr(value)})`, exampleHint(root, path)));
    }
  }
  return problems;
}

export { LineCounter };
