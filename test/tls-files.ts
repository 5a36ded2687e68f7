// Certificates for tests, made as an installer makes them (provisioning/tls.ts, the system's openssl): one CA, the
// hub's certificate and a ward box's, for 127.0.0.1 and localhost.
import { boxCertName, makeHubTls } from '../provisioning/tls.js';

export interface TestTls {
  ca: string;
  hub: { certFile: string; keyFile: string };
  box: { certFile: string; keyFile: string };
}

export async function makeTestTls(dir: string, ward = 'p07'): Promise<TestTls> {
  const hosts = ['127.0.0.1', 'localhost'];
  const hub = await makeHubTls({ dir, hosts });
  const box = await makeHubTls({ dir, hosts, name: boxCertName(ward) });
  return { ca: hub.caCert, hub: { certFile: hub.cert, keyFile: hub.key }, box: { certFile: box.cert, keyFile: box.key } };
}

