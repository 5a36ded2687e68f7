// Ward login: which credential a CONNECT must match (pure), and scrypt verification with a cache of successes.
import { createHash, timingSafeEqual } from 'node:crypto';
import { verifySecretAsync } from '../../shared/scrypt.js';
import { wardOfUsername } from './acl.js';

export interface WardCredential {
  id: string;
  /** absent: the ward may not log in */
  tokenHash?: string | undefined;
}

export type LoginPlan = { ok: false; reason: string } | { ok: true; ward: string; tokenHash: string; token: string };

/** Decides, before any hashing, whether a CONNECT can succeed at all and against which hash. */
export function planLogin(wards: ReadonlyMap<string, WardCredential>, username: string | undefined, password: Buffer | undefined): LoginPlan {
  const ward = wardOfUsername(username);
  // the username itself stays out of the reason: it is logged, and a token typed into it must not be
  if (ward === undefined) return { ok: false, reason: username === undefined ? 'no username: it must be ward-<id>' : `username (${username.length} characters, not logged) is not ward-<id>` };
  const credential = wards.get(ward);
  if (!credential) return { ok: false, reason: `unknown ward ${ward}` };
  if (!credential.tokenHash) return { ok: false, reason: `ward ${ward} has no token (revoked or not issued)` };
  if (!password || password.length === 0) return { ok: false, reason: `ward ${ward} sent no password` };
  return { ok: true, ward, tokenHash: credential.tokenHash, token: password.toString('utf8') };
}

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Verifies tokens against scrypt hashes. A success is remembered per (ward, hash) as the sha256 of the token,
 * so 15 wards reconnecting at once cost 15 scrypt runs, not hundreds; a changed hash is a different key, so a
 * re-issued token takes effect at once. Failures are not cached (a guesser pays scrypt every time).
 */
export class TokenVerifier {
  private readonly verified = new Map<string, Buffer>();
  private readonly pending = new Map<string, Promise<boolean>>();

  async verify(ward: string, tokenHash: string, token: string): Promise<boolean> {
    const key = `${ward}\n${tokenHash}`;
    const known = this.verified.get(key);
    const candidate = digest(token);
    if (known && timingSafeEqual(known, candidate)) return true;
    // concurrent logins with the same token share one scrypt run
    const flightKey = `${key}\n${candidate.toString('base64')}`;
    let flight = this.pending.get(flightKey);
    if (!flight) {
      flight = verifySecretAsync(token, tokenHash).finally(() => this.pending.delete(flightKey));
      this.pending.set(flightKey, flight);
    }
    const ok = await flight;
    if (ok) this.verified.set(key, candidate);
    return ok;
  }

  /** Drops remembered successes for hashes no longer configured. */
  retain(wards: Iterable<WardCredential>): void {
    const live = new Set<string>();
    for (const w of wards) if (w.tokenHash) live.add(`${w.id}\n${w.tokenHash}`);
    for (const key of this.verified.keys()) if (!live.has(key)) this.verified.delete(key);
  }
}
