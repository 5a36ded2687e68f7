// What an RTSP URL of the city's video system names (pure): `rtsp://host:port/<ward>/<camera>[/main|sub][/trackID=0]`
// with `?stream=main|sub`, main by default (the city's VMS records and shows the best picture). The Content-Base the
// hub answers puts the stream in the path, since clients drop the query when they build the track URL.
import { ID_HINT, ID_PATTERN } from '../../shared/contract/index.js';

export type CityStream = 'main' | 'sub';

export type CityPath =
  | { ok: true; ward: string; camera: string; stream: CityStream; track: boolean; /** Content-Base */ base: string }
  | { ok: false; status: 400 | 404; reason: string };

const FORM = 'the URL is rtsp://HOST:PORT/<ward>/<camera> (add ?stream=sub for the smaller stream)';

export function parseCityPath(url: string): CityPath {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, status: 400, reason: `not a URL: ${FORM}` };
  }
  if (parsed.protocol !== 'rtsp:' && parsed.protocol !== 'rtsps:') return { ok: false, status: 400, reason: `not an rtsp:// URL: ${FORM}` };
  const parts = parsed.pathname.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const track = parts.at(-1) === 'trackID=0';
  if (track) parts.pop();
  let inPath: CityStream | undefined;
  if (parts.length === 3 && (parts[2] === 'main' || parts[2] === 'sub')) inPath = parts.pop() as CityStream;
  const [ward, camera] = parts;
  if (parts.length !== 2 || ward === undefined || camera === undefined) return { ok: false, status: 404, reason: `no such stream: ${FORM}` };
  if (!ID_PATTERN.test(ward)) return { ok: false, status: 404, reason: `"${ward.slice(0, 40)}" is not a ward id (${ID_HINT}): ${FORM}` };
  if (!ID_PATTERN.test(camera)) return { ok: false, status: 404, reason: `"${camera.slice(0, 40)}" is not a camera id (${ID_HINT}): ${FORM}` };
  const query = parsed.searchParams.get('stream');
  if (query !== null && query !== 'main' && query !== 'sub') return { ok: false, status: 400, reason: `stream: must be main or sub, not "${query.slice(0, 20)}"` };
  const stream = inPath ?? query ?? 'main';
  return { ok: true, ward, camera, stream, track, base: `${parsed.protocol}//${parsed.host}/${ward}/${camera}/${stream}/` };
}
