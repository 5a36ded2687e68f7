// A sighting as the API shows it: camelCase, JSON decoded, no picture bytes (pure).
import type { Box, Sighting } from '../../shared/contract/index.js';
import type { SightingRow } from '../search/search.js';

/** The contract's sighting with the ward, absent fields as null, and whether a thumbnail can be fetched. */
export interface SightingView extends Omit<Sighting, 'colour' | 'thumbnail' | 'riders'> {
  ward: string;
  colour: Sighting['colour'] | null;
  riders: number | null;
  /** GET /api/sightings/:id/thumbnail has a JPEG (vehicles only) */
  thumbnail: boolean;
  /** in a search by line: the crossing that matched */
  crossing?: { line: string; direction: 'forward' | 'backward'; at: number };
}

export function sightingView(r: SightingRow, line?: string): SightingView {
  return {
    id: r.id,
    ward: r.ward,
    camera: r.camera,
    label: r.label as Sighting['label'],
    first: r.first,
    last: r.last,
    score: r.score,
    box: JSON.parse(r.box) as Box,
    bestAt: r.best_at,
    heading: r.heading,
    lines: JSON.parse(r.lines) as Sighting['lines'],
    zones: JSON.parse(r.zones) as Sighting['zones'],
    colour: r.colour as Sighting['colour'] | null,
    riders: r.riders,
    final: r.final === 1,
    thumbnail: r.has_thumbnail === 1,
    ...(line !== undefined && r.crossed_at !== undefined && r.crossed_direction !== undefined ? { crossing: { line, direction: r.crossed_direction, at: r.crossed_at } } : {}),
  };
}
