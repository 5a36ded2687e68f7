// Runs the accuracy gate: both models through the edge's own detector over the same frames, compared frame by
// frame (compare.ts). Its report (gate-report.ts) is what the bench reads and what a box must see passed before it runs int8.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDetector } from '../../edge/detect/detector.js';
import { compareFrame, GATE, RUN_MIN_SCORE, verdict, type FrameComparison, type GateVerdict } from './compare.js';
import type { SetFrame } from './frames.js';

export const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

export interface GateReport extends GateVerdict {
  fp32_file: string;
  fp32_sha256: string;
  int8_file: string;
  int8_sha256: string;
  rule: string;
  /** per source video or picture: fp32 detections, kept, added */
  by_source: Record<string, { frames: number; fp32: number; kept: number; added: number }>;
  at: string;
}

export async function runGate(fp32File: string, int8File: string, frames: readonly SetFrame[], minFrames: number = GATE.minFrames): Promise<GateReport> {
  const fp32 = await createDetector({ modelPath: fp32File, threads: 1, minScore: RUN_MIN_SCORE });
  const int8 = await createDetector({ modelPath: int8File, threads: 1, minScore: RUN_MIN_SCORE });
  const compared: FrameComparison[] = [];
  const bySource: GateReport['by_source'] = {};
  try {
    for (const f of frames) {
      const c = compareFrame(await fp32.detect(f.frame), await int8.detect(f.frame));
      compared.push(c);
      const s = (bySource[f.source.split('@')[0]!] ??= { frames: 0, fp32: 0, kept: 0, added: 0 });
      s.frames++;
      s.fp32 += c.fp32;
      s.kept += c.kept;
      s.added += c.added;
    }
  } finally {
    await fp32.close();
    await int8.close();
  }
  return {
    fp32_file: path.basename(fp32File),
    fp32_sha256: sha256Of(fp32File),
    int8_file: path.basename(int8File),
    int8_sha256: sha256Of(int8File),
    ...verdict(compared, minFrames),
    rule: `an fp32 detection (score ≥ ${GATE.minScore}) is kept when int8 has one of its label at IoU ≥ ${GATE.iou}, score within ${GATE.scoreTolerance}; an int8 detection (≥ ${GATE.minScore}) is added when fp32 has none of its label at IoU ≥ ${GATE.iou} (score ≥ ${RUN_MIN_SCORE}); pass: kept ≥ ${GATE.minKeptPct} %, added ≤ ${GATE.maxAddedPct} %, ≥ ${minFrames} frames`,
    by_source: bySource,
    at: new Date().toISOString(),
  };
}
