// Why a box cannot reach or log into its hub, in the installer's words: which edge.yaml key (or which file) to fix,
// and how. Pure: the uplink's log lines and `wardwatch provision check` both say it this way.

/** The edge.yaml settings a connection was made with (names of keys, not secrets). */
export interface HubTarget {
  host: string;
  port: number;
  tls: boolean;
  caFile?: string | undefined;
  tokenSecret: string;
  /** the box id: it logs in as ward-<box> */
  box: string;
  /** the box's ward when it differs from the box id (edge.yaml box.id); absent: the box id is its ward's */
  ward?: string | undefined;
}

export type HubProblemKind = 'refused' | 'unreachable' | 'timeout' | 'name-mismatch' | 'untrusted' | 'expired' | 'tls-mismatch' | 'bad-login' | 'not-authorized' | 'other';

export interface HubProblem {
  kind: HubProblemKind;
  /** the edge.yaml key to fix */
  key: string;
  message: string;
  fix: string;
}

/** What an error of net, tls or mqtt.js carries that tells them apart. */
export interface ConnectionError {
  message: string;
  code?: unknown;
  /** tls: the peer certificate of a name mismatch */
  cert?: { subjectaltname?: string } | undefined;
}

const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_SIGNATURE_FAILURE']);

export function explainHubError(err: ConnectionError, hub: HubTarget): HubProblem {
  const at = `${hub.host}:${hub.port}`;
  const code = typeof err.code === 'string' ? err.code : typeof err.code === 'number' ? err.code : undefined;
  const ward = hub.ward ?? hub.box;
  const ownBox = ward !== hub.box;
  const issue = `on the hub: \`wardwatch provision credentials issue ${ownBox ? `--box ${hub.box} --ward ${ward}` : `--ward ${ward}`} …\` (then \`systemctl reload wardwatch-hub\`) and bring its bundle here with \`wardwatch provision credentials apply\``;
  if (code === 'ECONNREFUSED') {
    return { kind: 'refused', key: 'hub.port', message: `nothing accepts connections at ${at} (connection refused)`, fix: `check hub.host and hub.port (the hub's broker listener, 8883 by default) and that the hub runs (systemctl status wardwatch-hub)` };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { kind: 'unreachable', key: 'hub.host', message: `${hub.host} cannot be reached from this box (${code})`, fix: 'check hub.host (the hub\'s address on the district network) and the box\'s network and routes' };
  }
  if (code === 'ETIMEDOUT' || /connack timeout|timed? ?out/i.test(err.message)) {
    return { kind: 'timeout', key: 'hub.host', message: `no answer from ${at} in time`, fix: 'check hub.host and hub.port, and that no firewall drops the connection' };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = err.cert?.subjectaltname?.replace(/IP Address:/g, 'IP:') ?? 'other names';
    return {
      kind: 'name-mismatch',
      key: 'hub.host',
      message: `the hub's certificate is for ${names}, not ${hub.host}`,
      fix: `set hub.host to a name or address the certificate holds, or make the hub a certificate for it: \`wardwatch provision credentials tls --out DIR --host ${hub.host}\` on the hub`,
    };
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return { kind: 'expired', key: 'hub.caFile', message: 'the hub\'s certificate has expired', fix: 'on the hub: `wardwatch provision credentials tls --out DIR --host …` makes a new one (the CA is kept, boxes need nothing new)' };
  }
  if (typeof code === 'string' && UNTRUSTED.has(code)) {
    return {
      kind: 'untrusted',
      key: 'hub.caFile',
      message: `the hub's certificate is not signed by ${hub.caFile ? hub.caFile : 'a CA this box trusts (edge.yaml sets no hub.caFile)'} (${code})`,
      fix: 'copy the ca.pem of the hub that made its certificate (`wardwatch provision credentials tls`) to hub.caFile, e.g. with `wardwatch provision credentials apply --bundle FILE`',
    };
  }
  if (code === 'EPROTO' || code === 'ECONNRESET' || /wrong version number|packet length too long|unexpected eof/i.test(err.message)) {
    return {
      kind: 'tls-mismatch',
      key: 'hub.tls',
      message: `${at} closed the connection at once (${hub.tls ? 'TLS to a port that does not speak TLS?' : 'plain MQTT to a TLS port?'})`,
      fix: `check hub.port and hub.tls (the hub's listener there is ${hub.tls ? 'perhaps a plain tcp one' : 'perhaps a tls one'})`,
    };
  }
  if (code === 4 || code === 134 || /bad user ?name or password/i.test(err.message)) {
    return { kind: 'bad-login', key: `secret ${hub.tokenSecret}`, message: `the hub refused box ${hub.box}'s token (login ward-${hub.box}: bad user name or password)`, fix: `the token in the secrets file ("${hub.tokenSecret}") is not the one the hub knows: ${issue}` };
  }
  if (code === 5 || code === 135 || /not authori[sz]ed/i.test(err.message)) {
    return {
      kind: 'not-authorized',
      key: ownBox ? 'box.id' : 'ward.id',
      message: `the hub does not let box ${hub.box} log in as ward-${hub.box} (not authorised: a box the hub does not list, or too many failed logins from this address)`,
      fix: `${ownBox ? `check box.id against the boxes hub.yaml lists under ward ${ward}` : `check ward.id against the hub's wards list (a ward listed with boxes needs box.id here)`}, wait a few minutes after failed logins, or ${issue}`,
    };
  }
  return { kind: 'other', key: 'hub', message: err.message, fix: 'check hub.host, hub.port, hub.tls and hub.caFile' };
}

/** One line for a log or a terminal. */
export function formatHubProblem(p: HubProblem): string {
  return `${p.message} — fix ${p.key}: ${p.fix}`;
}
