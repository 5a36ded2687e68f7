// Forward rules: which ended incidents go to which targets (pure).
import type { HubConfig } from '../../shared/config/load.js';

export type ForwardRule = HubConfig['forward']['rules'][number];

/** What a rule looks at: an incident's final state, known once it has ended. */
export interface RuleSubject {
  ward: string;
  label: string;
  topScore: number;
  zones: readonly string[];
  /** the box's alert rule that raised it, and its kind (null from boxes before 0.2) */
  alert: string | null;
  alertKind: string | null;
}

/**
 * A rule matches when every criterion it sets holds: label among `labels`, top score ≥ `minScore`, ward among
 * `wards`, any of the incident's zones among `zones`, the box's alert rule among `alerts` and its kind among
 * `alertKinds`. An absent list matches anything; an empty list matches nothing.
 */
export function matchesRule(rule: ForwardRule, incident: RuleSubject): boolean {
  if (rule.labels && !(rule.labels as readonly string[]).includes(incident.label)) return false;
  if (incident.topScore < rule.minScore) return false;
  if (rule.wards && !rule.wards.includes(incident.ward)) return false;
  if (rule.zones && !incident.zones.some((z) => rule.zones!.includes(z))) return false;
  if (rule.alerts && (incident.alert === null || !rule.alerts.includes(incident.alert))) return false;
  if (rule.alertKinds && (incident.alertKind === null || !(rule.alertKinds as readonly string[]).includes(incident.alertKind))) return false;
  return true;
}

/** Target id → ids of the rules that send the incident there (one alert per target, however many rules match). */
export function targetsFor(rules: readonly ForwardRule[], incident: RuleSubject): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const rule of rules) {
    if (!matchesRule(rule, incident)) continue;
    const ids = out.get(rule.target);
    if (ids) ids.push(rule.id);
    else out.set(rule.target, [rule.id]);
  }
  return out;
}
