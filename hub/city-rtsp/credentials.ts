// The city accounts' RTSP credentials (`city_rtsp_credentials`, through the async SQL interface): a random password
// made once, only its Digest HA1 kept. A VMS cannot answer the page's login (scrypt, a password to change at first
// login), so it gets its own.
import { randomBytes } from 'node:crypto';
import type { Audit, AuditContext } from '../../shared/audit/index.js';
import { digestHa1 } from '../../shared/rtsp/digest.js';
import type { Sql } from '../../shared/sql/sql.js';

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
  private readonly sql: Sql;
  private readonly audit: Pick<Audit, 'recordIn'>;
  private readonly clock: () => number;

  constructor(o: { sql: Sql; audit: Pick<Audit, 'recordIn'>; clock?: () => number }) {
    this.sql = o.sql;
    this.audit = o.audit;
    this.clock = o.clock ?? Date.now;
  }

  /** The HA1 of a city account that is not locked; undefined for any other name (another role has no RTSP). */
  async ha1(user: string): Promise<string | undefined> {
    // "user" quoted: unquoted, PostgreSQL reads it as current_user
    const row = await this.sql.get<{ ha1: string }>(
      'SELECT c.ha1 FROM city_rtsp_credentials c JOIN users u ON u.name = c."user" WHERE c."user" = ? AND u.role = \'city\' AND u.locked = 0',
      [user],
    );
    return row?.ha1;
  }

  /** Makes (or replaces) a city account's credential; returns the password, which is stored nowhere. Audited. */
  async make(user: string, by: AuditContext): Promise<string> {
    const password = randomBytes(18).toString('base64url');
    const ha1 = digestHa1({ username: user, password }, RTSP_REALM);
    const now = this.clock();
    await this.sql.tx(async (t) => {
      const account = await t.get<{ role: string }>('SELECT role FROM users WHERE name = ?', [user]);
      if (!account) throw new RtspCredentialError(`name: no account "${user}"; add it first with \`wardwatch hub user add --role city\``, 'name');
      if (account.role !== 'city') throw new RtspCredentialError(`name: "${user}" has the role ${account.role}; RTSP credentials are for city accounts only`, 'name');
      const replaced = (await t.get('SELECT 1 AS one FROM city_rtsp_credentials WHERE "user" = ?', [user])) !== undefined;
      await t.run(
        'INSERT INTO city_rtsp_credentials ("user", ha1, created_at) VALUES (?, ?, ?) ON CONFLICT ("user") DO UPDATE SET ha1 = excluded.ha1, created_at = excluded.created_at',
        [user, ha1, now],
      );
      await this.audit.recordIn(t, { ...by, action: 'city.rtsp.credential', target: user, detail: { replaced } });
    });
    return password;
  }
}
