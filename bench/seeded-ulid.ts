// ULIDs for generated data: the time part from the given instant, the random part from a seeded PRNG, so a bench
// makes the same ids on every run (the ulid package draws crypto randomness for every character: 35 µs an id here).
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function seededUlid(rnd: () => number): (ms: number) => string {
  return (ms) => {
    let time = '';
    for (let i = 0, t = ms; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
    let random = '';
    for (let i = 0; i < 16; i++) random += CROCKFORD[Math.floor(rnd() * 32)];
    return time + random;
  };
}
