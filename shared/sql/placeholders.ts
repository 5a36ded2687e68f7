// `?` parameters to PostgreSQL's `$1, $2…`, skipping quoted text and comments.

/** `sql` with each `?` outside '…' strings, "…" identifiers and comments numbered in order; `count`: how many. */
export function numberPlaceholders(sql: string): { text: string; count: number } {
  let out = '';
  let count = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const end = skipQuotedOrComment(sql, i);
    if (end > i) {
      out += sql.slice(i, end);
      i = end;
    } else if (c === '?') {
      out += `$${++count}`;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return { text: out, count };
}

/** Where a string, quoted identifier or comment starting at `i` ends (its end, exclusive), or `i` if none starts. */
function skipQuotedOrComment(sql: string, i: number): number {
  const c = sql[i];
  if (c === "'" || c === '"') {
    // a doubled quote is an escaped one; both engines agree
    let j = i + 1;
    for (;;) {
      const k = sql.indexOf(c, j);
      if (k < 0) throw new Error(`SQL has an unterminated ${c === "'" ? 'string' : 'quoted identifier'} starting at ${i}: ${sql.slice(i, i + 40)}`);
      if (sql[k + 1] === c) j = k + 2;
      else return k + 1;
    }
  }
  if (c === '-' && sql[i + 1] === '-') {
    const k = sql.indexOf('\n', i);
    return k < 0 ? sql.length : k + 1;
  }
  if (c === '/' && sql[i + 1] === '*') {
    const k = sql.indexOf('*/', i + 2);
    if (k < 0) throw new Error(`SQL has an unterminated /* comment starting at ${i}`);
    return k + 2;
  }
  return i;
}
