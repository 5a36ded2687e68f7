// Asks one ONVIF camera what it is and what it streams; picks its main and sub stream (pure).
import { OnvifClient, type DeviceInformation, type MediaProfile } from '../shared/onvif/client.js';
import { OnvifError, type Credentials } from '../shared/onvif/soap.js';

export interface ProfileWithUri extends MediaProfile {
  uri: string;
}

export interface Survey {
  /** device service URL */
  url: string;
  /** host[:port] as shown to the installer */
  address: string;
  info?: DeviceInformation;
  /** device clock minus ours, in ms */
  skewMs?: number;
  profiles?: ProfileWithUri[];
  error?: { kind: OnvifError['kind'] | 'error'; message: string };
}

export function addressOf(url: string): string {
  try {
    const u = new URL(url);
    return u.port && u.port !== '80' ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return url;
  }
}

/** What the installer should do about an error, for the per-device status column. */
export function explain(err: { kind: string; message: string }, haveCredentials: boolean): string {
  if (err.kind === 'not-authorized') return haveCredentials ? 'wrong user or password' : 'needs --user and --password-file';
  return err.message;
}

export async function surveyDevice(url: string, credentials: Credentials | undefined, what: { streams: boolean; timeoutMs?: number }): Promise<Survey> {
  const survey: Survey = { url, address: addressOf(url) };
  const client = new OnvifClient({ url, credentials, timeoutMs: what.timeoutMs ?? 5000 });
  try {
    survey.skewMs = (await client.connect()).skewMs;
    survey.info = await client.deviceInformation();
    if (what.streams) {
      const profiles = await client.profiles();
      survey.profiles = [];
      for (const p of profiles) survey.profiles.push({ ...p, uri: await client.streamUri(p.token) });
    }
  } catch (err) {
    survey.error = err instanceof OnvifError ? { kind: err.kind, message: err.message } : { kind: 'error', message: (err as Error).message };
  }
  return survey;
}

/**
 * Main = the largest picture; sub = the smallest other stream with its own URI (detection and the live grid).
 * No sub when the camera has one stream only: then the main stream is decoded for detection too.
 */
export function pickStreams<P extends Pick<ProfileWithUri, 'uri' | 'width' | 'height'>>(profiles: readonly P[]): { main: P; sub: P | undefined } | undefined {
  const area = (p: P) => (p.width ?? 0) * (p.height ?? 0);
  const sorted = [...profiles].filter((p) => p.uri).sort((a, b) => area(b) - area(a));
  const main = sorted[0];
  if (!main) return undefined;
  const others = sorted.filter((p) => p.uri !== main.uri);
  return { main, sub: others[others.length - 1] };
}
