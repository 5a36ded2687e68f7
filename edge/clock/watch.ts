// The box's clock and its cameras' clocks, checked at start and every few minutes: whether NTP keeps the box right,
// and how far each ONVIF camera's clock is off the box's (GetSystemDateAndTime). The statuses and the review page
// read the last answers; a camera that cannot say is null, logged once, never an error.
import { clockSkewed, type NtpState } from '../../shared/contract/index.js';
import type { Logger } from '../../shared/log.js';
import { OnvifClient } from '../../shared/onvif/client.js';
import { readNtpState } from './ntp.js';

export interface ClockCamera {
  id: string;
  /** the camera's ONVIF device service URL (edge.yaml `onvif.url`); none: its skew stays unknown */
  onvifUrl: string | undefined;
}

export interface ClockWatchOptions {
  cameras: readonly ClockCamera[];
  /** edge.yaml `clock.checkMinutes`, in ms */
  everyMs: number;
  logger: Logger;
  /** the box's clock: the reference every skew is measured against */
  clock?: () => number;
  /** default: ask this machine (timedatectl, timesyncd's flag file) */
  readNtp?: () => Promise<NtpState>;
  /** how long one camera may take to answer (default 5 s) */
  timeoutMs?: number;
  /** after each round of checks: the statuses that carry the clocks are worth sending again */
  onChecked?: () => void;
}

export class ClockWatch {
  private readonly cameras: readonly ClockCamera[];
  private readonly everyMs: number;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly readNtp: () => Promise<NtpState>;
  private readonly timeoutMs: number;
  private readonly onChecked: (() => void) | undefined;
  private ntpState: NtpState = 'unknown';
  private readonly skews = new Map<string, number>();
  /** what was last logged about each camera ('failed: …', 'skewed'), so a lasting problem is logged once */
  private readonly logged = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor({ cameras, everyMs, logger, clock, readNtp, timeoutMs, onChecked }: ClockWatchOptions) {
    this.cameras = cameras;
    this.everyMs = everyMs;
    this.logger = logger;
    this.clock = clock ?? Date.now;
    this.readNtp = readNtp ?? (() => readNtpState());
    this.timeoutMs = timeoutMs ?? 5000;
    this.onChecked = onChecked;
  }

  /** Checks now, then every `everyMs`. */
  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.everyMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.round;
  }

  /** Whether NTP keeps the box's clock right, as last checked. */
  ntp(): NtpState {
    return this.ntpState;
  }

  /** Camera clock minus box clock (ms), as last measured; null when unknown. */
  skewMs(camera: string): number | null {
    return this.skews.get(camera) ?? null;
  }

  /** One round: the box's NTP state and every ONVIF camera, at once. A round asked for while one runs is that one. */
  check(): Promise<void> {
    this.round ??= this.checkAll().finally(() => (this.round = undefined));
    return this.round;
  }

  private async checkAll(): Promise<void> {
    await Promise.all([this.checkNtp(), ...this.cameras.map((c) => this.checkCamera(c))]);
    if (!this.stopped) this.onChecked?.();
  }

  private async checkNtp(): Promise<void> {
    const state = await this.readNtp().catch((): NtpState => 'unknown');
    if (this.stopped || state === this.ntpState) return;
    if (state === 'unsynced') this.logger.warn('the box clock is not NTP-synchronised: recorded times may drift (check timedatectl and the NTP server)');
    else if (this.ntpState === 'unsynced') this.logger.info({ ntp: state }, 'the box clock is no longer reported unsynchronised');
    this.ntpState = state;
  }

  private async checkCamera({ id, onvifUrl }: ClockCamera): Promise<void> {
    if (onvifUrl === undefined) return;
    try {
      const { skewMs } = await new OnvifClient({ url: onvifUrl, timeoutMs: this.timeoutMs, now: this.clock }).connect();
      if (this.stopped) return;
      const skew = Math.round(skewMs);
      this.skews.set(id, skew);
      this.note(id, clockSkewed(skew) ? 'skewed' : 'ok', () =>
        clockSkewed(skew)
          ? this.logger.warn({ camera: id, skewMs: skew }, `camera ${id}'s clock is ${(Math.abs(skew) / 1000).toFixed(1)} s ${skew > 0 ? 'ahead of' : 'behind'} the box: set NTP on the camera (its overlay time will not match the recording)`)
          : this.logger.info({ camera: id, skewMs: skew }, `camera ${id}'s clock is readable and in step with the box`),
      );
    } catch (err) {
      if (this.stopped) return;
      this.skews.delete(id);
      const reason = (err as Error).message;
      this.note(id, `failed: ${reason}`, () => this.logger.warn({ camera: id, url: onvifUrl, err: reason }, `cannot read camera ${id}'s clock over ONVIF: its clock skew shows as unknown until it answers`));
    }
  }

  /** Logs what `say` says when a camera's outcome differs from the last one logged (a first "ok" is not news). */
  private note(camera: string, outcome: string, say: () => void): void {
    const before = this.logged.get(camera) ?? 'ok';
    this.logged.set(camera, outcome);
    if (outcome !== before) say();
  }
}
