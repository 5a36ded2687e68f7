import { describe, expect, it } from 'vitest';
import { matchesRule, targetsFor, type ForwardRule, type RuleSubject } from './rules.js';

const rule = (over: Partial<ForwardRule> = {}): ForwardRule => ({ id: 'r', target: 'city', minScore: 0, ...over });
const car: RuleSubject = { ward: 'p07', label: 'car', topScore: 0.8, zones: ['crossing', 'sidewalk'], alert: 'blocked-junction', alertKind: 'dwell' };

describe('matchesRule', () => {
  const cases: [string, Partial<ForwardRule>, Partial<RuleSubject>, boolean][] = [
    ['a rule with no criteria matches anything', {}, {}, true],
    ['label listed', { labels: ['car', 'truck'] }, {}, true],
    ['label not listed', { labels: ['person'] }, {}, false],
    ['top score above minScore', { minScore: 0.7 }, {}, true],
    ['top score equal to minScore', { minScore: 0.8 }, {}, true],
    ['top score below minScore', { minScore: 0.81 }, {}, false],
    ['ward listed', { wards: ['p01', 'p07'] }, {}, true],
    ['ward not listed', { wards: ['p01'] }, {}, false],
    ['one of the zones listed', { zones: ['sidewalk'] }, {}, true],
    ['none of the zones listed', { zones: ['park'] }, {}, false],
    ['incident in no zone, rule wants one', { zones: ['crossing'] }, { zones: [] }, false],
    ['empty zone list matches nothing', { zones: [] }, {}, false],
    ['empty ward list matches nothing', { wards: [] }, {}, false],
    ['all criteria hold', { labels: ['car'], minScore: 0.5, wards: ['p07'], zones: ['crossing'] }, {}, true],
    ['all but one hold', { labels: ['car'], minScore: 0.5, wards: ['p07'], zones: ['park'] }, {}, false],
    ['the box\'s alert rule listed', { alerts: ['blocked-junction', 'wrong-way-pdl'] }, {}, true],
    ['another alert rule', { alerts: ['wrong-way-pdl'] }, {}, false],
    ['an event of an older box (no alert rule), rule wants one', { alerts: ['blocked-junction'] }, { alert: null, alertKind: null }, false],
    ['alert kind listed', { alertKinds: ['dwell', 'crowd'] }, {}, true],
    ['alert kind not listed', { alertKinds: ['wrong-way'] }, {}, false],
  ];
  it.each(cases)('%s', (_name, r, i, expected) => {
    expect(matchesRule(rule(r), { ...car, ...i })).toBe(expected);
  });
});

describe('targetsFor', () => {
  it('sends one alert per target, naming every rule that matched, and skips rules that do not match', () => {
    const rules = [
      rule({ id: 'vehicles', target: 'city', labels: ['car'] }),
      rule({ id: 'crossing', target: 'city', zones: ['crossing'] }),
      rule({ id: 'people', target: 'city', labels: ['person'] }),
      rule({ id: 'mqtt-all', target: 'bridge' }),
    ];
    expect(Object.fromEntries(targetsFor(rules, car))).toEqual({ city: ['vehicles', 'crossing'], bridge: ['mqtt-all'] });
    expect(targetsFor([rule({ labels: ['bus'] })], car).size).toBe(0);
  });
});
