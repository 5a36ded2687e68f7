// The street scene's schedule and its truth: dense, deterministic, every object well formed, the stoppers and
// the crossings where the suggested zones and lines expect them, and overlays that draw exactly the truth.
import { describe, expect, it } from 'vitest';
import { expectedLineCounts, expectedStoppers, positionAt, streetBoxAt } from './path-truth.js';
import { groundTruthFor, labelsAt, renderScene, DEFAULT_FORMATS } from './scenes.js';
import { piecewiseLinear, STREET_LINES, STREET_SEED, STREET_ZONES, streetObjects, streetOverlays } from './street-scene.js';

const MAIN = { width: 1280, height: 720 };
const truth = groundTruthFor('street', 60, MAIN);
const objects = truth.street!.objects;
const zone = (id: string) => STREET_ZONES.find((z) => z.id === id)!;

/** Objects in view every 0.5 s of the loop. */
function inView(loopSeconds: number, t = truth): number[] {
  const counts: number[] = [];
  for (let s = 0; s <= loopSeconds; s += 0.5) counts.push(labelsAt(t, s).length);
  return counts;
}

describe('the street scene, 60 s loop', () => {
  it('has 20 to 40 objects in view for most of the loop, and none at the loop wrap', () => {
    const counts = inView(60);
    expect(counts.filter((c) => c >= 20).length / counts.length).toBeGreaterThanOrEqual(0.7);
    expect(Math.max(...counts)).toBeLessThanOrEqual(40);
    expect([counts[0], counts.at(-1)]).toEqual([0, 0]);
    for (const o of objects) expect(o.inFrame[0] > 0 && o.inFrame[1] < 60, o.id).toBe(true);
  });

  it('is the same for the same seed, and another street for another', () => {
    expect(streetObjects(60, MAIN)).toEqual(objects);
    expect(streetObjects(60, MAIN, STREET_SEED + 1)).not.toEqual(objects);
  });

  it('gives every object increasing keyframe times, a box outside the frame at both ends, and a time fully in view', () => {
    for (const o of objects) {
      for (let i = 1; i < o.path.length; i++) expect(o.path[i]![0], o.id).toBeGreaterThan(o.path[i - 1]![0]);
      for (const [, x, y] of [o.path[0]!, o.path.at(-1)!]) {
        const outside = x + o.width <= 0 || x >= MAIN.width || y + o.height <= 0 || y >= MAIN.height;
        expect(outside, `${o.id} ends in view`).toBe(true);
      }
      expect(o.fullyInFrame![1] - o.fullyInFrame![0], o.id).toBeGreaterThan(1);
    }
  });

  it('mixes people, riders on bicycles and cars, with lane traffic, walkers, turns, crossers, overtakes and stoppers', () => {
    const by = (f: (o: (typeof objects)[number]) => boolean) => objects.filter(f).length;
    expect(by((o) => o.label === 'person')).toBeGreaterThan(25);
    expect(by((o) => o.label === 'car')).toBeGreaterThan(25);
    expect(by((o) => o.label === 'bicycle' && o.riders === 1)).toBeGreaterThan(5);
    for (const role of ['lane', 'walk', 'turn', 'cross', 'overtake'] as const) expect(by((o) => o.role === role), role).toBeGreaterThan(1);
    expect(by((o) => o.role === 'stop')).toBe(3);
    // a turn has a step along the road and a step across it
    for (const o of objects.filter((x) => x.role === 'turn')) {
      const steps = o.path.slice(1).map(([, x, y], i) => [x - o.path[i]![1], y - o.path[i]![2]]);
      expect(steps.some(([dx, dy]) => dx !== 0 && dy === 0) && steps.some(([dx, dy]) => dx === 0 && dy !== 0), o.id).toBe(true);
    }
  });

  it('keeps a rider inside its box: the person over the saddle, the bicycle at the bottom', () => {
    for (const o of objects.filter((x) => x.riders === 1)) {
      expect(o.label).toBe('bicycle');
      const [person, bicycle] = o.parts!;
      expect([person!.label, bicycle!.label]).toEqual(['person', 'bicycle']);
      expect(bicycle!.dy + bicycle!.height).toBe(o.height);
      expect(person!.dx >= 0 && person!.dx + person!.width <= o.width && person!.height > bicycle!.height).toBe(true);
    }
  });

  it('stops only the stoppers for more than 3 s: they stand 15–40 s in the stop area and nowhere else does anything dwell that long', () => {
    for (const o of objects) {
      const longest = Math.max(0, ...o.stops.map(([a, b]) => b - a));
      if (o.role === 'stop') expect(longest, o.id).toBeGreaterThanOrEqual(15);
      else expect(longest, o.id).toBeLessThanOrEqual(3);
    }
    const dwell = expectedStoppers(truth, zone('stop-area'), 15);
    expect(dwell.map((d) => d.id).sort()).toEqual(objects.filter((o) => o.role === 'stop').map((o) => o.id).sort());
    expect(dwell.map((d) => d.stillSeconds).every((s) => s >= 15 && s <= 40)).toBe(true);
    expect(Math.max(...dwell.map((d) => d.stillSeconds))).toBeGreaterThanOrEqual(30);
    expect(expectedStoppers(truth, zone('pedestrian-crossing'), 15)).toEqual([]);
  });

  it('counts vehicles both ways on the lanes line and only people, both ways, on the zebra line', () => {
    const counts = expectedLineCounts(truth, STREET_LINES);
    expect(counts.lanes!.forward.car).toBeGreaterThan(10);
    expect(counts.lanes!.forward.bicycle).toBeGreaterThan(5);
    expect(counts.lanes!.backward.car).toBeGreaterThan(10);
    expect([counts.lanes!.forward.person, counts.lanes!.backward.person, counts.lanes!.backward.bicycle]).toEqual([0, 0, 0]);
    expect(counts.zebra!.forward.person).toBeGreaterThan(0);
    expect(counts.zebra!.backward.person).toBeGreaterThan(0);
    expect(counts.zebra!.forward.car + counts.zebra!.backward.car + counts.zebra!.forward.bicycle + counts.zebra!.backward.bicycle).toBe(0);
  });
});

describe('the street scene at other sizes and loop lengths', () => {
  it.each([
    { loop: 30, main: MAIN },
    { loop: 60, main: { width: 640, height: 360 } },
    { loop: 90, main: { width: 1920, height: 1080 } },
  ])('$loop s at $main.width×$main.height: objects in frame once, nothing at the wrap, a stopper', ({ loop, main }) => {
    const other = groundTruthFor('street', loop, main);
    expect(other.frame).toEqual(main);
    expect(other.street!.objects.length).toBeGreaterThan(loop / 2);
    expect(other.street!.objects.some((o) => o.role === 'stop')).toBe(true);
    const counts = inView(loop, other);
    expect([counts[0], counts.at(-1)]).toEqual([0, 0]);
  });
});

describe('drawing the street', () => {
  it('writes each path as an ffmpeg expression that is the path', () => {
    // evaluates the nested if(lt(t,T),step,rest) the way ffmpeg does
    const evaluate = (expr: string, t: number): number => {
      const m = /^if\(lt\(t,([^)]+)\),([^,]+),(.*)\)$/.exec(expr);
      if (!m) return (new Function('t', `return ${expr};`) as (t: number) => number)(t);
      return t < Number(m[1]) ? evaluate(m[2]!, t) : evaluate(m[3]!, t);
    };
    for (const o of objects.filter((x) => x.role === 'stop' || x.role === 'turn')) {
      const x = piecewiseLinear(o.path.map(([t, px]) => [t, px] as const));
      const y = piecewiseLinear(o.path.map(([t, , py]) => [t, py] as const));
      for (let t = o.path[0]![0]; t <= o.path.at(-1)![0]; t += 0.37) {
        const at = positionAt(o.path, t)!;
        expect([evaluate(x, t), evaluate(y, t)].map((v) => v.toFixed(6))).toEqual([at.x, at.y].map((v) => v.toFixed(6)));
      }
    }
  });

  it('overlays one cut-out per object and two per rider, in layer order, enabled only along its path', () => {
    const drawn = streetOverlays(objects, { base: 'bg0', firstInput: 1, mediaDir: '/media', fps: 15 });
    const overlays = drawn.chains.filter((c) => c.includes('overlay='));
    expect(overlays).toHaveLength(objects.length + objects.filter((o) => o.riders === 1).length);
    expect(drawn.inputs.filter((a) => a.startsWith('/media/'))).toEqual(['/media/person.jpg', '/media/dog.jpg']);
    const first = [...objects].sort((a, b) => a.layer - b.layer || a.inFrame[0] - b.inFrame[0])[0]!;
    expect(overlays[0]).toContain(`enable='between(t,${first.path[0]![0]},${first.path.at(-1)![0]})'`);
    const render = renderScene('street', 60, DEFAULT_FORMATS, '/media');
    expect(render.filter).toContain(`[${drawn.last}]noise=`);
    expect(render.filter.length).toBeLessThan(100_000); // one command-line argument (Linux allows 128 KiB)
  });

  it('boxes in view are where the truth says at a time in the middle of the loop', () => {
    const t = 30;
    const boxes = objects.map((o) => streetBoxAt(o, t)).filter(Boolean);
    expect(boxes.length).toBe(labelsAt(truth, t).length);
    expect(boxes.length).toBeGreaterThanOrEqual(20);
  });
});
