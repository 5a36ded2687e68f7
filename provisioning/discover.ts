// `wardwatch provision discover`: finds ONVIF cameras (WS-Discovery) and lists maker, model and firmware of each.
import { EXIT, type Command, type Output } from '../shared/command.js';
import { discover, DISCOVERY_PORT, scopeValue, type Found } from '../shared/onvif/discovery.js';
import type { Credentials } from '../shared/onvif/soap.js';
import { credentialsFrom, formatTable, mapLimit, parseCommand, parseHostPort, parseSeconds, progress } from './cli-util.js';
import { explain, surveyDevice, type Survey } from './survey.js';

export interface DiscoverRequest {
  /** directed probes to host[:port]; empty: multicast on the local network */
  to: string[];
  timeoutSeconds: number;
  credentials: Credentials | undefined;
  /** also read profiles and stream URIs (init needs them) */
  streams?: boolean;
}

export interface DiscoveredCamera extends Survey {
  endpoint: string;
  /** the name scope the camera publishes, if any */
  name: string | undefined;
}

/** Probes, then asks every camera that answered for its details (8 at a time), in address order. */
export async function discoverCameras(req: DiscoverRequest): Promise<DiscoveredCamera[]> {
  const targets = req.to.map((t) => {
    const { host, port } = parseHostPort(t, DISCOVERY_PORT, '--to');
    return { address: host, port };
  });
  const found: Found[] = await discover({ targets, timeoutMs: req.timeoutSeconds * 1000 });
  const withUrl = found.filter((f) => f.xaddrs.length > 0);
  // a camera may publish an IPv6 or link-local XAddr first; prefer the one on the address that answered
  const urlOf = (f: Found) => f.xaddrs.find((x) => x.includes(`//${f.from}`)) ?? f.xaddrs.find((x) => /^http:\/\/\d/.test(x)) ?? f.xaddrs[0]!;
  const bar = progress('cameras', withUrl.length);
  const surveyed = await mapLimit(withUrl, 8, async (f) => {
    const s = await surveyDevice(urlOf(f), req.credentials, { streams: req.streams ?? false });
    bar.tick(s.address);
    return { ...s, endpoint: f.endpoint, name: scopeValue(f.scopes, 'name') };
  });
  bar.done();
  return surveyed.sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }));
}

const HELP = `wardwatch provision discover [--to ADDR[:PORT]…] [--timeout S] [--user U --password-file F] [--json]

Finds ONVIF cameras and lists address, maker, model and firmware.
  (no --to)          one WS-Discovery probe by multicast to 239.255.255.250:3702 on the box's network
  --to ADDR[:PORT]   a directed probe to this address instead (port 3702 by default); repeatable
  --timeout S        seconds to wait for answers (default 3)
  --user U --password-file F
                     the cameras' login, to read their details (the password is read from file F,
                     never from the command line)
  --json             one JSON array instead of the table
Each camera is listed with its own status: one with a wrong password does not hide the others.
Exit 0 when cameras were found and all answered; 1 when none was found or any camera failed.`;

export const discoverCommand: Command = {
  name: 'discover',
  summary: 'find ONVIF cameras and list maker, model, firmware',
  usage: 'wardwatch provision discover [--to ADDR[:PORT]…] [--timeout S] [--user U --password-file F] [--json]',
  async run(args, io: Output) {
    const parsed = parseCommand(
      args,
      { to: { type: 'string', multiple: true }, timeout: { type: 'string' }, user: { type: 'string' }, 'password-file': { type: 'string' }, json: { type: 'boolean' } },
      HELP,
      io,
    );
    if (!parsed) return EXIT.ok;
    const { values } = parsed;
    const credentials = credentialsFrom(values.user, values['password-file'], io);
    const cameras = await discoverCameras({ to: values.to ?? [], timeoutSeconds: parseSeconds(values.timeout, 3, '--timeout'), credentials });
    const failed = cameras.filter((c) => c.error);
    if (values.json) {
      io.out(
        JSON.stringify(
          cameras.map((c) => ({
            address: c.address,
            url: c.url,
            endpoint: c.endpoint,
            name: c.name ?? null,
            manufacturer: c.info?.manufacturer ?? null,
            model: c.info?.model ?? null,
            firmware: c.info?.firmware ?? null,
            serial: c.info?.serial ?? null,
            clockSkewSeconds: c.skewMs === undefined ? null : Math.round(c.skewMs / 100) / 10,
            error: c.error ? { kind: c.error.kind, message: explain(c.error, credentials !== undefined) } : null,
          })),
        ),
      );
    } else if (cameras.length) {
      const rows = cameras.map((c) => [c.address, c.info?.manufacturer ?? '-', c.info?.model ?? '-', c.info?.firmware ?? '-', c.error ? explain(c.error, credentials !== undefined) : 'ok']);
      for (const line of formatTable(['address', 'maker', 'model', 'firmware', 'status'], rows)) io.out(line);
    }
    if (!cameras.length) {
      io.err(values.to?.length ? 'no camera answered the directed probes: check the addresses and that ONVIF is on' : 'no camera answered: check that the box is on the cameras\' network and ONVIF discovery is on');
      return EXIT.failure;
    }
    io.err(`${cameras.length} camera${cameras.length === 1 ? '' : 's'} found${failed.length ? `, ${failed.length} could not be read` : ''}`);
    return failed.length ? EXIT.failure : EXIT.ok;
  },
};
