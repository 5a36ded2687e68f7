// The accuracy gate's report (gate.ts writes it beside the int8 model: `x_int8.onnx` → `x_int8.gate.json`), read
// back: by the throughput bench for its int8 figures, and by whatever later lets a box run an int8 model, which must
// refuse one whose report did not pass or names other files.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function gateReportFile(model: string): string {
  return path.join(path.dirname(model), `${path.basename(model, '.onnx')}.gate.json`);
}

export const sha256File = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The fields of a gate report a program relies on (the rest is for people). */
export interface GateReportFields {
  passed: boolean;
  fp32_sha256: string;
  int8_sha256: string;
  kept_pct: number;
  added_pct: number;
  frames: number;
}

/** The report beside `model`, or why there is none to read. */
export function readGateReport(model: string): GateReportFields | string {
  const file = gateReportFile(model);
  let report: Partial<GateReportFields>;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as Partial<GateReportFields>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `no accuracy gate report beside it (${file})` : `its gate report ${file} is not readable JSON`;
  }
  for (const [key, type] of [['passed', 'boolean'], ['fp32_sha256', 'string'], ['int8_sha256', 'string'], ['kept_pct', 'number'], ['added_pct', 'number'], ['frames', 'number']] as const) {
    if (typeof report[key] !== type) return `its gate report ${file} has no ${key}`;
  }
  return report as GateReportFields;
}

/**
 * Why an int8 model may not run, or undefined when it may: its gate report passed, names this very file and was
 * gated against this fp32 model.
 */
export function int8GateProblem(model: string, fp32Sha256: string, sha256?: string): string | undefined {
  const report = readGateReport(model);
  if (typeof report === 'string') return `${model}: ${report}`;
  const modelSha256 = sha256 ?? sha256File(model);
  if (!report.passed) return `${model} failed its accuracy gate (kept ${report.kept_pct} %, added ${report.added_pct} % of the fp32 detections; ≥ 95 % and ≤ 3 % needed)`;
  if (modelSha256 !== report.int8_sha256) return `${model} is not the int8 model its gate report passed (sha256 ${modelSha256.slice(0, 12)}…, the report's ${report.int8_sha256.slice(0, 12)}…)`;
  if (report.fp32_sha256 !== fp32Sha256) return `${model} was gated against another fp32 model (sha256 ${report.fp32_sha256.slice(0, 12)}…, this one ${fp32Sha256.slice(0, 12)}…)`;
  return undefined;
}
