// The two photographs the fake cameras' scenes, the detector tests and the benches are drawn from (README.md here).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MEDIA_DIR = path.dirname(fileURLToPath(import.meta.url));
export const PERSON_JPG = path.join(MEDIA_DIR, 'person.jpg');
export const DOG_JPG = path.join(MEDIA_DIR, 'dog.jpg');
