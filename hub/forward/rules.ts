// Forward rules: which ended incidents go to which targets (pure).
import type { HubConfig } from '../../shared/config/load.js';

export type ForwardRule = HubConfig['forward']['rules'][number];

/** What a rule looks at: an incident's final state, known once it has ended. */
export interface RuleSubject {
  ward: string;
  label: string;
  topScore: number;
  zones: readonly string[];
}

/**
 * A rule matches when every criterion it sets holds: label among `labels`, top score ≥ `minScore`, ward among
 * `wards`, and any of the incident's zones among `zones`. An absent list matches anything; an empty list
 * matches nothing (it names no label, ward or zone that could match).
 */
export function matchesRule(rule: ForwardRule, incident: RuleSubject): boolean {
  if (rule.labels && !(rule.labels as readonly string[]).includes(incident.label)) return false;
  if (incident.topScore < rule.minScore) return false;
  if (rule.wards && !rule.wards.includes(incident.ward)) return false;
  if (rule.zones && !incident.zones.some((z) => rule.zones!.includes(z))) return false;
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
