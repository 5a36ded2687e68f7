import { describe, expect, it } from 'vitest';
import { formatMetrics } from './metrics.js';

describe('formatMetrics', () => {
  it('writes HELP, TYPE and samples with escaped labels', () => {
    expect(
      formatMetrics([
        { name: 'a_total', help: 'things', type: 'counter', samples: [{ value: 3 }] },
        { name: 'b', help: 'by kind', type: 'gauge', samples: [{ labels: { kind: 'say "hi"\n' }, value: Number.NaN }] },
      ]),
    ).toBe('# HELP a_total things\n# TYPE a_total counter\na_total 3\n# HELP b by kind\n# TYPE b gauge\nb{kind="say \\"hi\\"\\n"} 0\n');
  });
});
