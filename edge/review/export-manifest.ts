// An export's manifest: what it holds (box, cameras, range, sha256 of each file, who, when), signed with the
// box's Ed25519 key; and the offline check of an export folder against a trusted public key.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { localIso } from '../../shared/local-time.js';

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const PUBLIC_KEY_COPY = 'public-key.pem';
export const MANIFEST_FORMAT = 'wardwatch-export/1';

const fileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/, 'a plain file name');

/**
 * Times: `…Ms` in ms since the epoch; `from`, `to`, `createdAt` in UTC ISO 8601 (`…Z`); `…Local` the same instant
 * on the box's wall clock with its offset (`2026-11-26T14:03:12.000+07:00`) in `timeZone`. Exports made before
 * the local times and the zone were added lack them: optional, so their signatures still check.
 */
export const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string().min(1).max(64),
  box: z.strictObject({ ward: z.string(), wardName: z.string() }),
  /** IANA name of the box's time zone (edge.yaml timeZone) */
  timeZone: z.string().optional(),
  range: z.strictObject({
    from: z.string(),
    to: z.string(),
    fromMs: z.number().int(),
    toMs: z.number().int(),
    fromLocal: z.string().optional(),
    toLocal: z.string().optional(),
  }),
  cameras: z.array(
    z.strictObject({
      camera: z.string(),
      name: z.string(),
      file: fileName,
      bytes: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      /** what the recording covers inside the range (it may start later or end sooner) */
      fromMs: z.number().int(),
      toMs: z.number().int(),
      from: z.string().optional(),
      to: z.string().optional(),
      fromLocal: z.string().optional(),
      toLocal: z.string().optional(),
    }),
  ),
  /** cameras asked for that had no recording in the range */
  missing: z.array(z.string()),
  exporter: z.strictObject({ name: z.string(), displayName: z.string(), ip: z.string().nullable() }),
  reason: z.string().nullable(),
  createdAt: z.string(),
  createdAtLocal: z.string().optional(),
  /** sha256 of the signing public key (SPKI DER): which box key signed it */
  keyId: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ExportManifest = z.infer<typeof manifestSchema>;

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => hash.update(c))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** An instant as the manifest writes it: UTC ISO 8601, and the box's wall clock with its offset. */
export function manifestTimes(ms: number, timeZone: string): { utc: string; local: string } {
  return { utc: new Date(ms).toISOString(), local: localIso(ms, timeZone) };
}

export function keyIdOf(publicKeyPem: string): string {
  return createHash('sha256').update(createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' })).digest('hex');
}

/** The manifest's bytes as written and signed: stable JSON, two-space indented, newline at the end. */
export function manifestBytes(manifest: ExportManifest): Buffer {
  return Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
}

export type VerifyResult = { ok: true; manifest: ExportManifest } | { ok: false; file: string; problem: string };

/**
 * Checks an export folder: the signature of manifest.json by the trusted key, then every listed file's size and
 * sha256, and that no unlisted video sits beside them. The first failure names its file.
 */
export async function verifyExport(dir: string, trustedPublicKeyPem: string): Promise<VerifyResult> {
  const fail = (file: string, problem: string): VerifyResult => ({ ok: false, file, problem });
  const manifestFile = path.join(dir, MANIFEST_FILE);
  const sigFile = path.join(dir, SIGNATURE_FILE);
  if (!existsSync(manifestFile)) return fail(MANIFEST_FILE, 'missing');
  if (!existsSync(sigFile)) return fail(SIGNATURE_FILE, 'missing');
  const bytes = readFileSync(manifestFile);
  let signature: Buffer;
  try {
    signature = Buffer.from(readFileSync(sigFile, 'utf8').trim(), 'base64');
  } catch {
    return fail(SIGNATURE_FILE, 'unreadable');
  }
  let key;
  try {
    key = createPublicKey(trustedPublicKeyPem);
  } catch {
    return fail('--public-key', 'not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') return fail('--public-key', `an ${String(key.asymmetricKeyType)} key; exports are signed with Ed25519`);
  if (signature.length !== 64 || !verify(null, bytes, key, signature)) {
    return fail(MANIFEST_FILE, 'the signature does not match: the manifest was changed, or another key signed it');
  }
  let manifest: ExportManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(bytes.toString('utf8')));
  } catch (err) {
    return fail(MANIFEST_FILE, `signed but unreadable: ${(err as Error).message.slice(0, 200)}`);
  }
  for (const cam of manifest.cameras) {
    const file = path.join(dir, cam.file);
    if (!existsSync(file)) return fail(cam.file, 'missing');
    const size = statSync(file).size;
    if (size !== cam.bytes) return fail(cam.file, `${size} bytes, the manifest says ${cam.bytes}`);
    if ((await sha256File(file)) !== cam.sha256) return fail(cam.file, 'sha256 differs from the manifest: the file was changed');
  }
  const listed = new Set(manifest.cameras.map((c) => c.file));
  const stray = readdirSync(dir).find((f) => /\.(mp4|mkv|mov|avi|ts)$/i.test(f) && !listed.has(f));
  if (stray) return fail(stray, 'a video not listed in the manifest');
  return { ok: true, manifest };
}
