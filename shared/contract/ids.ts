// Ids that appear in MQTT topics, file paths and URLs: wards, cameras, events.
import { z } from 'zod';

/** Ward and camera ids: lower-case letters, digits, `-` and `_`, 1–32 characters, starting with a letter or digit. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const ID_HINT = 'use 1–32 lower-case letters, digits, "-" or "_", starting with a letter or digit (no "/", "+", "#" or spaces)';

export const idSchema = z.string().regex(ID_PATTERN, { message: `not a valid id: ${ID_HINT}` });

/** Event ids are ULIDs: 26 Crockford base-32 characters, sortable by time. */
export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const ulidSchema = z.string().regex(ULID_PATTERN, { message: 'must be a ULID (26 characters, 0-9 A-Z without I L O U)' });

export function isId(value: string): boolean {
  return ID_PATTERN.test(value);
}
