// The installer's camera list for `init --cameras FILE`: CSV or YAML rows of id, name, address, user, password, main, sub.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ID_HINT, ID_PATTERN } from '../shared/contract/ids.js';

export const CAMERA_FIELDS = ['id', 'name', 'address', 'user', 'password', 'main', 'sub'] as const;

const rtsp = z.string().regex(/^rtsps?:\/\/\S+$/, 'must be an rtsp:// URL');
export const cameraRowSchema = z
  .object({
    id: z.string().regex(ID_PATTERN, `must match ${ID_HINT}`).optional(),
    name: z.string().min(1).max(100).optional(),
    /** ONVIF address (host[:port] or device service URL): the streams are asked of the camera */
    address: z.string().min(1).optional(),
    user: z.string().min(1).max(64).optional(),
    password: z.string().min(1).optional(),
    /** RTSP URLs given directly (cameras without ONVIF) */
    main: rtsp.optional(),
    sub: rtsp.optional(),
  })
  .strict()
  .refine((r) => r.address !== undefined || r.main !== undefined, { message: 'needs an address (ONVIF) or a main stream URL', path: ['address'] })
  .refine((r) => (r.user === undefined) === (r.password === undefined), { message: 'user and password go together', path: ['password'] });

export type CameraRow = z.output<typeof cameraRowSchema>;

export class CamerasFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Splits CSV text into rows of cells: quotes, doubled quotes and commas inside quotes; `#` lines are comments. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let startOfLine = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (startOfLine && c === '#' && !quoted) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    startOfLine = false;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      if (row.some((x) => x.trim() !== '')) rows.push(row);
      row = [];
      cell = '';
      startOfLine = true;
    } else cell += c;
  }
  row.push(cell);
  if (row.some((x) => x.trim() !== '')) rows.push(row);
  return rows;
}

function fromCsv(text: string, display: string): { rows: Record<string, string>[]; where: string[] } {
  const [header, ...body] = parseCsv(text);
  if (!header) throw new CamerasFileError([`${display}: empty; the first line names the columns: ${CAMERA_FIELDS.join(',')}`]);
  const names = header.map((h) => h.trim().toLowerCase());
  const unknown = names.filter((n) => !(CAMERA_FIELDS as readonly string[]).includes(n));
  if (unknown.length) throw new CamerasFileError([`${display}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; columns are ${CAMERA_FIELDS.join(', ')}`]);
  const rows = body.map((cells) => Object.fromEntries(names.flatMap((n, i) => (cells[i]?.trim() ? [[n, cells[i].trim()]] : []))));
  return { rows, where: body.map((_, i) => `row ${i + 2}`) };
}

function fromYaml(text: string, display: string): { rows: Record<string, unknown>[]; where: string[] } {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new CamerasFileError([`${display}: not valid YAML (${(err as Error).message.split('\n')[0]})`]);
  }
  const list = data && typeof data === 'object' && !Array.isArray(data) && 'cameras' in data ? (data as { cameras: unknown }).cameras : data;
  if (!Array.isArray(list)) throw new CamerasFileError([`${display}: must be a list of cameras (or a mapping with a "cameras" list)`]);
  // numbers in YAML (a numeric password, an id like 12) are still text here
  const rows = list.map((r) => (r && typeof r === 'object' ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v])) : r) as Record<string, unknown>);
  return { rows, where: list.map((_, i) => `cameras[${i}]`) };
}

/** Reads and checks a camera list; every problem is reported at once, by row and field. Passwords never appear in messages. */
export function readCamerasFile(file: string): CameraRow[] {
  const display = path.basename(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CamerasFileError([`${display}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  const { rows, where } = /\.ya?ml$/i.test(file) ? fromYaml(text, display) : fromCsv(text, display);
  if (rows.length === 0) throw new CamerasFileError([`${display}: no cameras listed`]);
  const problems: string[] = [];
  const out: CameraRow[] = [];
  const ids = new Map<string, string>();
  rows.forEach((raw, i) => {
    const r = cameraRowSchema.safeParse(raw);
    if (!r.success) {
      for (const issue of r.error.issues) {
        const field = issue.path.join('.') || '(row)';
        const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}; fields are ${CAMERA_FIELDS.join(', ')}` : issue.message;
        problems.push(`${display}: ${where[i]}: ${field}: ${message}`);
      }
      return;
    }
    if (r.data.id) {
      const first = ids.get(r.data.id);
      if (first) problems.push(`${display}: ${where[i]}: id: "${r.data.id}" is also used by ${first}; give every camera its own id`);
      else ids.set(r.data.id, where[i]!);
    }
    out.push(r.data);
  });
  if (problems.length) throw new CamerasFileError(problems);
  return out;
}
