// What the hub deletes, and when: a pure choice over incidents and transfers, tested by a table of cases.

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionPolicy {
  /** incidents (rows and files) older than this go */
  incidentDays: number;
  /** clip and snapshot files older than this go; the incident row stays */
  clipDays: number;
  /** msgIds remembered for de-duplication; re-applying an older event merge is harmless anyway */
  seenMsgDays: number;
  /** sightings (rows, thumbnails, line crossings) whose object was first seen longer ago than this go */
  sightingDays: number;
  /** per-minute counts (and the record of which minutes were watched) older than this go */
  countDays: number;
}

export interface IncidentCandidate {
  id: string;
  /** event start, ms */
  start: number;
  held: boolean;
  /** a clip or snapshot file is still there */
  hasFiles: boolean;
}

export interface TransferCandidate {
  eventId: string;
  state: 'receiving' | 'verifying' | 'present' | 'failed';
  updatedAt: number;
  /** the incident it belongs to is held */
  held: boolean;
}

export interface RetentionPlan {
  /** incident rows to delete, with their files and transfers */
  deleteIncidents: string[];
  /** incidents whose clip and snapshot files go (rows stay, clip state `expired`) */
  expireFiles: string[];
  /** transfer rows (and temp files) to drop: finished bookkeeping or abandoned transfers */
  dropTransfers: string[];
  /** seen msgIds older than this are forgotten */
  forgetSeenBefore: number;
}

export function cutoffs(policy: RetentionPolicy, now: number) {
  return {
    incidents: now - policy.incidentDays * DAY_MS,
    files: now - policy.clipDays * DAY_MS,
    seen: now - policy.seenMsgDays * DAY_MS,
    sightings: now - policy.sightingDays * DAY_MS,
    counts: now - policy.countDays * DAY_MS,
  };
}

/** A held incident keeps everything. Age counts from the event's start (events may reach the hub days late). */
export function chooseRetention(
  incidents: readonly IncidentCandidate[],
  transfers: readonly TransferCandidate[],
  policy: RetentionPolicy,
  now: number,
): RetentionPlan {
  const cut = cutoffs(policy, now);
  const deleteIncidents: string[] = [];
  const expireFiles: string[] = [];
  for (const i of incidents) {
    if (i.held) continue;
    if (i.start < cut.incidents) deleteIncidents.push(i.id);
    else if (i.start < cut.files && i.hasFiles) expireFiles.push(i.id);
  }
  const dropTransfers = transfers
    .filter((t) => !t.held && t.updatedAt < cut.files && t.state !== 'verifying')
    .map((t) => t.eventId);
  return { deleteIncidents, expireFiles, dropTransfers, forgetSeenBefore: cut.seen };
}
