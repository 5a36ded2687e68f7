// The pages' TLS (the hub's operator page and API, the box's review page): the certificate and key that hub.yaml's
// `http.tls` or edge.yaml's `review.tls` name, read and checked once at start; every failure names its key and the fix.
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';

export interface PageTlsFiles {
  certFile: string;
  keyFile: string;
}

/** What `https.createServer` takes. */
export interface PageTls {
  cert: Buffer;
  key: Buffer;
  minVersion: 'TLSv1.2';
  /** the certificate's last valid day (ISO 8601), for the start-up line */
  validTo: string;
}

export interface PageTlsWhere {
  /** the config key of the files, e.g. `http.tls` (hub.yaml) or `review.tls` (edge.yaml) */
  key: string;
  /** the command that makes them, e.g. `wardwatch provision credentials tls --out /etc/wardwatch-hub/tls --host NAME` */
  make: string;
}

/** A certificate or key that cannot serve the page. Its message names the key and the fix. */
export class PageTlsError extends Error {
  override name = 'PageTlsError';
}

function readOne(file: string, key: string, where: PageTlsWhere): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    if (code === 'ENOENT') throw new PageTlsError(`${key}: ${file} does not exist: make it with \`${where.make}\`, or correct the path in ${where.key}`);
    if (code === 'EACCES' || code === 'EPERM') {
      throw new PageTlsError(`${key}: ${file} cannot be read by this process's user (${code}): let the service's user read it, e.g. \`chgrp wardwatch ${file} && chmod 0640 ${file}\``);
    }
    throw new PageTlsError(`${key}: cannot read ${file} (${code}): point it at the PEM file \`${where.make}\` made`);
  }
}

/** Reads and checks the pair (both PEM, the key is the certificate's). Throws PageTlsError. */
export function readPageTls(files: PageTlsFiles, where: PageTlsWhere): PageTls {
  const certKey = `${where.key}.certFile`;
  const keyKey = `${where.key}.keyFile`;
  const cert = readOne(files.certFile, certKey, where);
  const key = readOne(files.keyFile, keyKey, where);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new PageTlsError(`${certKey}: ${files.certFile} is not a PEM certificate (a key or another file?): point it at the .crt that \`${where.make}\` made`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new PageTlsError(`${keyKey}: ${files.keyFile} is not a PEM private key (a certificate, or an encrypted key?): point it at the .key that \`${where.make}\` made`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new PageTlsError(`${where.key}: ${files.keyFile} is not the key of ${files.certFile}: use the .crt and .key made together by \`${where.make}\``);
  }
  return { cert, key, minVersion: 'TLSv1.2', validTo: new Date(x509.validTo).toISOString() };
}

/** One year, the common value; no includeSubDomains: the hub's domain may name other hosts that are not ours. */
export const HSTS = 'max-age=31536000';

/**
 * Why a page served this way sends passwords and footage in clear, or undefined when it does not: no TLS, no
 * trusted TLS proxy in front, and an address other machines reach. Pure; `key` is the config section (`http`, `review`).
 */
export function plainPageWarning(o: { key: string; host: string; tls: boolean; trustProxy: boolean }): string | undefined {
  if (o.tls || o.trustProxy) return undefined;
  const h = o.host.toLowerCase();
  if (h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)) return undefined;
  return `${o.key}: the page is served over plain HTTP on ${o.host}: passwords, session cookies and footage cross the network in clear. Set ${o.key}.tls (certificate from \`wardwatch provision credentials tls\`), or listen on 127.0.0.1 behind a TLS proxy with ${o.key}.trustProxy: true`;
}
