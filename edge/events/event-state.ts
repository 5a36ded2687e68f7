// An alert (the contract's event) as the box keeps it: what alert-rules.ts decides, store.ts records and
// finisher.ts completes with a snapshot and a clip.
import type { AlertKind, Label } from '../../shared/contract/index.js';
import type { NormBox } from '../geometry.js';

export interface EventState {
  id: string;
  camera: string;
  label: Label;
  /** score in the latest frame it was seen */
  score: number;
  topScore: number;
  /** box at the best moment (normalised) */
  box: NormBox;
  /** time of the frame with the top score: where the snapshot is taken */
  bestAtMs: number;
  zones: string[];
  start: number;
  /** last frame the object was seen in */
  lastSeenMs: number;
  end: number | null;
  /** the alert rule that raised it; absent only for events recorded by older versions */
  rule?: { id: string; kind: AlertKind } | undefined;
}

export type EventChange = { type: 'start' | 'update' | 'end'; event: EventState };
