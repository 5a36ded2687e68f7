// Where the hub keeps files under its storage root. The db stores these paths relative to the root.
import path from 'node:path';

export const storePaths = {
  db: 'hub.db',
  snapshot: (ward: string, eventId: string) => path.join('snapshots', ward, `${eventId}.jpg`),
  clip: (ward: string, eventId: string) => path.join('clips', ward, `${eventId}.mp4`),
  /** chunks land here until the sha256 checks out */
  partialClip: (eventId: string) => path.join('clips', '.partial', `${eventId}.mp4`),
};
