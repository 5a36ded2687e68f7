// Small schema builders shared by edge.yaml and hub.yaml: every field carries a description and an example,
// which feed both the error hints and CONFIG.md.
import { z } from 'zod';
import { ID_HINT, ID_PATTERN } from '../contract/ids.js';

export interface FieldDoc {
  description: string;
  example?: unknown;
}

/** Attaches documentation to a schema (outermost, so defaults and optionals keep it). */
export function doc<T extends z.ZodType>(schema: T, description: string, example?: unknown): T {
  return schema.meta({ description, ...(example === undefined ? {} : { example }) }) as T;
}

export const id = (what: string) => z.string().regex(ID_PATTERN, { message: `${what} id must match: ${ID_HINT}` });

export const port = () => z.number().int().min(0).max(65535);
export const host = () => z.string().min(1).max(253);
export const path = () => z.string().min(1);
export const wholeNumber = (min: number, max?: number) => {
  const n = z.number().int().min(min);
  return max === undefined ? n : n.max(max);
};

/** A point in normalised frame coordinates (0–1 from the top-left). */
export const point = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);
/** A polygon of at least 3 points. */
export const polygon = z.array(point).min(3, { message: 'a polygon needs at least 3 points' }).max(64);

/** A URL field of the given schemes, without inline credentials; each refusal names the fix. */
function urlOf(o: { schemes: readonly string[]; example: string; schemeHint: string; credentials: { message: string; hint: string }; userToo: boolean }) {
  return z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not a valid URL (got ${JSON.stringify(value)})`, params: { hint: `write it as ${o.example}` } });
      return;
    }
    if (!o.schemes.includes(url.protocol)) {
      const names = o.schemes.map((p) => `${p}//`).join(' or ');
      ctx.addIssue({ code: 'custom', message: `must be an ${names} URL (got ${url.protocol}//…)`, params: { hint: o.schemeHint } });
    }
    if (url.password || (o.userToo && url.username)) ctx.addIssue({ code: 'custom', message: o.credentials.message, params: { hint: o.credentials.hint } });
  });
}

/** RTSP URL without inline credentials (they belong in the secrets file). */
export const streamUrl = urlOf({
  schemes: ['rtsp:', 'rtsps:'],
  example: 'rtsp://192.168.1.64:554/Streaming/Channels/101',
  schemeHint: 'use the stream URL that `wardwatch provision probe` prints',
  credentials: { message: 'must not contain a password', hint: 'remove "user:password@" from the URL and set credentials.username and credentials.passwordSecret instead' },
  userToo: false,
});

/** Sizes in gigabytes (decimal), as shown by df -H. */
export const GB = 1_000_000_000;

/** HTTP URL of a camera's ONVIF device service, without inline credentials. */
export const onvifUrl = urlOf({
  schemes: ['http:', 'https:'],
  example: 'http://192.168.1.64/onvif/device_service',
  schemeHint: 'the device service URL, e.g. http://192.168.1.64/onvif/device_service',
  credentials: { message: 'must not contain a user name or password', hint: 'remove "user:password@": the camera\'s clock is read without a login' },
  userToo: true,
});
