// The city's access policy (pure): whether the city's grants and emergency access allow a ward's camera, live or a
// recorded range, at a moment; and the sentence a city user reads when they do not.

/** A grant or an emergency as the policy sees it (a row of `city_grants`). */
export interface GrantTerms {
  id: string;
  kind: 'grant' | 'emergency';
  /** null: every ward (emergency) */
  ward: string | null;
  /** null: every camera of the ward (or of every ward) */
  camera: string | null;
  live: boolean;
  /** recordings retrievable in [from, to); null: none (an emergency: any) */
  recordings: { from: number; to: number } | null;
  startsAt: number;
  endsAt: number;
  revokedAt: number | null;
}

export type CityAccess =
  | { ok: true; grantId: string; kind: 'grant' | 'emergency'; endsAt: number }
  | { ok: false; reason: string };

export type CityWhat = 'live' | { from: number; to: number };

/** In force at `now`: started, not ended, not revoked. */
export function inForce(g: GrantTerms, now: number): boolean {
  return g.revokedAt === null && g.startsAt <= now && now < g.endsAt;
}

function covers(g: GrantTerms, ward: string, camera: string): boolean {
  return (g.ward === null || g.ward === ward) && (g.camera === null || g.camera === camera);
}

function allows(g: GrantTerms, what: CityWhat): boolean {
  if (what === 'live') return g.live;
  if (g.kind === 'emergency') return true;
  return g.recordings !== null && g.recordings.from <= what.from && what.to <= g.recordings.to;
}

const clockTime = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

/**
 * The grant that lets the city see `what` of a camera at `now`: of those that allow it, the one that lasts longest
 * (a city viewer's relay ends with it). When none does, the reason names what is missing, most specific first.
 */
export function decide(grants: readonly GrantTerms[], ward: string, camera: string, what: CityWhat, now: number): CityAccess {
  const place = `camera ${camera} of ward ${ward}`;
  const mine = grants.filter((g) => covers(g, ward, camera));
  const live = mine.filter((g) => inForce(g, now));
  const allowing = live.filter((g) => allows(g, what));
  if (allowing.length > 0) {
    const best = allowing.reduce((a, b) => (b.endsAt > a.endsAt ? b : a));
    return { ok: true, grantId: best.id, kind: best.kind, endsAt: best.endsAt };
  }
  if (live.length > 0) {
    if (what === 'live') return { ok: false, reason: `live view of ${place} is not granted to the city (recordings only): ask an operator for a grant with live view` };
    const ranges = live.flatMap((g) => (g.recordings ? [`${clockTime(g.recordings.from)} – ${clockTime(g.recordings.to)}`] : []));
    return {
      ok: false,
      reason: ranges.length > 0
        ? `recordings of ${place} are granted to the city only within ${ranges.join(', ')}: pick a range inside it`
        : `recordings of ${place} are not granted to the city (live view only): ask an operator for a grant with recordings`,
    };
  }
  const later = mine.filter((g) => g.revokedAt === null && g.startsAt > now);
  if (later.length > 0) return { ok: false, reason: `the city's access to ${place} starts at ${clockTime(Math.min(...later.map((g) => g.startsAt)))}` };
  const revoked = mine.filter((g) => g.revokedAt !== null && g.revokedAt <= now && now < g.endsAt);
  if (revoked.length > 0) return { ok: false, reason: `the city's access to ${place} was revoked: ask an operator for a new grant` };
  const ended = mine.filter((g) => g.endsAt <= now);
  if (ended.length > 0) return { ok: false, reason: `the city's access to ${place} ended at ${clockTime(Math.max(...ended.map((g) => g.endsAt)))}: ask an operator for a new grant` };
  return { ok: false, reason: `${place} is not granted to the city: ask an operator for a grant` };
}
