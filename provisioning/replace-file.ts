// Replaces a config or secrets file atomically and keeps its owner: the service user must still read it after root edits it.
import { chownSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from '../shared/atomic.js';

/** `mode` for a new file; an existing file keeps its own mode (never wider than `maxMode`) and its owner. */
export function replaceFile(file: string, text: string, mode: number, maxMode = 0o777): void {
  let before: { mode: number; uid: number; gid: number } | undefined;
  try {
    const st = statSync(file);
    before = { mode: st.mode & 0o777, uid: st.uid, gid: st.gid };
  } catch {
    before = undefined;
  }
  writeFileAtomicSync(file, text, { mode: before ? before.mode & maxMode : mode });
  if (before && process.getuid?.() === 0 && (before.uid !== 0 || before.gid !== 0)) chownSync(file, before.uid, before.gid);
}
