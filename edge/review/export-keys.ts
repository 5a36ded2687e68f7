// The box's export signing key: an Ed25519 pair made at first start in `<root>/keys/`, the private half 0600.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../../shared/atomic.js';

export interface ExportSigner {
  /** PEM (SPKI) of the public key: given to whoever must verify exports, and copied into each export */
  publicKeyPem: string;
  privateKeyFile: string;
  publicKeyFile: string;
  /** Ed25519 signature of `data` */
  sign(data: Buffer): Buffer;
}

export const EXPORT_KEY_FILE = 'export-ed25519.pem';
export const EXPORT_PUBLIC_KEY_FILE = 'export-ed25519.pub.pem';

/** Loads the key pair, making it when the box has none yet. */
export function loadOrCreateExportKey(keysDir: string): ExportSigner {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const privateKeyFile = path.join(keysDir, EXPORT_KEY_FILE);
  const publicKeyFile = path.join(keysDir, EXPORT_PUBLIC_KEY_FILE);
  let privateKey: KeyObject;
  if (existsSync(privateKeyFile)) {
    privateKey = createPrivateKey(readFileSync(privateKeyFile));
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${privateKeyFile}: not an Ed25519 private key; move it away and restart to make a new one`);
  } else {
    const pair = generateKeyPairSync('ed25519');
    privateKey = pair.privateKey;
    writeFileAtomicSync(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  }
  chmodSync(privateKeyFile, 0o600);
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
  if (!existsSync(publicKeyFile) || readFileSync(publicKeyFile, 'utf8') !== publicKeyPem) writeFileAtomicSync(publicKeyFile, publicKeyPem, { mode: 0o644 });
  return {
    publicKeyPem,
    privateKeyFile,
    publicKeyFile,
    sign: (data) => sign(null, data, privateKey),
  };
}
