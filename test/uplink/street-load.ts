// The synthetic busy camera of the uplink fault tests (producer.ts --street): what one step sends.

/** one step is five seconds of the camera: a sightings message of this many objects */
export const SIGHTINGS_PER_BATCH = 8;
/** every 12th step (a minute) also sends the minute's counts, adding up to this */
export const COUNTS_PER_MINUTE = 10;
export const STEP_MS = 5000;
