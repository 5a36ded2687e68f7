// The city accounts' RTSP credentials (`city_rtsp_credentials`): a random password made once, only its Digest HA1
// kept. A VMS cannot answer the page's login (scrypt, a password to change at first login), so it gets its own.
import { randomBytes } from 'node:crypto';
import type { Audit, AuditContext } from '../../shared/audit/index.js';
import type { Db } from '../../shared/db.js';
import { digestHa1 } from '../../shared/rtsp/digest.js';

/** The Digest realm of the hub's RTSP; part of every HA1, so changing it voids every credential. */
export const RTSP_REALM = 'wardwatch';

export class RtspCredentialError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export class RtspCredentials {
  private readonly db: Db;
  private readonly audit: Audit;
  private readonly clock: () => number;

  constructor(o: { db: Db; audit: Audit; clock?: () => number }) {
    this.db = o.db;
    this.audit = o.audit;
    this.clock = o.clock ?? Date.now;
  }

  /** The HA1 of a city account that is not locked; undefined for any other name (another role has no RTSP). */
  ha1(user: string): string | undefined {
    const row = this.db
      .prepare<[string], { ha1: string }>("SELECT c.ha1 FROM city_rtsp_credentials c JOIN users u ON u.name = c.user WHERE c.user = ? AND u.role = 'city' AND u.locked = 0")
      .get(user);
    return row?.ha1;
  }

  /** Makes (or replaces) a city account's credential; returns the password, which is stored nowhere. Audited. */
  make(user: string, by: AuditContext): string {
    const password = randomBytes(18).toString('base64url');
    const now = this.clock();
    this.db.transaction(() => {
      const account = this.db.prepare<[string], { role: string }>('SELECT role FROM users WHERE name = ?').get(user);
      if (!account) throw new RtspCredentialError(`name: no account "${user}"; add it first with \`wardwatch hub user add --role city\``, 'name');
      if (account.role !== 'city') throw new RtspCredentialError(`name: "${user}" has the role ${account.role}; RTSP credentials are for city accounts only`, 'name');
      const replaced = this.db.prepare('SELECT 1 FROM city_rtsp_credentials WHERE user = ?').get(user) !== undefined;
      this.db
        .prepare('INSERT INTO city_rtsp_credentials (user, ha1, created_at) VALUES (?, ?, ?) ON CONFLICT (user) DO UPDATE SET ha1 = excluded.ha1, created_at = excluded.created_at')
        .run(user, digestHa1({ username: user, password }, RTSP_REALM), now);
      this.audit.record({ ...by, action: 'city.rtsp.credential', target: user, detail: { replaced } });
    })();
    return password;
  }
}
