// Where the scenes' people, bicycles and cars are cut from: boxes in the two photos of test-fixtures/media
// (darknet's samples), in source pixels. One table for every scene.
import type { ObjectLabel } from './truth-types.js';

export interface Cutout {
  source: 'person.jpg' | 'dog.jpg';
  crop: { x: number; y: number; width: number; height: number };
  /** which way it faces in the photo: a cut-out moving the other way is flipped */
  faces: 'left' | 'right' | 'camera';
}

export const CUTOUTS_BY_LABEL: Record<ObjectLabel, Cutout> = {
  // the walker in the blue jacket, seen from behind
  person: { source: 'person.jpg', crop: { x: 190, y: 92, width: 90, height: 286 }, faces: 'camera' },
  // the road bike leaning on a porch, handlebars to the left; the dog sitting in front of it comes along
  bicycle: { source: 'dog.jpg', crop: { x: 120, y: 135, width: 450, height: 290 }, faces: 'left' },
  // the white pick-up parked across the street, cab to the right (COCO calls it car or truck; we say car)
  car: { source: 'dog.jpg', crop: { x: 462, y: 68, width: 230, height: 104 }, faces: 'right' },
};
