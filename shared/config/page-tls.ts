// The two keys both pages share (hub.yaml `http`, edge.yaml `review`): the TLS certificate and key, and whether a
// TLS proxy in front is trusted. One schema, so the two files say the same thing the same way.
import { z } from 'zod';
import { doc, path } from './fields.js';

/** `tls: { certFile, keyFile }`; examples are the files `wardwatch provision credentials tls` makes. */
export function pageTls(o: { page: string; certFile: string; keyFile: string; command: string }) {
  return doc(
    z
      .object({
        certFile: doc(path(), `certificate (PEM) of ${o.page}, relative to this file; from \`${o.command}\``, o.certFile),
        keyFile: doc(path(), `its private key (PEM, mode 0600 or 0640 group wardwatch), relative to this file`, o.keyFile),
      })
      .strict()
      .optional(),
    `serve ${o.page} over HTTPS with this certificate (session cookies Secure, HSTS); absent: plain HTTP, for loopback and tests only`,
  );
}

export function trustProxy(page: string) {
  return doc(
    z.boolean().optional(),
    `off unless true: ${page} sits behind a TLS proxy (nginx, haproxy) that sets X-Forwarded-For, -Proto and -Host: the client's address comes from the first (the login throttle and the audit), a request that came as https gets Secure cookies and HSTS, and the page's own origin (changes from other sites are refused) is -Proto://-Host. Turn on only when no one but the proxy can reach the port (listen on 127.0.0.1), or anyone could claim any address and dodge the per-address login throttle`,
    false,
  );
}
