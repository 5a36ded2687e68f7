// A small CA and the server certificates it signs, made with the system's openssl: the hub's (broker and operator
// page) and each ward box's (review page). Keys 0600.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsRequest {
  dir: string;
  /** names and addresses the server is reached by; each becomes a subjectAltName */
  hosts: string[];
  /** the certificate's file name without extension: `hub` (default) or `box-<ward>` */
  name?: string;
  /** sign with this existing CA (ca.pem, ca.key elsewhere, e.g. the hub's) instead of the one in `dir`; never made anew */
  ca?: { cert: string; key: string } | undefined;
  caDays?: number;
  certDays?: number;
  openssl?: string;
}

export interface TlsResult {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
  /** false when an existing CA was reused (wards keep trusting it) */
  newCa: boolean;
}

export class TlsError extends Error {}

/** `DNS:hub.local,IP:10.20.0.10`. Pure. */
export function subjectAltNames(hosts: readonly string[]): string {
  return hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
}

/** A name or address a certificate can hold (letters, digits, `.`, `:`, `-`). Pure. */
export const isHostName = (h: string): boolean => /^[A-Za-z0-9.:-]+$/.test(h);

/** The file name of a ward box's review page certificate, without extension. */
export const boxCertName = (ward: string): string => `box-${ward}`;

/**
 * Creates ca.pem/ca.key (unless both exist: then they are reused, so boxes that trust the CA keep working) and
 * `<name>.crt`/`<name>.key` signed by it. Files appear only when all of them were made; keys are 0600.
 */
export async function makeHubTls(req: TlsRequest): Promise<TlsResult> {
  const name = req.name ?? 'hub';
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new TlsError(`certificate name ${JSON.stringify(name)}: lower-case letters, digits, - and _ only`);
  const openssl = req.openssl ?? 'openssl';
  if (req.hosts.length === 0) throw new TlsError('at least one --host is needed');
  for (const h of req.hosts) if (!isHostName(h)) throw new TlsError(`--host ${JSON.stringify(h)} is not a host name or IP address`);
  mkdirSync(req.dir, { recursive: true, mode: 0o750 });
  const out = {
    caCert: req.ca?.cert ?? path.join(req.dir, 'ca.pem'),
    caKey: req.ca?.key ?? path.join(req.dir, 'ca.key'),
    cert: path.join(req.dir, `${name}.crt`),
    key: path.join(req.dir, `${name}.key`),
  };
  const reuseCa = existsSync(out.caCert) && existsSync(out.caKey);
  if (req.ca && !reuseCa) throw new TlsError(`${existsSync(out.caCert) ? out.caKey : out.caCert} not found: the district CA's ca.pem and ca.key (\`wardwatch provision credentials tls\` on the hub) are both needed to sign a certificate`);
  if (existsSync(out.caCert) !== existsSync(out.caKey)) throw new TlsError(`${req.dir} holds only one of ca.pem and ca.key: restore the other, or move both away to make a new CA`);
  const work = mkdtempSync(path.join(req.dir, '.tls-'));
  const w = (name: string) => path.join(work, name);
  const ossl = async (args: string[]) => {
    try {
      await run(openssl, args, { timeout: 30_000 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new TlsError('openssl not found: apt-get install openssl');
      throw new TlsError(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim().split('\n')[0]}`);
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    if (!reuseCa) {
      await ossl(['req', '-x509', ...ec, '-keyout', w('ca.key'), '-out', w('ca.pem'), '-days', String(req.caDays ?? 3650), '-subj', '/O=Wardwatch/CN=Wardwatch district CA',
        '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    }
    await ossl(['req', '-new', ...ec, '-keyout', w('server.key'), '-out', w('server.csr'), '-subj', `/O=Wardwatch/CN=${req.hosts[0]}`]);
    writeFileSync(
      w('ext.cnf'),
      `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${subjectAltNames(req.hosts)}\n`,
    );
    await ossl(['x509', '-req', '-in', w('server.csr'), '-CA', reuseCa ? out.caCert : w('ca.pem'), '-CAkey', reuseCa ? out.caKey : w('ca.key'), '-CAcreateserial',
      '-out', w('server.crt'), '-days', String(req.certDays ?? 825), '-sha256', '-extfile', w('ext.cnf')]);
    for (const k of ['ca.key', 'server.key']) if (existsSync(w(k))) chmodSync(w(k), 0o600);
    for (const c of ['ca.pem', 'server.crt']) if (existsSync(w(c))) chmodSync(w(c), 0o644);
    if (!reuseCa) {
      renameSync(w('ca.key'), out.caKey);
      renameSync(w('ca.pem'), out.caCert);
    }
    renameSync(w('server.key'), out.key);
    renameSync(w('server.crt'), out.cert);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { ...out, newCa: !reuseCa };
}
