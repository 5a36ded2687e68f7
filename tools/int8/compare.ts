// The int8 accuracy gate's rule: does the int8 model find what the fp32 model finds? Pure.
//
// An fp32 detection (score ≥ 0.3, the detector's threshold) is kept when the int8 model has one of the same label,
// IoU ≥ 0.7, score within 0.05 (one-to-one, best IoU first). An int8 detection (score ≥ 0.3) is added when the fp32
// model has none of its label at IoU ≥ 0.7 with a score ≥ 0.25. The 0.05 tolerance is applied both ways at the
// threshold, so a detection at 0.31 in one model and 0.29 in the other is neither lost nor added: the box runs the
// detector down to the tracker's faint score (0.1), so it sees both.
import { iou } from '../../edge/geometry.js';
import type { Detection } from '../../edge/detect/detector.js';

export const GATE = {
  minScore: 0.3,
  iou: 0.7,
  scoreTolerance: 0.05,
  minKeptPct: 95,
  maxAddedPct: 3,
  minFrames: 200,
} as const;

/** What the detectors are run at: the threshold less the tolerance, so a match just under the threshold is seen. */
export const RUN_MIN_SCORE = GATE.minScore - GATE.scoreTolerance;

export interface FrameComparison {
  fp32: number;
  int8: number;
  kept: number;
  added: number;
}

type Found = Pick<Detection, 'label' | 'score' | 'box'>;

/** One frame: both detection lists as run at RUN_MIN_SCORE. */
export function compareFrame(fp32: readonly Found[], int8: readonly Found[]): FrameComparison {
  const counted = fp32.filter((d) => d.score >= GATE.minScore).sort((a, b) => b.score - a.score);
  const used = new Set<number>();
  let kept = 0;
  for (const d of counted) {
    let best = -1;
    let bestIou: number = GATE.iou;
    int8.forEach((e, i) => {
      if (used.has(i) || e.label !== d.label || Math.abs(e.score - d.score) > GATE.scoreTolerance + 1e-9) return;
      const o = iou(d.box, e.box);
      if (o >= bestIou) {
        bestIou = o;
        best = i;
      }
    });
    if (best >= 0) {
      used.add(best);
      kept++;
    }
  }
  const shown = int8.filter((e) => e.score >= GATE.minScore);
  const added = shown.filter((e) => !fp32.some((d) => d.label === e.label && iou(d.box, e.box) >= GATE.iou)).length;
  return { fp32: counted.length, int8: shown.length, kept, added };
}

export interface GateVerdict {
  frames: number;
  fp32_detections: number;
  int8_detections: number;
  kept: number;
  added: number;
  kept_pct: number;
  added_pct: number;
  passed: boolean;
  /** why it did not pass, in words */
  failures: string[];
}

const pct = (n: number, of: number) => Math.round((1000 * n) / Math.max(1, of)) / 10;

/** The verdict over a reference set: ≥ 95 % kept, ≤ 3 % added, on ≥ `minFrames` frames. */
export function verdict(frames: readonly FrameComparison[], minFrames: number = GATE.minFrames): GateVerdict {
  const sum = (k: keyof FrameComparison) => frames.reduce((n, f) => n + f[k], 0);
  const fp32 = sum('fp32');
  const kept = sum('kept');
  const added = sum('added');
  const keptPct = pct(kept, fp32);
  const addedPct = pct(added, fp32);
  const failures: string[] = [];
  if (frames.length < minFrames) failures.push(`${frames.length} reference frames, at least ${minFrames} needed`);
  if (fp32 === 0) failures.push('the fp32 model found nothing on the reference frames');
  if (keptPct < GATE.minKeptPct) failures.push(`kept ${keptPct} % of the fp32 detections, at least ${GATE.minKeptPct} % needed`);
  if (addedPct > GATE.maxAddedPct) failures.push(`added ${addedPct} % (of the fp32 count), at most ${GATE.maxAddedPct} % allowed`);
  return { frames: frames.length, fp32_detections: fp32, int8_detections: sum('int8'), kept, added, kept_pct: keptPct, added_pct: addedPct, passed: failures.length === 0, failures };
}
