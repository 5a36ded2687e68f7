// HTTP Range (RFC 9110 §14), pure: which bytes of a file one request asks for, and whether it begins a view.
// One parser for the box's review server and the hub's API.

export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * The byte range of a `Range` header for a file of `size` bytes. One range only: several ranges (which no
 * player sends for video) and headers that are not byte ranges get the whole file, as the RFC allows. A range
 * that cannot be served — past the end, an empty suffix, or an end before its start (`bytes=500-100`) — is 416.
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'full' };
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return { kind: 'full' };
  if (a === '') {
    // suffix: the last n bytes
    const n = Number(b);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (b !== '' && Number(b) < start) return { kind: 'unsatisfiable' };
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  return { kind: 'partial', start, end };
}

/** Whether a request with this Range begins a view (no Range, or from byte 0): the one request of a view that is audited. */
export function startsView(header: string | undefined, size: number): boolean {
  const r = parseRange(header, size);
  return r.kind === 'full' || (r.kind === 'partial' && r.start === 0);
}
