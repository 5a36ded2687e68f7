// Import cycles between product folders (pure): which folder a file belongs to, the folder graph its imports make,
// and the cycles in it, each shown with one import per arrow so a reader can go and cut it.

/** An import of one repository file by another, both relative to the repository root (`hub/ingest/ingest.ts`). */
export interface FileImport {
  from: string;
  to: string;
}

/** Folders whose entries (subfolders, and files directly in them) are each a product folder of their own. */
const SPLIT = ['edge', 'hub', 'shared'];
/** Product folders taken whole. */
const WHOLE = ['cli', 'provisioning', 'demo'];

/**
 * The product folder of a file (`hub/ingest/ingest.ts` → `hub/ingest`, `cli/run.ts` → `cli`); a file directly in
 * edge/, hub/ or shared/ is one of its own (`edge/geometry.ts`, under most of edge/; `edge/main.ts`, over all of it).
 * Undefined for what is not product: tests, test helpers, fixtures, benches, tools, files at the root.
 */
export function productFolder(file: string): string | undefined {
  if (/\.test\.ts$/.test(file)) return undefined;
  const parts = file.split('/');
  const top = parts[0]!;
  if (WHOLE.includes(top) && parts.length > 1) return top;
  if (!SPLIT.includes(top) || parts.length < 2) return undefined;
  return `${top}/${parts[1]}`;
}

/**
 * Folders that import each other, directly or round a longer loop: `loop` is one shortest way round from the first
 * (`loop[0]` → `loop[1]` → … → `loop[0]`), `arrows` every import between two of them, so a reader can go and cut one.
 */
export interface FolderCycle {
  folders: string[];
  loop: string[];
  arrows: FileImport[];
}

/** The folder graph of product files' imports of product files: folder → folder → the first import that makes the arrow. */
export function folderGraph(imports: readonly FileImport[]): Map<string, Map<string, FileImport>> {
  const graph = new Map<string, Map<string, FileImport>>();
  for (const i of imports) {
    const a = productFolder(i.from);
    const b = productFolder(i.to);
    if (a === undefined || b === undefined || a === b) continue;
    let out = graph.get(a);
    if (!out) graph.set(a, (out = new Map()));
    if (!out.has(b)) out.set(b, i);
  }
  return graph;
}

/** Every set of two or more folders that import each other round a loop: empty when the folders form layers. */
export function folderCycles(imports: readonly FileImport[]): FolderCycle[] {
  const graph = folderGraph(imports);
  const edges = (n: string) => [...(graph.get(n)?.keys() ?? [])].sort();
  return stronglyConnected([...graph.keys()].sort(), edges)
    .filter((set) => set.length > 1)
    .map((folders) => {
      const inSet = new Set(folders);
      const within = (n: string) => edges(n).filter((m) => inSet.has(m));
      const loop = shortestPath(folders[0]!, folders[0]!, within)!.slice(0, -1);
      const arrows = folders.flatMap((a) => within(a).map((b) => graph.get(a)!.get(b)!));
      return { folders, loop, arrows };
    })
    .sort((a, b) => a.folders[0]!.localeCompare(b.folders[0]!));
}

/** Tarjan's strongly connected components, nodes in the order given. */
function stronglyConnected(nodes: readonly string[], edges: (n: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (n: string): void => {
    index.set(n, next);
    low.set(n, next);
    next++;
    stack.push(n);
    onStack.add(n);
    for (const m of edges(n)) {
      if (!index.has(m)) {
        visit(m);
        low.set(n, Math.min(low.get(n)!, low.get(m)!));
      } else if (onStack.has(m)) low.set(n, Math.min(low.get(n)!, index.get(m)!));
    }
    if (low.get(n) === index.get(n)) {
      const set: string[] = [];
      let m: string;
      do {
        m = stack.pop()!;
        onStack.delete(m);
        set.push(m);
      } while (m !== n);
      out.push(set.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out;
}

/** Breadth-first: the shortest path from `a` to `b` (at least one step), or undefined. */
function shortestPath(a: string, b: string, edges: (n: string) => string[]): string[] | undefined {
  const before = new Map<string, string>();
  let frontier = [a];
  while (frontier.length > 0) {
    const nextFrontier: string[] = [];
    for (const n of frontier) {
      for (const m of edges(n)) {
        if (before.has(m)) continue;
        before.set(m, n);
        if (m === b) {
          const path = [b];
          let at = n;
          while (at !== a) {
            path.unshift(at);
            at = before.get(at)!;
          }
          return [a, ...path];
        }
        nextFrontier.push(m);
      }
    }
    frontier = nextFrontier;
  }
  return undefined;
}

/** Per cycle: the loop (`hub/ingest → hub/retrieval → hub/ingest`), then one import behind each arrow among its folders. */
export function describeCycles(cycles: readonly FolderCycle[]): string {
  return cycles.map((c) => [[...c.loop, c.loop[0]].join(' → '), ...c.arrows.map((i) => `  ${i.from} imports ${i.to}`)].join('\n')).join('\n');
}
