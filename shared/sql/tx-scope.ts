// Which transactions are open in the current async flow, so that a handle can refuse a call made from inside its
// own open transaction (a deadlock on SQLite's one connection, a statement outside the transaction on PostgreSQL).
import { AsyncLocalStorage } from 'node:async_hooks';

interface OpenTx {
  readonly owner: object;
  open: boolean;
}

const flow = new AsyncLocalStorage<readonly OpenTx[]>();

/** True when `owner.tx(…)` is open in this flow (work the callback started that outlives it does not count). */
export function inOpenTx(owner: object): boolean {
  return flow.getStore()?.some((e) => e.owner === owner && e.open) ?? false;
}

/** Runs `fn` as the body of a transaction of `owner`. */
export async function asTxOf<T>(owner: object, fn: () => Promise<T>): Promise<T> {
  const entry: OpenTx = { owner, open: true };
  try {
    return await flow.run([...(flow.getStore() ?? []), entry], fn);
  } finally {
    entry.open = false;
  }
}
