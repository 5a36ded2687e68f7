// Exports: a time range of some cameras cut by stream copy into a folder with a signed manifest; progress kept
// in memory while it runs, the outcome in the edge db. The folder appears under its final name only when whole.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from '../../shared/atomic.js';
import path from 'node:path';
import { monotonicFactory } from 'ulid';
import type { LocalAudit } from '../../shared/audit/index.js';
import type { Db } from '../../shared/db.js';
import type { Logger } from '../../shared/log.js';
import { clipPlan, cutClip } from '../events/clip.js';
import type { RecordStore } from '../record/store.js';
import type { ExportSigner } from './export-keys.js';
import { keyIdOf, MANIFEST_FILE, MANIFEST_FORMAT, manifestBytes, manifestTimes, PUBLIC_KEY_COPY, sha256File, SIGNATURE_FILE, type ExportManifest } from './export-manifest.js';

const ulid = monotonicFactory();

export interface ExportRequest {
  cameras: string[];
  fromMs: number;
  toMs: number;
  reason: string | null;
  by: { name: string; displayName: string; ip: string | null };
}

export interface ExportStatus {
  id: string;
  state: 'running' | 'done' | 'failed';
  cameras: string[];
  fromMs: number;
  toMs: number;
  reason: string | null;
  createdBy: string;
  createdAt: number;
  finishedAt: number | null;
  error: string | null;
  bytes: number | null;
  /** 0–1 while running */
  progress: number;
  /** what it is doing now, e.g. "cam-02" or "signing" */
  step: string | null;
}

export interface ExportServiceOptions {
  db: Db;
  audit: LocalAudit;
  store: RecordStore;
  signer: ExportSigner;
  ffmpegPath: string;
  /** `<root>/exports` */
  dir: string;
  ward: { id: string; name: string };
  cameraName: (camera: string) => string;
  /** IANA zone of the local times in the manifest (edge.yaml timeZone) */
  timeZone: string;
  logger: Logger;
  clock?: () => number;
}

/** A row of the exports table: the status without what only the running job knows, cameras as JSON. */
type Row = Omit<ExportStatus, 'cameras' | 'progress' | 'step'> & { cameras: string };

const COLUMNS = 'id, state, cameras, from_ms AS fromMs, to_ms AS toMs, reason, created_by AS createdBy, created_at AS createdAt, finished_at AS finishedAt, error, bytes';

export class ExportService {
  private readonly live = new Map<string, { progress: number; step: string | null; done: Promise<void> }>();
  private readonly clock: () => number;

  private readonly db: Db;
  private readonly audit: LocalAudit;
  private readonly store: RecordStore;
  private readonly signer: ExportSigner;
  private readonly ffmpegPath: string;
  private readonly dir: string;
  private readonly ward: { id: string; name: string };
  private readonly cameraName: (camera: string) => string;
  private readonly timeZone: string;
  private readonly logger: Logger;

  constructor({ db, audit, store, signer, ffmpegPath, dir, ward, cameraName, timeZone, logger, clock }: ExportServiceOptions) {
    this.db = db;
    this.audit = audit;
    this.store = store;
    this.signer = signer;
    this.ffmpegPath = ffmpegPath;
    this.dir = dir;
    this.ward = ward;
    this.cameraName = cameraName;
    this.timeZone = timeZone;
    this.logger = logger;
    this.clock = clock ?? Date.now;
    mkdirSync(dir, { recursive: true });
    // a box stopped mid-export: its partial folder is useless, the row says so
    db.prepare("UPDATE exports SET state = 'failed', error = 'the box stopped while it ran', finished_at = ? WHERE state = 'running'").run(this.clock());
    for (const f of readdirSync(dir)) if (f.startsWith('.') && f.endsWith('.partial')) rmSync(path.join(dir, f), { recursive: true, force: true });
  }

  /** Starts an export (audited) and returns its id; `whenDone(id)` resolves when it has finished either way. */
  start(req: ExportRequest): string {
    const id = ulid(this.clock());
    const now = this.clock();
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO exports (id, state, cameras, from_ms, to_ms, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, 'running', JSON.stringify(req.cameras), req.fromMs, req.toMs, req.reason, req.by.name, now);
      this.audit.recordNow({ actor: req.by.name, action: 'export', target: id, ip: req.by.ip, detail: { cameras: req.cameras, fromMs: req.fromMs, toMs: req.toMs, reason: req.reason } });
    })();
    const entry = { progress: 0, step: null as string | null, done: Promise.resolve() };
    this.live.set(id, entry);
    entry.done = this.run(id, req, entry).finally(() => this.live.delete(id));
    return id;
  }

  whenDone(id: string): Promise<void> {
    return this.live.get(id)?.done ?? Promise.resolve();
  }

  get(id: string): ExportStatus | undefined {
    const row = this.db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM exports WHERE id = ?`).get(id);
    return row && this.status(row);
  }

  list(limit = 50): ExportStatus[] {
    return this.db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM exports ORDER BY id DESC LIMIT ?`).all(limit).map((r) => this.status(r));
  }

  /** The folder of a finished export, or undefined. */
  folder(id: string): string | undefined {
    const s = this.get(id);
    return s?.state === 'done' ? path.join(this.dir, id) : undefined;
  }

  /** The files of a finished export: name and size. */
  files(id: string): { name: string; bytes: number }[] {
    const dir = this.folder(id);
    if (!dir) return [];
    return readdirSync(dir)
      .filter((f) => !f.startsWith('.'))
      .sort()
      .map((name) => ({ name, bytes: statSync(path.join(dir, name)).size }));
  }

  private status(r: Row): ExportStatus {
    const live = this.live.get(r.id);
    return { ...r, cameras: JSON.parse(r.cameras) as string[], progress: r.state === 'done' ? 1 : (live?.progress ?? 0), step: live?.step ?? null };
  }

  private async run(id: string, req: ExportRequest, entry: { progress: number; step: string | null }): Promise<void> {
    const partial = path.join(this.dir, `.${id}.partial`);
    const at = (ms: number) => manifestTimes(ms, this.timeZone);
    try {
      mkdirSync(partial, { recursive: true });
      const cameras: ExportManifest['cameras'] = [];
      const missing: string[] = [];
      const steps = req.cameras.length + 1;
      for (const [i, camera] of req.cameras.entries()) {
        entry.step = camera;
        const plan = clipPlan(this.store.segmentsInRange(camera, req.fromMs, req.toMs), req.fromMs, req.toMs);
        if (!plan) {
          missing.push(camera);
        } else {
          const file = `${camera}.mp4`;
          await cutClip(this.ffmpegPath, plan, path.join(partial, file));
          entry.step = `${camera} sha256`;
          const full = path.join(partial, file);
          const [from, to] = [at(plan.start), at(plan.end)];
          cameras.push({
            camera,
            name: this.cameraName(camera),
            file,
            bytes: statSync(full).size,
            sha256: await sha256File(full),
            fromMs: plan.start,
            toMs: plan.end,
            from: from.utc,
            to: to.utc,
            fromLocal: from.local,
            toLocal: to.local,
          });
        }
        entry.progress = (i + 1) / steps;
      }
      if (!cameras.length) throw new Error('no recording of the chosen cameras in that range');
      entry.step = 'signing';
      const [from, to, created] = [at(req.fromMs), at(req.toMs), at(this.clock())];
      const manifest: ExportManifest = {
        format: MANIFEST_FORMAT,
        id,
        box: { ward: this.ward.id, wardName: this.ward.name },
        timeZone: this.timeZone,
        range: { from: from.utc, to: to.utc, fromMs: req.fromMs, toMs: req.toMs, fromLocal: from.local, toLocal: to.local },
        cameras,
        missing,
        exporter: req.by,
        reason: req.reason,
        createdAt: created.utc,
        createdAtLocal: created.local,
        keyId: keyIdOf(this.signer.publicKeyPem),
      };
      const bytes = manifestBytes(manifest);
      writeFileAtomicSync(path.join(partial, MANIFEST_FILE), bytes);
      writeFileAtomicSync(path.join(partial, SIGNATURE_FILE), this.signer.sign(bytes).toString('base64') + '\n');
      writeFileAtomicSync(path.join(partial, PUBLIC_KEY_COPY), this.signer.publicKeyPem);
      renameSync(partial, path.join(this.dir, id));
      const total = cameras.reduce((a, c) => a + c.bytes, 0);
      this.db.prepare("UPDATE exports SET state = 'done', finished_at = ?, bytes = ? WHERE id = ?").run(this.clock(), total, id);
      this.logger.info({ export: id, cameras: cameras.length, bytes: total }, 'export done');
    } catch (err) {
      rmSync(partial, { recursive: true, force: true });
      const message = (err as Error).message.slice(0, 500);
      this.db.prepare("UPDATE exports SET state = 'failed', finished_at = ?, error = ? WHERE id = ?").run(this.clock(), message, id);
      this.logger.warn({ export: id, err: message }, 'export failed');
    }
  }
}
